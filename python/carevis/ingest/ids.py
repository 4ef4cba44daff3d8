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

__all__ = ["HASH_HEX_CHARS", "child_ids", "child_keys", "child_keys_parts", "hash_one"]

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


def child_keys(
    la: pa.Array, child: pa.Array, hash_key: str | bytes | None
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """(ids of the distinct children, per-row codes into them, per-row blank CHILD).

    Equal codes = same child.

    Strings are hashed once per distinct value (dictionary encoding); ids are
    built and HMAC-ed once per distinct (council, child) pair.
    """
    from ._rows import Codes

    la_c = Codes(
        la if pa.types.is_dictionary(la.type) else pc.fill_null(la, UNKNOWN_LA), upper=False
    )
    ch_c = Codes(child, upper=False)
    nla = len(la_c.values) + 1
    combined = (np.maximum(ch_c.idx, -1) + 1) * nla + (la_c.idx + 1)
    enc = pc.dictionary_encode(pa.array(combined, pa.int64()))
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    uniq = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=np.int64)
    u_child = uniq // nla - 1
    u_la = uniq % nla - 1
    la_s = (
        la_c.values.take(pa.array(np.maximum(u_la, 0)))
        if len(la_c.values)
        else pa.array([UNKNOWN_LA] * len(uniq))
    )
    la_s = pc.if_else(pa.array(u_la < 0), pa.scalar(UNKNOWN_LA), la_s)
    ch_s = (
        ch_c.values.take(pa.array(np.maximum(u_child, 0)))
        if len(ch_c.values)
        else pa.array([""] * len(uniq))
    )
    ch_s = pc.if_else(pa.array(u_child < 0), pa.scalar(""), ch_s)
    raw = pc.binary_join_element_wise(la_s, ch_s, "-")
    return _hashed(raw, hash_key), codes, ch_c.null


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
    """``child_keys`` over the rows of several tables, one after another, without
    concatenating them: parts = [(la, child)] per table."""
    try:
        from carevis._native import child_keys as native
    except ImportError:  # the ingest runs on pyarrow alone, only slower
        la = pa.concat_arrays([_as_dict(a) for a, _ in parts])
        child = pa.concat_arrays([_as_dict(c) for _, c in parts])
        return child_keys(la, child, hash_key)
    keys, blank, raw = native([(_as_dict(a), _as_dict(c)) for a, c in parts], UNKNOWN_LA)
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
    uniq, codes, _ = child_keys(la, child, hash_key)
    return uniq.take(pa.array(codes)), codes
