"""Backtests of a projection: cut the journeys at a 31 March (what was known then), let a
projection run on that history alone, and compare what it says with what the data goes
on to show: children looked after at each later 31 March by placement group, and
children starting and ceasing to be looked after in each year to 31 March.

A projection is any function ``(history, as_of, years) -> Journeys | Figures``: one that
returns journeys (history plus a projected continuation) is measured with the same DfE
counts as the data (:func:`figures`); a stock-and-flow model that only has totals
returns :class:`Figures` itself. With ``known_arrivals=True`` a projection that has an
``arrivals`` parameter is given the whole journeys as it, to take the children who arrived
after the date as they did (``carevis.project.project(..., arrivals=...)``): a diagnostic
that separates the journey model's error from the arrivals forecast's.

>>> table = backtest(journeys, {"model": my_projection}, as_of="2019-03-31", years=3)
>>> print(format_backtest(table))
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError
from ..journeys import Journeys
from .base import Roles
from .dfe import TOTAL, cla_at_31_march, cla_flows

STOCK, STARTED, CEASED = "looked after at 31 March", "started", "ceased"


@dataclass(frozen=True)
class Figures:
    """What a backtest compares, for each year Y of ``years``: children looked after at
    the end of 31 March Y by placement group (``stock``: years x groups), and children
    who started / ceased to be looked after in the year to 31 March Y (``started``,
    ``ceased``: one count per year)."""

    years: tuple[int, ...]
    groups: tuple[str, ...]
    stock: np.ndarray
    started: np.ndarray
    ceased: np.ndarray


Projection = Callable[[Journeys, dt.date, int], "Journeys | Figures"]


def as_of_date(as_of: dt.date | str) -> dt.date:
    """``as_of`` as a date; it must be a 31 March (the backtest compares statistical
    years)."""
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError as e:
            raise ConfigError(f"as_of {as_of!r} is not YYYY-MM-DD") from e
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, dt.date) or (as_of.month, as_of.day) != (3, 31):
        raise ConfigError(f"as_of must be a 31 March, not {as_of!r}")
    return as_of


def _bound(column: pa.ChunkedArray, day: dt.date) -> pa.Scalar:
    """Midnight starting ``day`` in the type of a start/end column."""
    midnight = dt.datetime(day.year, day.month, day.day)
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        midnight = midnight.replace(tzinfo=dt.timezone.utc)
    return pa.scalar(midnight).cast(column.type)


def censor(journeys: Journeys, as_of: dt.date | str) -> Journeys:
    """The journeys as known at the end of ``as_of`` (a 31 March): the spells begun by
    then, those not ended by then left open. Children looked after at that 31 March are
    the same in both (in care at the end of the day)."""
    day = as_of_date(as_of) + dt.timedelta(days=1)
    opts = journeys.options
    start, end = opts.get("start", "start"), opts.get("end", "end")
    table = journeys.to_arrow()
    table = table.filter(pc.less(table.column(start), _bound(table.column(start), day)))
    col = table.column(end)
    later = pc.fill_null(pc.greater_equal(col, _bound(col, day)), False)
    table = table.set_column(
        table.column_names.index(end), end, pc.if_else(later, pa.scalar(None, col.type), col)
    )
    censored = Journeys.from_arrow(
        table,
        on_error=opts.get("on_error", "raise"),
        states=journeys.states,
        child_id=opts.get("child_id", "child_id"),
        state=opts.get("state", "state"),
        start=start,
        end=end,
        source=journeys.source,
    )
    censored.synthetic = journeys.synthetic
    return censored


def _total(table: pa.Table, years: Sequence[int]) -> np.ndarray:
    got = {r["time_period"]: r["number"] for r in table.to_pylist() if r["breakdown"] == TOTAL}
    return np.array([got.get(y, 0) for y in years], dtype=np.float64)


def figures(
    journeys: Journeys,
    years: Sequence[int],
    roles: Roles | None = None,
    groups: Sequence[str] | None = None,
) -> Figures:
    """The backtest's figures of ``journeys`` (DfE counting: :func:`cla_at_31_march`,
    :func:`cla_flows`). ``groups`` defaults to the care states in the journeys' order."""
    roles = roles or Roles.standard()
    years = [int(y) for y in years]
    if groups is None:
        groups = [s for s in journeys.states if s in roles.care]
    stock = np.zeros((len(years), len(groups)), dtype=np.float64)
    where = {g: k for k, g in enumerate(groups)}
    at = {y: k for k, y in enumerate(years)}
    for r in cla_at_31_march(journeys, years, roles).to_pylist():
        if r["breakdown"] == "placement_group" and r["category"] in where:
            stock[at[r["time_period"]], where[r["category"]]] = r["number"]
    started, ceased = cla_flows(journeys, years, roles)
    return Figures(
        tuple(years), tuple(groups), stock, _total(started, years), _total(ceased, years)
    )


