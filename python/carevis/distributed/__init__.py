"""Beyond one machine, on Dask: a video rendered in frame ranges across a cluster, and
journey statistics over a Parquet dataset too large for memory, one part at a time.

- :mod:`.cluster`: connecting to a scheduler or starting a local cluster; gathering results;
- :mod:`.recipe`: how a worker rebuilds the scene it renders (checked by a fingerprint);
- :mod:`.videos`: :func:`video`, the cluster's version of :func:`carevis.export.video`
  (same options, plus ``client`` or ``workers``), through export's one frame pipeline
  and one encoder;
- :mod:`.partition`: a hive-partitioned dataset keyed by a hash of ``child_id`` (so each
  child's journey stays whole in one part);
- :mod:`.stats`: occupancy and transitions counted part by part on the workers and summed.

Needs ``carevis[dask]``; dask is imported only when one of these functions runs.
"""

from __future__ import annotations

from ..export.encoder import concat
from .cluster import DEFAULT_TIMEOUT, LOCAL_HOST, connect, local_client
from .partition import child_hash, partition_by_child, partitions
from .recipe import Recipe, fingerprint, rebuild, recipe
from .stats import (
    PERIODS,
    Changes,
    changes,
    check_whole_children,
    count_occupancy,
    occupancy,
    occupancy_from_changes,
    transitions,
)
from .videos import KILL_HOOK, MIN_RANGE_FRAMES, RANGES_PER_THREAD, render_range, video

__all__ = [
    "DEFAULT_TIMEOUT",
    "KILL_HOOK",
    "LOCAL_HOST",
    "MIN_RANGE_FRAMES",
    "PERIODS",
    "RANGES_PER_THREAD",
    "Changes",
    "Recipe",
    "changes",
    "check_whole_children",
    "child_hash",
    "concat",
    "connect",
    "count_occupancy",
    "fingerprint",
    "local_client",
    "occupancy",
    "occupancy_from_changes",
    "partition_by_child",
    "partitions",
    "rebuild",
    "recipe",
    "render_range",
    "transitions",
    "video",
]
