"""The synthetic England: canonical table, determinism, calibration at a CI-sized scale."""

from __future__ import annotations

import os
import subprocess
import sys

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis import synthetic
from carevis.layout import standard_labels


@pytest.fixture(scope="module")
def small() -> pa.Table:
    return synthetic.england_table(scale=0.01, seed=3)


def test_canonical_columns_and_states(small: pa.Table) -> None:
    assert small.column_names[:4] == ["child_id", "state", "start", "end"]
    for name in (
        "la",
        "sex",
        "birth_month",
        "ethnicity",
        "uasc",
        "placement",
        "legal_status",
        "category_of_need",
        "reason_ceased",
    ):
        assert name in small.column_names
    states = set(small.column("state").combine_chunks().dictionary.to_pylist())
    # the Rust list matches data/states.csv; the synthetic England follows every child to
    # the end of its data, so it never loses one ("Lost to follow-up" is ingest's)
    assert states == set(standard_labels()) - {"Lost to follow-up"}
    j = carevis.Journeys.from_arrow(small)
    assert j.n_spells == small.num_rows
    assert j.states == [s for s in standard_labels() if s in j.states]
    births = small.column("birth_month").to_numpy().astype("datetime64[D]")
    assert np.all(
        births.astype(str).astype("U10").astype(object) == births.astype(str)
    )  # whole dates
    assert {str(d)[-2:] for d in births[:1000]} == {"01"}  # reduced to month


def test_same_seed_same_table_any_thread_count(small: pa.Table) -> None:
    code = (
        "import hashlib, pyarrow as pa, carevis.synthetic as s\n"
        "t = s.england_table(scale=0.01, seed=3)\n"
        "h = hashlib.sha256()\n"
        "for c in t.columns:\n"
        "    for ch in c.chunks:\n"
        "        [h.update(memoryview(b)) for b in ch.buffers() if b is not None]\n"
        "print(h.hexdigest())\n"
    )
    digests = set()
    for n in ("1", "2"):
        env = dict(os.environ, CAREVIS_NUM_THREADS=n)
        digests.add(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    assert len(digests) == 1
    assert not synthetic.england_table(scale=0.01, seed=4).equals(small)


def test_same_day_steps_and_open_spells_exist(small: pa.Table) -> None:
    start = small.column("start").to_numpy()
    end = small.column("end")
    assert end.null_count > 0
    e = end.to_numpy(zero_copy_only=False)
    same_day = np.sum(start == e)
    assert same_day > 0


def test_calibration_at_ci_scale() -> None:
    table = synthetic.check(scale=0.05, seed=1)
    rows = table.to_pylist()
    assert len(rows) >= 40
    headline = [
        r
        for r in rows
        if r["kind"] == "count"
        and r["measure"].startswith(("children looked after at 31 March", "referrals"))
    ]
    assert headline, [r["measure"] for r in rows]
    for r in headline:
        assert abs(r["difference"]) < 10, r
    for r in rows:
        if r["kind"] == "share":
            assert abs(r["difference"]) < 6, r
    text = synthetic.format_check(table)
    assert "published" in text and "generated" in text


def test_bad_config() -> None:
    with pytest.raises(carevis.ConfigError):
        synthetic.england_table(scale=0)
    with pytest.raises(carevis.ConfigError):
        synthetic.england_table(scale=0.01, start="2025-01-01", end="2020-01-01")
    with pytest.raises(carevis.ConfigError):
        synthetic.england_table(scale=0.01, start="01/01/2020")


def test_councils() -> None:
    cs = synthetic.councils()
    assert len(cs) == 153
    assert len({c.code for c in cs}) == 153


def test_all_of_england_indexes_without_a_rejected_row() -> None:
    # Rare paths (a child arriving days before turning 18) only show at full scale.
    t = synthetic.england_table(scale=1.0, seed=0)
    j = carevis.Journeys.from_arrow(t)  # raises on any overlap or end before start
    assert j.n_spells == t.num_rows > 20_000_000
    assert 3_500_000 < j.n_children < 6_000_000
