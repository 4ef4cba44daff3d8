"""Hostile Arrow input: corrupt Feather / IPC and Parquet files and faulty Arrow producers
give a CarevisError (never a crash: each case runs in a child process, so a signal fails
the test instead of ending the run), and a column name given twice is refused at once."""

from __future__ import annotations

import json
from pathlib import Path

import carevis
import pyarrow as pa
import pytest
from carevis import DataError, Journeys, SchemaError

from tests.fault_cases import corrupt_ipc, corrupt_parquet, journeys_table, run_python

READ_ALL = """
import json, sys, carevis
out = {}
for p in sys.argv[1:]:
    try:
        j = carevis.read(p)
        out[p] = ["ok", j.n_children]
    except carevis.CarevisError as e:
        out[p] = [type(e).__name__, str(e)]
    except Exception as e:
        out[p] = ["bare " + type(e).__name__, str(e)]
print(json.dumps(out))
"""


def read_in_child(paths: list[Path]) -> dict[str, list[object]]:
    r = run_python(READ_ALL, *map(str, paths))
    assert r.returncode == 0, f"the reader died (exit {r.returncode}): {r.stderr[-2000:]}"
    found: dict[str, list[object]] = json.loads(r.stdout)
    return found


@pytest.mark.parametrize("how", ["past", "backwards", "utf8"])
def test_corrupt_feather_is_refused_not_a_crash(tmp_path: Path, how: str) -> None:
    path = corrupt_ipc(tmp_path / f"{how}.feather", how)
    kind, message = read_in_child([path])[str(path)]
    assert kind == "DataError", message
    assert "child_id" in str(message) and "not valid Arrow data" in str(message)
    assert str(path) in str(message)


def test_corrupt_parquet_files_are_refused(tmp_path: Path) -> None:
    paths = [corrupt_parquet(tmp_path, seed) for seed in range(24)]
    found = read_in_child(paths)
    for p in paths:
        kind, message = found[str(p)]
        # a flip that happens to leave the file readable is fine; a bare error is not
        assert kind in ("ok", "SchemaError", "DataError"), (p.name, kind, message)
    assert sum(v[0] != "ok" for v in found.values()) >= 12


PRODUCER = """
import sys
import pyarrow as pa
from carevis import CarevisError, Journeys
from tests.fault_cases import journeys_table

t = journeys_table(100)
name = sys.argv[1]
# offsets that jump past the data half-way (the last one, which pyarrow checks, is fine)
offsets = list(range(0, 801, 8))
offsets[50] = 1 << 30
buf = pa.array(offsets, pa.int32()).buffers()[1]
data = pa.array([f"{v:<8}"[:8] for v in t.column(name).to_pylist()]).buffers()[2]
bad = pa.Array.from_buffers(pa.string(), 100, [None, buf, data])
try:
    Journeys.from_arrow(t.set_column(t.schema.get_field_index(name), name, bad))
    print("accepted")
except CarevisError as e:
    print(type(e).__name__, e)
"""


@pytest.mark.parametrize("name", ["child_id", "state", "la"])
def test_faulty_producer_is_refused(name: str) -> None:
    """An Arrow producer (here pyarrow, which checks only the last offset) handing over
    offsets that point past the data: refused through the PyCapsule interface too, in
    any column. In a child process: without the check, this can crash."""
    r = run_python(PRODUCER, name)
    assert r.returncode == 0, f"died (exit {r.returncode}): {r.stderr[-2000:]}"
    assert r.stdout.startswith(f"DataError column '{name}'"), r.stdout
    assert "not valid Arrow data" in r.stdout


def test_dictionary_keys_out_of_range_are_refused() -> None:
    t = journeys_table(100)
    keys = pa.array([0] * 99 + [7], pa.int32())
    state = pa.DictionaryArray.from_buffers(
        pa.dictionary(pa.int32(), pa.string()), 100, keys.buffers(), pa.array(["Referral"])
    )
    with pytest.raises(DataError, match="column 'state'"):
        Journeys.from_arrow(t.set_column(1, "state", state))


def test_valid_input_still_reads(tmp_path: Path) -> None:
    import pyarrow.feather as feather

    feather.write_feather(journeys_table(), tmp_path / "ok.feather", compression="uncompressed")
    assert carevis.read(tmp_path / "ok.feather").n_children == 1000


@pytest.mark.parametrize("twice", ["child_id", "la", "start"])
def test_a_column_name_given_twice_is_a_schema_error(twice: str) -> None:
    t = journeys_table(10)
    t = t.append_column(twice, t.column(twice))
    with pytest.raises(SchemaError, match=f"column '{twice}' appears 2 times"):
        Journeys.from_arrow(t)


def test_duplicate_columns_in_a_file(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    t = journeys_table(10)
    pq.write_table(t.append_column("la", t.column("la")), tmp_path / "dup.parquet")
    with pytest.raises(SchemaError, match=r"dup\.parquet.*'la' appears 2 times"):
        carevis.read(tmp_path / "dup.parquet")
