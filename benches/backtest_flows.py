"""Where a projection's error per placement group comes from (issue 20): for each care
group and statistical year after the date, the data's and carevis's stock at 31 March,
split by whether the child's period of care began by the date ("old") or after ("new"),
and the flows into the group (entries to care, moves from another care group) and out of
it (exits from care, moves to another care group), with carevis's % difference.

    python benches/backtest_flows.py [--scale 0.25] [--seed 0] [--trend-years 5]
        [--care-bands 1,3 | none]
"""

from __future__ import annotations

import argparse
import datetime as dt

import carevis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from carevis import project
from carevis.stats import backtest as bt
from carevis.stats.base import Roles

KEYS = ("stock", "old", "new", "in_entry", "in_move", "out_exit", "out_move")
EPOCH = dt.date(1970, 1, 1)


def _arrays(table: pa.Table) -> tuple[np.ndarray, ...]:
    t = table.select(["child_id", "state", "start", "end"])
    t = t.sort_by([("child_id", "ascending"), ("start", "ascending")])
    state = np.array(pc.cast(t["state"], pa.string()).to_pylist())
    start = t["start"].cast(pa.int32()).to_numpy()
    end = pc.fill_null(t["end"].cast(pa.int32()), 10**7).to_numpy()
    return t["child_id"].to_numpy(), state, start, end


def flows(
    table: pa.Table, groups: list[str], years: list[int], as_of: int
) -> dict[tuple[int, str], dict[str, int]]:
    """Per (year, group): the counts of :data:`KEYS`."""
    cid, st, a, e = _arrays(table)
    care = np.isin(st, groups)
    n = len(cid)
    linked = np.zeros(n, bool)
    linked[:-1] = (cid[1:] == cid[:-1]) & (a[1:] - e[:-1] <= 1)
    prev_care = np.zeros(n, bool)
    prev_care[1:] = care[:-1] & linked[:-1]
    next_care = np.zeros(n, bool)
    next_care[:-1] = care[1:] & linked[:-1]
    began = a.copy()
    for i in np.flatnonzero(care & prev_care):
        began[i] = began[i - 1]
    out = {}
    for y in years:
        lo, hi = ((dt.date(y + k, 3, 31) - EPOCH).days for k in (-1, 0))
        for g in groups:
            m = st == g
            ins, outs = m & (a > lo) & (a <= hi), m & (e > lo) & (e <= hi)
            stock = m & (a <= hi) & (e > hi)
            counts = (
                stock,
                stock & (began <= as_of),
                stock & (began > as_of),
                ins & ~prev_care,
                ins & prev_care,
                outs & ~next_care,
                outs & next_care,
            )
            out[(y, g)] = dict(zip(KEYS, (int(c.sum()) for c in counts), strict=True))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--as-of", default="2019-03-31")
    ap.add_argument("--trend-years", type=int, default=project.model.TREND_YEARS)
    ap.add_argument("--care-bands", default=None, help="edges in years, e.g. 1,3; none: off")
    args = ap.parse_args()
    options = {}
    if args.care_bands is not None:
        care = args.care_bands
        options["care_bands"] = () if care == "none" else tuple(map(float, care.split(",")))
    journeys = carevis.synthetic.england(scale=args.scale, seed=args.seed)
    as_of = dt.date.fromisoformat(args.as_of)
    model = project.fit(
        bt.censor(journeys, as_of), as_of=as_of, trend_years=args.trend_years, **options
    )
    projected = project.project(model, years=3, seed=args.seed).table()
    groups = [s for s in journeys.states if s in Roles.standard().care]
    years = [as_of.year + k for k in (1, 2, 3)]
    day = (as_of - EPOCH).days
    actual = flows(journeys.to_arrow(), groups, [as_of.year - 1, as_of.year, *years], day)
    ours = flows(projected, groups, years, day)
    print(f"{'group':<14}{'year':>5}" + "".join(f"{k:>16}" for k in KEYS))
    for g in groups:
        for y in [as_of.year - 1, as_of.year, *years]:
            a = actual[(y, g)]
            line = f"{g[:13]:<14}{y:>5}"
            for k in KEYS:
                pct = (ours[(y, g)][k] - a[k]) / max(a[k], 1) * 100 if y in years else None
                diff = "" if pct is None else f"{pct:+7.1f}%"
                line += f"{a[k]:>8}{diff:>8}"
            print(line)


if __name__ == "__main__":
    main()
