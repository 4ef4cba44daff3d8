"""SSDA903 returns, stage by stage (each stage imports only the ones below it):

``tables`` (the 903 tables) -> ``sniff`` (a CSV file's encoding, header and table) ->
``parse_csv`` / ``xml_rows`` (files -> string tables) -> ``files`` (the read stage:
every file, years resolved by ``.._years``) -> ``dfe`` (the DfE's rules, flagged) ->
``episodes`` (row rules) -> ``stitch`` (one history per child) -> ``spells`` (states,
exit spells) -> ``attributes`` (per-child sex, ethnicity, birth month) -> ``journeys``
(the pipeline: tables -> journey table) -> ``read`` (``read_ssda903``); ``write``
(``write_ssda903``) writes a journey table back out as returns.
"""

from __future__ import annotations

from .journeys import build_journeys
from .read import read_ssda903
from .write import write_ssda903

__all__ = ["build_journeys", "read_ssda903", "write_ssda903"]
