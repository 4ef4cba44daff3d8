"""Arrow columns read straight into numpy, where pyarrow's own way takes extra passes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from carevis import _native

__all__ = ["dict_indices"]


def dict_indices(col: pa.DictionaryArray) -> np.ndarray:
    """A dictionary array's indices as int64, -1 for a null: one pass in the core (without
    the GIL), where ``indices.fill_null(-1).to_numpy()`` copies the column twice (and goes
    through float when there are nulls)."""
    return _native.dict_indices(col)
