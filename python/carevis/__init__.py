"""carevis: children's journeys through children's social care as animated dots.

>>> import carevis
>>> journeys = carevis.read("journeys.parquet")          # or Journeys.from_arrow(table)
>>> scene = carevis.Scene(journeys, colour="time_in_care")
>>> frame = scene.frame("2024-03-31")                     # x, y, rgba, state per dot
"""

from __future__ import annotations

from typing import Any

from . import errors
from ._version import __version__ as __version__
from .errors import CarevisError, ConfigError, DataError, ExportError, SchemaError
from .io import read_table
from .journeys import Journeys, read
from .scene import Frame, Legend, Scene

__all__ = [
    "CarevisError",
    "ConfigError",
    "DataError",
    "ExportError",
    "Frame",
    "Journeys",
    "Legend",
    "Scene",
    "SchemaError",
    "errors",
    "read",
    "read_table",
]


def __getattr__(name: str) -> Any:
    # Heavy or optional parts load on first use: `import carevis` never imports VisPy.
    import importlib

    if name in (
        "synthetic",
        "export",
        "stats",
        "ingest",
        "render",
        "notebook",
        "congestion",
        "project",
    ):
        return importlib.import_module(f".{name}", __name__)
    if name == "view":
        from .window import view

        return view
    if name in ("read_ssda903", "read_cin_census"):
        mod = importlib.import_module(".ingest", __name__)
        return getattr(mod, name)
    raise AttributeError(f"module 'carevis' has no attribute {name!r}")
