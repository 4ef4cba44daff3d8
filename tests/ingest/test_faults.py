"""Faults and hostile input at the ingest's front door (issue 15, items 3-5 and 7).

Every case is generated (planted ids, dates of birth, postcodes and UPNs at random) and
asserts: a CarevisError subclass or a counted report row naming the file, nothing at
the target when it fails, and no planted identifier in any message, report, rejects
file, output or log.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from carevis.errors import CarevisError, ConfigError, DataError
from carevis.ingest import read_journeys, read_ssda903

from ..faults_support import EP_HEAD, HASH_KEY, HD_HEAD, Planted, files_under, write
from .reference import use_references

SEEDS = [1, 2]


@pytest.fixture(params=["native", "reference"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both CSV readers: the Rust one, and its pyarrow reference (``reference.py``)."""
    if request.param == "reference":
        use_references(monkeypatch, ("parse_csv_bodies",))
    return str(request.param)


def _ep(d: Path, p: Planted) -> Path:
    return write(d / "SSDA903_201_2020_episodes.csv", EP_HEAD, p.episode_rows())


def _hd(d: Path, p: Planted) -> Path:
    return write(d / "SSDA903_201_2020_header.csv", HD_HEAD, p.header_rows())


# Each case builds a folder (or file) of returns without usable episodes; returns
# (what to read, the file the report or error must name).
Case = Callable[[Path, Planted], tuple[Path, str]]


def _header_only(d: Path, p: Planted) -> tuple[Path, str]:
    f = write(d / "SSDA903_201_2020_episodes.csv", EP_HEAD, [])
    _hd(d, p)
    return d, f.name


def _header_table_only(d: Path, p: Planted) -> tuple[Path, str]:
    return d, _hd(d, p).name  # a header table and no episodes file at all


def _zip_in_folder(d: Path, p: Planted) -> tuple[Path, str]:
    d.mkdir()
    with zipfile.ZipFile(d / "returns.zip", "w") as z:
        z.writestr("SSDA903_201_2020_episodes.csv", "\n".join([EP_HEAD, *p.episode_rows()]))
    return d, d.name


def _zip_as_file(d: Path, p: Planted) -> tuple[Path, str]:
    d.mkdir()
    f = d / "SSDA903_201_2020_episodes.csv"  # a zip saved under a CSV name
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("episodes.csv", "\n".join([EP_HEAD, *p.episode_rows()]))
    return d, f.name


def _empty_folder(d: Path, p: Planted) -> tuple[Path, str]:
    d.mkdir()
    return d, d.name


def _missing_folder(d: Path, p: Planted) -> tuple[Path, str]:
    return d / "no-such-returns", "no-such-returns"


def _dir_symlink_loop(d: Path, p: Planted) -> tuple[Path, str]:
    d.mkdir()
    (d / "again").symlink_to(d, target_is_directory=True)
    return d, d.name


def _file_symlink_loop(d: Path, p: Planted) -> tuple[Path, str]:
    d.mkdir()
    a, b = d / "SSDA903_201_2020_episodes.csv", d / "SSDA903_201_2020_header.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    return d, a.name


def _symlink_loop_named(d: Path, p: Planted) -> tuple[Path, str]:
    d.mkdir()
    a = d / "loop.csv"
    a.symlink_to(a)
    return a, a.name


def _all_ragged_header(d: Path, p: Planted) -> tuple[Path, str]:
    f = write(d / "SSDA903_201_2020_header.csv", HD_HEAD, p.ragged(p.header_rows()))
    return d, f.name


def _all_ragged_episodes(d: Path, p: Planted) -> tuple[Path, str]:
    f = write(d / "SSDA903_201_2020_episodes.csv", EP_HEAD, p.ragged(p.episode_rows()))
    _hd(d, p)
    return d, f.name


def _headerless(d: Path, p: Planted) -> tuple[Path, str]:
    rows = p.episode_rows()  # the first data row where the header should be
    f = write(d / "SSDA903_201_2020_returns.csv", rows[0], rows[1:])
    return d, f.name


