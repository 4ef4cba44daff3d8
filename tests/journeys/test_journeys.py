"""Journeys: Arrow in without copies, the per-child index, and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import carevis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from carevis import ConfigError, DataError, Journeys, SchemaError

from tests.conftest import day, random_table, table


def test_counts_states_and_ids(small: pa.Table) -> None:
    j = Journeys.from_arrow(small)
    assert j.n_children == 3
    assert j.n_spells == 6
    assert j.n_rows == 6
    # standard states come in their standard order
    assert j.states == ["Referral", "Assessment", "Child in need", "Foster care (other)"]
    assert sorted(j.child_ids.to_pylist()) == [1, 2, 3]
    assert j.time_range == (dt.datetime(2020, 1, 1), dt.datetime(2020, 4, 10))
    assert j.to_arrow().equals(small)


def test_index_groups_each_childs_spells_sorted(small: pa.Table) -> None:
    shuffled = small.take(pa.array([5, 2, 0, 4, 1, 3]))
    j = Journeys.from_arrow(shuffled)
    sp = j.spells()
    ids = j.child_ids.to_pylist()
    for c, cid in enumerate(ids):
        a, b = sp["offsets"][c], sp["offsets"][c + 1]
        rows = sp["row"][a:b]
        assert all(shuffled.column("child_id")[int(r)].as_py() == cid for r in rows)
        assert list(sp["start"][a:b]) == sorted(sp["start"][a:b])
    # a same-day step sorts before the spell that starts the same day and lasts
    c1 = ids.index(1)
    first = sp["state"][sp["offsets"][c1]]
    assert j.states[first] == "Referral"


def test_zero_copy_buffers(small: pa.Table) -> None:
    j = Journeys.from_arrow(small)
    out = j.to_arrow()
    for name in small.column_names:
        given = small.column(name).chunks[0].buffers()
        back = out.column(name).chunks[0].buffers()
        for a, b in zip(given, back, strict=False):
            if a is not None:
                assert b is not None and a.address == b.address, name


def test_accepts_any_pycapsule_producer(small: pa.Table) -> None:
    class Producer:  # e.g. a polars or duckdb object: only the capsule protocol
        def __init__(self, t: pa.Table) -> None:
            self._t = t

        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            return self._t.__arrow_c_stream__(requested_schema)

    for data in (
        small,
        small.to_batches()[0],
        pa.RecordBatchReader.from_batches(small.schema, small.to_batches()),
        Producer(small),
    ):
        assert Journeys.from_arrow(data).n_children == 3


def test_many_batches_and_string_ids() -> None:
    t = table([("x-1", "Referral", 0, 1), ("x-2", "Referral", 0, 1), ("x-1", "Assessment", 1, 9)])
    t2 = pa.concat_tables([t.slice(0, 1), t.slice(1, 2)])
    assert t2.column("child_id").num_chunks == 2
    j = Journeys.from_arrow(t2)
    assert j.n_children == 2
    assert sorted(j.child_ids.to_pylist()) == ["x-1", "x-2"]


def test_dictionary_states_and_timestamps() -> None:
    t = pa.table(
        {
            "child_id": pa.array([1, 1], pa.int32()),
            "state": pa.array(["Referral", "Assessment"]).dictionary_encode(),
            "start": pa.array(
                [dt.datetime(2020, 1, 1, 9), dt.datetime(2020, 1, 1, 15)], pa.timestamp("us")
            ),
            "end": pa.array([dt.datetime(2020, 1, 1, 15), None], pa.timestamp("us")),
        }
    )
    j = Journeys.from_arrow(t)
    assert j.states == ["Referral", "Assessment"]
    s = carevis.Scene(j)
    assert s.frame(dt.datetime(2020, 1, 1, 10)).state.tolist() == [0]
    assert s.frame(dt.datetime(2020, 1, 1, 16)).state.tolist() == [1]


@pytest.mark.parametrize("key_type", [pa.int8(), pa.int32(), pa.uint16()])
def test_dictionary_child_ids_index_like_strings(key_type: pa.DataType) -> None:
    # dictionary-encoded ids (as an ingest or a categorical column gives them) index and
    # name the children exactly as the plain strings do
    n = 120 if key_type == pa.int8() else 30_000
    rng = np.random.default_rng(3)
    ids = np.array([f"LA{i % 7}-{i}" for i in rng.permutation(n)], dtype=object)
    ids = np.r_[ids, ids[: n // 2]]
    days = np.r_[np.zeros(n, np.int64), np.full(n // 2, 5)]
    plain = pa.table(
        {
            "child_id": pa.array(ids, pa.string()),
            "state": pa.array(["Referral"] * n + ["Assessment"] * (n // 2)),
            "start": pa.array(days.astype("datetime64[D]"), pa.date32()),
            "end": pa.array((days + 5).astype("datetime64[D]"), pa.date32()),
        }
    )
    enc = pc.dictionary_encode(plain.column("child_id")).combine_chunks()
    enc = pa.DictionaryArray.from_arrays(enc.indices.cast(key_type), enc.dictionary)
    j0 = Journeys.from_arrow(plain)
    j1 = Journeys.from_arrow(plain.set_column(0, "child_id", enc))
    assert j1.n_children == j0.n_children == n
    assert j1.n_spells == j0.n_spells
    got = [str(v) for v in j1.child_ids.to_pylist()]
    assert got == j0.child_ids.to_pylist()
    f0, f1 = (
        carevis.Scene(j0).frame(dt.date(1970, 1, 7)),
        carevis.Scene(j1).frame(dt.date(1970, 1, 7)),
    )
    assert np.array_equal(f0.state, f1.state)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (lambda t: t.drop_columns(["end"]), SchemaError, ["'end'", "missing"]),
        (
            lambda t: t.set_column(2, "start", pa.array(["a"] * t.num_rows)),
            SchemaError,
            ["'start'", "date"],
        ),
        (
            lambda t: t.set_column(0, "child_id", pa.array([1.5] * t.num_rows)),
            SchemaError,
            ["'child_id'"],
        ),
    ],
)
def test_schema_errors_name_the_column(small: pa.Table, change, error, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as e:
        Journeys.from_arrow(change(small))
    for w in words:
        assert w in str(e.value)


def test_value_errors_name_row_column_and_value() -> None:
    null_id = pa.table(
        {
            "child_id": pa.array([1, None], pa.int64()),
            "state": ["Referral", "Referral"],
            "start": pa.array([day(0), day(1)], pa.date32()),
            "end": pa.array([day(1), day(2)], pa.date32()),
        }
    )
    with pytest.raises(DataError, match=r"row 1, column 'child_id'.*missing.*null"):
        Journeys.from_arrow(null_id)
    with pytest.raises(
        DataError, match=r"row 1, column 'end': end is before start \(value: 2020-01-01\)"
    ):
        Journeys.from_arrow(table([(1, "Referral", 0, 1), (2, "Referral", 3, 0)]))
    with pytest.raises(DataError, match=r"row 1, column 'start'.*overlaps.*row 0"):
        Journeys.from_arrow(table([(1, "Referral", 0, 10), (1, "Assessment", 5, 20)]))
    far = pa.table(
        {
            "child_id": [1],
            "state": ["Referral"],
            "start": pa.array([dt.date(1850, 1, 1)], pa.date32()),
            "end": pa.array([None], pa.date32()),
        }
    )
    with pytest.raises(DataError, match=r"row 0, column 'start': date out of range.*1850-01-01"):
        Journeys.from_arrow(far)


def test_reject_sets_rows_aside_and_counts_them(tmp_path: Path) -> None:
    t = table(
        [
            (1, "Referral", 0, 10),
            (1, "Assessment", 5, 20),  # overlaps row 0
            (2, "Referral", 3, 1),  # ends before it starts
            (3, "Referral", 3, None),
        ]
    )
    j = Journeys.from_arrow(t, on_error="reject")
    assert j.n_rows == 4 and j.n_spells == 2 and j.n_rejected == 2
    rej = j.rejects.to_pylist()
    assert [r["row"] for r in rej] == [1, 2]
    assert rej[0]["column"] == "start" and "overlaps" in rej[0]["rule"]
    assert rej[1]["rule"] == "end is before start"
    path = tmp_path / "rejects.csv"
    assert j.write_rejects(path) == 2
    text = path.read_text()
    assert "end is before start" in text and "overlaps" in text
    assert not list(tmp_path.glob("*.part"))


def test_bad_options() -> None:
    with pytest.raises(ConfigError):
        Journeys.from_arrow(table([(1, "Referral", 0, 1)]), on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="not an Arrow table"):
        Journeys.from_arrow([1, 2, 3])


def test_no_rust_panic_reaches_python() -> None:
    with pytest.raises(carevis.CarevisError, match="internal error"):
        carevis._native._panic_for_test()


def test_read_formats(tmp_path: Path, small: pa.Table) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.feather as feather

    pq.write_table(small, tmp_path / "j.parquet")
    feather.write_feather(small, tmp_path / "j.feather")
    pacsv.write_csv(small, tmp_path / "j.csv")
    part = tmp_path / "parts"
    pq.write_to_dataset(small, part, partition_cols=["la"])
    for p in ("j.parquet", "j.feather", "j.csv", "parts"):
        j = carevis.read(tmp_path / p)
        assert (j.n_children, j.n_spells) == (3, 6), p
    (tmp_path / "j.xlsx").write_text("nope")
    with pytest.raises(SchemaError, match=r"j\.xlsx.*unknown format"):
        carevis.read(tmp_path / "j.xlsx")
    with pytest.raises(carevis.CarevisError, match="no such file"):
        carevis.read(tmp_path / "missing.parquet")


def test_bad_file_error_names_the_file(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv

    t = table([(1, "Referral", 5, 1)])
    pacsv.write_csv(t, tmp_path / "bad.csv")
    with pytest.raises(DataError, match=r"bad\.csv.*row 0, column 'end'"):
        carevis.read(tmp_path / "bad.csv")


def test_index_memory_per_spell() -> None:
    t = random_table(3000, seed=4)
    j = Journeys.from_arrow(t)
    assert j.index_bytes() / j.n_spells <= 24


def test_random_tables_index_every_row() -> None:
    t = random_table(500, seed=1)
    j = Journeys.from_arrow(t)
    assert j.n_spells == t.num_rows
    assert j.n_children == len(np.unique(t.column("child_id").to_numpy()))
