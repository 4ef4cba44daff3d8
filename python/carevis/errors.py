"""The carevis exception hierarchy.

Every error carevis raises on purpose is a :class:`CarevisError`. Errors about
the user's data say where: the file (when there is one), the row, the column
and the offending value.

The classes are created by the Rust extension (so errors raised in the core and
in Python are the same classes) and re-exported here; each one's ``__module__``
is ``carevis.errors``, so they pickle by name:

- ``CarevisError(Exception)``: base class of every error carevis raises.
- ``SchemaError(CarevisError)``: a column is missing or has a type carevis cannot use.
- ``DataError(CarevisError)``: a value in the data breaks a rule.
- ``ExportError(CarevisError)``: an export cannot be written.
- ``ConfigError(CarevisError, ValueError)``: an option, layout or colour setting is invalid.
- ``UnknownColumnError(ConfigError, SchemaError)``: a per-child column asked for by name
  (a colour, a filter, an attribute) is not in the data; the message lists those that are
  and the closest. Defined here in Python: both a mistyped name and a missing column.
"""

from __future__ import annotations

from ._native import CarevisError, ConfigError, DataError, ExportError, SchemaError


class UnknownColumnError(ConfigError, SchemaError):
    """A column named by the caller that the data does not hold (a typo, most often)."""


__all__ = [
    "CarevisError",
    "ConfigError",
    "DataError",
    "ExportError",
    "SchemaError",
    "UnknownColumnError",
]
