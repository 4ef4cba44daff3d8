"""Issue 2's benchmark: the frame engine and the index against numpy and pyarrow.

In one run, on the same generated journeys (default 10M children, ~30M spells):
- a frame (state, position and colour of every dot): carevis vs a straightforward
  vectorised numpy implementation of the same frame (searchsorted per child), and
  against the memory-bandwidth bound (bytes the frame touches / copy bandwidth);
- building the index vs pyarrow sorting the same table by (child_id, start);
- bytes per spell the index adds beyond the Arrow input.

Usage: python benches/bench_frame.py [--children N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import carevis
from _common import big_table, copy_bandwidth, ratio, timeit


class NumpyFrame:
    """The same frame in plain vectorised numpy: state by searchsorted per child, travel
    from the previous spell's place, fade, and time-in-care colour."""

    def __init__(self, table: pa.Table, scene: carevis.Scene) -> None:
        keys = [("child_id", "ascending"), ("start", "ascending"), ("end", "ascending")]
        order = pc.sort_indices(table, keys)  # nulls (open ends) sort last
        t = table.take(order)
        ids = t.column("child_id").to_numpy()
        self.start = t.column("start").cast(pa.int32()).to_numpy().astype(np.int64) * 1440
        end = t.column("end").cast(pa.int32()).fill_null(2**31 - 1).to_numpy().astype(np.int64)
        self.end = np.where(end == 2**31 - 1, 2**62, end * 1440)
        self.state = t.column("state").combine_chunks().indices.to_numpy().astype(np.int64)
        states = t.column("state").combine_chunks().dictionary.to_pylist()
        remap = np.array([scene.states.index(s) for s in states])
        self.state = remap[self.state]
        change = np.r_[True, ids[1:] != ids[:-1]]
        self.first = np.flatnonzero(change)
        self.child = np.cumsum(change) - 1
        self.n = len(self.first)
        # keys sorted by (child, start): child * BIG + start
        self.big = 1 << 36
        self.key = self.child * self.big + (self.start - self.start.min())
        self.t0 = self.start.min()
        rng = np.random.default_rng(0)
        ang = rng.random(self.n) * 2 * np.pi
        rad = np.sqrt(rng.random(self.n))
        self.jx, self.jy = rad * np.cos(ang), rad * np.sin(ang)
        self.centres = scene.centres.astype(np.float64)
        self.lut = scene.legend.colours
        self.transit = scene.transit_days * 1440
        self.fade = scene.fade_days * 1440

    def frame(self, t: float, radii: np.ndarray) -> tuple[np.ndarray, ...]:
        q = np.arange(self.n) * self.big + (t - self.t0)
        i = np.searchsorted(self.key, q, side="right") - 1
        valid = (i >= self.first) & (i >= 0)
        i = np.where(valid, i, self.first)
        inside = valid & (t < self.end[i])
        state = np.where(inside, self.state[i], -1).astype(np.int32)
        prev = np.maximum(i - 1, self.first)
        cur_s, prev_s = self.state[i], self.state[prev]
        px = self.centres[cur_s, 0] + radii[cur_s] * self.jx
        py = self.centres[cur_s, 1] + radii[cur_s] * self.jy
        qx = self.centres[prev_s, 0] + radii[prev_s] * self.jx
        qy = self.centres[prev_s, 1] + radii[prev_s] * self.jy
        u = np.clip((t - self.start[i]) / max(self.transit, 1), 0, 1)
        u = u * u * (3 - 2 * u)
        x = (qx + (px - qx) * u).astype(np.float32)
        y = (qy + (py - qy) * u).astype(np.float32)
        first_start = self.start[self.first]
        alpha = np.clip((t - first_start) / max(self.fade, 1), 0, 1)
        gone = ~inside & valid
        alpha = np.where(gone, np.clip(1 - (t - self.end[i]) / max(self.fade, 1), 0, 1), alpha)
        alpha = np.where(valid, alpha, 0)
        v = np.clip((t - first_start) / 1440 / (5 * 365.25), 0, 1)
        rgba = self.lut[np.round(v * 255).astype(np.int64)].copy()
        rgba[:, 3] = (alpha * 255).astype(np.uint8)
        return x, y, rgba, state


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--children", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    print(f"carevis {carevis.__version__}, {carevis._native.num_threads()} threads")
    table = big_table(args.children)
    n_spells = table.num_rows
    arrow_bytes = table.nbytes
    print(
        f"data: {args.children:,} children, {n_spells:,} spells, "
        f"Arrow input {arrow_bytes / 1e6:.0f} MB"
    )

    # --- the index -------------------------------------------------------------------
    t_index, _ = timeit(lambda: carevis.Journeys.from_arrow(table), repeat=3)
    t_sort, _ = timeit(
        lambda: table.take(
            pc.sort_indices(table, [("child_id", "ascending"), ("start", "ascending")])
        ),
        repeat=3,
    )
    j = carevis.Journeys.from_arrow(table)
    per_spell = j.index_bytes() / n_spells
    print(
        f"index build: carevis {t_index:.3f} s | pyarrow sort by (child_id, start) {t_sort:.3f} s "
        f"| carevis is {ratio(t_sort, t_index)} the speed (goal: >= 1.0x)"
    )
    print(f"index memory: {per_spell:.1f} bytes per spell beyond the Arrow input (goal: <= ~24)")
    # full validation of data from outside (part of the index build above), and with
    # string ids, against pyarrow's own full validation of the same table
    texts = table.set_column(0, "child_id", pc.cast(table.column("child_id"), pa.string()))
    for name, t in (("integer ids", table), ("string ids", texts)):
        t_check, _ = timeit(lambda t=t: carevis._native._validate_arrow(t), repeat=3)
        t_pa, _ = timeit(lambda t=t: t.validate(full=True), repeat=3)
        print(
            f"validation of the input ({name}): carevis {t_check:.3f} s "
            f"({100 * t_check / t_index:.1f}% of the index build) | pyarrow validate(full=True) "
            f"{t_pa:.3f} s | carevis is {ratio(t_pa, t_check)} the speed"
        )

    # --- the frame -------------------------------------------------------------------
    scene = carevis.Scene(j)
    when = dt.date(2020, 6, 30)
    minutes = (when - dt.date(1970, 1, 1)).days * 1440.0
    buf = scene.buffers()
    t_frame, _ = timeit(lambda: scene.frame_into(when, buf), repeat=args.repeat)
    ref = NumpyFrame(table, scene)
    radii = scene.radii(when).astype(np.float64)
    t_numpy, _ = timeit(lambda: ref.frame(minutes, radii), repeat=3)
    # sanity: the two agree on every dot's state
    ids = j.child_ids.to_numpy()
    order = np.argsort(ids, kind="stable")
    _, _, _, st_np = ref.frame(minutes, radii)
    agree = np.array_equal(buf.state[order], st_np)
    bw = copy_bandwidth()
    touched = scene._native.frame_bytes(minutes)
    bound = touched / bw
    print(
        f"frame: carevis {t_frame * 1e3:.1f} ms | numpy {t_numpy * 1e3:.0f} ms "
        f"| carevis is {ratio(t_numpy, t_frame)} faster (goal: >= 50x); states agree: {agree}"
    )
    print(
        f"bandwidth: copy {bw / 1e9:.1f} GB/s, frame touches {touched / 1e6:.0f} MB, "
        f"bound {bound * 1e3:.1f} ms, carevis at {t_frame / bound:.2f}x the bound (goal: <= 2x)"
    )
    lines = scene._native.frame_line_bytes(minutes)
    print(
        f"  the same counted in whole 64-byte cache lines (what memory moves): "
        f"{lines / 1e6:.0f} MB, bound {lines / bw * 1e3:.1f} ms, "
        f"carevis at {t_frame / (lines / bw):.2f}x"
    )


if __name__ == "__main__":
    main()
