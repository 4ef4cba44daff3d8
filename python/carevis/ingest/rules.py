"""Every rule an ingest reports, with its severity and meaning: carevis's own rules and
the DfE's SSDA903 validation rules that bear on journeys (numbered as the DfE numbers
them, reported as ``dfe_<number>``)."""

from __future__ import annotations

__all__ = ["DFE_RULES", "RULES"]

#: DfE number -> (fields, the DfE's message)
DFE_RULES: dict[str, tuple[str, str]] = {
    "143": ("RNE", "The reason for new episode code is not a valid code."),
    "144": ("LS", "The legal status code is not a valid code."),
    "146": ("PLACE", "Placement type code is not a valid code."),
    "149": ("REC", "Reason episode ceased code is not valid."),
    "142": ("DEC", "A new episode has started, but the previous episode has not ended."),
    "148": (
        "DEC",
        "Date episode ceased and reason episode ceased must both be coded, or both left blank.",
    ),
    "301": ("DOB", "Date of birth falls after the year ended."),
    "302": ("DOB", "First episode starts before child was born."),
    "354": (
        "DECOM",
        "Date episode started must be on or before the end of the current collection year.",
    ),
    "356": ("DEC", "The date the episode ceased is before the date the same episode started."),
    "385": (
        "DEC",
        "Date episode ceased must be on or before the end of the current collection year.",
    ),
    "388": (
        "REC",
        "Reason episode ceased is coded new episode begins, but there is no continuation episode.",
    ),
    "431": (
        "RNE",
        "The reason for new episode is started to be looked after, but the "
        "previous episode ended on the same day.",
    ),
    "432": (
        "RNE",
        "The child ceased to be looked after at the end of the previous episode "
        "but the reason for the new episode is not started to be looked after.",
    ),
    "433": (
        "RNE",
        "The reason for new episode suggests that this is a continuation episode, "
        "but the episode does not start on the same day as the last episode finished.",
    ),
    "437": (
        "REC",
        "Reason episode ceased is child has died or is aged 18 or over but there "
        "are further episodes.",
    ),
    "445": ("LS", "D1 is not a valid code for episodes starting after December 2005."),
    "446": ("LS", "E1 is not a valid code for episodes starting before December 2005."),
    "501": ("DECOM", "A new episode has started before the end date of the previous episode."),
}

#: rule -> (severity, what it means). strict=True raises at the first "error".
RULES: dict[str, tuple[str, str]] = {
    # file level
    "empty_file": ("error", "the file is empty"),
    "no_rows": ("warning", "the file has a header but no data rows"),
    "bad_encoding": ("error", "the file is not UTF-8 (or UTF-16 with a byte order mark)"),
    "wrong_delimiter": ("error", "the file is not comma separated"),
    "missing_column": ("error", "a column the table needs is missing"),
    "unknown_table": ("error", "the columns match no SSDA903 / CIN table"),
    "unreadable_file": ("error", "the file cannot be parsed"),
    "table_not_used": ("info", "a known table that journeys do not need; skipped"),
    "file_name_mismatch": ("info", "the file name suggests another table than its columns"),
    "la_unknown": ("warning", "no council code in the columns, arguments or file name"),
    "year_inferred": (
        "warning",
        "no collection year in columns or file name; taken from the dates",
    ),
    "collection_year": ("info", "the collection year used for the file, and why"),
    "year_mismatch": (
        "warning",
        "the file name says another collection year than its dates; the dates win",
    ),
    "xml_elements": ("info", "every element of an XML return, accounted for"),
    "unknown_element": ("warning", "XML elements the SSDA903 layout does not have; not read"),
    "wrong_field_count": ("error", "a row has more or fewer fields than the header"),
    # row level
    "missing_value": ("error", "a required value is blank"),
    "invalid_date": ("error", "a date cannot be read"),
    "two_digit_year": ("warning", "a date had a two-digit year; century added"),
    "end_before_start": ("error", "an end date is before its start date"),
    "start_after_year_end": ("error", "an episode starts after its return's year end"),
    "end_after_year_end": (
        "warning",
        "an end date is after the return's year end; treated as open",
    ),
    "invalid_code": ("error", "a code is not in the code list"),
    "short_break": ("info", "short-break episode (LS V3/V4) excluded"),
    "duplicate_episode": (
        "info",
        "the same episode in another row (e.g. repeated in next year's return)",
    ),
    "superseded_episode": (
        "info",
        "an episode replaced by a later submission (same child and start)",
    ),
    "duplicate_start": (
        "error",
        "two different episodes of a child start on the same day in one return",
    ),
    "overlap_clipped": (
        "error",
        "an episode overlapped the next one; its end moved to the next start",
    ),
    "open_episode_closed": (
        "warning",
        "an open episode followed by a later one; closed at the next start",
    ),
    "closed_at_year_end": (
        "info",
        "an open episode of a child absent from every later return: ended the day after "
        "its 31 March (still counted in that day's stock), lost to follow-up",
    ),
    "x1_gap_closed": (
        "warning",
        "REC X1 with a gap before the next episode; end moved to the next start",
    ),
    "x1_without_next": (
        "warning",
        "REC X1 but no next episode; ended there, lost to follow-up",
    ),
    "rec_missing": ("error", "an ended episode without REC"),
    "duplicate_header": ("info", "the same header row in another row (e.g. next year's return)"),
    "superseded_header": ("info", "a header row replaced by a later submission"),
    "conflicting_header": (
        "error",
        "one child with different header rows in one return; the last kept",
    ),
    "missing_header": ("warning", "a child with episodes but no header row"),
    "child_without_episodes": ("info", "a child row with no usable episode; not in the journeys"),
    "front_door_clipped": ("info", "a front-door spell overlapping care clipped at the care start"),
    "cin_overlap_clipped": ("warning", "a CIN episode overlapped the next one; clipped"),
}


RULES.update({f"dfe_{k}": ("error", f"DfE rule {k}: {m}") for k, (_, m) in DFE_RULES.items()})
