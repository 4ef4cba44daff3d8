"""Issue 7's benchmark: journey statistics on the synthetic England against pandas.

In one run, on the synthetic England (default scale 1.0: ~4.3M children, ~27M spells):
- every statistic carevis computes (occupancy/entries/exits by month, by council and age
  band; transitions; Kaplan-Meier time in state; periods of care, scorecard, re-entry,
  re-referrals, stability), each timed;
- the same monthly occupancy/entries/exits and per-state time-in-state quantiles (KM with
  censoring) in straightforward vectorised pandas, timed the same way.
Prints medians and the ratio (target: carevis at least 20x faster).

    python benches/bench_stats.py [--scale 1.0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import carevis
import numpy as np
import pandas as pd
from _common import timeit  # type: ignore[import-not-found]
from carevis import _native, stats
from carevis.scene.congestion import congestion


def pandas_occupancy(df: pd.DataFrame, bounds_days: np.ndarray) -> pd.DataFrame:
    """Monthly occupancy (at the end of each period's last day), entries and exits per
    state, in pandas."""
    s, e = df["s"].to_numpy(), df["e"].to_numpy()
    nb = len(bounds_days) - 1
    # in the state at the end of period k when s < bounds[k + 1] <= e
    first = np.searchsorted(bounds_days[1:], s, side="right")
    last = np.searchsorted(bounds_days[1:], e, side="right")  # inf -> nb
    diff = pd.DataFrame({"state": df["state"].to_numpy(), "a": first, "b": last})
    diff = diff[diff.b > diff.a]
    up = diff.groupby(["state", "a"], observed=True).size().unstack(fill_value=0)
    down = diff.groupby(["state", "b"], observed=True).size().unstack(fill_value=0)
    occ = up.reindex(columns=range(nb + 1), fill_value=0).sub(
        down.reindex(columns=range(nb + 1), fill_value=0), fill_value=0
    )
    occ = occ.cumsum(axis=1).iloc[:, :nb]
    kin = np.searchsorted(bounds_days, s, side="right") - 1
    kout = np.searchsorted(bounds_days, e, side="right") - 1
    ent = df.assign(k=kin)[(kin >= 0) & (kin < nb)].groupby(["k", "state"], observed=True).size()
    ex = (
        df.assign(k=kout)[(kout >= 0) & (kout < nb) & np.isfinite(e)]
        .groupby(["k", "state"], observed=True)
        .size()
    )
    out = occ.stack().rename("occupancy").to_frame()
    out.index.names = ["state", "k"]
    out = out.swaplevel().sort_index()
    return (
        out.join(ent.rename("entries"), how="outer").join(ex.rename("exits"), how="outer").fillna(0)
    )


def pandas_cla_stock(df: pd.DataFrame, years: list[int], care: set[str]) -> pd.DataFrame:
    """Children looked after at the end of each 31 March by placement, each child once."""
    out = []
    c = df[df.state.isin(care)]
    for y in years:
        d = (np.datetime64(f"{y}-03-31") - np.datetime64("1970-01-01")).astype(int)
        now = c[(c.s <= d) & (c.e > d)].drop_duplicates("child_id")
        out.append(now.groupby("placement", observed=True).size().rename(y))
    return pd.concat(out, axis=1).fillna(0)


def pandas_km(df: pd.DataFrame, as_of: float) -> pd.DataFrame:
    """Per-state Kaplan-Meier quantiles (censoring at as_of), vectorised pandas."""
    d = df[df.s <= as_of]
    event = d.e <= as_of
    dur = np.where(event, d.e, as_of) - d.s
    t = pd.DataFrame({"state": d.state.to_numpy(), "d": dur, "event": event.to_numpy()})
    g = (
        t.groupby(["state", "d"], observed=True)
        .agg(n=("event", "size"), events=("event", "sum"))
        .reset_index()
    )
    g = g.sort_values(["state", "d"])
    total = g.groupby("state", observed=True)["n"].transform("sum")
    removed_before = g.groupby("state", observed=True)["n"].cumsum() - g["n"]
    at_risk = total - removed_before
    g["logs"] = np.log1p(-g["events"] / at_risk).replace(-np.inf, -1e300)
    g["S"] = np.exp(g.groupby("state", observed=True)["logs"].cumsum())
    out = {}
    for q in (0.25, 0.5, 0.75, 0.9):
        hit = g[(g.events > 0) & (1 - q + 1e-12 >= g.S)]
        out[q] = hit.groupby("state", observed=True)["d"].min()
    return pd.DataFrame(out)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument(
        "--scale", type=float, default=1.0, help="share of England (use 0.1 on small machines)"
    )
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    t0 = time.perf_counter()
    table = carevis.synthetic.england_table(scale=args.scale)
    j = carevis.Journeys.from_arrow(table)
    print(
        f"synthetic England scale {args.scale}: {j.summary()} "
        f"[{time.perf_counter() - t0:.1f} s], {_native.num_threads()} threads"
    )

    bounds = stats.period_bounds(j, "month")
    as_of = j.minute_range[1]  # type: ignore[index]
    r = args.repeat
    times: dict[str, float] = {}
    times["occupancy (month)"], _ = timeit(lambda: stats.occupancy(j, "month"), repeat=r)
    times["time in state (KM)"], _ = timeit(lambda: stats.time_in_state(j), repeat=r)
    times["occupancy by council x age band (labelled)"], _ = timeit(
        lambda: stats.occupancy(j, "month", by="la", age=True), repeat=r, warmup=0
    )
    times["transitions (year)"], _ = timeit(lambda: stats.transitions(j, "year"), repeat=r)
    times["time in state by sex (labelled)"], _ = timeit(
        lambda: stats.time_in_state(j, by="sex"), repeat=r
    )
    cp_time, _ = timeit(lambda: stats.care_periods(j), repeat=r)
    times["periods of care"] = cp_time
    cp = stats.care_periods(j)
    times["scorecard + time to exit + re-entry"], _ = timeit(
        lambda: (
            stats.adoption_scorecard(j, periods=cp),
            stats.time_to_exit(j, periods=cp),
            stats.re_entry(j, periods=cp),
        ),
        repeat=r,
    )
    times["re-referrals + stability"], _ = timeit(
        lambda: (stats.re_referrals(j), stats.stability(j)), repeat=r
    )
    times["congestion at a moment"], _ = timeit(lambda: congestion(j, "2024-03-31"), repeat=r)
    times["DfE tables (all of them)"], _ = timeit(lambda: stats.dfe_tables(j), repeat=r)
    snaps = stats.years_covered(j)[0]
    roles = stats.Roles.standard()
    times["DfE: CLA at 31 March"], _ = timeit(
        lambda: stats.cla_at_31_march(j, snaps, roles), repeat=r
    )

    # pandas peer: the same occupancy and time-in-state numbers.
    t1 = time.perf_counter()
    df = table.select(["child_id", "state", "start", "end", "placement"]).to_pandas()
    df["state"] = df["state"].astype(str)
    df["s"] = df["start"].astype("datetime64[s]").astype(np.int64) / 86400
    df["e"] = (
        df["end"].astype("datetime64[s]").astype(np.int64).where(df["end"].notna(), np.nan) / 86400
    )
    df["e"] = df["e"].fillna(np.inf)
    print(f"pandas frame built in {time.perf_counter() - t1:.1f} s (not timed below)")
    bd = bounds // 1440
    pd_occ, _ = timeit(lambda: pandas_occupancy(df, bd), repeat=r, warmup=0)
    pd_km, _ = timeit(lambda: pandas_km(df, as_of / 1440), repeat=r, warmup=0)
    pd_cla, _ = timeit(lambda: pandas_cla_stock(df, snaps, set(roles.care)), repeat=r, warmup=0)
    cla = stats.cla_at_31_march(j, snaps, roles).to_pandas()
    cla = cla[cla.breakdown == "placement"].pivot(
        index="category", columns="time_period", values="number"
    )
    want = pandas_cla_stock(df, snaps, set(roles.care))
    assert (cla.fillna(0).sort_index().to_numpy() == want.sort_index().to_numpy()).all(), "CLA"

    # Same answers?
    ours = stats.occupancy(j, "month").to_pandas().groupby("state")["occupancy"].sum()
    theirs = pandas_occupancy(df, bd).groupby(level="state")["occupancy"].sum()
    assert (
        ours.sort_index().to_numpy() == theirs.reindex(ours.sort_index().index).to_numpy()
    ).all(), "occupancy differs"
    km = stats.time_in_state(j).to_pandas().set_index("state")  # type: ignore[union-attr]
    # carevis leaves the exit states out (their spells are the picture's linger, not data)
    pkm = pandas_km(df, as_of / 1440).reindex(km.index)
    assert np.allclose(
        km["median"].to_numpy(dtype=float), pkm[0.5].to_numpy(dtype=float), equal_nan=True
    ), "KM differs"

    print(f"\n{'carevis':<48} {'median s':>10}")
    for k, v in times.items():
        print(f"{k:<48} {v:>10.3f}")
    print(f"{'all statistics (sum)':<48} {sum(times.values()):>10.3f}")
    print(f"\n{'same computation':<30} {'carevis s':>10} {'pandas s':>10} {'ratio':>8}")
    for name, ours_t, theirs_t in (
        ("occupancy/entries/exits", times["occupancy (month)"], pd_occ),
        ("time in state (KM)", times["time in state (KM)"], pd_km),
        ("CLA at 31 March by placement", times["DfE: CLA at 31 March"], pd_cla),
    ):
        print(f"{name:<30} {ours_t:>10.3f} {theirs_t:>10.3f} {theirs_t / ours_t:>7.1f}x")


if __name__ == "__main__":
    main()
