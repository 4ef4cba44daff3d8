"""main_validate / main_ingest: the argparse entry points behind `carevis validate|ingest`."""

from __future__ import annotations

import pyarrow.parquet as pq
from carevis.ingest import main_ingest, main_validate

from .support import DATA, SAMPLES


def test_validate_prints_summary_and_writes_report(tmp_path, capsys):
    out = tmp_path / "r" / "report.csv"
    rc = main_validate([str(DATA / "malformed"), "--report", str(out)])
    text = capsys.readouterr().out
    assert rc == 1  # it found errors
    assert (
        "rows in 20 = used 8 + not needed 1 + superseded by a later return 0 + rejected 11" in text
    )  # the reviews file's row is read and counted as not needed
    assert "wrong_delimiter" in text and "bad_encoding" in text
    rep = out.read_text()
    assert rep.startswith('"file","line","field","value","rule"')
    assert "A1" not in rep.replace("SSDA903_901", "")


def test_validate_strict_fails_with_location(capsys):
    rc = main_validate([str(DATA / "malformed"), "--strict"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "line 4" in err and "DEC" in err


def test_ingest_writes_parquet(tmp_path, capsys, monkeypatch):
    out = tmp_path / "j.parquet"
    monkeypatch.setenv("CAREVIS_TEST_KEY", "a-long-test-secret")
    rc = main_ingest(
        ["ssda903", str(DATA / "merged"), "-o", str(out), "--hash-key-env", "CAREVIS_TEST_KEY"]
    )
    assert rc == 0
    t = pq.read_table(out)
    assert t.num_rows == 7
    assert all(len(c) == 16 for c in t["child_id"].to_pylist())
    assert "wrote 7 spells" in capsys.readouterr().out


def test_ingest_missing_key_env(tmp_path, capsys):
    rc = main_ingest(
        [
            "ssda903",
            str(SAMPLES),
            "-o",
            str(tmp_path / "x.parquet"),
            "--hash-key-env",
            "CAREVIS_NOPE_NOT_SET",
        ]
    )
    assert rc == 2
    assert not (tmp_path / "x.parquet").exists()


def test_ingest_cin(tmp_path):
    out = tmp_path / "cin.parquet"
    assert main_ingest(["cin", str(DATA / "xml" / "CIN_301_2021.xml"), "-o", str(out)]) == 0
    assert pq.read_table(out).num_rows == 10