def _rows(fig: Figures) -> dict[tuple[int, str, str], float]:
    out: dict[tuple[int, str, str], float] = {}
    for k, y in enumerate(fig.years):
        for g, name in enumerate(fig.groups):
            out[(y, STOCK, name)] = float(fig.stock[k, g])
        out[(y, STOCK, TOTAL)] = float(fig.stock[k].sum())
        out[(y, STARTED, TOTAL)] = float(fig.started[k])
        out[(y, CEASED, TOTAL)] = float(fig.ceased[k])
    return out


def compare(actual: Figures, projected: Mapping[str, Figures]) -> pa.Table:
    """One row per (year, measure, group, model): actual, projected and the absolute
    error in per cent of actual (null where actual is 0)."""
    want = _rows(actual)
    rows: list[tuple[int, str, str, str, float, float, float | None]] = []
    for model, fig in projected.items():
        got = _rows(fig)
        for key, a in want.items():
            p = got.get(key, 0.0)
            err = abs(p - a) / a * 100.0 if a else None
            rows.append((*key, model, a, p, err))
    names = ("year", "measure", "group", "model", "actual", "projected", "abs_error_pct")
    types = (pa.int32(), pa.string(), pa.string(), pa.string()) + (pa.float64(),) * 3
    return pa.table(
        {
            n: pa.array([r[i] for r in rows], t)
            for i, (n, t) in enumerate(zip(names, types, strict=True))
        }
    )


def takes_arrivals(model: Callable[..., object]) -> bool:
    """Whether a projection has an ``arrivals`` parameter (for ``known_arrivals``)."""
    try:
        return "arrivals" in inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False


def backtest(
    journeys: Journeys,
    models: Mapping[str, Projection],
    as_of: dt.date | str = "2019-03-31",
    years: int = 3,
    roles: Roles | None = None,
    *,
    known_arrivals: bool = False,
) -> pa.Table:
    """Runs each projection on the history to ``as_of`` and compares it with the data at
    each of the ``years`` 31 Marches after (see :func:`compare`). The data must reach the
    last of them. ``known_arrivals``: each projection with an ``arrivals`` parameter is
    called with ``arrivals=journeys`` (all the data, to take the arrivals after ``as_of``
    from); the others run as they would without."""
    day = as_of_date(as_of)
    if years < 1:
        raise ConfigError(f"years must be at least 1, not {years}")
    span = [day.year + k for k in range(1, years + 1)]
    rng = journeys.minute_range
    if rng is None or dt.date(1970, 1, 1) + dt.timedelta(minutes=rng[1]) < dt.date(span[-1], 3, 31):
        raise ConfigError(f"the data end before 31 March {span[-1]}: nothing to compare with")
    roles = roles or Roles.standard()
    actual = figures(journeys, span, roles)
    history = censor(journeys, day)
    out: dict[str, Figures] = {}
    for name, model in models.items():
        if known_arrivals and takes_arrivals(model):
            got = model(history, day, years, arrivals=journeys)  # type: ignore[call-arg]
        else:
            got = model(history, day, years)
        out[name] = got if isinstance(got, Figures) else figures(got, span, roles, actual.groups)
    return compare(actual, out)


def format_backtest(table: pa.Table) -> str:
    """The comparison side by side: per year, measure and group, the actual figure, then
    each model's figure and absolute % error."""
    models = list(dict.fromkeys(table.column("model").to_pylist()))
    cells: dict[tuple[int, str, str], dict[str, tuple[float, float, float | None]]] = {}
    for r in table.to_pylist():
        key = (r["year"], r["measure"], r["group"])
        cells.setdefault(key, {})[r["model"]] = (r["actual"], r["projected"], r["abs_error_pct"])
    head = f"{'year':>4} {'measure':<25} {'group':<30} {'actual':>9}"
    head += "".join(f" {m[:12]:>12} {'|err|%':>7}" for m in models)
    lines = [head]
    for (year, measure, group), by in cells.items():
        first = next(iter(by.values()))
        line = f"{year:>4} {measure[:25]:<25} {group[:30]:<30} {first[0]:>9,.0f}"
        for m in models:
            _, p, e = by.get(m, (0.0, float("nan"), None))
            line += f" {p:>12,.0f} {'-' if e is None else f'{e:.1f}':>7}"
        lines.append(line)
    return "\n".join(lines)


def worst(table: pa.Table, measure: str = STOCK) -> dict[str, float]:
    """Each model's largest absolute % error over the years and groups of ``measure``
    (the total row included)."""
    out: dict[str, float] = {}
    for r in table.to_pylist():
        if r["measure"] == measure and r["abs_error_pct"] is not None:
            out[r["model"]] = max(out.get(r["model"], 0.0), r["abs_error_pct"])
    return out
