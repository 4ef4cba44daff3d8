"""Journey statistics checked against straightforward pandas computations, on hand-made
journeys and on the synthetic England."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import carevis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from carevis import stats
from carevis.errors import ConfigError, SchemaError
from carevis.privacy import is_identifying

from ..conftest import day, table

EPOCH = pd.Timestamp("1970-01-01")


@pytest.fixture(scope="module")
def england() -> carevis.Journeys:
    return carevis.Journeys.from_arrow(carevis.synthetic.england_table(scale=0.005))


@pytest.fixture(scope="module")
def spells(england: carevis.Journeys) -> pd.DataFrame:
    """The input table as pandas: day numbers, open end = NaN, sorted per child."""
    df = england.to_arrow().to_pandas()
    df["state"] = df["state"].astype(str)
    df["s"] = (pd.to_datetime(df["start"]) - EPOCH).dt.days.astype(float)
    df["e"] = (pd.to_datetime(df["end"]) - EPOCH).dt.days.astype(float)
    df["b"] = (pd.to_datetime(df["birth_month"]) - EPOCH).dt.days.astype(float)
    return df.sort_values(["child_id", "s", "e"], kind="stable", na_position="last").reset_index(
        drop=True
    )


def bounds_days(b: np.ndarray) -> np.ndarray:
    return (b // 1440).astype(np.int64)


def pandas_age_band(birth: pd.Series, start: pd.Series) -> pd.Series:
    b, s = pd.to_datetime(birth), pd.to_datetime(start)
    years = (
        s.dt.year
        - b.dt.year
        - ((s.dt.month < b.dt.month) | ((s.dt.month == b.dt.month) & (s.dt.day < b.dt.day))).astype(
            int
        )
    )
    return pd.cut(years, [-(10**6), 0, 4, 9, 15, 10**6], labels=stats.AGE_BANDS[:5]).astype(str)


# --- occupancy ---------------------------------------------------------------------------------
def test_occupancy_entries_exits_match_pandas(
    england: carevis.Journeys, spells: pd.DataFrame
) -> None:
    got = stats.occupancy(england, "month").to_pandas()
    b = bounds_days(stats.period_bounds(england, "month"))
    rows = []
    e = spells["e"].fillna(np.inf)
    for k in range(len(b) - 1):
        # in the state at the end of the period's last day (the instant b[k + 1])
        at = spells[(spells.s < b[k + 1]) & (b[k + 1] <= e)].groupby("state").size()
        ent = spells[(spells.s >= b[k]) & (spells.s < b[k + 1])].groupby("state").size()
        ex = spells[(e >= b[k]) & (e < b[k + 1])].groupby("state").size()
        for st in set(at.index) | set(ent.index) | set(ex.index):
            rows.append((k, st, at.get(st, 0), ent.get(st, 0), ex.get(st, 0)))
    want = pd.DataFrame(rows, columns=["k", "state", "occupancy", "entries", "exits"])
    want["period_start"] = [dt.date(1970, 1, 1) + dt.timedelta(days=int(b[k])) for k in want.k]
    key = ["period_start", "state"]
    m = got.merge(want, on=key, how="outer", suffixes=("", "_pd"), indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"].head()
    for c in ("occupancy", "entries", "exits"):
        np.testing.assert_array_equal(
            m[c].to_numpy(np.int64), m[c + "_pd"].to_numpy(np.int64), err_msg=c
        )
    assert got["occupancy"].sum() > 1000


def test_occupancy_by_sex_and_age_band(england: carevis.Journeys, spells: pd.DataFrame) -> None:
    got = stats.occupancy(england, "year", by="sex", age=True).to_pandas()
    b = bounds_days(stats.period_bounds(england, "year"))
    first = spells.groupby("child_id").head(1).set_index("child_id")
    df = spells.copy()
    df["sex"] = (
        df["child_id"].map(first["sex"].astype(str)).fillna("Unknown").replace("nan", "Unknown")
    )
    df["age_band"] = pandas_age_band(df["child_id"].map(first["birth_month"]), df["start"])
    e = df["e"].fillna(np.inf)
    k = 3
    at = df[(df.s < b[k + 1]) & (b[k + 1] <= e)].groupby(["state", "sex", "age_band"]).size()
    g = got[got.period_start == dt.date(1970, 1, 1) + dt.timedelta(days=int(b[k]))]
    g = g[g.occupancy > 0].set_index(["state", "sex", "age_band"])["occupancy"]
    pd.testing.assert_series_equal(
        g.sort_index().astype(np.int64), at.sort_index().astype(np.int64), check_names=False
    )
    assert set(got["age_band"]) <= set(stats.AGE_BANDS)


def test_hand_made_occupancy_and_periods() -> None:
    j = carevis.Journeys.from_arrow(
        table([(1, "Referral", 0, 10), (1, "Assessment", 10, None), (2, "Referral", 5, 6)])
    )
    b = stats.period_bounds(j, "week")
    assert (np.diff(b) == 7 * 1440).all()
    assert dt.date(1970, 1, 1) + dt.timedelta(days=int(b[0] // 1440)) == day(
        -2
    )  # 2020-01-01 is a Wednesday
    occ = (
        stats.occupancy(j, "day", start=day(0), end=day(11))
        .to_pandas()
        .set_index(["period_start", "state"])
    )
    assert occ.loc[(day(5), "Referral"), "occupancy"] == 2  # both children on day 5
    assert occ.loc[(day(6), "Referral"), "exits"] == 1
    assert occ.loc[(day(10), "Assessment"), "entries"] == 1
    with pytest.raises(ConfigError):
        stats.period_bounds(j, "fortnight")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="identifier"):
        stats.occupancy(j, by="child_id")
    with pytest.raises(SchemaError, match="birth"):
        stats.occupancy(j, age=True)


def test_year_periods_start_in_april(england: carevis.Journeys) -> None:
    b = stats.period_bounds(england, "year")
    days = [dt.date(1970, 1, 1) + dt.timedelta(days=int(x // 1440)) for x in b]
    assert all(d.month == 4 and d.day == 1 for d in days)


# --- transitions -------------------------------------------------------------------------------
def test_transitions_match_pandas(england: carevis.Journeys, spells: pd.DataFrame) -> None:
    got = stats.transitions(england, "year").to_pandas()
    b = bounds_days(stats.period_bounds(england, "year"))
    df = spells.copy()
    same = df["child_id"].shift(-1) == df["child_id"]
    nxt_s, nxt_state = df["s"].shift(-1), df["state"].shift(-1)
    df["to"] = np.where(same & (nxt_s == df["e"]), nxt_state, "(left)")
    df = df[df["e"].notna()]
    df["k"] = np.searchsorted(b, df["e"].to_numpy(), side="right") - 1
    df = df[(df.k >= 0) & (df.k < len(b) - 1)]
    want = df.groupby(["k", "state", "to"]).size().rename("count").reset_index()
    want["period_start"] = [dt.date(1970, 1, 1) + dt.timedelta(days=int(b[k])) for k in want.k]
    m = got.merge(
        want,
        left_on=["period_start", "from_state", "to_state"],
        right_on=["period_start", "state", "to"],
        how="outer",
        indicator=True,
    )
    assert (m["_merge"] == "both").all()
    np.testing.assert_array_equal(m["count_x"], m["count_y"])
    sums = got.groupby(["period_start", "from_state"])["probability"].sum()
    np.testing.assert_allclose(sums, 1.0)


def test_gap_counts_as_leaving() -> None:
    j = carevis.Journeys.from_arrow(
        table([(1, "Referral", 0, 3), (1, "Referral", 5, 8), (1, "Assessment", 8, 9)])
    )
    t = stats.transitions(j, "year").to_pandas()
    pairs = dict(zip(zip(t.from_state, t.to_state, strict=True), t["count"], strict=True))
    assert pairs == {
        ("Referral", "(left)"): 1,
        ("Referral", "Assessment"): 1,
        ("Assessment", "(left)"): 1,
    }


# --- time in state ----------------------------------------------------------------------------
def km_quantiles(d: np.ndarray, event: np.ndarray) -> list[float | None]:
    """Textbook Kaplan-Meier (censorings after events at equal times)."""
    order = np.lexsort((~event, d))
    d, event = d[order], event[order]
    s, n, out = 1.0, len(d), [None] * 4
    for t in np.unique(d):
        at = d == t
        deaths = int((event & at).sum())
        if deaths:
            s *= 1 - deaths / n
            for i, q in enumerate((0.25, 0.5, 0.75, 0.9)):
                if out[i] is None and s <= 1 - q + 1e-12:
                    out[i] = float(t)
        n -= int(at.sum())
    return out


def test_km_hand_computed() -> None:
    # Referral spells of 2, 5, 5, 8 days and one open from day 7 (censored at 3 days: the
    # data ends on day 10).
    j = carevis.Journeys.from_arrow(
        table(
            [
                (1, "Referral", 0, 2),
                (2, "Referral", 7, None),
                (3, "Referral", 0, 5),
                (4, "Referral", 1, 6),
                (5, "Referral", 0, 8),
                (6, "Assessment", 9, 10),
            ]
        )
    )
    s, c = stats.time_in_state(j, curves=True)  # type: ignore[misc]
    r = s.to_pandas().set_index("state").loc["Referral"]
    assert (r.n, r.events, r.censored) == (5, 4, 1)
    # S(2) = 4/5, S(5) = 4/5 * (1 - 2/3) = 0.2667, S(8) = 0: quartile 5, median 5, p75 8, p90 8.
    assert (r.p25, r["median"], r.p75, r.p90) == (5.0, 5.0, 8.0, 8.0)
    curve = c.to_pandas()
    curve = curve[curve.state == "Referral"]
    np.testing.assert_allclose(curve.survival, [0.8, 0.8 / 3, 0.0])
    np.testing.assert_allclose(curve.time_days, [2, 5, 8])


def test_km_matches_textbook_on_england(england: carevis.Journeys, spells: pd.DataFrame) -> None:
    as_of = dt.date(2023, 3, 31)
    got = stats.time_in_state(england, as_of=as_of).to_pandas().set_index("state")  # type: ignore[union-attr]
    cut = (as_of - dt.date(1970, 1, 1)).days
    df = spells[spells.s <= cut]
    e = df["e"].fillna(np.inf)
    event = (e <= cut).to_numpy()
    d = (np.where(event, e, cut) - df["s"]).to_numpy()
    for state in [
        "Referral",
        "Foster care (other)",
        "Child protection plan",
        "Placed for adoption",
    ]:
        sel = (df["state"] == state).to_numpy()
        want = km_quantiles(d[sel], event[sel])
        row = got.loc[state]
        assert row.n == sel.sum() and row.censored == (~event[sel]).sum()
        assert [
            None if pd.isna(v) else v for v in (row.p25, row["median"], row.p75, row.p90)
        ] == want, state


def test_waits_now(england: carevis.Journeys, spells: pd.DataFrame) -> None:
    t = dt.date(2022, 6, 1)
    w = stats.waits(england, t).to_pandas().set_index("state")
    cut = (t - dt.date(1970, 1, 1)).days
    now = spells[(spells.s <= cut) & (spells["e"].fillna(np.inf) > cut)]
    exits = stats.Roles.standard().exits
    assert not set(w.index) & exits  # an exit state's "wait" is the picture's linger
    for state, g in now[~now.state.isin(exits)].groupby("state"):
        waited = np.sort((cut - g.s).to_numpy())
        assert w.loc[state, "n"] == len(waited)
        assert w.loc[state, "median_days"] == waited[(len(waited) - 1) // 2]


# --- care periods, scorecard, rates, stability -------------------------------------------------
CARE = stats.Roles.standard().care


def pandas_care_periods(spells: pd.DataFrame) -> pd.DataFrame:
    out = []
    for _, g in spells.groupby("child_id", sort=False):
        rows = g[["state", "s", "e", "legal_status"]].to_numpy()
        prev_end = np.nan
        i = 0
        while i < len(rows):
            if rows[i][0] not in CARE:
                i += 1
                continue
            entry, pfa, e1, moves, j = rows[i][1], np.nan, np.nan, 0, i
            while True:
                if rows[j][0] == "Placed for adoption" and np.isnan(pfa):
                    pfa = rows[j][1]
                if str(rows[j][3]) == "E1" and np.isnan(e1):
                    e1 = rows[j][1]
                if (
                    not np.isnan(rows[j][2])
                    and j + 1 < len(rows)
                    and rows[j + 1][1] == rows[j][2]
                    and rows[j + 1][0] in CARE
                ):
                    moves += 1
                    j += 1
                else:
                    break
            end = rows[j][2]
            nxt = [r[0] for r in rows[j + 1 :] if r[1] == end]
            exit_state = None if np.isnan(end) else (nxt[0] if nxt else "(left)")
            out.append((entry, end, exit_state, pfa, e1, moves, prev_end))
            prev_end = end
            i = j + 1
    return pd.DataFrame(out, columns=["entry", "end", "exit_state", "pfa", "e1", "moves", "prev"])


@pytest.fixture(scope="module")
def periods_pd(spells: pd.DataFrame) -> pd.DataFrame:
    return pandas_care_periods(spells)


def test_care_periods_match_pandas(england: carevis.Journeys, periods_pd: pd.DataFrame) -> None:
    got = stats.care_periods(england).to_pandas()
    assert "child_id" not in got.columns
    days = lambda c: (pd.to_datetime(got[c]) - EPOCH).dt.days.astype(float).to_numpy()  # noqa: E731
    ours = pd.DataFrame(
        {
            "entry": days("entry"),
            "end": days("end"),
            "exit_state": got.exit_state.where(got.exit_state.notna(), None),
            "pfa": days("placed_for_adoption"),
            "e1": days("placement_order"),
            "moves": got.moves.to_numpy(),
            "prev": days("previous_end"),
        }
    )
    # Rows come in dot order, the reference's in id order: compare as sets of rows.
    cols = list(ours.columns)

    def canon(d: pd.DataFrame) -> pd.DataFrame:
        d = d[cols].astype({"exit_state": object, "moves": np.int64})
        d["exit_state"] = d.exit_state.where(d.exit_state.notna(), "(in care)")
        return d.fillna({c: -1.0 for c in cols if c not in ("exit_state", "moves")}).sort_values(
            cols, ignore_index=True
        )

    pd.testing.assert_frame_equal(canon(ours), canon(periods_pd))
    assert (periods_pd.exit_state == "Adopted").sum() > 10


@pytest.mark.parametrize("observed", ["auto", None])
def test_scorecard_matches_pandas(
    england: carevis.Journeys,
    periods_pd: pd.DataFrame,
    spells: pd.DataFrame,
    observed: str | None,
) -> None:
    sc = stats.adoption_scorecard(england, "year", observed=observed).to_pandas()
    b = bounds_days(stats.period_bounds(england, "year"))
    p = periods_pd[(periods_pd.exit_state == "Adopted") & periods_pd.pfa.notna()].copy()
    p["k"] = np.searchsorted(b, p.end, side="right") - 1
    # the data's first complete day: the earliest end of any spell
    first = spells.e.min() if observed == "auto" else -np.inf
    assert observed is None or first == (stats.observed_from(england) - EPOCH.date()).days
    trunc = p[p.entry < first]
    p = p[p.entry >= first]
    if observed == "auto":
        assert len(trunc) > 0  # the synthetic England's early adoptions began before it
    assert sc.left_truncated.sum() == len(trunc)
    for k, g in p.groupby("k"):
        row = sc.iloc[k]
        assert row.adopted == len(g)
        assert row.a1_mean_days == pytest.approx((g.pfa - g.entry).mean())
        assert row.a3_share_within_426_days == pytest.approx(((g.pfa - g.entry) <= 426).mean())
        g2 = g[g.e1.notna()]
        if len(g2):
            assert row.a2_mean_days == pytest.approx(np.maximum(g2.pfa - g2.e1, 0).mean())
    assert (sc.a1_threshold_days == 426).all() and (sc.a2_threshold_days == 121).all()


def test_time_to_exit_and_re_entry(england: carevis.Journeys, periods_pd: pd.DataFrame) -> None:
    b = bounds_days(stats.period_bounds(england, "year"))
    te = stats.time_to_exit(england, "year").to_pandas()
    p = periods_pd[periods_pd.exit_state.notna()].copy()
    p["k"] = np.searchsorted(b, p.end, side="right") - 1
    p = p[(p.k >= 0) & (p.k < len(b) - 1)]
    want = (
        p.assign(d=p.end - p.entry)
        .groupby(["k", "exit_state"])["d"]
        .agg(["size", "mean", "median"])
    )
    assert len(te) == len(want)
    np.testing.assert_allclose(te.mean_days, want["mean"].to_numpy())
    np.testing.assert_allclose(te.median_days, want["median"].to_numpy())
    re = stats.re_entry(england, "year").to_pandas()
    q = periods_pd.copy()
    q["k"] = np.searchsorted(b, q.entry, side="right") - 1
    q = q[(q.k >= 0) & (q.k < len(b) - 1)]
    np.testing.assert_array_equal(re.entries, np.bincount(q.k, minlength=len(b) - 1))
    again = q[q.prev.notna() & (q.entry - q.prev <= 365)]
    np.testing.assert_array_equal(re.re_entries, np.bincount(again.k, minlength=len(b) - 1))


def test_re_referrals_and_stability(england: carevis.Journeys, spells: pd.DataFrame) -> None:
    b = bounds_days(stats.period_bounds(england, "year"))
    rr = stats.re_referrals(england, "year").to_pandas()
    ref = spells[spells.state == "Referral"].copy()
    ref["gap"] = ref.groupby("child_id")["s"].diff()
    ref["k"] = np.searchsorted(b, ref.s, side="right") - 1
    np.testing.assert_array_equal(rr.referrals, np.bincount(ref.k, minlength=len(b) - 1))
    np.testing.assert_array_equal(
        rr.re_referrals, np.bincount(ref.k[ref.gap <= 365], minlength=len(b) - 1)
    )
    assert 0.1 < rr.rate.iloc[int(rr.referrals.argmax())] < 0.4
    stab = stats.stability(england, "year").to_pandas()
    df = spells.copy()
    prev_same = df.child_id.shift() == df.child_id
    move = prev_same & df.state.isin(CARE) & df.state.shift().isin(CARE) & (df.e.shift() == df.s)
    df["k"] = np.searchsorted(b, df.s, side="right") - 1
    np.testing.assert_array_equal(stab.moves, np.bincount(df.k[move], minlength=len(b) - 1))
    care = df[df.state.isin(CARE)]
    as_of = england.minute_range[1] / 1440  # type: ignore[index]
    e = np.minimum(care.e.fillna(np.inf), as_of)
    years = [
        np.clip(np.minimum(e, b[k + 1]) - np.maximum(care.s, b[k]), 0, None).sum() / 365.25
        for k in range(len(b) - 1)
    ]
    np.testing.assert_allclose(stab.child_years, years)


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


def test_scorecard_leaves_out_periods_begun_before_the_data() -> None:
    # Child 1 was in care before the data's first complete day (its earlier spells are
    # not in the returns): its entry is unknown and would shorten A1. Child 2 came in
    # after it. Ends of spells say where the data starts (the first end: 2015-05-01).
    t = pa.table(
        {
            "child_id": ["1", "1", "1", "2", "2", "2", "3", "3"],
            "state": [
                "Foster care (other)",
                "Placed for adoption",
                "Adopted",
                "Foster care (other)",
                "Placed for adoption",
                "Adopted",
                "Referral",
                "Assessment",
            ],
            "start": pa.array(
                [
                    dt.date(2014, 1, 1),
                    dt.date(2016, 1, 1),
                    dt.date(2016, 6, 1),
                    dt.date(2015, 6, 1),
                    dt.date(2016, 2, 1),
                    dt.date(2016, 7, 1),
                    dt.date(2015, 4, 1),
                    dt.date(2015, 5, 1),
                ],
                pa.date32(),
            ),
            "end": pa.array(
                [
                    dt.date(2016, 1, 1),
                    dt.date(2016, 6, 1),
                    dt.date(2016, 7, 1),
                    dt.date(2016, 2, 1),
                    dt.date(2016, 7, 1),
                    dt.date(2016, 8, 1),
                    dt.date(2015, 5, 1),
                    None,
                ],
                pa.date32(),
            ),
        }
    )
    j = carevis.Journeys.from_arrow(t)
    assert stats.observed_from(j) == dt.date(2015, 5, 1)
    row = stats.adoption_scorecard(j, "year").to_pandas()
    row = row[row.period_start == dt.date(2016, 4, 1)].iloc[0]
    assert row.adopted == 1 and row.left_truncated == 1
    assert row.a1_mean_days == (dt.date(2016, 2, 1) - dt.date(2015, 6, 1)).days
    # kept when asked (data holding whole histories), and with a window given by hand
    every = stats.adoption_scorecard(j, "year", observed=None).to_pandas()
    every = every[every.period_start == dt.date(2016, 4, 1)].iloc[0]
    assert every.adopted == 2 and every.left_truncated == 0
    assert every.a1_mean_days == ((dt.date(2016, 1, 1) - dt.date(2014, 1, 1)).days + 245) / 2
    early = stats.adoption_scorecard(j, "year", observed="2013-01-01").to_pandas()
    assert early[early.period_start == dt.date(2016, 4, 1)].iloc[0].adopted == 2
