"""Vectorised date parsing for return files: dd/mm/yyyy, ISO, and two-digit years.

Real files mix `dd/mm/yyyy` (the DfE format), ISO `yyyy-mm-dd` (merged files,
often with a time part), and now and then `dd/mm/yy`. Parsing runs on the raw
Arrow string buffers with numpy (no per-row Python); only strings of unusual
shape go through a regular expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import dict_indices

__all__ = [
    "NULL_DAY",
    "ParsedDates",
    "arrow_to_days",
    "civil_from_days",
    "collection_year",
    "days_from_civil",
    "days_to_arrow",
    "format_ddmmyyyy",
    "parse_dates",
    "year_end_day",
    "year_start_day",
]

#: Sentinel day number for "no date" in int32 day arrays.
NULL_DAY = np.iinfo(np.int32).max

_SLASH = ord("/")
_DASH = ord("-")
_ZERO = ord("0")
_PIVOT = 69  # two-digit years <= 69 are 20yy, others 19yy


@dataclass
class ParsedDates:
    """Days since 1970-01-01 (NULL_DAY where null), and masks of what happened."""

    days: np.ndarray  # int32
    blank: np.ndarray  # bool: null or empty string
    invalid: np.ndarray  # bool: present but not a valid date
    two_digit_year: np.ndarray  # bool: parsed from dd/mm/yy (a repair)

    def to_arrow(self) -> pa.Array:
        mask = self.days == NULL_DAY
        return pa.array(self.days, type=pa.int32(), mask=mask).cast(pa.date32())


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y.astype(np.int64) - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m.astype(np.int64) + 9) % 12
    doy = (153 * mp + 2) // 5 + d.astype(np.int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.asarray(era * 146097 + doe - 719468, dtype=np.int64)


def civil_from_days(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of day numbers since 1970-01-01."""
    z = z.astype(np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    return y + (m <= 2), m, d


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31], dtype=np.int64)
    out = dim[np.clip(m - 1, 0, 12)]
    return np.asarray(out + ((m == 2) & leap), dtype=np.int64)


def _combine(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1900) & (y <= 2100)
    ok &= d <= _days_in_month(y, m)
    days = np.where(ok, days_from_civil(y, np.clip(m, 1, 12), np.clip(d, 1, 31)), NULL_DAY)
    return days.astype(np.int32), ok


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets int64[n+1], data uint8, valid bool[n]) of a string array."""
    if arr.type == pa.large_string():
        arr = arr.cast(pa.string())
    n = len(arr)
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1 + arr.offset)[arr.offset :]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return off.astype(np.int64), data, valid


def _digits(chars: np.ndarray, cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
    sub = chars[:, cols].astype(np.int64) - _ZERO
    ok = np.all((sub >= 0) & (sub <= 9), axis=1)
    val = np.zeros(len(chars), dtype=np.int64)
    for k in range(len(cols)):
        val = val * 10 + sub[:, k]
    return val, ok


_SLOW_RE = (
    r"^\s*(?:(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
    r"|(?P<Y>\d{4})-(?P<M>\d{1,2})-(?P<D>\d{1,2}))(?:[T ][0-9:.]*)?\s*$"
)


def parse_dates(col: pa.Array | pa.ChunkedArray) -> ParsedDates:
    """Parse a string column of dates as written in return files."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type):  # parse the distinct values only
        pdict = parse_dates(col.dictionary)
        idx = dict_indices(col)
        k = np.where(idx >= 0, idx, len(pdict.days))
        return ParsedDates(
            np.r_[pdict.days, NULL_DAY].astype(np.int32)[k],
            np.r_[pdict.blank, True][k],
            np.r_[pdict.invalid, False][k],
            np.r_[pdict.two_digit_year, False][k],
        )
    if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
        d32 = col.cast(pa.date32())
        days = d32.cast(pa.int32()).fill_null(NULL_DAY).to_numpy(zero_copy_only=False)
        blank = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        n = len(col)
        return ParsedDates(days.astype(np.int32), blank, np.zeros(n, bool), np.zeros(n, bool))
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = col.cast(pa.string())
    n = len(col)
    off, data, valid = _string_buffers(col)
    lens = np.diff(off)
    blank = ~valid | (lens == 0)
    days = np.full(n, NULL_DAY, dtype=np.int32)
    done = blank.copy()
    two = np.zeros(n, dtype=bool)
    _parse_ten(off, data, np.flatnonzero(valid & (lens >= 10)), lens, days, done)
    rest = np.flatnonzero(~done)
    invalid = np.zeros(n, dtype=bool)
    if len(rest):
        _parse_slow(col, rest, days, invalid, two)
    return ParsedDates(days, blank, invalid, two)


