"""``carevis stats``: writes the journey statistics as CSV and Parquet tables (atomically)
and PNG plots, suppressing small counts for publication; ``--dfe`` writes the DfE-shaped
national tables instead; ``--compare`` sets their headline figures beside the published
national figures of the package's calibration table (scaled to a synthetic file's scale,
read from its metadata)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import stats as st
from .errors import ConfigError, ExportError
from .journeys import Journeys
from .privacy import is_identifying

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
    "number",
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
    "number": ("percentage",),
}


def suppress(table: pa.Table, below: int) -> pa.Table:
    """Counts in 1..below-1 become null (the column stays numeric) with a ``suppressed``
    flag per row; rates and figures derived from a suppressed count become null too.
    Shares are computed before suppression, from the true totals, so suppressing one cell
    never changes another's share. ``below <= 1``: unchanged."""
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


def write_table(table: pa.Table, directory: Path, name: str, below: int) -> list[Path]:
    """Writes NAME.csv and NAME.parquet atomically (temp file, then rename)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    bad = [c for c in table.column_names if is_identifying(c)]
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
                # Suppressed counts stay empty numeric cells; the flag column says why.
                pacsv.write_csv(table, str(tmp))
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


def plot_transitions(tr: pa.Table, path: Path, below: int = 0) -> Path:
    """Shares of each state's ends pooled over all periods, from the unsuppressed table
    (so suppression never changes a pooled share); pooled cells under ``below`` are
    left blank."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = tr.select(["from_state", "to_state", "count"]).to_pandas().dropna()
    mat = df.pivot_table(
        index="from_state", columns="to_state", values="count", aggfunc="sum"
    ).fillna(0)
    prob = mat.div(mat.sum(axis=1).where(lambda s: s > 0, 1), axis=0)
    if below > 1:
        prob = prob.where(~((mat > 0) & (mat < below)), 0.0)
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


def calibration() -> list[tuple[str, int, float, str]]:
    """The package's calibration table: (measure, year, published value, source)."""
    import csv
    from importlib import resources

    text = (
        resources.files("carevis")
        .joinpath("data/england_calibration.csv")
        .read_text(encoding="utf-8")
    )
    return [
        (r["measure"], int(r["year"]), float(r["value"]), r["source"])
        for r in csv.DictReader(text.splitlines())
    ]


def headline_figures(
    tables: dict[str, pa.Table], journeys: Journeys | None = None
) -> dict[tuple[str, int], float]:
    """The calibration table's measures read off the DfE-shaped tables (and placement
    changes from :func:`carevis.stats.stability` when ``journeys`` is given)."""
    out: dict[tuple[str, int], float] = {}

    def take(name: str, measure: str, breakdown: str, category: str) -> None:
        if name not in tables:
            return
        for r in tables[name].to_pylist():
            if r["breakdown"] == breakdown and r["category"] == category:
                out[(measure, r["time_period"])] = float(r["number"] or 0)

    take("cla_31_march", "children looked after at 31 March", "Total", "Total")
    take("cla_31_march", "unaccompanied asylum-seeking children at 31 March", "uasc", "true")
    take("cla_started", "started to be looked after", "Total", "Total")
    take("cla_ceased", "ceased to be looked after", "Total", "Total")
    take("cla_ceased", "adopted", "reason", "Adopted")
    names = {
        "children in need": "children in need at 31 March",
        "child protection plans": "child protection plans at 31 March",
        "referrals": "referrals",
        "assessments": "assessments",
        "section 47 enquiries": "section 47 enquiries",
    }
    for name in ("cin_31_march", "cin_in_year"):
        for r in tables.get(name, pa.table({})).to_pylist():
            if r["measure"] in names:
                out[(names[r["measure"]], r["time_period"])] = float(r["number"] or 0)
    if journeys is not None:
        stab = st.stability(journeys, "year")
        for p, m in zip(
            stab.column("period_start").to_pylist(), stab.column("moves").to_pylist(), strict=True
        ):
            if p.month == 4 and p.day == 1:
                out[("placement changes", p.year + 1)] = float(m)
    return out


def compare(
    journeys: Journeys, scale: float, tables: dict[str, pa.Table] | None = None
) -> pa.Table:
    """Headline figures of the DfE-shaped tables beside every published figure of the
    calibration table that the data covers (published counts multiplied by ``scale``),
    then the adoption scorecard's A1 (3-year average to 2018) and the re-referral share."""
    tables = tables if tables is not None else st.dfe_tables(journeys)
    got = headline_figures(tables, journeys)
    rows: list[tuple[str, int | None, float, float, str]] = []
    for measure, year, value, _source in calibration():
        if (measure, year) in got:
            rows.append((measure, year, got[(measure, year)], value * scale, "count"))
    if "adoption_scorecard" in tables:
        for r in tables["adoption_scorecard"].to_pylist():
            if r["time_period"] == 2018 and r["a1_3yr_mean_days"] is not None:
                rows.append(
                    (
                        "A1 entry to placed for adoption, mean days, 3 years to 2018",
                        2018,
                        float(r["a1_3yr_mean_days"]),
                        486.0,
                        "days",
                    )
                )
    if "cin_in_year" in tables:
        for r in tables["cin_in_year"].to_pylist():
            if r["time_period"] == 2024 and r["measure"] == "re-referrals within 12 months":
                rows.append(
                    (
                        "re-referrals within 12 months",
                        2024,
                        (r["percentage"] or 0) / 100,
                        0.22,
                        "share",
                    )
                )
    return pa.table(
        {
            "measure": pa.array([r[0] for r in rows], pa.string()),
            "year": pa.array([r[1] for r in rows], pa.int32()),
            "carevis": pa.array([r[2] for r in rows], pa.float64()),
            "published": pa.array([r[3] for r in rows], pa.float64()),
            "kind": pa.array([r[4] for r in rows], pa.string()),
        }
    )


