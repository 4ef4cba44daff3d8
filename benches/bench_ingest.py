"""Benchmark: read_ssda903 vs a straightforward pandas merge of the same files.

By default writes the synthetic England's last ten collection years (2015-16 to
2024-25, 153 councils) as SSDA903 returns with ``write_ssda903``, then times, in the
same run:

- carevis: ``read_ssda903(dir)`` (parse, validate, stitch, map, report) and
  ``.journeys()`` (the per-child index);
- pandas: read_csv per file, concat, drop_duplicates, to_datetime, sort,
  groupby per child (next start, close open episodes, clip overlaps), header merge.

The two run by turns (carevis, pandas, carevis, pandas, ...), after one warm-up each.

``--source simple`` uses a small vectorised numpy generator instead (150 councils x
``--children``), for a quicker run.

Prints the medians and the ratio. Usage:
    python benches/bench_ingest.py [--source england|simple] [--years 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from carevis.ingest import read_ssda903, write_ssda903
from carevis.ingest._dates import days_from_civil
from carevis.ingest.schema import JOURNEY_SCHEMA, state_labels

CARE = [
    ("Foster care (relative/friend)", "U3"),
    ("Foster care (other)", "U6"),
    ("Children's home & secure", "K2"),
    ("Supported / independent", "H5"),
    ("Placed with parents", "P1"),
    ("Placed for adoption", "A6"),
    ("Other placement", "R2"),
]
EXITS = [
    ("Adopted", "E11"),
    ("Special guardianship", "E45"),
    ("Child arrangements order", "E41"),
    ("Returned home", "E4A"),
    ("Independence / adulthood", "E5"),
    ("Other exit", "E8"),
]


def generate(councils: int, years: int, children: int, seed: int = 1) -> pa.Table:
    """A canonical table: per council `children` children entering care over the years."""
    rng = np.random.default_rng(seed)
    last_year = 2024
    first = int(days_from_civil(np.array([last_year - years]), np.array([4]), np.array([1]))[0])
    data_end = int(days_from_civil(np.array([last_year]), np.array([3]), np.array([31]))[0])
    n = councils * children
    la = np.repeat(np.array([f"{800 + i}" for i in range(councils)], dtype=object), children)
    child = np.array([f"{la[i]}-{i:07d}" for i in range(n)], dtype=object)
    nsp = rng.integers(1, 6, n)
    total = int(nsp.sum())
    owner = np.repeat(np.arange(n), nsp)
    first_in = np.r_[True, owner[1:] != owner[:-1]]
    dur = rng.exponential(220, total).astype(np.int64) + 1
    start0 = rng.integers(first - 3 * 365, data_end - 30, n)
    csum = np.cumsum(dur)
    before = csum - dur
    base = before[np.flatnonzero(first_in)][owner]
    start = start0[owner] + (before - base)
    end = start + dur
    keep = start <= data_end
    lastsp = np.r_[owner[1:] != owner[:-1], True]
    open_ = (end > data_end) | (lastsp & (rng.random(total) < 0.3))
    # drop spells after an open one
    seen_open = np.zeros(total, bool)
    oc = np.cumsum(open_)
    prev_open = oc - open_
    base_open = prev_open[np.flatnonzero(first_in)][owner]
    seen_open = (prev_open - base_open) > 0
    keep &= ~seen_open
    ci = rng.integers(0, len(CARE), total)
    care_lab = np.array([c for c, _ in CARE], dtype=object)[ci]
    care_code = np.array([p for _, p in CARE], dtype=object)[ci]
    idx = np.flatnonzero(keep)
    lastk = np.r_[owner[idx][1:] != owner[idx][:-1], True]
    s, e, op = start[idx], end[idx], open_[idx] & lastk
    e = np.where(op, -1, e)
    exit_rows = idx[lastk & ~op]
    ei = rng.integers(0, len(EXITS), len(exit_rows))
    labels = state_labels()
    rows_child = np.r_[child[owner[idx]], child[owner[exit_rows]]]
    rows_state = np.r_[
        [labels.index(x) for x in care_lab[idx]], [labels.index(EXITS[i][0]) for i in ei]
    ].astype(np.int32)
    rows_start = np.r_[s, end[exit_rows]]
    rows_end = np.r_[e, end[exit_rows] + 28]
    is_care = np.r_[np.ones(len(idx), bool), np.zeros(len(exit_rows), bool)]
    rec = np.full(len(idx), None, dtype=object)
    pos_last = np.flatnonzero(lastk & ~op)
    rec[pos_last] = np.array([EXITS[i][1] for i in ei], dtype=object)
    rec_all = np.r_[rec, np.array([EXITS[i][1] for i in ei], dtype=object)]
    order = np.lexsort((~is_care, rows_start, rows_child))
    g = owner[np.r_[idx, exit_rows]]
    bm = days_from_civil(2004 + g % 15, 1 + g % 12, np.ones_like(g))

    def d(a):
        a = np.asarray(a, dtype=np.int64)[order]
        return pa.array(a, pa.int32(), mask=a < 0).cast(pa.date32())

    cols = {
        "child_id": pa.array(rows_child[order], pa.string()),
        "state": pa.DictionaryArray.from_arrays(pa.array(rows_state[order]), pa.array(labels)),
        "start": d(rows_start),
        "end": d(rows_end),
        "la": pa.array(la[g][order], pa.string()),
        "sex": pa.array(np.array(["M", "F"], dtype=object)[g % 2][order], pa.string()),
        "birth_month": d(bm),
        "ethnicity": pa.array(
            np.array(["WBRI", "BAFR", "MWBC", "AIND"], dtype=object)[g % 4][order], pa.string()
        ),
        "placement": pa.array(
            np.r_[care_code[idx], np.full(len(exit_rows), None, dtype=object)][order], pa.string()
        ),
        "legal_status": pa.array(
            np.r_[
                np.full(len(idx), "C2", dtype=object), np.full(len(exit_rows), None, dtype=object)
            ][order],
            pa.string(),
        ),
        "category_of_need": pa.array(
            np.r_[
                np.full(len(idx), "N1", dtype=object), np.full(len(exit_rows), None, dtype=object)
            ][order],
            pa.string(),
        ),
        "reason_ceased": pa.array(rec_all[order], pa.string()),
    }
    return pa.Table.from_arrays([cols[f.name] for f in JOURNEY_SCHEMA], schema=JOURNEY_SCHEMA)


def pandas_ingest(root: Path):
    """A straightforward pandas merge of the same files (the peer)."""
    import pandas as pd

    eps, hds = [], []
    for p in sorted(root.rglob("*.csv")):
        parts = p.stem.split("_")
        la, year, table = parts[1], int(parts[2]), parts[3]
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
        df["LA"] = la
        df["YEAR"] = year
        (eps if table == "episodes" else hds).append(df)
    ep = pd.concat(eps, ignore_index=True)
    ep = ep.drop_duplicates(
        subset=["LA", "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC"]
    )
    ep["DECOM"] = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y")
    ep["DEC"] = pd.to_datetime(ep["DEC"], format="%d/%m/%Y")
    ep = ep.sort_values(["LA", "CHILD", "DECOM", "YEAR"])
    ep = ep.drop_duplicates(subset=["LA", "CHILD", "DECOM"], keep="last")  # later submission wins
    g = ep.groupby(["LA", "CHILD"], sort=False)
    ep["NEXT"] = g["DECOM"].shift(-1)
    fix = ep["NEXT"].notna() & (
        ep["DEC"].isna()
        | (ep["DEC"] > ep["NEXT"])
        | ((ep["REC"] == "X1") & (ep["DEC"] < ep["NEXT"]))
    )
    ep.loc[fix, "DEC"] = ep.loc[fix, "NEXT"]
    hd = (
        pd.concat(hds, ignore_index=True)
        .sort_values(["LA", "CHILD", "YEAR"])
        .drop_duplicates(["LA", "CHILD"], keep="last")
    )
    out = ep.merge(hd[["LA", "CHILD", "SEX", "DOB", "ETHNIC"]], on=["LA", "CHILD"], how="left")
    out["child_id"] = out["LA"] + "-" + out["CHILD"]
    return out


def timeit_by_turns(fns, repeat: int) -> list[tuple[float, float, object]]:
    """Median wall and CPU seconds (all threads) of each fn, run by turns after a warm-up.

    Each round runs every fn once, so a change in the machine's load during the run
    falls on all of them alike instead of on whichever ran last.
    """
    results = [fn() for fn in fns]  # warm-up (page cache, imports), not timed
    walls: list[list[float]] = [[] for _ in fns]
    cpus: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            c0, t0 = time.process_time(), time.perf_counter()
            results[i] = fn()
            walls[i].append(time.perf_counter() - t0)
            cpus[i].append(time.process_time() - c0)
    return [
        (statistics.median(w), statistics.median(c), r)
        for w, c, r in zip(walls, cpus, results, strict=True)
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", choices=["england", "simple"], default="england")
    ap.add_argument("--councils", type=int, default=150)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument(
        "--children",
        type=int,
        default=1200,
        help="children entering care per council over the period",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", help="reuse/keep the generated files here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    tmp = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="carevis-bench-"))
    try:
        if not any(tmp.rglob("*.csv")):
            if args.source == "england":
                from carevis.synthetic import england_table

                table = england_table()
                years = range(2026 - args.years, 2026)
            else:
                table = generate(args.councils, args.years, args.children)
                years = range(2025 - args.years, 2025)
            files = write_ssda903(table, tmp, years=years)
            print(f"wrote {table.num_rows:,} spells ({args.source}) as returns for {list(years)}")
            del table  # setup only: the timed runs start without it in memory
            gc.collect()
        else:
            files = list(tmp.rglob("*.csv"))
        size = sum(os.path.getsize(f) for f in files)
        print(f"{len(files)} files, {size / 1e6:.1f} MB, ready in {time.perf_counter() - t0:.1f}s")
        print(f"cpus: {os.cpu_count()}, pyarrow {pa.__version__}, threads {pa.cpu_count()}")
        load0 = os.getloadavg()

        def ours():
            r = read_ssda903(tmp)
            r.journeys()  # stitched and indexed
            return r

        (t_cv, c_cv, res), (t_pd, c_pd, pdres) = timeit_by_turns(
            [ours, lambda: pandas_ingest(tmp)], args.repeat
        )
        print(res.summary().splitlines()[0])
        print(
            f"rows in {res.rows_in}: used {res.rows_used}, rejected {res.rows_rejected}; "
            f"pandas kept {len(pdres)} episodes"
        )
        print(f"load average before/after: {load0} / {os.getloadavg()}")
        print(f"carevis read+index    median wall {t_cv:8.3f} s   cpu {c_cv:8.3f} s")
        print(f"pandas merge          median wall {t_pd:8.3f} s   cpu {c_pd:8.3f} s")
        print(f"ratio pandas / carevis      wall {t_pd / t_cv:8.1f}x   cpu {c_pd / c_cv:8.1f}x")
    finally:
        if not args.dir:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