def _parse_ten(
    off: np.ndarray,
    data: np.ndarray,
    ten: np.ndarray,
    lens: np.ndarray,
    days: np.ndarray,
    done: np.ndarray,
) -> None:
    """Fast path: ten-character dd/mm/yyyy and yyyy-mm-dd, straight off the buffer, into
    ``days`` and ``done`` (rows ``ten``)."""
    if not len(ten):
        return
    idx = off[ten, None] + np.arange(10)[None, :]
    chars = data[idx]
    # dd/mm/yyyy, exactly ten characters
    s = (lens[ten] == 10) & (chars[:, 2] == _SLASH) & (chars[:, 5] == _SLASH)
    if s.any():
        rows = ten[s]
        c = chars[s]
        d, ok1 = _digits(c, [0, 1])
        m, ok2 = _digits(c, [3, 4])
        y, ok3 = _digits(c, [6, 7, 8, 9])
        dd, ok = _combine(y, m, d)
        ok &= ok1 & ok2 & ok3
        days[rows] = np.where(ok, dd, NULL_DAY)
        done[rows[ok]] = True
    # yyyy-mm-dd, maybe followed by a time
    iso = (chars[:, 4] == _DASH) & (chars[:, 7] == _DASH)
    iso &= (lens[ten] == 10) | np.isin(
        data[np.minimum(off[ten] + 10, len(data) - 1)], [ord("T"), ord(" ")]
    )
    if iso.any():
        rows = ten[iso]
        c = chars[iso]
        y, ok1 = _digits(c, [0, 1, 2, 3])
        m, ok2 = _digits(c, [5, 6])
        d, ok3 = _digits(c, [8, 9])
        dd, ok = _combine(y, m, d)
        ok &= ok1 & ok2 & ok3
        days[rows] = np.where(ok, dd, NULL_DAY)
        done[rows[ok]] = True


def _parse_slow(
    col: pa.Array, rest: np.ndarray, days: np.ndarray, invalid: np.ndarray, two: np.ndarray
) -> None:
    """Every other spelling (d/m/yy, one-digit days, times) by a regular expression, into
    ``days``, ``invalid`` and ``two`` (rows ``rest``)."""
    sub = col.take(pa.array(rest))
    ex = pc.extract_regex(sub, _SLOW_RE)
    matched = np.asarray(ex.is_valid().to_numpy(zero_copy_only=False), dtype=bool)

    def field(name: str) -> np.ndarray:
        f = pc.struct_field(ex, name)
        f = pc.if_else(pc.equal(f, ""), None, f)
        return np.asarray(f.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False))

    d, m, y = field("d"), field("m"), field("y")
    d2, m2, y2 = field("D"), field("M"), field("Y")
    ylen = np.asarray(
        pc.utf8_length(pc.struct_field(ex, "y")).fill_null(0).to_numpy(zero_copy_only=False)
    )
    is_two = matched & (y >= 0) & (ylen == 2)
    y = np.where(is_two, np.where(y <= _PIVOT, 2000 + y, 1900 + y), y)
    dmy = y >= 0
    yy = np.where(dmy, y, y2)
    mm = np.where(dmy, m, m2)
    ddd = np.where(dmy, d, d2)
    dd, ok = _combine(yy, mm, ddd)
    ok &= matched
    days[rest] = np.where(ok, dd, NULL_DAY)
    invalid[rest] = ~ok
    two[rest] = ok & is_two


def days_to_arrow(days: np.ndarray) -> pa.Array:
    """int32 day numbers (NULL_DAY = null) as a date32 array."""
    days = np.asarray(days, dtype=np.int32)
    return pa.array(days, type=pa.int32(), mask=days == NULL_DAY).cast(pa.date32())


def arrow_to_days(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """date32 array as int32 day numbers with NULL_DAY for nulls."""
    out = pc.cast(arr, pa.int32()).fill_null(NULL_DAY)
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=np.int32)


def format_ddmmyyyy(days: np.ndarray) -> np.ndarray:
    """Day numbers as dd/mm/yyyy strings ('' for NULL_DAY), vectorised."""
    days = np.asarray(days, dtype=np.int64)
    null = days == NULL_DAY
    y, m, d = civil_from_days(np.where(null, 0, days))
    out = np.empty((len(days), 10), dtype=np.uint8)
    out[:, 0] = d // 10 + _ZERO
    out[:, 1] = d % 10 + _ZERO
    out[:, 2] = _SLASH
    out[:, 3] = m // 10 + _ZERO
    out[:, 4] = m % 10 + _ZERO
    out[:, 5] = _SLASH
    for k, p in enumerate((1000, 100, 10, 1)):
        out[:, 6 + k] = (y // p) % 10 + _ZERO
    s = out.view("S10").ravel().astype(str)
    s[null] = ""
    return s


def collection_year(days: np.ndarray) -> np.ndarray:
    """Collection year (the March it ends in) of each day number."""
    y, m, _ = civil_from_days(np.asarray(days, dtype=np.int64))
    return np.asarray(y + (m >= 4), dtype=np.int64)


def year_start_day(year: int) -> int:
    """Day number of 1 April opening a collection year (the March it ends in)."""
    return int(days_from_civil(np.array([year - 1]), np.array([4]), np.array([1]))[0])


def year_end_day(year: int) -> int:
    """Day number of 31 March of a collection year."""
    return int(days_from_civil(np.array([year]), np.array([3]), np.array([31]))[0])
