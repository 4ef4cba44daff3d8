"""The synthetic England: canonical table, determinism, calibration at a CI-sized scale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import carevis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from carevis import synthetic
from carevis.ingest import read_ssda903, write_ssda903
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
    """Every headline of the calibration table, in every year it has, within 5% of the
    published figure (plus three standard deviations of chance at this scale)."""
    from carevis.stats.report import calibration

    scale = 0.05
    table = synthetic.check(scale=scale, seed=1)
    rows = table.to_pylist()
    assert len(rows) >= 90
    published = {(m, y) for m, y, _, _ in calibration()}
    headline = [r for r in rows if (r["measure"], r["year"]) in published]
    # every figure the window covers: the flows of the year to March 2015 lie before it
    assert {(r["measure"], r["year"]) for r in headline} == {
        (m, y) for m, y in published if not (y == 2015 and "31 March" not in m)
    }
    # Counts: 5% plus three Poisson standard deviations. Mean days (a few hundred adoptions
    # or a couple of thousand starts at this scale, each wait spread by about a third):
    # 5% plus three standard errors of about 2.5%. The strict 5% is the full-scale test's.
    off = [
        (r["measure"], r["year"], round(r["difference"], 1))
        for r in headline
        if abs(r["generated"] - r["published"])
        > (
            0.125 * r["published"]
            if "mean days" in r["measure"]
            else 0.05 * r["published"] + 3 * r["published"] ** 0.5
        )
    ]
    assert not off, off
    # every mix within 5 points of the published share
    for r in rows:
        if r["kind"] == "share":
            assert abs(r["difference"]) <= 5, r
    text = synthetic.format_check(table)
    assert "published" in text and "generated" in text


def test_every_published_figure_within_5_percent_at_full_scale() -> None:
    """Issue 14: all of England (seed 1) holds every figure of the calibration table (counts,
    days from entering care to adoption, A1, period of care), in every year the window
    covers, within 5% of the published value."""
    from carevis.stats.report import calibration

    published = {(m, y) for m, y, _, _ in calibration()}
    rows = [
        r
        for r in synthetic.check(scale=1.0, seed=1).to_pylist()
        if (r["measure"], r["year"]) in published
    ]
    # the flows of the year to March 2015 lie before the window
    assert {(r["measure"], r["year"]) for r in rows} == {
        (m, y) for m, y in published if not (y == 2015 and "31 March" not in m)
    }
    off = [(r["measure"], r["year"], round(r["difference"], 2)) for r in rows]
    assert all(abs(r["difference"]) <= 5 for r in rows), off


def test_trends_over_the_years() -> None:
    """Published figures move: more children looked after, fewer adoptions, more enquiries."""
    t = synthetic.check(scale=0.02, seed=6).to_pandas().set_index(["measure", "year"])
    g = t.generated
    assert (
        g[("children looked after at 31 March", 2023)]
        > 1.1 * g[("children looked after at 31 March", 2015)]
    )
    assert g[("adopted", 2016)] > 1.25 * g[("adopted", 2022)]
    assert g[("section 47 enquiries", 2023)] > 1.2 * g[("section 47 enquiries", 2016)]


def test_generated_journeys_obey_the_dfe_rules() -> None:
    """Rules real returns obey, checked over the generated table by plain pyarrow / numpy:
    no child who died comes back, an adopted child is not back under the same id (real
    returns give a new one), no young offender institution under 10, no residential school
    under 5, no temporary placement (T0-T4, seven days or less) longer than 7 days. Scale 0.05:
    temporary placements are rare (a handful per 2% of England, none in some samples)."""
    t = synthetic.england_table(scale=0.05, seed=5)
    child = t.column("child_id").to_numpy()
    state = np.asarray(t.column("state").to_pylist(), dtype=object)
    rec = np.asarray(t.column("reason_ceased").to_pylist(), dtype=object)
    place = np.asarray(t.column("placement").to_pylist(), dtype=object)
    start = t.column("start").to_numpy().astype("datetime64[D]")
    end = t.column("end").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    birth = t.column("birth_month").to_numpy().astype("datetime64[D]")
    assert np.all(np.diff(child) >= 0)  # a child's spells are together, in time order
    last = np.r_[child[1:] != child[:-1], True]
    died = rec == "E2"
    adopted = state == "Adopted"
    assert died.sum() > 0 and adopted.sum() > 100
    assert last[died].all(), "a child recorded as died comes back"
    assert last[adopted].all(), "an adopted child comes back under the same id"
    months = (start.astype("datetime64[M]") - birth.astype("datetime64[M]")).astype(np.int64)
    age = months // 12
    for code, youngest in (("R5", 10), ("S1", 5)):
        sel = place == code
        assert sel.sum() > 0, code
        assert age[sel].min() >= youngest, (code, age[sel].min())
    temporary = np.isin(place, ["T0", "T1", "T2", "T3", "T4"]) & ~np.isnat(end)
    assert temporary.sum() > 0
    assert (end[temporary] - start[temporary]).astype(np.int64).max() <= 7


def _episodes(path: Path) -> pa.Table:
    """An episodes CSV as text columns, with its council (the folder) as LA."""
    names = ["CHILD", "DECOM", "DEC", "REC"]
    opts = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    t = pacsv.read_csv(path, convert_options=opts).select(names)
    return t.append_column("LA", pa.array([path.parent.name] * t.num_rows))


def test_written_returns_obey_rule_437(tmp_path: Path) -> None:
    """The synthetic England written as SSDA903 returns: no child has an episode after one
    that ceased with E2 (died) or E15 (aged 18 or over), every death written is one the
    generator recorded, and ``carevis validate``'s reading finds no DfE rule breach (at
    this scale and seed the writer once wrote E2 for every 'Other exit': two rows of 437)."""
    t = synthetic.england_table(scale=0.02, seed=0)
    write_ssda903(t, tmp_path)
    eps = pa.concat_tables(_episodes(f) for f in sorted(tmp_path.glob("*/*_episodes.csv")))
    ep = eps.group_by(["LA", "CHILD", "DECOM", "DEC", "REC"]).aggregate([]).to_pandas()
    ep["day"] = pd.to_datetime(ep.DECOM, format="%d/%m/%Y")
    ceased = ep[ep.REC.isin(["E2", "E15"])].groupby(["LA", "CHILD"]).day.min()
    later = ep.join(ceased.rename("ceased"), on=["LA", "CHILD"], how="inner")
    assert len(ceased) > 0
    assert not (later.day > later.ceased).any(), "an episode after E2 / E15"
    died = pc.sum(pc.equal(t.column("reason_ceased").cast(pa.string()), "E2")).as_py()
    assert (ep.REC == "E2").sum() == died
    res = read_ssda903(tmp_path)
    assert ("dfe_437", "flagged") not in res.report.rule_counts()
    assert res.report.errors == 0


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
