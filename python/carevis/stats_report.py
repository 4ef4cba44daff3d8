"""``carevis stats``: writes the journey statistics as CSV and Parquet tables (atomically)
and PNG plots, suppressing small counts for publication; ``--compare`` sets measures of
the synthetic England beside the published national figures."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import stats as st
from ._time import MINUTES_PER_DAY
from .errors import ConfigError, ExportError
from .journeys import Journeys

#: Count columns suppressed below the threshold, and the columns derived from each.
COUNTS = (
    "occupancy",
    "entries",
    "exits",
    "count",
    "n",
    "events",
    "censored",
    "adopted",
    "a2_n",
    "re_entries",
    "referrals",
    "re_referrals",
    "moves",
    "at_risk",
)
DERIVED = {
    "count": ("probability",),
    "n": ("p25", "median", "p75", "p90", "mean_days", "median_days"),
    "adopted": ("a1_mean_days", "a3_share_within_426_days"),
    "a2_n": ("a2_mean_days",),
    "entries": ("rate",),
    "re_entries": ("rate",),
    "referrals": ("rate",),
    "re_referrals": ("rate",),
    "moves": ("moves_per_child_year",),
    "at_risk": ("survival",),
}


def suppress(table: pa.Table, below: int) -> pa.Table:
    """Counts in 1..below-1 become null with a ``suppressed`` flag per row; rates and
    figures derived from a suppressed count become null too. ``below <= 1``: unchanged."""
    if below <= 1 or table.num_rows == 0:
        return table
    flag = np.zeros(table.num_rows, bool)
    hide: dict[str, np.ndarray] = {}
    for name in COUNTS:
        if name not in table.column_names:
            continue
        v = table.column(name).to_numpy(zero_copy_only=False)
        small = (v > 0) & (v < below)
        hide[name] = hide.get(name, np.zeros_like(flag)) | small
        for d in DERIVED.get(name, ()):
            hide[d] = hide.get(d, np.zeros_like(flag)) | small
        flag |= small
    for name, mask in hide.items():
        if name in table.column_names and mask.any():
            i = table.schema.get_field_index(name)
            col = table.column(name)
            table = table.set_column(
                i, name, pc.if_else(pa.array(mask), pa.scalar(None, col.type), col)
            )
    return table.append_column("suppressed", pa.array(flag))


def to_csv_table(table: pa.Table, below: int) -> pa.Table:
    """For CSV: suppressed counts written as "<N"."""
    if "suppressed" not in table.column_names:
        return table
    flag = table.column("suppressed")
    for name in COUNTS:
        if name in table.column_names:
            i = table.schema.get_field_index(name)
            text = pc.cast(table.column(name), pa.string())
            table = table.set_column(
                i, name, pc.if_else(pc.and_(flag, pc.is_null(text)), f"<{below}", text)
            )
    return table


def write_table(table: pa.Table, directory: Path, name: str, below: int) -> list[Path]:
    """Writes NAME.csv and NAME.parquet atomically (temp file, then rename)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    bad = [c for c in table.column_names if c.lower() in st.IDENTIFYING]
    if bad:
        raise ExportError(f"table {name} would hold identifying columns {bad}")
    out = []
    for suffix in (".parquet", ".csv"):
        path = directory / f"{name}{suffix}"
        tmp = path.with_name(f".{path.name}.part")
        try:
            if suffix == ".parquet":
                pq.write_table(table, str(tmp))
            else:
                pacsv.write_csv(to_csv_table(table, below), str(tmp))
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        out.append(path)
    return out


