"""Checks of option values, shared by the one validation place of each settings object
(``Scene``'s options, ``RenderSettings``, ``OverlayStyle``, the export options): each
refuses a bad value with a :class:`ConfigError` naming the option, what it must be and the
value given (shortened), before any work starts."""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import ConfigError

#: Longest title, caption or label text accepted (characters).
MAX_TEXT = 1000


def show(value: Any) -> str:
    """A value for a message: its repr, shortened."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text):,} characters)"


def _bad(name: str, must: str, value: Any) -> ConfigError:
    return ConfigError(f"{name} must be {must}, not {show(value)}")


def number(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
) -> float:
    """A finite real number within [lo, hi] (or (lo, hi] with ``lo_open``)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
    v = float(value) if ok else math.nan
    if ok and math.isfinite(v):
        below = lo is not None and (v <= lo if lo_open else v < lo)
        above = hi is not None and v > hi
        if not (below or above):
            return v
    lo_text = "" if lo is None else f"{'>' if lo_open else '>='} {lo:g}"
    hi_text = "" if hi is None else f"<= {hi:g}"
    bounds = " and ".join(t for t in (lo_text, hi_text) if t)
    raise _bad(name, f"a finite number{' ' + bounds if bounds else ''}", value)


def whole(name: str, value: Any, lo: int, hi: int) -> int:
    """A whole number (not a bool) within [lo, hi]."""
    if (
        isinstance(value, (int, np.integer))
        and not isinstance(value, (bool, np.bool_))
        and lo <= int(value) <= hi
    ):
        return int(value)
    raise _bad(name, f"a whole number from {lo:,} to {hi:,}", value)


def text(name: str, value: Any, *, optional: bool = True, longest: int = MAX_TEXT) -> str | None:
    """A one-line string of at most ``longest`` characters, without control characters
    or lone surrogates, which the text layout cannot draw (or None when optional)."""
    if value is None and optional:
        return None
    if (
        isinstance(value, str)
        and len(value) <= longest
        and not any(unicodedata.category(c) in ("Cc", "Cs") for c in value)
    ):
        return value
    raise _bad(
        name, f"a one-line text of at most {longest:,} characters, no control characters", value
    )


def choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    if isinstance(value, str) and value in allowed:
        return value
    raise _bad(name, "one of " + ", ".join(repr(a) for a in allowed), value)


def rgb(name: str, value: Any, channels: tuple[int, ...] = (3, 4)) -> tuple[int, ...]:
    """A colour: a sequence of 3 or 4 whole numbers 0..255."""
    try:
        items = list(value)
    except TypeError:
        items = []
    if len(items) in channels and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) and 0 <= c <= 255
        for c in items
    ):
        return tuple(int(c) for c in items)
    want = " or ".join(str(n) for n in channels)
    raise _bad(name, f"{want} whole numbers from 0 to 255", value)


def pair(name: str, value: Any, lo: float, hi: float) -> tuple[float, float]:
    """Two finite numbers within [lo, hi]."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise _bad(name, "a pair of numbers", value) from None
    return number(f"{name}[0]", a, lo, hi), number(f"{name}[1]", b, lo, hi)


def flag(name: str, value: Any, *, optional: bool = False) -> bool | None:
    if value is None and optional:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise _bad(name, "True or False" + (" or None" if optional else ""), value)


def suggest(value: Any, valid: Sequence[str]) -> str:
    """``"did you mean 'x'?"`` for the valid name closest to a mistyped one (difflib,
    case ignored), or ``""`` when none is close."""
    if not isinstance(value, str) or len(value) > 200:
        return ""
    lower = {v.lower(): v for v in valid}
    close = difflib.get_close_matches(value.lower(), list(lower), n=1, cutoff=0.6)
    return f"did you mean {lower[close[0]]!r}?" if close else ""


def name(what: str, value: Any, valid: Sequence[str], *, more: str = "") -> str:
    """``value`` if it is one of the ``valid`` names; else a :class:`ConfigError` naming
    the ``what``, the closest valid name and all of them (``more``: other forms allowed)."""
    if isinstance(value, str) and value in valid:
        return value
    raise unknown(what, value, valid, more=more)


def unknown(
    what: str,
    value: Any,
    valid: Sequence[str],
    *,
    more: str = "",
    error: type[ConfigError] = ConfigError,
) -> ConfigError:
    """The error of a mistyped name: ``unknown colour 'sx'; did you mean 'sex'? (valid:
    ...)`` (``error``: a subclass of ConfigError to raise instead)."""
    listed = ", ".join(repr(v) for v in valid) or "none"
    hint = suggest(value, valid)
    return error(
        f"unknown {what} {show(value)}{'; ' + hint if hint else ''} (valid: {listed}{more})"
    )
