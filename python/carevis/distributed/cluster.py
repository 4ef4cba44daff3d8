"""Dask clusters: connecting to a scheduler, starting a local cluster, and gathering results
as they complete, with a lost scheduler or a cluster error turned into an ExportError.

dask is imported only when one of these functions runs (``carevis[dask]``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._check import number
from ..errors import CarevisError, ConfigError, ExportError

#: Seconds to wait for a Dask scheduler: to connect, and to come back after the connection
#: is lost (then the render or count ends with an error).
DEFAULT_TIMEOUT = 10.0
#: Local clusters and their dashboards listen on this address only.
LOCAL_HOST = "127.0.0.1"


def _dask() -> Any:
    """The ``distributed`` module, or a ConfigError saying how to install it."""
    try:
        import distributed
    except ImportError as e:
        raise ConfigError(
            f"rendering or counting on a Dask cluster needs dask.distributed ({e}): "
            "pip install carevis[dask]"
        ) from None
    return distributed


@contextlib.contextmanager
def local_client(workers: int) -> Iterator[Any]:
    """A client of a local cluster of ``workers`` processes of one thread each, closed
    afterwards (what ``carevis render --workers N`` uses). The scheduler, the workers and
    the dashboard listen on 127.0.0.1 only.

    The workers keep glibc's adaptive allocator: Dask's default MALLOC_TRIM_THRESHOLD_
    makes every large short-lived buffer (a frame is megabytes) fault its pages in
    afresh, which costs a render about a third of its speed."""
    import dask

    distributed = _dask()
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ConfigError(f"workers must be a whole number >= 1, not {workers!r}")
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = distributed.LocalCluster(
            n_workers=int(workers),
            threads_per_worker=1,
            processes=True,
            host=LOCAL_HOST,
            dashboard_address=f"{LOCAL_HOST}:0",
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


@contextlib.contextmanager
def connect(address: str, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Any]:
    """A client of the Dask scheduler at ``address``, closed afterwards. A scheduler that
    does not answer within ``timeout`` seconds is a ConfigError; a client that loses its
    scheduler for longer than that gives up (and a render or count on it fails)."""
    import dask

    distributed = _dask()
    timeout = number("scheduler timeout", timeout, 0.0, 3600.0, lo_open=True)
    with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                f"({_first_line(e)})"
            ) from None
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=timeout)


def _lost(c: Any) -> bool:
    """Whether a client has lost its scheduler (or given up on it)."""
    return getattr(c, "status", "running") not in ("running", "connecting", "newly-created")


def _results(c: Any, futures: list[Any], timeout: float) -> Iterator[tuple[int, Any]]:
    """(position, result) of each future as it completes. A scheduler lost for longer than
    ``timeout`` seconds, or a cluster error, is an ExportError (not a hang or a traceback)."""
    distributed = _dask()
    where = {f.key: i for i, f in enumerate(futures)}
    pending = distributed.as_completed(futures, loop=getattr(c, "loop", None))
    lost_since: float | None = None
    while not pending.is_empty():
        ready = pending.next_batch(block=False)
        if not ready:
            if _lost(c):
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > timeout:
                    raise ExportError(
                        f"lost the Dask scheduler for more than {timeout:g} s; nothing was written"
                    )
            else:
                lost_since = None
            time.sleep(0.05)
            continue
        for fut in ready:
            try:
                result = fut.result()
            except (CarevisError, KeyboardInterrupt):
                raise
            except Exception as e:
                raise ExportError(f"the Dask cluster failed: {_first_line(e)}") from None
            yield where[fut.key], result


@contextlib.contextmanager
def _cluster(client: Any, workers: int | None) -> Iterator[Any]:
    """The client given, or a client of a local cluster of ``workers`` processes."""
    _dask()
    if client is not None:
        if workers is not None:
            raise ConfigError("give either a Dask client (--scheduler) or workers, not both")
        yield client
        return
    with local_client(workers) as local:  # type: ignore[arg-type]
        yield local
