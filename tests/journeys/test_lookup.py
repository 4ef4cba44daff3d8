"""Tables and lookups the core makes for the journeys: a per-child column, the rows set
aside, each dot's spell at a time (checked against pyarrow and a plain walk)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from carevis import Journeys, SchemaError

from tests.conftest import day, random_table, table


def _reference_attribute(j: Journeys, name: str) -> pa.Array:
    col = j.to_arrow().column(name)
    taken = col.take(pa.array(j.child_rows, type=pa.uint32()))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


@pytest.mark.parametrize("batch_rows", [None, 1, 3, 50])
def test_attribute_matches_pyarrow_take_over_any_batching(batch_rows: int | None) -> None:
    t = random_table(60, seed=4)
    n = t.num_rows
    rng = np.random.default_rng(1)
    la = [f"E0{int(k)}" if k < 8 else None for k in rng.integers(0, 10, n)]
    t = t.append_column("la", pa.array(la, pa.string()))
    t = t.append_column("la_dict", pa.array(la, pa.string()).dictionary_encode())
    t = t.append_column("n", pa.array(np.arange(n), pa.int32()))
    if batch_rows is not None:
        t = pa.Table.from_batches(t.to_batches(max_chunksize=batch_rows))
    j = Journeys.from_arrow(t)
    for name in ("la", "n", "child_id", "start"):
        got = j.attribute(name)
        assert isinstance(got, pa.Array)
        assert got.equals(_reference_attribute(j, name)), name
    got = j.attribute("la_dict")
    assert pa.types.is_dictionary(got.type)
    assert got.cast(pa.string()).to_pylist() == _reference_attribute(j, "la").to_pylist()


def test_attribute_of_a_missing_column_is_a_schema_error_naming_it() -> None:
    j = Journeys.from_arrow(table([(1, "Referral", 0, 1)]))
    with pytest.raises(SchemaError, match=r"column 'la' is missing \(columns present: child_id"):
        j.attribute("la")


def test_rejects_table_columns_and_types() -> None:
    t = table([(1, "Referral", 0, 10), (2, "Referral", 3, 1)])
    j = Journeys.from_arrow(t, on_error="reject")
    rej = j.rejects
    assert rej.schema.names == ["row", "column", "value", "rule"]
    assert [f.type for f in rej.schema] == [pa.int64(), pa.string(), pa.string(), pa.string()]
    assert rej.to_pylist() == [
        {"row": 1, "column": "end", "value": str(day(1)), "rule": "end is before start"}
    ]
    clean = Journeys.from_arrow(table([(1, "Referral", 0, 10)]))
    assert clean.rejects.num_rows == 0
    assert clean.rejects.schema.names == ["row", "column", "value", "rule"]


def test_spell_at_is_each_dots_last_spell_begun() -> None:
    j = Journeys.from_arrow(random_table(80, seed=7))
    sp = j.spells()
    dots = np.arange(j.n_children)
    for minutes in (int(sp["start"].min()) - 1, int(np.median(sp["start"])), 10**9):
        got = j.spell_at(dots, minutes)
        for d in dots:
            a, b = int(sp["offsets"][d]), int(sp["offsets"][d + 1])
            begun = [i for i in range(a, b) if sp["start"][i] <= minutes]
            assert got[d] == (begun[-1] if begun else -1)
    assert list(j.spell_at(np.array([-1, j.n_children]), 10**9)) == [-1, -1]
