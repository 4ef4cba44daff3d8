"""Child ids unique across councils: ``LA-CHILD``, or a keyed hash of it.

With a key, ids are HMAC-SHA256(key, "LA-CHILD") as truncated hex: the same key
gives the same id every time (so extracts can be joined), another key gives
unrelated ids, and the raw id cannot be recovered without the key.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carevis import _native
from carevis.errors import ConfigError

__all__ = [
    "HASH_HEX_CHARS",
    "UNKNOWN_LA",
    "child_codes_for_files",
    "child_ids",
    "child_keys_parts",
    "hash_one",
]

HASH_HEX_CHARS = 16
UNKNOWN_LA = "unknown"


def _key_bytes(hash_key: str | bytes) -> bytes:
    key = hash_key.encode("utf-8") if isinstance(hash_key, str) else bytes(hash_key)
    if len(key) < 8:
        raise ConfigError("hash_key must be at least 8 bytes (use a long random secret)")
    return key


def hash_one(la: str, child: str, hash_key: str | bytes) -> str:
    """The hashed id of one child (for tests and look-ups)."""
    mac = hmac.new(_key_bytes(hash_key), f"{la}-{child}".encode(), hashlib.sha256)
    return mac.hexdigest()[:HASH_HEX_CHARS]


def _hashed(raw: pa.Array, hash_key: str | bytes | None) -> pa.Array:
    if hash_key is None:
        return raw
    base = hmac.new(_key_bytes(hash_key), digestmod=hashlib.sha256)
    out = []
    for s in raw.to_pylist():  # one HMAC per distinct child, not per row
        h = base.copy()
        h.update(s.encode())
        out.append(h.hexdigest()[:HASH_HEX_CHARS])
    return pa.array(out, pa.string())


_DICT = pa.dictionary(pa.int32(), pa.string())


def child_keys_parts(
    parts: list[tuple[pa.Array, pa.Array]], hash_key: str | bytes | None
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """(ids of the distinct children, per-row codes into them, per-row blank CHILD) over
    the rows of several tables, one after another, without concatenating them:
    parts = [(la, child)] per table. Equal codes = same child; ids are built and HMAC-ed
    once per distinct (council, child) pair, in the Rust core."""
    keys, blank, raw = _native.child_keys(
        [(_as_dict(a), _as_dict(c)) for a, c in parts], UNKNOWN_LA
    )
    return _hashed(raw, hash_key), keys, blank


def _as_dict(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if a.type == _DICT:
        return a
    if pa.types.is_dictionary(a.type):
        a = a.cast(pa.string())
    out = pc.dictionary_encode(a.cast(pa.string()))
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def child_ids(
    la: pa.Array, child: pa.Array, hash_key: str | bytes | None
) -> tuple[pa.Array, np.ndarray]:
    """Per-row ids for (la, child) and integer codes (equal codes = same child)."""
    uniq, codes, _ = child_keys_parts([(la, child)], hash_key)
    return uniq.take(pa.array(codes)), codes


def child_codes_for_files(child_id: pa.Array, la: pa.Array) -> pa.Array:
    """CHILD as written in a council's file: child_id without its 'LA-' prefix."""
    out = child_id
    la_np = np.asarray(la.to_numpy(zero_copy_only=False), dtype=object)
    for a in np.unique(la_np):
        prefix = f"{a}-"
        m = pa.array(la_np == a)
        strip = pc.and_(m, pc.starts_with(child_id, pattern=prefix))
        out = pc.if_else(strip, pc.utf8_slice_codeunits(child_id, len(prefix)), out)
    return out
