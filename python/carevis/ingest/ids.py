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

from carevis.errors import ConfigError

__all__ = ["HASH_HEX_CHARS", "child_ids", "hash_one"]

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


def child_ids(
    la: pa.Array, child: pa.Array, hash_key: str | bytes | None
) -> tuple[pa.Array, np.ndarray]:
    """Unique ids per (la, child) and integer codes (equal codes = same child)."""
    la = pc.fill_null(la, UNKNOWN_LA)
    raw = pc.binary_join_element_wise(la, pc.fill_null(pc.utf8_trim_whitespace(child), ""), "-")
    enc = pc.dictionary_encode(raw)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    dictionary = enc.dictionary
    if hash_key is None:
        return raw, codes
    base = hmac.new(_key_bytes(hash_key), digestmod=hashlib.sha256)
    out = []
    for s in dictionary.to_pylist():  # one HMAC per distinct child, not per row
        h = base.copy()
        h.update(s.encode())
        out.append(h.hexdigest()[:HASH_HEX_CHARS])
    hashed = pa.array(out, pa.string()).take(pa.array(codes))
    return hashed, codes