def _save(fig: object, path: Path) -> Path:
    tmp = path.with_name(f".{path.stem}.part.png")
    try:
        fig.savefig(tmp, dpi=120)  # type: ignore[attr-defined]
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def plot_occupancy(occ: pa.Table, path: Path, title: str = "Children in each state") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = occ.select(["period_start", "state", "occupancy"]).to_pandas()
    wide = df.pivot_table(
        index="period_start", columns="state", values="occupancy", aggfunc="sum"
    ).fillna(0)
    fig, ax = plt.subplots(figsize=(11, 6))
    if len(wide):
        ax.stackplot(wide.index, wide.to_numpy().T, labels=list(wide.columns), alpha=0.9)
    ax.set_title(title)
    ax.set_ylabel("children (suppressed counts left out)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_transitions(tr: pa.Table, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = tr.select(["from_state", "to_state", "count"]).to_pandas().dropna()
    mat = df.pivot_table(
        index="from_state", columns="to_state", values="count", aggfunc="sum"
    ).fillna(0)
    prob = mat.div(mat.sum(axis=1).where(lambda s: s > 0, 1), axis=0)
    fig, ax = plt.subplots(figsize=(12, 9))
    ax.imshow(prob.to_numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(prob.columns)), list(prob.columns), rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(prob.index)), list(prob.index), fontsize=8)
    for (i, j), v in np.ndenumerate(prob.to_numpy()):
        if v >= 0.005:
            ax.text(
                j,
                i,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="w" if v < 0.6 else "k",
            )
    ax.set_title("Where children go next: share of each state's ends (all periods)")
    ax.set_xlabel("next state")
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_time_in_state(curves: pa.Table, summary: pa.Table, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = curves.select(["state", "time_days", "survival"]).to_pandas().dropna()
    fig, ax = plt.subplots(figsize=(11, 6))
    shown = (
        set(summary.filter(pc.invert(summary.column("suppressed"))).column("state").to_pylist())
        if "suppressed" in summary.column_names
        else None
    )
    for state, g in df.groupby("state", sort=False):
        if shown is not None and state not in shown:
            continue
        ax.step(g["time_days"], g["survival"], where="post", label=state, lw=1.2)
    ax.set_xlabel("days in state")
    ax.set_ylabel("share still in state (Kaplan-Meier)")
    ax.set_xlim(0, 3 * 365)
    ax.set_ylim(0, 1)
    ax.set_title("Time in state (open spells censored)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


# --- the whole set ------------------------------------------------------------------------------
def all_tables(
    journeys: Journeys, freq: st.Freq = "month", by: str | None = None, age: bool = False
) -> dict[str, pa.Table]:
    """Every statistics table, unsuppressed."""
    tables: dict[str, pa.Table] = {}
    tables["occupancy"] = st.occupancy(journeys, freq, by=by, age=age)
    tables["transitions"] = st.transitions(journeys, "year", by=by, age=age)
    summary, curves = st.time_in_state(journeys, by=by, age=age, curves=True)
    tables["time_in_state"] = summary
    tables["time_in_state_curves"] = curves
    cp = st.care_periods(journeys)
    tables["time_to_exit"] = st.time_to_exit(journeys, "year", periods=cp)
    tables["adoption_scorecard"] = st.adoption_scorecard(journeys, "year", periods=cp)
    tables["re_entry"] = st.re_entry(journeys, "year", periods=cp)
    tables["re_referrals"] = st.re_referrals(journeys, "year", by=by, age=age)
    tables["stability"] = st.stability(journeys, "year", by=by, age=age)
    return tables


def compare(journeys: Journeys, scale: float) -> pa.Table:
    """Measures of (synthetic) England beside the published figures (counts scaled)."""
    roles = st.Roles.standard()
    states = journeys.states
    care_idx = [i for i, s in enumerate(states) if s in roles.care]
    rows: list[tuple[str, float, float, str]] = []
    snaps = [dt.date(y, 3, 31) for y in (2021, 2022, 2023, 2024, 2025)]
    from .congestion import occupancy_at

    mins = np.array([(d - dt.date(1970, 1, 1)).days * MINUTES_PER_DAY for d in snaps])
    occ = occupancy_at(journeys, mins)
    for d, v, pub in zip(
        snaps, occ[care_idx].sum(axis=0), (80_780, 82_090, 83_750, 83_530, 81_770), strict=True
    ):
        rows.append((f"CLA at 31 March {d.year}", float(v), pub * scale, "count"))
    cp = st.care_periods(journeys, roles)
    y24 = (dt.date(2023, 4, 1), dt.date(2024, 4, 1))
    y25 = (dt.date(2024, 4, 1), dt.date(2025, 4, 1))

    def in_year(col: str, y: tuple[dt.date, dt.date]) -> np.ndarray:
        d = st._days(cp.column(col))
        return (d >= (y[0] - dt.date(1970, 1, 1)).days) & (d < (y[1] - dt.date(1970, 1, 1)).days)

    ex = np.array(cp.column("exit_state").to_pylist(), dtype=object)
    rows.append(
        (
            "started to be looked after, year to March 2024",
            float(in_year("entry", y24).sum()),
            33_050 * scale,
            "count",
        )
    )
    left = np.array([e is not None for e in ex])
    for y, pub in ((y24, 33_620), (y25, 34_450)):
        rows.append(
            (
                f"ceased, year to March {y[1].year}",
                float((in_year("end", y) & left).sum()),
                pub * scale,
                "count",
            )
        )
    for y, pub in ((y24, 2_980), (y25, 3_040)):
        rows.append(
            (
                f"adopted, year to March {y[1].year}",
                float((in_year("end", y) & (ex == roles.adopted)).sum()),
                pub * scale,
                "count",
            )
        )
    stab = st.stability(journeys, "year")
    ps = stab.column("period_start").to_pylist()
    if dt.date(2023, 4, 1) in ps:
        k = ps.index(dt.date(2023, 4, 1))
        rows.append(
            (
                "placement changes, year to March 2024",
                float(stab.column("moves")[k].as_py()),
                66_070 * scale,
                "count",
            )
        )
    rr = st.re_referrals(journeys, "year")
    ps = rr.column("period_start").to_pylist()
    if dt.date(2023, 4, 1) in ps:
        k = ps.index(dt.date(2023, 4, 1))
        rows.append(
            (
                "referrals, year to March 2024",
                float(rr.column("referrals")[k].as_py()),
                621_880 * scale,
                "count",
            )
        )
        rows.append(
            (
                "re-referrals within 12 months, 2024",
                float(rr.column("rate")[k].as_py() or 0),
                0.22,
                "share",
            )
        )
    sc = st.adoption_scorecard(journeys, "year", roles, periods=cp)
    ps = sc.column("period_start").to_pylist()
    sel = [i for i, p in enumerate(ps) if dt.date(2015, 4, 1) <= p < dt.date(2018, 4, 1)]
    n = np.array([sc.column("adopted")[i].as_py() for i in sel], float)
    a1 = np.array([sc.column("a1_mean_days")[i].as_py() or 0 for i in sel], float)
    if n.sum():
        rows.append(
            (
                "A1 entry to placed for adoption, mean days, adopted 2016-18",
                float((a1 * n).sum() / n.sum()),
                486.0,
                "days",
            )
        )
    return pa.table(
        {
            "measure": [r[0] for r in rows],
            "carevis": [r[1] for r in rows],
            "published": [r[2] for r in rows],
            "kind": [r[3] for r in rows],
        }
    )


def format_compare(table: pa.Table) -> str:
    lines = [f"{'measure':<62} {'carevis':>10} {'published':>10} {'diff':>8}"]
    for r in table.to_pylist():
        if r["kind"] == "share":
            lines.append(
                f"{r['measure']:<62} {100 * r['carevis']:>9.1f}% {100 * r['published']:>9.1f}% "
                f"{100 * (r['carevis'] - r['published']):>+6.1f}pt"
            )
        else:
            d = (r["carevis"] - r["published"]) / r["published"] * 100 if r["published"] else 0.0
            lines.append(
                f"{r['measure']:<62} {r['carevis']:>10,.0f} {r['published']:>10,.0f} {d:>+7.1f}%"
            )
    return "\n".join(lines)


def main_stats(argv: Sequence[str] | None = None) -> int:
    from ._usage import Parser, alias

    p = Parser(
        prog="carevis stats",
        description="Journey statistics tables (CSV, Parquet) and plots (PNG).",
    )
    p.add_argument("input", nargs="?", help="journey table (.parquet, .feather, .csv, a folder)")
    p.add_argument("-o", "--output", dest="out", help="folder to write tables and plots to")
    alias(p, "--out", "out")
    p.add_argument(
        "--synthetic", type=float, metavar="SCALE", help="use the synthetic England at SCALE"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the synthetic England")
    p.add_argument(
        "--freq",
        default="month",
        choices=["day", "week", "month", "quarter", "year"],
        help="how often to count (default month)",
    )
    p.add_argument("--by", help="a per-child column to split by (e.g. la, sex)")
    p.add_argument("--age", action="store_true", help="split by age band at spell start")
    p.add_argument(
        "--suppress-below", type=int, default=0, help="suppress counts below N (5 for publication)"
    )
    p.add_argument("--no-plots", action="store_true", help="write tables only")
    p.add_argument(
        "--compare", action="store_true", help="print measures beside the published England figures"
    )
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.input is None and args.synthetic is None:
        p.error("give INPUT or --synthetic SCALE")
    if args.out is None and not args.compare:
        p.error("give -o DIR (or --compare)")
    if args.suppress_below < 0:
        raise ConfigError(f"--suppress-below must be >= 0, not {args.suppress_below}")
    t0 = time.perf_counter()
    if args.synthetic is not None:
        from . import synthetic

        journeys = synthetic.england(scale=args.synthetic, seed=args.seed)
    else:
        from .io import read

        journeys = read(args.input)
    print(f"{journeys.summary()} [{time.perf_counter() - t0:.1f} s]", file=sys.stderr)
    if args.compare:
        scale = args.synthetic if args.synthetic is not None else 1.0
        print(format_compare(compare(journeys, scale)))
    if args.out is None:
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    tables = {
        k: suppress(v, args.suppress_below)
        for k, v in all_tables(journeys, args.freq, args.by, args.age).items()
    }
    print(f"computed {len(tables)} tables [{time.perf_counter() - t1:.1f} s]", file=sys.stderr)
    for name, t in tables.items():
        write_table(t, out, name, args.suppress_below)
    if not args.no_plots:
        plot_occupancy(tables["occupancy"], out / "occupancy.png")
        plot_transitions(tables["transitions"], out / "transitions.png")
        plot_time_in_state(
            tables["time_in_state_curves"], tables["time_in_state"], out / "time_in_state.png"
        )
    print(f"wrote {out}/ [{time.perf_counter() - t0:.1f} s]", file=sys.stderr)
    return 0
