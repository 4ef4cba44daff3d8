"""Every file the ingest writes (report, rejects, returns, CIN XML, the CLI's Parquet)
goes through carevis.atomic: a write that fails leaves the target as it was and no
partial file beside it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from carevis.errors import ExportError
from carevis.ingest import read_ssda903, write_cin_census, write_ssda903

from .support import make_journeys


def _failing_write_csv(*args: object, **kwargs: object) -> None:
    dest = args[1]
    if isinstance(dest, (str, Path)):
        Path(dest).write_text("CHILD,partial\n")
    else:
        dest.write(b"CHILD,partial\n")  # type: ignore[attr-defined]
    raise OSError(28, "No space left on device")


def test_failed_writes_leave_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    src = tmp_path / "in"
    write_ssda903(make_journeys(n_children=20), src, years=range(2019, 2021))
    res = read_ssda903(src, hash_key="k" * 16)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.csv").write_text("old report\n")
    with monkeypatch.context() as m:
        m.setattr(pacsv, "write_csv", _failing_write_csv)
        with pytest.raises(ExportError, match=r"report\.csv"):
            res.report.to_csv(out / "report.csv")
        with pytest.raises(ExportError, match=r"rejects\.csv"):
            read_ssda903(src, hash_key="k" * 16, rejects=out / "rejects.csv")
        with pytest.raises(ExportError, match=r"episodes\.csv"):
            write_ssda903(res.table, out / "returns", years=[2020])
    assert (out / "report.csv").read_text() == "old report\n"
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["report.csv"]


def test_cin_census_files_are_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    j = make_journeys(n_children=20)

    def failing(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(Path, "write_text", failing)
        with pytest.raises(ExportError, match="CIN_"):
            write_cin_census(j, tmp_path / "cin", years=[2020])
    assert not [p for p in (tmp_path / "cin").rglob("*") if p.is_file()]
    written = write_cin_census(j, tmp_path / "cin", years=[2020])
    assert written and all(p.read_text().startswith("<?xml") for p in written)
    assert sorted(p.name for p in (tmp_path / "cin").rglob("*") if p.is_file()) == sorted(
        p.name for p in written
    )
