"""How the time in a state depends on the time in care at the spell's start (issue 20): on
the journeys as known at ``--as-of``, over the model's fitting window before it, per state
and band of time in care (from the start of the child's run of linked spells, each begun
within a day of the last one's end, to the spell's start): the rate at which spells end
(per child-year in the state) and the share of those ends that leave care (no linked next
spell). Fine bands, to choose the model's care bands (``carevis.project.model.CARE_BANDS``).

    python benches/care_bands.py [--scale 0.25] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime as dt

import carevis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from carevis.project import model as pm
from carevis.stats import backtest as bt

EPOCH = dt.date(1970, 1, 1)
#: Fine bands' edges (days).
EDGES = (91, 182, 365, 730, 1095, 1826)
NAMES = ("<3m", "3-6m", "6-12m", "1-2y", "2-3y", "3-5y", "5y+")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--as-of", default="2019-03-31")
    args = ap.parse_args()
    as_of_date = dt.date.fromisoformat(args.as_of)
    journeys = bt.censor(carevis.synthetic.england(scale=args.scale, seed=args.seed), as_of_date)
    t = journeys.to_arrow().select(["child_id", "state", "start", "end"])
    t = t.sort_by([("child_id", "ascending"), ("start", "ascending")])
    cid = t["child_id"].to_numpy()
    state = np.array(pc.cast(t["state"], pa.string()).to_pylist())
    a = t["start"].cast(pa.int32()).to_numpy().astype(np.int64)
    as_of = (as_of_date - EPOCH).days
    e = pc.fill_null(t["end"].cast(pa.int32()), 10**7).to_numpy().astype(np.int64)
    closed = e <= as_of
    e = np.minimum(e, as_of)
    n = len(cid)
    linked_prev = np.zeros(n, bool)
    linked_prev[1:] = (cid[1:] == cid[:-1]) & (a[1:] - e[:-1] <= 1) & closed[:-1]
    linked_next = np.zeros(n, bool)
    linked_next[:-1] = linked_prev[1:]
    run = a.copy()
    for i in np.flatnonzero(linked_prev):
        run[i] = run[i - 1]
    band = np.searchsorted(np.array(EDGES), a - run, side="right")
    w0 = as_of - round(pm.WINDOW_YEARS * 365.2425)
    exposure = np.maximum(e - np.maximum(a, w0), 0)
    ended = closed & (e > w0)
    print(
        f"spells ending per child-year in the state (share of ends leaving care), "
        f"{pm.WINDOW_YEARS} years to {args.as_of}; time in care at the spell's start:"
    )
    print(f"{'state':<30}" + "".join(f"{b:>15}" for b in NAMES))
    for s in dict.fromkeys(state):
        line = f"{s[:29]:<30}"
        for b in range(len(NAMES)):
            m = (state == s) & (band == b)
            years = exposure[m].sum() / 365.25
            k = int(ended[m].sum())
            if k < 20:
                line += f"{'-':>15}"
                continue
            left = (ended & m & ~linked_next).sum() / k
            line += f"{k / years:>8.2f} ({left:.0%})".rjust(15)
        print(line)
    print(
        "spells ending in the window by band: "
        + ", ".join(f"{nm} {int((ended & (band == b)).sum()):,}" for b, nm in enumerate(NAMES))
    )


if __name__ == "__main__":
    main()
