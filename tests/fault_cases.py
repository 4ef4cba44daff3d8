"""Generated hostile inputs for the fault suites (tests/test_faults_*.py): corrupt Arrow
IPC and Parquet files, and a way to run code in a child process so that a crash (a
signal) fails the test instead of killing the test run."""

from __future__ import annotations

import datetime as dt
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

N = 1000


def journeys_table(n: int = N) -> pa.Table:
    """n children of one spell each; ids ``C0000000``... (8 bytes each)."""
    return pa.table(
        {
            "child_id": [f"C{i:07d}" for i in range(n)],
            "state": ["Referral"] * n,
            "start": pa.array([dt.date(2020, 1, 1)] * n, pa.date32()),
            "end": pa.array([dt.date(2020, 2, 1)] * n, pa.date32()),
            "la": [f"L{i % 10:07d}" for i in range(n)],
        }
    )


def _offsets_at(raw: bytes, step: int, n: int) -> int:
    """Where in ``raw`` the int32 offsets 0, step, 2 step, ... n step of a column start."""
    k = raw.find(struct.pack("<5i", 0, step, 2 * step, 3 * step, 4 * step))
    if k < 0 or struct.unpack_from("<i", raw, k + 4 * n)[0] != n * step:
        raise AssertionError("offsets not found in the file")
    return k


def corrupt_ipc(path: Path, how: str) -> Path:
    """Writes an uncompressed Feather (Arrow IPC) file, then corrupts ``child_id``:
    ``past`` offsets past the end of the data, ``backwards`` offsets that go down,
    ``utf8`` invalid UTF-8 bytes in an id."""
    feather.write_feather(journeys_table(), path, compression="uncompressed")
    raw = bytearray(path.read_bytes())
    k = _offsets_at(raw, 8, N)
    if how == "past":
        for j in range(N // 2, N + 1):
            struct.pack_into("<i", raw, k + 4 * j, 0x7F000000 + j)
    elif how == "backwards":
        struct.pack_into("<i", raw, k + 4 * 10, 4)
    elif how == "utf8":
        data = k + 4 * (N + 1)
        data += -data % 8  # buffers are 8-byte aligned
        assert raw[data : data + 8] == b"C0000000"
        raw[data + 1 : data + 3] = b"\xff\xfe"
    else:
        raise ValueError(how)
    path.write_bytes(bytes(raw))
    return path


def corrupt_parquet(folder: Path, seed: int) -> Path:
    """A Parquet file damaged at random: truncated, a stretch overwritten, or bytes
    flipped in its data pages or footer (seeded)."""
    rng = np.random.default_rng(seed)
    path = folder / f"corrupt-{seed}.parquet"
    pq.write_table(journeys_table(200), path, compression="none" if seed % 2 else "snappy")
    raw = bytearray(path.read_bytes())
    kind = seed % 4
    if kind == 0:
        raw = raw[: int(rng.integers(8, len(raw) - 1))]
    elif kind == 1:
        a = int(rng.integers(4, len(raw) - 40))
        raw[a : a + 32] = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
    elif kind == 2:
        for a in rng.integers(4, len(raw) - 8, 12):
            raw[int(a)] ^= 1 << int(rng.integers(0, 8))
    else:  # the footer (metadata) only
        footer = struct.unpack_from("<i", raw, len(raw) - 8)[0]
        for a in rng.integers(len(raw) - 8 - footer, len(raw) - 8, 6):
            raw[int(a)] = int(rng.integers(0, 256))
    path.write_bytes(bytes(raw))
    return path


def run_python(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter (``sys.argv[1:]`` = args)."""
    root = str(Path(__file__).resolve().parent.parent)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {root!r})\n" + textwrap.dedent(code),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