CASES: dict[str, Case] = {
    "header_only": _header_only,
    "header_table_only": _header_table_only,
    "zip_in_folder": _zip_in_folder,
    "zip_as_csv": _zip_as_file,
    "empty_folder": _empty_folder,
    "missing_folder": _missing_folder,
    "dir_symlink_loop": _dir_symlink_loop,
    "file_symlink_loop": _file_symlink_loop,
    "symlink_loop_named": _symlink_loop_named,
    "all_ragged_header": _all_ragged_header,
    "all_ragged_episodes": _all_ragged_episodes,
    "headerless": _headerless,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("entry", ["read_ssda903", "read_journeys"])
def test_returns_without_usable_episodes(
    tmp_path: Path, reader: str, case: str, entry: str, seed: int
) -> None:
    p = Planted.make(seed)
    src, name = CASES[case](tmp_path / "in", p)
    out = tmp_path / "out"
    try:
        if entry == "read_ssda903":
            res = read_ssda903(src, hash_key=HASH_KEY, rejects=out / "rejects.csv")
        else:
            res = read_journeys(ssda903=src, hash_key=HASH_KEY)
    except CarevisError as e:
        assert name in str(e), str(e)
        p.assert_absent(str(e))
        assert not out.exists()  # nothing written when it fails
        return
    # no error: the file is in the report, every row accounted for, nothing leaked
    rep = res.report.to_table().to_pylist()
    assert any(r["file"].endswith(name) for r in rep), rep
    assert res.rows_in == res.rows_used + res.rows_rejected
    res.report.to_csv(out / "report.csv")
    p.assert_absent(res.summary(), res.table.to_pandas().to_csv(), *files_under(out))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eol", ["\r", "\r\n"])
def test_old_mac_line_ends_are_read(tmp_path: Path, reader: str, eol: str, seed: int) -> None:
    p = Planted.make(seed)
    for d, e in ((tmp_path / "lf", "\n"), (tmp_path / "cr", eol)):
        write(d / "SSDA903_201_2020_episodes.csv", EP_HEAD, p.episode_rows(), e)
        write(d / "SSDA903_201_2020_header.csv", HD_HEAD, p.header_rows(), e)
    want = read_ssda903(tmp_path / "lf", hash_key=HASH_KEY)
    got = read_ssda903(tmp_path / "cr", hash_key=HASH_KEY)
    assert want.spells == len(p.ids) * 1 and want.report.errors == 0
    assert got.table.equals(want.table)
    assert got.report.rule_counts() == want.report.rule_counts()
    assert [r["line"] for r in got.report.to_table().to_pylist()] == [
        r["line"] for r in want.report.to_table().to_pylist()
    ]
    p.assert_absent(got.summary(), got.table.to_pandas().to_csv())


# -- item 4: bounded reads -------------------------------------------------------------


def _sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(EP_HEAD.encode() + b"\n")
        f.truncate(size)  # a hole: no disk, and no memory unless someone reads it
    return path


_PROBE = """
import resource, sys
from carevis.errors import CarevisError
from carevis.ingest import read_cin_census, read_ssda903
# a guard: a reader that reads the file whole fails here instead of filling the machine
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
reader = read_cin_census if sys.argv[2] == "cin" else read_ssda903
try:
    reader(sys.argv[1])
    print("READ")
except CarevisError as e:
    print(type(e).__name__, e)
except MemoryError:
    print("MemoryError")
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.parametrize("kind", ["ssda903", "cin"])
def test_huge_sparse_return_refused_before_reading(tmp_path: Path, kind: str) -> None:
    name = "SSDA903_201_2020_episodes.csv" if kind == "ssda903" else "CIN_201_2020.xml"
    f = _sparse(tmp_path / name, 5 << 30)  # 5 GiB, all hole
    env = {**os.environ, "CAREVIS_MAX_FILE_MB": ""}
    r = subprocess.run(
        [sys.executable, "-c", _PROBE, str(f), kind],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert out.startswith("DataError"), out
    assert name in out and "CAREVIS_MAX_FILE_MB" in out and "MiB" in out
    rss_mb = int(out.split("maxrss_kb")[1].split()[0]) / 1024
    assert rss_mb < 1024, out  # the 5 GiB were never read


def test_file_size_cap_is_adjustable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = Planted.make(3)
    f = _ep(tmp_path, p)
    with open(f, "ab") as fh:
        fh.truncate(3 << 20)  # 3 MiB: its rows, then a hole of NUL bytes
    monkeypatch.setenv("CAREVIS_MAX_FILE_MB", "2")
    with pytest.raises(
        DataError, match=r"SSDA903_201_2020_episodes\.csv: 3 MiB is above the 2 MiB"
    ):
        read_ssda903(tmp_path, hash_key=HASH_KEY)
    monkeypatch.setenv("CAREVIS_MAX_FILE_MB", "4")
    with pytest.raises(DataError, match="no row of the input made a journey") as ei:
        read_ssda903(tmp_path, hash_key=HASH_KEY)  # read, its NUL line reported, set aside
    res = ei.value.result  # type: ignore[attr-defined]
    assert res.rows_in == res.rows_used + res.rows_rejected and res.rows_in >= len(p.ids)
    assert "SSDA903_201_2020_episodes.csv (set aside)" in str(ei.value)
    for bad in ("lots", "0", "-1"):
        monkeypatch.setenv("CAREVIS_MAX_FILE_MB", bad)
        with pytest.raises(ConfigError, match="CAREVIS_MAX_FILE_MB"):
            read_ssda903(tmp_path, hash_key=HASH_KEY)


# -- item 5: identifiers in messages and logs ---------------------------------------------


def _journey_csv(path: Path, p: Planted, ragged: bool = True) -> Path:
    head = "child_id,state,start,end,postcode,dob,upn"
    rows = [
        f"{c},Referral,2020-01-{1 + i:02d},2020-02-01,{p.postcodes[i]},"
        f"{'-'.join(map(str, p.dobs[i]))},{p.upns[i]}"
        for i, c in enumerate(p.ids)
    ]
    if ragged:
        rows[3] += f",{p.postcodes[0]}"  # a ragged row: id, postcode, dob, upn and one more
    else:
        rows[2] = rows[2].replace("2020-02-01", "2020-13-45")  # an end date out of range
    return write(path, head, rows)


@pytest.mark.parametrize("seed", SEEDS)
def test_ragged_journey_csv_error_names_row_not_values(tmp_path: Path, seed: int) -> None:
    import carevis

    p = Planted.make(seed)
    f = _journey_csv(tmp_path / "journeys.csv", p)
    with pytest.raises(CarevisError) as e:
        carevis.read(f)
    msg = str(e.value)
    assert "journeys.csv" in msg and "row 5" in msg and "8 fields" in msg, msg
    p.assert_absent(msg)


@pytest.mark.parametrize("seed", SEEDS)
def test_render_stderr_has_no_identifiers(tmp_path: Path, seed: int) -> None:
    p = Planted.make(seed)
    f = _journey_csv(tmp_path / "journeys.csv", p)
    target = tmp_path / "poster.png"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "carevis",
            "render",
            str(f),
            "-o",
            str(target),
            "--at",
            "2020-01-15",
            "--size",
            "64x64",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0
    assert "journeys.csv" in r.stderr and "row 5" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    p.assert_absent(r.stdout, r.stderr)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["journeys.csv"]  # no partial file


def test_journey_csv_conversion_error_names_column(tmp_path: Path) -> None:
    import carevis

    p = Planted.make(5)
    f = _journey_csv(tmp_path / "journeys.csv", p, ragged=False)
    with pytest.raises(CarevisError) as e:
        carevis.read(f)
    msg = str(e.value)
    assert "journeys.csv" in msg and "'end'" in msg and "2020-13-45" in msg, msg
    p.assert_absent(msg)


@pytest.mark.parametrize("seed", SEEDS)
def test_ingest_messages_reports_and_rejects_carry_no_identifiers(
    tmp_path: Path, reader: str, seed: int
) -> None:
    p = Planted.make(seed)
    ep_rows = p.episode_rows()
    ep_rows[1] += f",{p.postcodes[2]}"  # ragged
    ep_rows[2] = ep_rows[2].replace(",S,", ",,")  # blank RNE (repaired)
    ep_rows[3] = ep_rows[3].replace("/04/2019", "/13/2019")  # invalid DECOM
    hd_rows = p.header_rows()
    hd_rows[0] = hd_rows[0].replace(p.dob_text(0), "31/02/2011")  # invalid DOB
    hd_rows.append(hd_rows[1].replace(",1,", ",2,", 1))  # a conflicting header row
    write(tmp_path / "in" / "SSDA903_201_2020_episodes.csv", EP_HEAD, ep_rows)
    write(tmp_path / "in" / "SSDA903_201_2020_header.csv", HD_HEAD, hd_rows)
    out = tmp_path / "out"
    res = read_ssda903(tmp_path / "in", hash_key=HASH_KEY, rejects=out / "rejects.csv")
    res.report.to_csv(out / "report.csv")
    rules = set(res.report.to_table()["rule"].to_pylist())
    assert {"wrong_field_count", "invalid_date"} <= rules, rules
    assert res.rows_rejected >= 2
    pq.write_table(res.table, out / "journeys.parquet")
    p.assert_absent(res.summary(), res.table.to_pandas().to_csv(), *files_under(out))
    with pytest.raises(DataError) as e:
        read_ssda903(tmp_path / "in", hash_key=HASH_KEY, strict=True)
    assert "SSDA903_201_2020_" in str(e.value) and "line" in str(e.value)
    p.assert_absent(str(e.value))


# -- item 7: raw ids kept by default ------------------------------------------------------


def test_ingest_without_a_key_warns_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carevis import privacy

    monkeypatch.setattr(privacy, "_warned", [])
    p = Planted.make(7)
    _ep(tmp_path, p)
    _hd(tmp_path, p)
    with pytest.warns(privacy.IdentifierWarning, match="hash_key") as w:
        res = read_ssda903(tmp_path)
        read_ssda903(tmp_path)
        read_journeys(ssda903=tmp_path)
    assert len([x for x in w if x.category is privacy.IdentifierWarning]) == 1  # once
    assert f"201-{p.ids[0]}" in res.table["child_id"].to_pylist()  # what it warns about
    monkeypatch.setattr(privacy, "_warned", [])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_ssda903(tmp_path, hash_key=HASH_KEY)  # a key: nothing to say
        read_ssda903(tmp_path, keep_ids=True)  # asked for: nothing to say


def test_ingest_cli_without_a_key_says_so(tmp_path: Path) -> None:
    p = Planted.make(8)
    _ep(tmp_path / "in", p)
    _hd(tmp_path / "in", p)
    base = [sys.executable, "-m", "carevis", "ingest", "ssda903", str(tmp_path / "in")]
    r = subprocess.run([*base, "-o", str(tmp_path / "a.parquet")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("warning: no --hash-key-env") == 1, r.stderr
    assert "IdentifierWarning" not in r.stderr  # said in the CLI's words, once
    env = {**os.environ, "CAREVIS_TEST_KEY": HASH_KEY}
    r = subprocess.run(
        [
            *base,
            "-o",
            str(tmp_path / "b.parquet"),
            "--hash-key-env",
            "CAREVIS_TEST_KEY",
            "--report",
            str(tmp_path / "report.csv"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    p.assert_absent(r.stdout, r.stderr, tmp_path / "b.parquet", tmp_path / "report.csv")


CIN_CASES = [
    "zip_in_folder",
    "empty_folder",
    "missing_folder",
    "dir_symlink_loop",
    "file_symlink_loop",
    "symlink_loop_named",
]


@pytest.mark.parametrize("case", CIN_CASES)
def test_cin_census_without_usable_records(tmp_path: Path, case: str) -> None:
    from carevis.ingest import read_cin_census

    p = Planted.make(11)
    src, name = CASES[case](tmp_path / "in", p)
    if case == "file_symlink_loop":  # the CIN reader looks for .xml files
        for f in list(src.iterdir()):
            f.rename(f.with_suffix(".xml"))
        name = name.replace(".csv", ".xml")
    try:
        res = read_cin_census(src, hash_key=HASH_KEY)
    except CarevisError as e:
        assert name in str(e), str(e)
        p.assert_absent(str(e))
        return
    rep = res.report.to_table().to_pylist()
    assert any(r["file"].endswith(name) for r in rep), rep


@pytest.mark.parametrize("case", ["empty_folder", "missing_folder", "zip_in_folder"])
def test_ingest_cli_leaves_no_file_when_nothing_can_be_read(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from carevis.ingest import main_ingest

    p = Planted.make(12)
    src, name = CASES[case](tmp_path / "in", p)
    target = tmp_path / "out" / "journeys.parquet"
    target.parent.mkdir()
    assert main_ingest(["ssda903", str(src), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and name in err, err
    p.assert_absent(err)
    assert list(target.parent.iterdir()) == []  # no output, no temporary file
