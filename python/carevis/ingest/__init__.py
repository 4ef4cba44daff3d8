"""Reading and writing SSDA903 and CIN census returns as carevis journeys.

``read_ssda903`` and ``read_cin_census`` turn return files into the canonical
journey table (one row per spell), with a :class:`ValidationReport` that
accounts for every row; ``read_journeys`` joins both into one journey per
child; ``write_ssda903`` / ``write_cin_census`` write a journey table back out
as councils submit it.

The package is organised by return, each a chain of named stages that import only
downward: shared stages at the bottom (``_dates``, ``_paths``, ``_xml``, ``rules``,
``report``, ``schema``, ``_rows``, ``_sort``, ``ids``, ``_years``), then the returns
(``ssda903/``, ``cin/``), then ``combined`` (both returns as one journey per child) and
``cli`` (the ``carevis ingest`` / ``carevis validate`` entry functions).
"""

from __future__ import annotations

from .cin import read_cin_census, write_cin_census
from .cli import main_ingest, main_validate
from .combined import read_journeys
from .ids import hash_one
from .report import IngestResult, ValidationReport
from .rules import RULES
from .schema import JOURNEY_SCHEMA, load_mapping
from .ssda903 import read_ssda903, write_ssda903

__all__ = [
    "JOURNEY_SCHEMA",
    "RULES",
    "IngestResult",
    "ValidationReport",
    "hash_one",
    "load_mapping",
    "main_ingest",
    "main_validate",
    "read_cin_census",
    "read_journeys",
    "read_ssda903",
    "write_cin_census",
    "write_ssda903",
]
