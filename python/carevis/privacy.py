"""What identifies a child, in one place: column names, content, and how to ask for it.

Every part of carevis that could show a column's values (a colour legend, statistics
groups, reports, rejects files, error messages) asks here. A column identifies a child
when its name is one of :data:`IDENTIFYING` (compared ignoring case, spaces and
underscores) or, for per-child attributes, when it holds about one distinct value per
child (:func:`looks_identifying`). Such a column is refused unless the caller names it
with :func:`allow` (``Scene(j, colour=carevis.privacy.allow("person_id"))``).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError

__all__ = [
    "IDENTIFYING",
    "REDACTED",
    "AllowedName",
    "IdentifierWarning",
    "allow",
    "check_group",
    "is_identifying",
    "looks_identifying",
    "redacted",
    "safe_arrow_message",
    "warn_raw_ids",
]

#: Column names (normalised: lower case, no spaces, underscores or hyphens) whose values
#: identify a child: ids, dates of birth, postcodes, pupil numbers. SSDA903 / CIN names
#: (CHILD, DOB, MC_DOB, HOME_POST, PL_POST, UPN, FormerUPN, LAchildID, PersonBirthDate),
#: the canonical table's (child_id, birth_date, birth_month) and carevis's own
#: (source_child).
IDENTIFYING: frozenset[str] = frozenset(
    {
        "child",
        "childid",
        "lachildid",
        "sourcechild",
        "personid",
        "upn",
        "formerupn",
        "uln",
        "nhsnumber",
        "dob",
        "mcdob",
        "birthdate",
        "dateofbirth",
        "personbirthdate",
        "birthmonth",
        "postcode",
        "homepost",
        "plpost",
        "forename",
        "surname",
    }
)

#: What stands in for an identifying value in reports, rejects files and messages.
REDACTED = "<redacted>"

#: A per-child column with at least this many distinct values, and at least
#: :data:`UNIQUE_SHARE` as many as there are children, is taken to identify children.
MIN_DISTINCT = 10
UNIQUE_SHARE = 0.9

_NORM = re.compile(r"[\s_\-.]+")


class AllowedName(str):
    """A column name the caller has explicitly allowed to be shown although it identifies."""

    __slots__ = ()


def redacted(values: pa.Array) -> pa.DictionaryArray:
    """:data:`REDACTED` for each value, null where it was blank: coded against a dictionary
    of one entry (cast it to text only where it is written out)."""
    codes = np.zeros(len(values), dtype=np.int8)
    mask = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=mask), pa.array([REDACTED]))


def allow(name: str) -> AllowedName:
    """Mark a column name as explicitly allowed for colour, legend and statistics groups,
    although its values identify children (for work inside a secure setting)."""
    return AllowedName(name)


def _norm(name: str) -> str:
    return _NORM.sub("", name).lower()


def is_identifying(name: str) -> bool:
    """Whether a column name is one of the identifying names (any case or spelling of
    separators: ``LAchildID``, ``child_id``, ``PL_POST``, ``Person ID``...)."""
    return _norm(str(name)) in IDENTIFYING


def looks_identifying(values: pa.Array | pa.ChunkedArray, n_children: int | None = None) -> bool:
    """Whether a per-child column holds about one distinct value per child."""
    n = len(values) if n_children is None else n_children
    if n == 0:
        return False
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    distinct = pc.count_distinct(values, mode="only_valid").as_py()
    return bool(distinct >= MIN_DISTINCT and distinct >= UNIQUE_SHARE * n)


def check_group(name: str, values: pa.Array | pa.ChunkedArray | None, use: str) -> None:
    """Refuse (ConfigError) to show a column's values (``use``: "colour by", "group by")
    when it identifies children by name or by content, unless allowed by name."""
    if isinstance(name, AllowedName):
        return
    how = None
    if is_identifying(name):
        how = "its name says it holds ids, birth dates or postcodes"
    elif values is not None and looks_identifying(values):
        how = "it has about one distinct value per child"
    if how is not None:
        raise ConfigError(
            f"cannot {use} {name!r}: it would show an identifier ({how}); choose another "
            f"column, or pass carevis.privacy.allow({name!r}) to show its values anyway"
        )


_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #(\d+): )?CSV conversion error to ([^:]+): invalid value"
)
_RAGGED = re.compile(r"Expected (\d+) columns, got (\d+)")


def safe_arrow_message(message: str, names: list[str], shown: frozenset[str]) -> str:
    """pyarrow's CSV error without the row text or values it quotes (they may identify a
    child): which row and column, and the value only for a column in ``shown``."""
    first = message.splitlines()[0] if message else ""
    m = _CONVERSION.search(first)
    if m:
        i = int(m.group(1))
        name = names[i] if i < len(names) else f"#{i}"
        row = f"row {m.group(2)}, " if m.group(2) else ""
        out = f"{row}column {name!r}: a value cannot be read as {m.group(3)}"
        v = re.search(r"invalid value '(.*)'", first)
        if v and name in shown and not is_identifying(name):
            out += f" ({v.group(1)!r})"
        return out
    m = _RAGGED.search(first)
    if m:
        return f"a row has {m.group(2)} fields where the header has {m.group(1)}"
    # anything else: keep the words, drop quoted text and whatever follows a colon's data
    return re.sub(r"'[^']*'|\"[^\"]*\"", "'...'", first)[:200]


class IdentifierWarning(UserWarning):
    """Raw child identifiers are being kept where they might be written out."""


_warned: list[bool] = []


def warn_raw_ids() -> None:
    """Say, once per process, that an ingest keeps the councils' own child ids."""
    if _warned:
        return
    _warned.append(True)
    warnings.warn(
        "no hash_key given, so child_id holds the councils' own child ids (council-CHILD) "
        "and anything written from it carries them. Pass hash_key=<a long secret> "
        "(carevis ingest --hash-key-env VAR) to replace them with keyed hashes, or "
        "keep_ids=True to say you mean to keep them. (Said once.)",
        IdentifierWarning,
        stacklevel=3,
    )
