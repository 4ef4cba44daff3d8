"""``read_cin_census``, the top stage of CIN: census XML files -> front-door spells,
with the validation report."""

from __future__ import annotations

from ...privacy import warn_raw_ids
from .._paths import PathsArg, expand_paths
from .._years import YearOverride
from ..report import IngestResult, ValidationReport, require_rows
from .spells import cin_spells, front_door_table

__all__ = ["read_cin_census"]


def read_cin_census(
    paths: PathsArg,
    *,
    hash_key: str | bytes | None = None,
    keep_ids: bool = False,
    keep_birth_date: bool = False,
    strict: bool = False,
    exit_dwell_days: int = 28,
    la: str | None = None,
    year: YearOverride = None,
) -> IngestResult:
    """Read CIN census XML files (or folders) into front-door journey spells."""
    report = ValidationReport(keep_ids=keep_ids, strict=strict)
    if hash_key is None and not keep_ids:
        warn_raw_ids()
    sp = cin_spells(
        expand_paths(paths),
        report,
        la=la,
        year=year,
        hash_key=hash_key,
        exit_dwell_days=exit_dwell_days,
    )
    table = front_door_table(sp, keep_birth_date)
    report.check_strict()
    res = IngestResult(table, report, files=report.files, files_failed=len(report.failed_files))
    return require_rows(res, "CIN census")
