"""Occupancy, transitions and time in state checked against straightforward pandas
computations, on hand-made journeys and on the synthetic England."""

from __future__ import annotations

import datetime as dt

import carevis
import numpy as np
import pandas as pd
import pytest
from carevis import stats
from carevis.errors import ConfigError, SchemaError

from ..conftest import day, table
from .conftest import bounds_days


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
