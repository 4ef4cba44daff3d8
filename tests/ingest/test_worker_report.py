"""The other tables' rules, and the episodes' DfE rules, run in a worker thread beside the
episodes' own (issue 14's speed work): their report calls are recorded and replayed where
the rules stood, so the report, the journeys and the rejects are the same as when every
rule runs in turn."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from carevis.ingest import read_ssda903
from carevis.ingest._rows import DeferredReport
from carevis.ingest.report import ValidationReport
from carevis.ingest.ssda903 import journeys as stage

from ..returns_gen import world, write_returns
from .support import SAMPLES


class InTurn:
    """A ThreadPoolExecutor that runs each task at once, in the caller's thread."""

    def __init__(self, max_workers: int = 1) -> None:
        del max_workers

    def __enter__(self) -> InTurn:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        f: Future[Any] = Future()
        f.set_result(fn(*args, **kwargs))
        return f


def _messy_returns(folder: Path) -> Path:
    """Three years of returns whose header and UASC tables break rules: blank ids, bad
    codes, a birth date after the year end (DfE 301), children with no episodes."""
    kids = world(60, seed=5, first=2017, last=2019)
    for i, k in enumerate(kids[:12]):
        if i % 4 == 0:
            k.sex = "Q"  # invalid code, repaired to U
        if i % 4 == 1:
            k.ethnic = "ZZZZ"  # not an ethnicity code
        if i % 4 == 2:
            # After every year end (DfE 301, flagged by the episodes' rules) on the same
            # header line as the worker's own repair: the report keeps their order.
            k.dob = dt.date(2030, 1, 1)
            k.sex = "Q"
        if i % 4 == 3:
            k.uasc = True
    write_returns(folder, kids, range(2017, 2020), naming="end", layout="csv")
    header = sorted(folder.glob("*2019-header.csv"))[0]
    text = header.read_text(encoding="utf-8").splitlines()
    extra = text[1].split(",")
    extra[0] = "NOEPISODES1"  # a child in the header with no episode
    blank = text[2].split(",")
    blank[0] = ""  # a header row with no child id
    header.write_text("\n".join([*text, ",".join(extra), ",".join(blank)]) + "\n", "utf-8")
    return folder


def _read(folder: Path, tmp: Path, name: str) -> tuple[pa.Table, pa.Table, bytes]:
    rejects = tmp / f"{name}.csv"
    res = read_ssda903(folder, la="800", rejects=rejects)
    return res.table, res.report.to_table(), rejects.read_bytes()


@pytest.mark.parametrize("source", ["messy", "liia-2020"])
def test_the_report_is_the_same_with_and_without_the_worker(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _messy_returns(tmp_path / "returns") if source == "messy" else SAMPLES
    if not folder.exists():
        pytest.fail(f"{folder} is missing")
    threaded = _read(folder, tmp_path, "threaded")
    monkeypatch.setattr(stage, "ThreadPoolExecutor", InTurn)
    in_turn = _read(folder, tmp_path, "in_turn")
    assert threaded[0].equals(in_turn[0])
    assert threaded[1].equals(in_turn[1])
    assert threaded[2] == in_turn[2]
    rules = set(threaded[1].column("rule").to_pylist())
    if source == "messy":  # the header's rules did run, and were reported
        assert {"invalid_code", "child_without_episodes", "missing_value", "dfe_301"} <= rules


def test_a_recorded_report_replays_its_calls_in_order() -> None:
    # One line for every row: the report sorts by file and line, then keeps call order.
    report = ValidationReport()
    rec = DeferredReport(report)
    rec.add("missing_value", "rejected", file_idx=0, line=np.array([7, 7]), field="CHILD")
    rec.reject_rows("header", 2)
    rec.add("invalid_code", "repaired", file_idx=0, line=np.array([7]), field="SEX")
    assert len(report) == 0 and report.rows_rejected == 0  # nothing yet
    assert rec.keep_ids is report.keep_ids  # reads go to the report
    report.add("dfe_301", "flagged", file_idx=0, line=np.array([7]), field="DOB")
    rec.replay()
    assert report.to_table().column("rule").to_pylist() == [
        "dfe_301",
        "missing_value",
        "missing_value",
        "invalid_code",
    ]
    assert report.rows_rejected == 2
    rec.replay()  # replayed once only
    assert len(report) == 4


def test_a_recorded_report_replays_at_the_place_it_was_marked() -> None:
    # The episodes' DfE rules run beside the later rules: their lines go where the DfE
    # rules stood in turn, before lines the later rules wrote meanwhile.
    report = ValidationReport()
    report.add("missing_value", "rejected", file_idx=0, line=np.array([3]), field="CHILD")
    mark = report.mark()
    rec = DeferredReport(report)
    report.add("start_after_year_end", "rejected", file_idx=0, line=np.array([5]), field="DECOM")
    rec.add("dfe_354", "flagged", file_idx=0, line=np.array([5]), field="DECOM")
    rec.add("dfe_143", "flagged", file_idx=0, line=np.array([3]), field="RNE")
    rec.replay(at=mark)
    report.add("end_after_year_end", "repaired", file_idx=0, line=np.array([5]), field="DEC")
    assert report.to_table().column("rule").to_pylist() == [
        "missing_value",
        "dfe_143",
        "dfe_354",
        "start_after_year_end",
        "end_after_year_end",
    ]
