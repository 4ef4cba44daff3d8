"""Periods of care, the adoption scorecard, re-entry, re-referrals and stability checked
against straightforward pandas computations."""

from __future__ import annotations

import datetime as dt

import carevis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from carevis import stats

from .conftest import EPOCH, bounds_days

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
