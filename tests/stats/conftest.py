"""Fixtures of the statistics tests: a small synthetic England and its spells in pandas."""

from __future__ import annotations

import carevis
import numpy as np
import pandas as pd
import pytest

EPOCH = pd.Timestamp("1970-01-01")


@pytest.fixture(scope="module")
def england() -> carevis.Journeys:
    return carevis.Journeys.from_arrow(carevis.synthetic.england_table(scale=0.005))


@pytest.fixture(scope="module")
def spells(england: carevis.Journeys) -> pd.DataFrame:
    """The input table as pandas: day numbers, open end = NaN, sorted per child."""
    df = england.to_arrow().to_pandas()
    df["state"] = df["state"].astype(str)
    df["s"] = (pd.to_datetime(df["start"]) - EPOCH).dt.days.astype(float)
    df["e"] = (pd.to_datetime(df["end"]) - EPOCH).dt.days.astype(float)
    df["b"] = (pd.to_datetime(df["birth_month"]) - EPOCH).dt.days.astype(float)
    return df.sort_values(["child_id", "s", "e"], kind="stable", na_position="last").reset_index(
        drop=True
    )


def bounds_days(b: np.ndarray) -> np.ndarray:
    """Period bounds in minutes as day numbers."""
    return (b // 1440).astype(np.int64)
