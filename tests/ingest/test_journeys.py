"""Ingested returns become Journeys; the synthetic England round-trips through 903 files."""

from __future__ import annotations

from pathlib import Path

import carevis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from carevis import synthetic
from carevis.ingest import read_ssda903, write_ssda903


def _care_only(t: pa.Table) -> pa.Table:
    looked_after = [
        "Foster care (relative/friend)",
        "Foster care (other)",
        "Children's home & secure",
        "Supported / independent",
        "Placed with parents",
        "Placed for adoption",
        "Other placement",
    ]
    st = pc.cast(t.column("state"), pa.string())
    return t.filter(pc.is_in(st, pa.array(looked_after)))


def test_top_level_names_and_journeys() -> None:
    assert carevis.read_ssda903 is read_ssda903
    assert callable(carevis.read_cin_census)


def test_synthetic_england_round_trips_through_ssda903(tmp_path: Path) -> None:
    table = synthetic.england_table(scale=0.003, seed=5)
    write_ssda903(table, tmp_path / "903")
    result = read_ssda903(tmp_path / "903")
    assert (
        result.rows_in
        == result.rows_used + result.rows_not_needed + result.rows_superseded + result.rows_rejected
    )
    # the writer puts valid codes in every field: nothing is repaired or rejected as invalid
    assert not [k for k in result.report.rule_counts() if k[0] == "invalid_code"]
    eth = set(result.table.column("ethnicity").drop_null().to_pylist())
    assert eth and eth <= {"WOTH", "MOTH", "AOTH", "BOTH", "OOTH"}
    j = result.journeys()
    assert isinstance(j, carevis.Journeys) and j.n_children > 0
    got, want = _care_only(result.table), _care_only(table)
    assert got.num_rows == want.num_rows

    # the same care spells (state, start, end), child by child once ids are matched by order
    def key(t: pa.Table) -> np.ndarray:
        st = pc.cast(t.column("state"), pa.string()).to_numpy(zero_copy_only=False)
        s = t.column("start").cast(pa.int32()).to_numpy()
        e = t.column("end").cast(pa.int32()).fill_null(-1).to_numpy()
        return np.sort(np.array([f"{a}|{b}|{c}" for a, b, c in zip(st, s, e, strict=True)]))

    assert np.array_equal(key(got), key(want))


def test_journeys_indexed_while_the_table_is_made_are_the_tables_journeys(
    tmp_path: Path,
) -> None:
    # read_ssda903 indexes the four index columns while it makes the others: the result
    # must be what indexing the finished table gives, and follow the table if replaced.
    table = synthetic.england_table(scale=0.003, seed=2)
    write_ssda903(table, tmp_path / "903")
    result = read_ssda903(tmp_path / "903", keep_ids=True)
    got = result.journeys()
    want = carevis.Journeys.from_arrow(result.table, source="SSDA903/CIN ingest")
    assert got.n_children == want.n_children > 100
    assert got.options == want.options and got.source == want.source
    a, b = got._native, want._native
    np.testing.assert_array_equal(a.offsets(), b.offsets())
    np.testing.assert_array_equal(a.child_rows(), b.child_rows())
    for x, y in zip(a.spells(), b.spells(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.to_arrow().equals(result.table)  # every column, not only the four indexed
    assert got.attribute("la").equals(want.attribute("la"))
    result.table = result.table.slice(0, 7)
    assert result.journeys().n_spells == 7
    plain = read_ssda903(tmp_path / "903", keep_ids=True, index=False)
    assert plain.table.equals(want.to_arrow())
    np.testing.assert_array_equal(plain.journeys()._native.offsets(), b.offsets())
