"""The carevis exception hierarchy.

Every error carevis raises on purpose is a :class:`CarevisError`. Errors about
the user's data say where: the file (when there is one), the row, the column
and the offending value.
"""

from __future__ import annotations

__all__ = [
    "CarevisError",
    "ConfigError",
    "DataError",
    "ExportError",
    "SchemaError",
]


class CarevisError(Exception):
    """Base class of every error carevis raises."""


class SchemaError(CarevisError):
    """A column is missing or has a type carevis cannot use."""


class DataError(CarevisError):
    """A value in the data breaks a rule (null id, end before start, overlap...)."""


class ConfigError(CarevisError, ValueError):
    """An option, layout or colour setting is invalid."""


class ExportError(CarevisError):
    """An export cannot be written (bad path, size, format or time range)."""
