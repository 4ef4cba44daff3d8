"""Suppression, the ``carevis stats`` command, determinism across thread counts, and the
core's checks of its inputs."""

from __future__ import annotations

import os
import subprocess
import sys

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis import stats
from carevis.errors import ConfigError
from carevis.privacy import is_identifying


# --- suppression, CLI, determinism ----------------------------------------------------------------
def test_suppression_nulls_and_flags_numeric_cells(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.csv as pacsv
    from carevis.stats.report import suppress, write_table

    t = pa.table({"state": ["A", "B", "C"], "count": [3, 0, 12], "probability": [0.2, 0.0, 0.8]})
    s = suppress(t, 5)
    assert s.column("count").to_pylist() == [None, 0, 12]
    assert s.column("probability").to_pylist() == [None, 0.0, 0.8]  # C keeps 0.8 of all 15
    assert s.column("suppressed").to_pylist() == [True, False, False]
    write_table(s, tmp_path, "x", 5)
    back = pacsv.read_csv(tmp_path / "x.csv")
    assert pa.types.is_integer(back.schema.field("count").type)  # numeric, with the flag
    assert back.column("count").to_pylist() == [None, 0, 12]
    assert back.column("suppressed").to_pylist() == [True, False, False]
    assert not list(tmp_path.glob("*.part"))
    assert suppress(t, 0) is t


def test_cli_writes_tables_and_plots(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from carevis.cli import main

    out = tmp_path / "stats"
    assert (
        main(
            [
                "stats",
                "--synthetic",
                "0.002",
                "-o",
                str(out),
                "--suppress-below",
                "5",
                "--freq",
                "year",
            ]
        )
        == 0
    )
    for name in (
        "occupancy",
        "transitions",
        "time_in_state",
        "adoption_scorecard",
        "re_referrals",
        "stability",
    ):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists()
    for png in ("occupancy.png", "transitions.png", "time_in_state.png"):
        assert (out / png).stat().st_size > 10_000
    import pyarrow.parquet as pq

    for f in out.glob("*.parquet"):
        cols = set(pq.read_schema(f).names)
        assert not [c for c in cols if is_identifying(c)], f
    occ = pq.read_table(out / "occupancy.parquet").to_pandas()
    assert ((occ.occupancy.isna()) | (occ.occupancy == 0) | (occ.occupancy >= 5)).all()
    assert occ.suppressed.any()


def test_results_identical_for_any_thread_count() -> None:
    code = (
        "import carevis, hashlib; from carevis import stats;"
        "j=carevis.synthetic.england(scale=0.003);"
        "h=hashlib.sha256();"
        "ts=(stats.occupancy(j,'month',by='la',age=True), stats.transitions(j),"
        " stats.time_in_state(j,by='sex'), stats.care_periods(j));"
        "[h.update(repr(t.to_pylist()).encode()) for t in ts];"
        "print(h.hexdigest())"
    )
    outs = set()
    for n in ("1", "2", "3"):
        env = dict(os.environ, CAREVIS_NUM_THREADS=n)
        outs.add(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    assert len(outs) == 1


def test_native_checks_group_codes(england: carevis.Journeys) -> None:
    from carevis import _native

    b = stats.period_bounds(england, "year")
    with pytest.raises(ConfigError, match="group codes"):
        _native.stats_flows(england._native, b, groups=np.zeros(3, np.uint16), n_groups=1)
    with pytest.raises(ConfigError, match="increase"):
        _native.stats_flows(england._native, b[::-1].copy())
