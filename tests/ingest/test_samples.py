"""The liia-2020 sample files (deliberately broken): what is rejected, repaired, counted."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from carevis.errors import DataError
from carevis.ingest import read_ssda903
from carevis.ingest.report import REDACTED, ValidationReport
from carevis.privacy import redacted

from .support import SAMPLES, assert_no_overlap

pytestmark = pytest.mark.skipif(not SAMPLES.exists(), reason="liia-2020 samples not present")

RAW_IDS = ("689661", "249901")


@pytest.fixture(scope="module")
def res():
    return read_ssda903(SAMPLES, la="822")


def test_counts_add_up(res):
    assert res.rows_in == 10  # 5 episodes + 5 header rows
    assert (
        res.rows_in == res.rows_used + res.rows_not_needed + res.rows_superseded + res.rows_rejected
    )
    rep = res.report.to_table()
    rejected = pa.compute.sum(
        rep.filter(pa.compute.equal(rep["action"], "rejected"))["rows"]
    ).as_py()
    assert rejected == res.rows_rejected
    assert "rows in 10 = used" in res.summary()


def test_short_breaks_and_conflicting_headers_rejected(res):
    rep = res.report.to_table().to_pylist()
    by_rule = {}
    for r in rep:
        by_rule.setdefault(r["rule"], []).append(r)
    assert sorted(r["line"] for r in by_rule["short_break"]) == [2, 6]  # LS V4 and V3
    assert sorted(r["line"] for r in by_rule["conflicting_header"]) == [2, 3, 5]
    # the ETHNIC 'UNKN' is not a code: repaired to blank
    assert [(r["line"], r["value"]) for r in by_rule["invalid_code"]] == [(6, "UNKN")]


def test_journeys(res):
    t = res.table
    assert_no_overlap(t)
    rows = list(
        zip(
            t["child_id"].to_pylist(),
            t["state"].cast(pa.string()).to_pylist(),
            t["start"].to_pylist(),
            t["end"].to_pylist(),
            strict=False,
        )
    )
    assert rows[:3] == [
        ("822-689661", "Foster care (other)", dt.date(2018, 12, 2), dt.date(2019, 5, 16)),
        ("822-689661", "Foster care (other)", dt.date(2019, 5, 16), dt.date(2019, 9, 26)),
        ("822-689661", "Other exit", dt.date(2019, 9, 26), dt.date(2019, 10, 24)),  # E2 died
    ]
    # 249901: X1 into a short break that is excluded -> an X1 with nothing after it in the
    # journeys: lost to follow-up, not a made-up exit
    assert rows[3][1:] == ("Foster care (other)", dt.date(2019, 3, 30), dt.date(2019, 4, 10))
    assert rows[4][1] == "Lost to follow-up"
    # header kept: the last row of each child; DOB reduced to month
    assert t["sex"].to_pylist()[0] == "F" and t["birth_month"].to_pylist()[0] == dt.date(2017, 8, 1)
    assert "HOME_POST" not in t.column_names and "PL_POST" not in t.column_names


def test_no_raw_ids_in_report(res, tmp_path):
    out = res.report.to_csv(tmp_path / "report.csv")
    text = out.read_text()
    for raw in RAW_IDS:
        assert raw not in text
    assert REDACTED in text
    for dob in ("11/07/2015", "21/03/2012", "16/08/2017"):
        assert dob not in text
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temp file


def test_keep_ids_shows_raw_ids():
    res = read_ssda903(SAMPLES, la="822", keep_ids=True)
    vals = res.report.to_table()["value"].to_pylist()
    assert "689661" in vals
    assert "source_child" in res.table.column_names


def test_short_breaks_can_be_included():
    res = read_ssda903(SAMPLES, la="822", include_short_breaks=True)
    rules = set(res.report.to_table()["rule"].to_pylist())
    assert "short_break" not in rules
    assert "overlap_clipped" in rules  # the V4 episode overlaps the U5 ones
    assert (
        res.rows_in == res.rows_used + res.rows_not_needed + res.rows_superseded + res.rows_rejected
    )
    assert_no_overlap(res.table)


def test_strict_raises_at_first_error():
    with pytest.raises(DataError) as e:
        read_ssda903(SAMPLES, la="822", strict=True)
    msg = str(e.value)
    assert "SSDA903_2020_header.csv" in msg and "line 2" in msg and "CHILD" in msg
    assert "689661" not in msg  # redacted even in the error


def test_la_unknown_reported_and_year_from_name():
    res = read_ssda903(SAMPLES)
    rules = res.report.to_table()["rule"].to_pylist()
    assert "la_unknown" in rules
    assert set(res.table["la"].to_pylist()) == {"unknown"}
    assert "year_inferred" not in rules  # SSDA903_2020_* names the year


def test_redacted_values_keep_only_whether_they_were_blank() -> None:
    # coded against one dictionary entry, written out as text in the report's table
    got = redacted(pa.array(["689661", None, "", "249901"]))
    assert got.cast(pa.string()).to_pylist() == [REDACTED, None, REDACTED, REDACTED]
    assert "689661" not in str(got) and len(got.dictionary) == 1
    assert redacted(pa.array([], pa.string())).cast(pa.string()).to_pylist() == []
    report = ValidationReport()
    child = pa.array(["689661", None], pa.string())
    report.add(
        "missing_value", "rejected", file_idx=0, line=np.array([2, 3]), field="CHILD", value=child
    )
    table = report.to_table()
    assert table["value"].type == pa.string()
    assert table["value"].to_pylist() == [REDACTED, None]
