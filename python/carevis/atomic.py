"""Atomic writes, the one place for them: a file is written under a hidden temporary name
beside its target (``.NAME.part-PID.SUFFIX``) and renamed onto the target only when
complete. An error or an interrupt removes the temporary file; a process killed outright
(SIGKILL, power loss) cannot, so the next export to the same target removes partial files
whose process is gone, and says so (a warning on the ``carevis`` logger)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import ExportError

log = logging.getLogger("carevis")

#: ``.STEM.part-PID.SUFFIX`` (files) and ``.STEM.segments-PID-RANDOM`` (segment folders).
_PARTIAL = re.compile(r"^\.(?P<stem>.*)\.(?:part|segments)-(?P<pid>\d+)(?P<rest>[.-].*)?$")


def part_path(path: Path) -> Path:
    """The temporary name a write to ``path`` uses (unique to this process)."""
    return path.with_name(f".{path.stem}.part-{os.getpid()}{path.suffix}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def remove_stale_parts(folder: Path, stem: str | Callable[[str], bool]) -> list[Path]:
    """Removes the partial files (and segment folders) in ``folder`` that earlier exports
    to a target named ``stem`` (or a stem matching the predicate) left when they were
    killed: those whose process no longer runs. Logs a warning naming them."""
    wanted = (lambda s: s == stem) if isinstance(stem, str) else stem
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        m = _PARTIAL.match(entry.name)
        if m is None or not wanted(m["stem"]) or _alive(int(m["pid"])):
            continue
        p = Path(entry.path)
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p)
    if removed:
        log.warning(
            "carevis: removed %d partial file(s) left by an export that was killed: %s",
            len(removed),
            ", ".join(p.name for p in removed),
        )
    return removed


@contextlib.contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; renames it into place on success and
    removes it on any error or interrupt. An OSError while writing (disk full, file-size
    limit, permissions) becomes an :class:`ExportError`; the target is left untouched.
    The caller may write a file or a folder there (a folder replaces an absent or empty
    folder ``path``)."""
    path = Path(path)
    tmp = part_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        why = e.strerror or str(e)
        raise ExportError(f"{path}: could not be written ({why}); it was left untouched") from e
    finally:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