def format_compare(table: pa.Table) -> str:
    lines = [f"{'measure':<58} {'year':>5} {'carevis':>10} {'published':>10} {'diff':>8}"]
    for r in table.to_pylist():
        m = f"{r['measure'][:58]:<58} {r['year'] or '':>5}"
        if r["kind"] == "share":
            lines.append(
                f"{m} {100 * r['carevis']:>9.1f}% {100 * r['published']:>9.1f}% "
                f"{100 * (r['carevis'] - r['published']):>+6.1f}pt"
            )
        else:
            d = (r["carevis"] - r["published"]) / r["published"] * 100 if r["published"] else 0.0
            lines.append(f"{m} {r['carevis']:>10,.0f} {r['published']:>10,.0f} {d:>+7.1f}%")
    return "\n".join(lines)


def format_table(name: str, table: pa.Table) -> str:
    """A table as aligned text (for ``--dfe`` without ``-o``)."""
    cols = table.column_names
    cells = [
        [("" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)) for v in r.values()]
        for r in table.to_pylist()
    ]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(cols)]
    lines = [name, "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def _file_scale(path: str | None, journeys: Journeys) -> tuple[float, str]:
    """The scale of a synthetic England file, from its metadata (1.0 for real data)."""
    from . import synthetic

    scale = synthetic.scale_of(journeys.to_arrow().schema)
    if scale is None and path is not None and Path(path).is_file():
        import pyarrow.parquet as pq

        try:
            schema = (
                pq.read_schema(path)
                if Path(path).suffix.lower() in (".parquet", ".pq")
                else pa.ipc.open_file(path).schema
            )
            scale = synthetic.scale_of(schema)
        except (OSError, pa.ArrowException):
            scale = None
    if scale is None:
        return 1.0, "no synthetic scale in the file's metadata: published figures unscaled"
    return scale, f"synthetic England at scale {scale:g} (from the file's metadata)"


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
        "--dfe",
        action="store_true",
        help="the DfE-shaped national tables (children looked after, children in need)",
    )
    p.add_argument(
        "--compare", action="store_true", help="print measures beside the published England figures"
    )
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.input is None and args.synthetic is None:
        p.error("give INPUT or --synthetic SCALE")
    if args.out is None and not (args.compare or args.dfe):
        p.error("give -o DIR (or --compare, or --dfe to print the DfE tables)")
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
    dfe = st.dfe_tables(journeys) if (args.dfe or args.compare) else None
    if args.compare:
        if args.synthetic is not None:
            scale, why = args.synthetic, f"synthetic England at scale {args.synthetic:g}"
        else:
            scale, why = _file_scale(args.input, journeys)
        print(f"published figures x {scale:g}: {why}", file=sys.stderr)
        print(format_compare(compare(journeys, scale, dfe)))
    if args.dfe and dfe is not None:
        dfe = {k: suppress(v, args.suppress_below) for k, v in dfe.items()}
        if args.out is None:
            if not args.compare:
                print("\n\n".join(format_table(k, v) for k, v in dfe.items()))
            return 0
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, t in dfe.items():
            write_table(t, out, name, args.suppress_below)
        print(
            f"wrote {len(dfe)} DfE tables to {out}/ [{time.perf_counter() - t0:.1f} s]",
            file=sys.stderr,
        )
        return 0
    if args.out is None:
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    raw = all_tables(journeys, args.freq, args.by, args.age)
    tables = {k: suppress(v, args.suppress_below) for k, v in raw.items()}
    print(f"computed {len(tables)} tables [{time.perf_counter() - t1:.1f} s]", file=sys.stderr)
    for name, t in tables.items():
        write_table(t, out, name, args.suppress_below)
    if not args.no_plots:
        plot_occupancy(tables["occupancy"], out / "occupancy.png")
        plot_transitions(raw["transitions"], out / "transitions.png", args.suppress_below)
        plot_time_in_state(
            tables["time_in_state_curves"], tables["time_in_state"], out / "time_in_state.png"
        )
    print(f"wrote {out}/ [{time.perf_counter() - t0:.1f} s]", file=sys.stderr)
    return 0
