"""``carevis render --filter`` (issue 17, item 7): a filter shows only some children; one
that matches nothing says so in one line (the picture is still drawn); a mistyped column
is an error naming the closest column; a malformed one is a usage error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from carevis.cli import main
from PIL import Image

from tests.journey_tables import BG, make_table


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("filter") / "j.parquet"
    pq.write_table(make_table(300, seed=4), path)
    return str(path)


def _render(data: str, out: Path, *extra: str) -> int:
    argv = ["render", data, "-o", str(out), "--size", "320x180", "--at", "2020-03-31"]
    return main([*argv, "--title", "", *extra])


def _dots(path: Path) -> int:
    with Image.open(path) as im:
        img = np.asarray(im.convert("RGB")).astype(int)
    return int((np.abs(img - np.array(BG[:3])).max(axis=-1) > 40).sum())


def test_filter_shows_fewer_children(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    la = sorted(set(pq.read_table(data)["la"].to_pylist()))[0]
    assert _render(data, tmp_path / "all.png") == 0
    assert _render(data, tmp_path / "one.png", "--filter", f"la={la}") == 0
    assert "note" not in capsys.readouterr().err
    assert 0 < _dots(tmp_path / "one.png") < _dots(tmp_path / "all.png")


def test_a_filter_matching_nothing_says_so_in_one_line(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(data, tmp_path / "none.png", "--filter", "sex=Nobody") == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("carevis: note: ")]
    assert any("no child has sex 'Nobody'" in n for n in notes)
    assert any("matches none of the 300 children" in n for n in notes)
    assert (tmp_path / "none.png").exists()


def test_a_mistyped_filter_column_is_an_error_naming_the_closest(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(data, tmp_path / "x.png", "--filter", "sexx=F") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("carevis: error: unknown filter column 'sexx'; did you mean 'sex'?")
    assert len(err.splitlines()) == 1 and not (tmp_path / "x.png").exists()


def test_a_malformed_filter_is_a_usage_error(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(data, tmp_path / "x.png", "--filter", "la") == 2
    assert "COLUMN=VALUE" in capsys.readouterr().err
