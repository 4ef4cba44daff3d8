"""CIN census returns, stage by stage (each stage imports only the ones below it):

``parse`` (one XML file -> episodes of need, its collection year) -> ``spells``
(validated, de-duplicated episodes -> front-door spells and their table) -> ``read``
(``read_cin_census``); ``write`` (``write_cin_census``) writes front-door spells back
out as census XML.
"""

from __future__ import annotations

from .read import read_cin_census
from .write import write_cin_census

__all__ = ["read_cin_census", "write_cin_census"]
