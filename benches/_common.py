"""Helpers shared by the benchmarks: timing, medians, and big generated journey tables."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
from carevis.layout import standard_labels


def timeit(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> tuple[float, list[float]]:
    """Median seconds of `repeat` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def copy_bandwidth(nbytes: int = 1 << 29) -> float:
    """Bytes per second a large array copy moves (read + write), median of 5."""
    a = np.ones(nbytes // 8, np.float64)
    b = np.empty_like(a)
    med, _ = timeit(lambda: np.copyto(b, a), repeat=5)
    return 2 * a.nbytes / med


STATES20 = standard_labels()  # the 20 standard states, from data/states.csv


def big_table(
    n_children: int,
    spells_per_child: float = 3.0,
    seed: int = 1,
    shuffle: bool = True,
    days: int = 3650,
) -> pa.Table:
    """A large canonical table of random, non-overlapping journeys over ten years."""
    rng = np.random.default_rng(seed)
    k = rng.poisson(spells_per_child - 1, n_children).astype(np.int64) + 1
    n = int(k.sum())
    child = np.repeat(np.arange(n_children, dtype=np.int64), k)
    first = np.repeat(rng.integers(16_526, 16_526 + days, n_children), k)
    # lengths: many same-day steps, short and long stays
    length = rng.choice(np.array([0, 0, 1, 14, 60, 200, 700]), n)
    offs = np.concatenate([[0], np.cumsum(k)[:-1]])
    within = np.cumsum(length) - np.repeat(np.cumsum(length)[offs] - length[offs], k)
    start = first + within - length
    end = start + length
    last = np.zeros(n, bool)
    last[np.cumsum(k) - 1] = True
    open_ = last & (rng.random(n) < 0.15)
    state = rng.integers(0, len(STATES20), n).astype(np.int8)
    order = rng.permutation(n) if shuffle else np.arange(n)
    end_arr = pa.array(end[order].astype("datetime64[D]"), pa.date32(), mask=open_[order])
    return pa.table(
        {
            "child_id": pa.array(child[order] * 7919 + 11, pa.int64()),
            "state": pa.DictionaryArray.from_arrays(pa.array(state[order]), pa.array(STATES20)),
            "start": pa.array(start[order].astype("datetime64[D]"), pa.date32()),
            "end": end_arr,
        }
    )


def ratio(peer: float, ours: float) -> str:
    return f"{peer / ours:.1f}x" if ours > 0 else "inf"
