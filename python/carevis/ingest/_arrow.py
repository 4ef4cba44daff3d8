"""Arrow columns read straight into numpy, where pyarrow's own way takes extra passes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["dict_indices"]


def dict_indices(col: pa.DictionaryArray) -> np.ndarray:
    """A dictionary array's indices as int64, -1 for a null: read from its buffers in one
    pass and a bitmap unpacking, where ``indices.fill_null(-1).to_numpy()`` copies the
    column twice (and goes through float when there are nulls)."""
    ind = col.indices
    n, off = len(ind), ind.offset
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    bufs = ind.buffers()
    vals = np.frombuffer(bufs[1], dtype=ind.type.to_pandas_dtype(), count=off + n)[off:]
    out = vals.astype(np.int64)
    if ind.null_count:
        bits = np.frombuffer(bufs[0], dtype=np.uint8)
        valid = np.unpackbits(bits, bitorder="little", count=off + n)[off:]
        out[valid == 0] = -1
    return out
