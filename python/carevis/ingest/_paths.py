"""Finding return files and reading their bytes, for every return: files under folders,
the council code a path names, a size cap, and what a file that is not text is."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .. import _native
from ..errors import ConfigError, DataError

__all__ = [
    "MAX_FILE_MB",
    "PathsArg",
    "binary_kind",
    "expand_paths",
    "la_from_path",
    "max_file_bytes",
    "read_return",
    "read_returns",
]

#: Files and/or folders, as the readers take them.
PathsArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]

_YEAR_PAIR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[-_/]?(\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)")
_LA_CODE = re.compile(r"^(\d{3}|E\d{8})$", re.IGNORECASE)


def expand_paths(paths: PathsArg) -> list[Path]:
    """Files under the given files and folders (CSV and XML), in a stable order.

    A path that does not exist (or is a symbolic link that leads nowhere) and a folder
    with no .csv or .xml file in it raise :class:`DataError` naming it. Symbolic links
    to folders are not followed (no loops); a file link that loops gets a report row
    when it is read.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found: list[str] = []
            others: list[str] = []
            for root, _dirs, files in os.walk(p):
                for f in files:
                    (found if f.lower().endswith((".csv", ".xml")) else others).append(
                        os.path.join(root, f)
                    )
            if not found:
                hint = ""
                if others:
                    first = min(others)
                    zipped = [o for o in others if o.lower().endswith(".zip")]
                    hint = f" ({len(others)} other files, e.g. {os.path.basename(first)}" + (
                        "; unzip archives first)" if zipped else ")"
                    )
                raise DataError(f"{p}: no .csv or .xml return files in this folder{hint}")
            out.extend(Path(f) for f in sorted(found))
        elif p.is_symlink() and not p.exists():
            raise DataError(f"{p}: a symbolic link that leads nowhere (a loop or a missing target)")
        elif not p.exists():
            raise DataError(f"{p}: no such file or folder")
        else:
            out.append(p)
    return out


def la_from_path(path: Path) -> str | None:
    """Council code from the file name (SSDA903_<LA>_<YEAR>_... or a 3-digit / E-code token)."""
    got = _la_from_stem(path.stem)
    if got is not None:
        return got
    parent = path.parent.name
    if _LA_CODE.match(parent):
        return parent.upper()
    return None


@lru_cache(maxsize=1024)
def _la_from_stem(stem: str) -> str | None:
    """The council code a file name (without suffix) gives, if any. Kept: the returns
    of many councils and years repeat a few names (``2019-episodes``) thousands of times."""
    toks = [t for t in re.split(r"[_\-\s.]+", stem) if t]
    for t in toks:
        if _LA_CODE.match(t):
            return t.upper()
    if len(toks) >= 3 and toks[0].upper() in ("SSDA903", "CIN", "CIN_CENSUS"):
        t = toks[1]
        if not _YEAR.fullmatch(t) and not _YEAR_PAIR.fullmatch(t):
            return t
    return None


#: Largest return file read (MiB): files are read whole, so a bigger one is refused
#: before reading. Set CAREVIS_MAX_FILE_MB to change it (council returns are a few MB).
MAX_FILE_MB = 512


def max_file_bytes() -> int:
    """The size cap on one return file, from CAREVIS_MAX_FILE_MB (default MAX_FILE_MB)."""
    raw = os.environ.get("CAREVIS_MAX_FILE_MB", "").strip()
    if not raw:
        return MAX_FILE_MB << 20
    try:
        mb = float(raw)
    except ValueError:
        raise ConfigError(f"CAREVIS_MAX_FILE_MB must be a number of MiB, not {raw!r}") from None
    if not mb > 0:
        raise ConfigError(f"CAREVIS_MAX_FILE_MB must be above 0, not {raw!r}")
    return int(mb * (1 << 20))


def read_return(path: Path) -> bytes:
    """A return file's bytes, refusing one above the size cap before reading it."""
    size = path.stat().st_size
    cap = max_file_bytes()
    if size > cap:
        raise DataError(
            f"{path}: {size / (1 << 20):,.0f} MiB is above the {cap / (1 << 20):,.0f} MiB "
            "limit on one return file (set CAREVIS_MAX_FILE_MB to raise it, or split the file)"
        )
    with open(path, "rb") as f:
        data = f.read(cap + 1)  # never more than the cap, whatever the file claims
    if len(data) > cap:
        raise DataError(f"{path}: above the {cap / (1 << 20):,.0f} MiB limit on one return file")
    return data


def read_returns(paths: list[Path]) -> list[bytes | None]:
    """Every file's bytes, read in parallel in the Rust core: None for a file that
    cannot be read or is above the size cap (``read_return`` then says why)."""
    try:
        cap = max_file_bytes()
    except ConfigError:
        return [None] * len(paths)  # read_return raises it at the first file, as ever
    if not paths:
        return []
    return _native.read_files([os.fspath(p) for p in paths], cap)


_BINARY = (
    (b"PK\x03\x04", "a zip archive (or an Excel workbook): unzip it, or save it as CSV"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip archive: decompress it first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel / Office file: save it as CSV"),
    (b"%PDF", "a PDF document, not a return"),
)


def binary_kind(data: bytes) -> str | None:
    """What a file that is not text is (zip, gzip, Excel, PDF), or None."""
    for magic, what in _BINARY:
        if data.startswith(magic):
            return what
    return None
