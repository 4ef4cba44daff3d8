"""Publishing the statistics: small counts suppressed (and what is derived from them),
tables written as CSV and Parquet (atomically, never with identifying columns), the whole
set of tables, and the headline figures beside the published national figures of the
package's calibration table."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..atomic import atomic
from ..errors import ExportError
from ..journeys import Journeys
from ..privacy import is_identifying
from ..rules import Freq
from .care import adoption_scorecard, care_periods, re_entry, re_referrals, stability, time_to_exit
from .dfe import dfe_tables
from .flows import occupancy, time_in_state, transitions

#: Count columns suppressed below the threshold, and the columns derived from each.
COUNTS = (
    "occupancy",
    "occupancy_before",
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
    "occupancy": ("change_pct", "median_wait_days", "figure"),
    "occupancy_before": ("change_pct", "median_wait_before_days", "figure"),
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
    """Writes NAME.parquet and NAME.csv atomically (temp file, then rename). Suppressed
    counts stay empty numeric cells; the flag column says why."""
    bad = [c for c in table.column_names if is_identifying(c)]
    if bad:
        raise ExportError(f"table {name} would hold identifying columns {bad}")
    out = []
    for suffix in (".parquet", ".csv"):
        path = directory / f"{name}{suffix}"
        with atomic(path) as tmp:
            if suffix == ".parquet":
                pq.write_table(table, str(tmp))
            else:
                pacsv.write_csv(table, str(tmp))
        out.append(path)
    return out


# --- the whole set ------------------------------------------------------------------------------
def all_tables(
    journeys: Journeys, freq: Freq = "month", by: str | None = None, age: bool = False
) -> dict[str, pa.Table]:
    """Every statistics table, unsuppressed."""
    tables: dict[str, pa.Table] = {}
    tables["occupancy"] = occupancy(journeys, freq, by=by, age=age)
    tables["transitions"] = transitions(journeys, "year", by=by, age=age)
    summary, curves = time_in_state(journeys, by=by, age=age, curves=True)
    tables["time_in_state"] = summary
    tables["time_in_state_curves"] = curves
    cp = care_periods(journeys)
    tables["time_to_exit"] = time_to_exit(journeys, "year", periods=cp)
    tables["adoption_scorecard"] = adoption_scorecard(journeys, "year", periods=cp)
    tables["re_entry"] = re_entry(journeys, "year", periods=cp)
    tables["re_referrals"] = re_referrals(journeys, "year", by=by, age=age)
    tables["stability"] = stability(journeys, "year", by=by, age=age)
    return tables


def calibration() -> list[tuple[str, int, float, str]]:
    """The package's calibration table: (measure, year, published value, source)."""
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
            elif r["measure"] == "re-referrals within 12 months" and r["percentage"] is not None:
                out[(REREFERRAL_MEASURE, r["time_period"])] = r["percentage"] / 100
    for r in tables.get("adoption_scorecard", pa.table({})).to_pylist():
        if r["a1_3yr_mean_days"] is not None:
            out[(A1_MEASURE, r["time_period"])] = float(r["a1_3yr_mean_days"])
    if journeys is not None:
        stab = stability(journeys, "year")
        for p, m in zip(
            stab.column("period_start").to_pylist(), stab.column("moves").to_pylist(), strict=True
        ):
            if p.month == 4 and p.day == 1:
                out[("placement changes", p.year + 1)] = float(m)
    return out


#: Calibration measures read off the adoption scorecard and the in-year CIN table.
A1_MEASURE = "A1 entry to placed for adoption (mean days over 3 years)"
REREFERRAL_MEASURE = "re-referrals within 12 months (share of referrals)"


def measure_kind(measure: str) -> str:
    """How a calibration measure compares: a "count" (scaled with the file), or "days" or a
    "share" (not scaled)."""
    if "(share" in measure:
        return "share"
    if "days" in measure:
        return "days"
    return "count"


def compare(
    journeys: Journeys, scale: float, tables: dict[str, pa.Table] | None = None
) -> pa.Table:
    """Headline figures of the DfE-shaped tables beside every published figure of the
    calibration table that the data covers: counts multiplied by ``scale``, days and shares
    (the adoption scorecard's A1, the re-referral share) as published."""
    tables = tables if tables is not None else dfe_tables(journeys)
    got = headline_figures(tables, journeys)
    rows: list[tuple[str, int | None, float, float, str]] = []
    for measure, year, value, _source in calibration():
        if (measure, year) in got:
            kind = measure_kind(measure)
            published = value * scale if kind == "count" else value
            rows.append((measure, year, got[(measure, year)], published, kind))
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
