"""DfE-shaped statistics (``carevis.stats.dfe_tables``, ``carevis stats --dfe``) checked
against a plain pandas computation of the same tables, on hand-made journeys and on the
synthetic England; and the synthetic England against its own calibration table."""

from __future__ import annotations

import datetime as dt

import carevis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from carevis import stats, synthetic
from carevis.layout import standard_states
from carevis.stats import dfe as stats_dfe
from carevis.stats.report import calibration, compare, suppress

from ..conftest import table

CARE = {s.label for s in standard_states() if s.group == "Looked after"}
FRONT = {s.label for s in standard_states() if s.group == "Front door"} - {"No further action"}
SCALE = 0.01


@pytest.fixture(scope="module")
def england_table() -> pa.Table:
    return synthetic.england_table(scale=SCALE, seed=2)


@pytest.fixture(scope="module")
def england(england_table: pa.Table) -> carevis.Journeys:
    return carevis.Journeys.from_arrow(england_table)


@pytest.fixture(scope="module")
def tables(england: carevis.Journeys) -> dict[str, pa.Table]:
    return stats.dfe_tables(england)


@pytest.fixture(scope="module")
def df(england_table: pa.Table) -> pd.DataFrame:
    """The spells as pandas: day numbers (open end = +inf), sorted per child."""
    d = england_table.to_pandas()
    for c in ("state", "placement", "legal_status", "sex", "reason_ceased"):
        d[c] = d[c].astype(object).where(d[c].notna(), "Unknown").astype(str)
    d["uasc"] = d["uasc"].map({True: "true", False: "false"})
    d["s"] = (pd.to_datetime(d["start"]) - pd.Timestamp("1970-01-01")).dt.days
    d["e"] = (pd.to_datetime(d["end"]) - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    d["e"] = d["e"].fillna(np.inf)
    d["b"] = pd.to_datetime(d["birth_month"])
    return d.sort_values(["child_id", "s", "e"], kind="stable").reset_index(drop=True)


def epoch_day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def age_band(birth: pd.Series, at: dt.date) -> pd.Series:
    later = (birth.dt.month > at.month) | ((birth.dt.month == at.month) & (birth.dt.day > at.day))
    years = at.year - birth.dt.year - later.astype(int)
    bands = pd.cut(years, [-(10**6), 0, 4, 9, 15, 10**6], labels=list(stats_dfe.DFE_AGE_BANDS))
    return bands.astype(str)


def rows_of(t: pa.Table, year: int, breakdown: str) -> dict[str, int]:
    d = t.to_pandas()
    d = d[(d.time_period == year) & (d.breakdown == breakdown)]
    return dict(zip(d.category, d.number.astype(int), strict=True))


# --- stock at the end of the day ----------------------------------------------------------------
def test_stock_is_in_care_at_the_end_of_31_march() -> None:
    def on(d: dt.date) -> int:
        return (d - dt.date(2020, 1, 1)).days

    m31, a1 = on(dt.date(2021, 3, 31)), on(dt.date(2021, 4, 1))
    rows = [
        (1, "Foster care (other)", on(dt.date(2020, 6, 1)), a1),  # leaves on 1 April: counted
        (1, "Returned home", a1, a1 + 28),
        (2, "Foster care (other)", on(dt.date(2020, 6, 1)), m31),  # leaves on 31 March: not
        (2, "Returned home", m31, m31 + 28),
        (3, "Children's home & secure", a1, None),  # starts on 1 April: not
        (4, "Foster care (other)", m31, None),  # starts on 31 March: counted
        (5, "Child protection plan", on(dt.date(2020, 5, 1)), None),
    ]
    j = carevis.Journeys.from_arrow(table(rows))
    t = stats_dfe.cla_at_31_march(j, [2021], stats.Roles.standard())
    assert rows_of(t, 2021, "Total") == {"Total": 2}
    assert rows_of(t, 2021, "placement_group") == {"Foster care (other)": 2}
    # The occupancy table's year to March 2021 reports the same stock at its end.
    occ = stats.occupancy(j, "year", start=dt.date(2020, 4, 1), end=dt.date(2021, 3, 31))
    occ = occ.filter(pa.compute.equal(occ.column("period_end"), dt.date(2021, 3, 31)))
    foster = occ.filter(pa.compute.equal(occ.column("state"), "Foster care (other)"))
    assert foster.column("occupancy").to_pylist() == [2]


def test_exit_states_have_no_time_in_state(england: carevis.Journeys) -> None:
    exits = {s.label for s in standard_states() if s.group == "Exit"}
    summary, curves = stats.time_in_state(england, curves=True)
    assert not set(summary.column("state").to_pylist()) & exits
    assert not set(curves.column("state").to_pylist()) & exits
    assert set(summary.column("state").to_pylist()) & CARE
    w = stats.waits(england, dt.date(2020, 1, 1))
    assert not set(w.column("state").to_pylist()) & exits


# --- the tables against pandas ------------------------------------------------------------------
def test_years_covered(england: carevis.Journeys) -> None:
    snaps, years = stats_dfe.years_covered(england)
    assert snaps == list(range(2015, 2026))
    assert years == list(range(2016, 2026))


def test_cla_at_31_march_matches_pandas(tables: dict[str, pa.Table], df: pd.DataFrame) -> None:
    t = tables["cla_31_march"]
    for year in (2015, 2020, 2025):
        d = epoch_day(dt.date(year, 3, 31))
        # in care at the end of the day: started on or before it, ended after it
        now = df[df.state.isin(CARE) & (df.s <= d) & (df.e > d)].drop_duplicates("child_id")
        assert rows_of(t, year, "Total") == {"Total": len(now)}
        for col, breakdown in (
            ("placement", "placement"),
            ("state", "placement_group"),
            ("legal_status", "legal_status"),
            ("sex", "sex"),
            ("uasc", "uasc"),
        ):
            assert rows_of(t, year, breakdown) == now[col].value_counts().to_dict(), breakdown
        ages = age_band(now.b, dt.date(year, 3, 31)).value_counts().to_dict()
        assert rows_of(t, year, "age") == ages
    pct = t.to_pandas()
    total = pct[pct.breakdown == "Total"].set_index("time_period").number
    sub = pct[pct.breakdown == "placement_group"]
    np.testing.assert_allclose(
        sub.percentage, 100 * sub.number / sub.time_period.map(total), rtol=1e-12
    )
    assert total.min() > 500


def care_runs(df: pd.DataFrame) -> pd.DataFrame:
    """Periods of care: runs of care spells with no gap, with the exit state entered."""
    out = []
    for cid, g in df.groupby("child_id", sort=False):
        rows = list(g.itertuples())
        i = 0
        while i < len(rows):
            if rows[i].state not in CARE:
                i += 1
                continue
            j = i
            while (
                np.isfinite(rows[j].e)
                and j + 1 < len(rows)
                and rows[j + 1].s == rows[j].e
                and rows[j + 1].state in CARE
            ):
                j += 1
            end = rows[j].e
            nxt = [r for r in rows[j + 1 :] if r.s == end]
            exit_state = (
                nxt[0].state
                if nxt and np.isfinite(end)
                else ("(left)" if np.isfinite(end) else None)
            )
            out.append((cid, rows[i].s, end, exit_state, rows[i].b, rows[i].sex))
            i = j + 1
    return pd.DataFrame(out, columns=["child_id", "entry", "end", "exit", "b", "sex"])


def year_of(days: pd.Series) -> pd.Series:
    dates = pd.to_datetime(days.where(np.isfinite(days), 0), unit="D")
    return (dates.dt.year + (dates.dt.month >= 4).astype(int)).where(np.isfinite(days))


def test_started_and_ceased_once_a_child_a_year(
    tables: dict[str, pa.Table], df: pd.DataFrame
) -> None:
    runs = care_runs(
        df[df.state.isin(CARE | {s.label for s in standard_states() if s.group == "Exit"})]
    )
    runs["start_year"] = year_of(runs.entry.astype(float))
    runs["end_year"] = year_of(runs.end)
    multi = 0
    for year in (2017, 2021, 2024):
        st = runs[runs.start_year == year]
        multi += int(st.child_id.duplicated().sum())
        first = st.drop_duplicates("child_id", keep="first")
        assert rows_of(tables["cla_started"], year, "Total") == {"Total": len(first)}
        assert rows_of(tables["cla_started"], year, "sex") == first.sex.value_counts().to_dict()
        ce = runs[runs.end_year == year].drop_duplicates("child_id", keep="last")
        assert rows_of(tables["cla_ceased"], year, "Total") == {"Total": len(ce)}
        assert rows_of(tables["cla_ceased"], year, "reason") == ce.exit.value_counts().to_dict()
    assert multi > 0  # some children start twice in a year: counted once


def test_cin_tables_match_pandas(tables: dict[str, pa.Table], df: pd.DataFrame) -> None:
    snap = tables["cin_31_march"].to_pandas().set_index(["time_period", "measure"]).number
    flows = tables["cin_in_year"].to_pandas().set_index(["time_period", "measure"])
    for year in (2016, 2020, 2024):
        d = epoch_day(dt.date(year, 3, 31))
        at = df[(df.s <= d) & (df.e > d)]
        assert (
            snap[(year, "children in need")] == at[at.state.isin(FRONT | CARE)].child_id.nunique()
        )
        assert (
            snap[(year, "child protection plans")]
            == at[at.state == "Child protection plan"].child_id.nunique()
        )
        lo, hi = epoch_day(dt.date(year - 1, 4, 1)), epoch_day(dt.date(year, 4, 1))
        starts = df[(df.s >= lo) & (df.s < hi)].state.value_counts()
        assert flows.number[(year, "assessments")] == starts["Assessment"]
        assert flows.number[(year, "section 47 enquiries")] == starts["Section 47"]
        assert (
            flows.number[(year, "child protection plans started")]
            == starts["Child protection plan"]
        )
        ref = df[df.state == "Referral"].copy()
        ref["prev"] = ref.groupby("child_id").s.shift()
        in_year = ref[(ref.s >= lo) & (ref.s < hi)]
        again = int(((in_year.s - in_year.prev) <= 365).sum())
        assert flows.number[(year, "referrals")] == len(in_year)
        assert flows.number[(year, "re-referrals within 12 months")] == again
        assert flows.percentage[(year, "re-referrals within 12 months")] == pytest.approx(
            100 * again / len(in_year)
        )


def test_scorecard_three_year_averages(
    england: carevis.Journeys, tables: dict[str, pa.Table]
) -> None:
    sc = tables["adoption_scorecard"].to_pandas().set_index("time_period")
    annual = stats.adoption_scorecard(england, "year").to_pandas()
    annual["year"] = pd.to_datetime(annual.period_start).dt.year + 1
    annual = annual.set_index("year")
    for y in (2018, 2022, 2025):
        w = annual.loc[y - 2 : y]
        want = (w.a1_mean_days * w.adopted).sum() / w.adopted.sum()
        assert sc.a1_3yr_mean_days[y] == pytest.approx(want)
        w2 = w[w.a2_n > 0]
        assert sc.a2_3yr_mean_days[y] == pytest.approx(
            (w2.a2_mean_days * w2.a2_n).sum() / w2.a2_n.sum()
        )
    assert sc.a1_3yr_mean_days.isna().iloc[:2].all()  # fewer than three years
    assert sc.adopted.sum() > 50


# --- suppression --------------------------------------------------------------------------------
def test_suppression_keeps_numbers_numeric_and_shares_pooled(
    tables: dict[str, pa.Table], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from carevis.stats.report import write_table

    t = tables["cla_31_march"]
    s = suppress(t, 10)
    assert s.schema.field("number").type == pa.int64()
    flag = np.asarray(s.column("suppressed").to_pylist())
    assert flag.any() and not flag.all()
    # Unsuppressed shares are exactly the shares of the true totals.
    np.testing.assert_array_equal(
        np.asarray(s.column("percentage").to_pylist(), dtype=float)[~flag],
        np.asarray(t.column("percentage").to_pylist(), dtype=float)[~flag],
    )
    assert all(v is None for v, f in zip(s.column("number").to_pylist(), flag, strict=True) if f)
    write_table(s, tmp_path, "cla", 10)
    back = pa.csv.read_csv(tmp_path / "cla.csv")
    assert pa.types.is_integer(back.schema.field("number").type)  # still numeric in CSV
    assert back.column("suppressed").to_pylist() == s.column("suppressed").to_pylist()


# --- scale in the file's metadata, and the calibration -----------------------------------------
def test_compare_reads_the_scale_from_the_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from carevis.cli import main

    path = tmp_path / "england.parquet"
    assert main(["synth", "--scale", "0.005", "-o", str(path)]) == 0
    assert synthetic.scale_of(pq.read_schema(path)) == 0.005
    capsys.readouterr()
    assert main(["stats", str(path), "--compare"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("children looked after")]
    assert len(rows) == 10  # 2015..2025 but 2016 (no checked source)
    for line in rows:
        diff = float(line.split()[-1].rstrip("%"))
        assert abs(diff) < 25, line  # not -99.5%: published figures scaled to the file


def test_stats_dfe_reproduces_the_generators_own_check(england: carevis.Journeys) -> None:
    """The DfE tables and the generator's check are two computations of the same figures."""
    checked = synthetic.check(scale=SCALE, seed=2).to_pandas().dropna(subset=["year"])
    checked["year"] = checked.year.astype(int)
    checked = checked.set_index(["measure", "year"]).generated
    ours = compare(england, SCALE).to_pandas()
    ours = ours[ours.kind == "count"].astype({"year": int}).set_index(["measure", "year"]).carevis
    common = ours.index.intersection(checked.index)
    assert len(common) >= 60
    pd.testing.assert_series_equal(
        ours[common].sort_index(), checked[common].sort_index(), check_names=False
    )


def test_compare_takes_every_published_figure_from_the_calibration_table(
    england: carevis.Journeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Days and shares (A1, the re-referral share) come from the calibration table, not
    from figures written into the code, and are not scaled with the file."""
    from carevis.stats import report

    real = report.calibration()
    tables = stats_dfe.dfe_tables(england)
    before = compare(england, SCALE, tables).to_pandas().set_index(["measure", "year"])
    a1 = (report.A1_MEASURE, 2018)
    rr = (report.REREFERRAL_MEASURE, 2024)
    assert before.loc[a1, "kind"] == "days" and before.loc[rr, "kind"] == "share"
    published = {(m, y): v for m, y, v, _ in real}
    assert before.loc[a1, "published"] == published[a1]  # not multiplied by SCALE
    assert before.loc[rr, "published"] == published[rr]
    # The scorecard's own figure for 2018, and the CIN table's share for 2024.
    card = tables["adoption_scorecard"].to_pandas().set_index("time_period")
    assert before.loc[a1, "carevis"] == pytest.approx(card.loc[2018, "a1_3yr_mean_days"])

    edited = [(m, y, v * 2 if (m, y) in (a1, rr) else v, s) for m, y, v, s in real]
    monkeypatch.setattr(report, "calibration", lambda: edited)
    after = compare(england, SCALE, tables).to_pandas().set_index(["measure", "year"])
    assert after.loc[a1, "published"] == 2 * published[a1]
    assert after.loc[rr, "published"] == 2 * published[rr]


def test_calibration_table_has_a_source_for_every_figure() -> None:
    rows = calibration()
    assert len(rows) >= 60
    assert all(src.strip() and 2015 <= y <= 2025 and v > 0 for _, y, v, src in rows)
    # Every year but 2016, whose published count no reachable source confirmed.
    cla = {y for m, y, _, _ in rows if m == "children looked after at 31 March"}
    assert cla == set(range(2015, 2026)) - {2016}


def test_every_calibration_figure_names_where_it_was_checked() -> None:
    """A published figure cites the reference file or the public page it was checked
    against; none is presented as published on memory or as a round approximation."""
    for measure, year, _value, src in calibration():
        s = src.lower()
        assert "england-figures.md" in s or "http" in s, (measure, year, src)
        for word in ("memory", "verify", "approximate"):
            assert word not in s, (measure, year, src)


# The national figures of ../shared/reference/england-figures.md (the DfE's "Children
# looked after in England" and "Characteristics of children in need"), by the year the
# DfE publishes them under: the year ending 31 March (a stock at 31 March of that year,
# a flow over the twelve months to it). Transcribed here so the check needs no file
# outside the package.
REFERENCE = {
    ("children looked after at 31 March", 2021): 80780,
    ("children looked after at 31 March", 2022): 82090,
    ("children looked after at 31 March", 2023): 83750,
    ("children looked after at 31 March", 2024): 83530,
    ("children looked after at 31 March", 2025): 81770,
    ("started to be looked after", 2024): 33050,
    ("ceased to be looked after", 2024): 33620,
    ("ceased to be looked after", 2025): 34450,
    ("adopted", 2024): 2980,
    ("adopted", 2025): 3040,
    ("unaccompanied asylum-seeking children at 31 March", 2024): 7380,
    ("unaccompanied asylum-seeking children at 31 March", 2025): 6540,
    ("placement changes", 2024): 66070,
    ("referrals", 2024): 621880,
    ("referrals", 2020): 642980,
    ("children in need at 31 March", 2020): 389260,
    ("children in need at 31 March", 2022): 404310,
    ("children in need at 31 March", 2024): 399460,
    ("child protection plans at 31 March", 2018): 53790,
    ("child protection plans at 31 March", 2020): 51510,
    # Adoption scorecard: "entry to adoption took about 1 year 11 months in 2019, 2 years
    # 3 months in 2022" (months of 30.44 days) and A1's "486 days for 2015-18".
    ("entry to adoption (mean days)", 2019): round(23 * 30.44),
    ("entry to adoption (mean days)", 2022): round(27 * 30.44),
    ("A1 entry to placed for adoption (mean days over 3 years)", 2018): 486,
    # Little's law on two of the figures above: 365.25 x CLA at 31 March / starts, 2024.
    ("period of care (mean days as stock / starts)", 2024): round(365.25 * 83530 / 33050),
    # "referrals in year to March 2024 | 621,880 (22% re-referrals within 12 months)".
    ("re-referrals within 12 months (share of referrals)", 2024): 0.22,
}


def test_calibration_table_agrees_with_the_reference_it_cites() -> None:
    """Every row citing reference/england-figures.md holds the figure the reference gives
    for that measure and year (the year ending 31 March), and every reference figure is
    in the table under that year (a figure a year off fails both)."""
    rows = {(m, y): (v, src) for m, y, v, src in calibration()}
    citing = {k: v for k, (v, src) in rows.items() if "england-figures.md" in src}
    assert len(citing) >= 24
    wrong = {k: (v, REFERENCE.get(k)) for k, v in citing.items() if REFERENCE.get(k) != v}
    assert not wrong, wrong
    missing = {k: v for k, v in REFERENCE.items() if rows.get(k, (None,))[0] != v}
    assert not missing, missing
