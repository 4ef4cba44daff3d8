"""A synthetic England: realistic journeys of children through children's social care,
calibrated to the published national figures (``reference/england-figures.md``).

The generator runs in the Rust core, in parallel, seeded and deterministic for any thread
count. Scale 1.0 is all of England (about 4.3 million children and 27 million spells over
ten years); smaller scales are for tests and demos.

>>> j = carevis.synthetic.england(scale=0.01, seed=1)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from . import _native
from .errors import ConfigError
from .journeys import Journeys, mark_synthetic

EPOCH = dt.date(1970, 1, 1)
DEFAULT_START = dt.date(2015, 4, 1)
DEFAULT_END = dt.date(2025, 3, 31)


@dataclass(frozen=True)
class Council:
    code: str
    name: str
    child_population: int


def _day(d: dt.date | str) -> int:
    if isinstance(d, str):
        try:
            d = dt.date.fromisoformat(d)
        except ValueError as e:
            raise ConfigError(f"date {d!r} is not YYYY-MM-DD") from e
    if isinstance(d, dt.datetime):
        d = d.date()
    return (d - EPOCH).days


def _generate(
    scale: float, start: dt.date | str, end: dt.date | str, seed: int, check: bool
) -> tuple[pa.Table, list[Council], pa.Table | None]:
    if not isinstance(scale, (int, float)) or not 0 < scale <= 50:
        raise ConfigError(f"scale must be a number in (0, 50], not {scale!r}")
    if seed < 0:
        raise ConfigError(f"seed must be >= 0, not {seed}")
    table, councils, rows = _native.synth_england(
        float(scale), _day(start), _day(end), int(seed), check
    )
    checked = None
    if rows is not None:
        checked = pa.table(
            {
                "measure": [r[0] for r in rows],
                "year": pa.array([r[1] for r in rows], pa.int32()),
                "generated": [r[2] for r in rows],
                "published": [r[3] for r in rows],
                "kind": [r[4] for r in rows],
            }
        )
    return mark_synthetic(table), [Council(*c) for c in councils], checked


#: Schema metadata keys of a synthetic England table (kept in its Parquet / Arrow files),
#: so that statistics compare it with the published figures at its own scale.
SCALE_KEY = b"carevis.synthetic.scale"
SEED_KEY = b"carevis.synthetic.seed"
WINDOW_KEY = b"carevis.synthetic.window"


def scale_of(schema: pa.Schema) -> float | None:
    """The scale a synthetic England table was generated at (from its schema metadata),
    or None for any other table."""
    meta = schema.metadata or {}
    if SCALE_KEY not in meta:
        return None
    try:
        scale = float(meta[SCALE_KEY])
    except ValueError:
        return None
    return scale if 0 < scale <= 50 else None


def england_table(
    scale: float = 1.0,
    start: dt.date | str = DEFAULT_START,
    end: dt.date | str = DEFAULT_END,
    seed: int = 0,
) -> pa.Table:
    """The synthetic England as a canonical journey table (one row per spell); its schema
    metadata records the scale, seed and window (see :func:`scale_of`)."""
    table = _generate(scale, start, end, seed, False)[0]
    meta = dict(table.schema.metadata or {})
    meta[SCALE_KEY] = repr(float(scale)).encode()
    meta[SEED_KEY] = str(int(seed)).encode()
    meta[WINDOW_KEY] = f"{start}/{end}".encode()
    return table.replace_schema_metadata(meta)


def england(
    scale: float = 1.0,
    start: dt.date | str = DEFAULT_START,
    end: dt.date | str = DEFAULT_END,
    seed: int = 0,
) -> Journeys:
    """The synthetic England as indexed :class:`Journeys`."""
    return Journeys.from_arrow(england_table(scale, start, end, seed), source="synthetic England")


def councils(scale: float = 1.0) -> list[Council]:
    """The 153 invented councils with their child populations at ``scale``."""
    return _generate(min(scale, 1e-4), DEFAULT_START, dt.date(2015, 4, 2), 0, False)[1]


def check(
    scale: float = 1.0,
    start: dt.date | str = DEFAULT_START,
    end: dt.date | str = DEFAULT_END,
    seed: int = 0,
) -> pa.Table:
    """Generates England and measures it against the published figures: a table of
    measure, year, generated, published, kind ("count" or "share") and difference
    (relative for counts, percentage points for shares)."""
    checked = _generate(scale, start, end, seed, True)[2]
    assert checked is not None
    gen = checked.column("generated").to_numpy()
    pub = checked.column("published").to_numpy()
    share = [k == "share" for k in checked.column("kind").to_pylist()]
    diff = [
        (g - p) * 100 if s else ((g - p) / p * 100 if p else 0.0)
        for g, p, s in zip(gen, pub, share, strict=False)
    ]
    return checked.append_column("difference", pa.array(diff, pa.float64()))


def format_check(table: pa.Table) -> str:
    """The check table side by side, as text."""
    lines = [f"{'measure':<58} {'year':>5} {'generated':>12} {'published':>12} {'difference':>11}"]
    for r in table.to_pylist():
        share = r["kind"] == "share"
        g = f"{100 * r['generated']:.1f}%" if share else f"{r['generated']:,.0f}"
        p = f"{100 * r['published']:.1f}%" if share else f"{r['published']:,.0f}"
        d = f"{r['difference']:+.1f} pts" if share else f"{r['difference']:+.1f}%"
        year = "" if r["year"] is None else str(r["year"])
        lines.append(f"{r['measure'][:58]:<58} {year:>5} {g:>12} {p:>12} {d:>11}")
    return "\n".join(lines)
