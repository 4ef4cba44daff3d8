"""The Rust kernels of the ingest (CSV reader, child keys, sorts) give exactly what their
reference implementations (``reference.py``, numpy and pyarrow) give: the same journeys,
the same report, the same counts, on hand-made messy files and on generated returns."""

from __future__ import annotations

from pathlib import Path

import carevis._native as native
import numpy as np
import pyarrow as pa
import pytest
from carevis.errors import ConfigError
from carevis.ingest import (
    read_cin_census,
    read_journeys,
    read_ssda903,
    write_cin_census,
    write_ssda903,
)
from carevis.ingest._arrow import dict_indices
from carevis.ingest._sort import argsort_stable, first_of_each, latest_in_groups
from carevis.ingest.ssda903.attributes import month_start

from tests import returns_gen as gen

from . import reference
from .support import make_journeys, write_csv


def _messy(root: Path) -> None:
    """Files the fast reader must hand back or read exactly as pyarrow does."""
    ep = (
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,"
        "HOME_POST,PL_POST,URN"
    )
    # CRLF, quoted fields with commas and escaped quotes, padded codes, null spellings.
    rows = [
        '900001,01/05/2019,P,C2,N1,U3,PR1,01/06/2019,X1,,"AB1, 2CD",,',
        '900001,01/06/2019,P, c2 ,"N1",U6,PR1,NA,,,,,',
        '"900002",15/03/2020,S,C2,N2,K2,PR2,20/03/2020,E13,,"say ""hi""",,',
        "",
        "900003,12/12/2019,P,V2,N1,U4,PR1,,,,,,",
    ]
    write_csv(
        root / "E09000001" / "SSDA903_E09000001_2020_episodes.csv",
        ep + "\r\n" + "\r\n".join(rows) + "\r\n",
    )
    # A row with a field too many: this file takes the careful reader, row reported.
    bad = ["900010,01/05/2019,P,C2,N1,U3,PR1,,,,,,", "900011,01/05/2019,P,C2,N1,U3,PR1,,,,,,,extra"]
    write_csv(
        root / "E09000002" / "SSDA903_E09000002_2020_episodes.csv",
        ep + "\n" + "\n".join(bad) + "\n",
    )
    hd = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
    hrows = [
        "900001,1,01/01/2010,WBRI,,,",
        "900002,2,02/02/2011, BAFR ,,,",
        "900003,1,03/03/2012,WBRI,,,",
        "900010,2,04/04/2013,WBRI,,,",
        "900011,1,05/05/2014,WBRI,,,",
    ]
    write_csv(
        root / "E09000001" / "SSDA903_E09000001_2020_header.csv", hd + "\n" + "\n".join(hrows[:3])
    )  # no final line break
    write_csv(
        root / "E09000002" / "SSDA903_E09000002_2020_header.csv",
        hd + "\n" + "\n".join(hrows[3:]) + "\n",
    )


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("returns")
    write_ssda903(make_journeys(n_children=60), root / "clean", years=range(2016, 2021))
    _messy(root / "messy")
    kids = gen.world(150, 4)
    gen.write_returns(root / "gen", kids, range(2016, 2020), naming="dash", layout="csv-shuffled")
    gen.write_returns(root / "xml", kids, range(2016, 2020), naming="start", layout="xml", la="801")
    return root


def _read(root: Path, keep_ids: bool) -> tuple[pa.Table, pa.Table, tuple[int, ...]]:
    r = read_ssda903(root, keep_ids=keep_ids, hash_key="k" * 16 if not keep_ids else None)
    counts = (r.rows_in, r.rows_used, r.rows_rejected, r.rows_not_needed, r.rows_superseded)
    return r.table, r.report.to_table(), counts


@pytest.mark.parametrize("keep_ids", [False, True])
def test_rust_kernels_match_the_references(returns, monkeypatch, keep_ids):
    fast = _read(returns, keep_ids)
    with monkeypatch.context() as m:
        reference.use_references(m)
        assert native.parse_csv_bodies is reference.parse_csv_bodies
        slow = _read(returns, keep_ids)
    assert fast[2] == slow[2]
    assert fast[2][0] == sum(fast[2][1:])
    assert fast[0].equals(slow[0]), "journeys differ"
    assert fast[1].equals(slow[1]), "reports differ"
    rep = fast[1].to_pydict()
    # The malformed row was reported where it is, and the rest of its file was read.
    assert any(
        r == "wrong_field_count" and ln == 3 for r, ln in zip(rep["rule"], rep["line"], strict=True)
    )
    assert fast[0].num_rows > 100


def test_fast_reader_reads_quotes_and_null_spellings_like_pyarrow(returns):
    f = returns / "messy" / "E09000001" / "SSDA903_E09000001_2020_episodes.csv"
    data = f.read_bytes()
    start = data.index(b"\n") + 1
    names = data[:start].decode().strip().split(",")
    keep = [names.index(c) for c in ("CHILD", "LS", "DEC", "HOME_POST", "CIN")]
    parsed, trouble = native.parse_csv_bodies([data], [start], len(names), keep)
    assert trouble is None
    cols, lines, counts = parsed
    assert counts == [4] and list(lines) == [2, 3, 4, 6]
    import io

    import pyarrow.csv as pacsv

    ref = pacsv.read_csv(
        io.BytesIO(data),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    for c, col in zip(("CHILD", "LS", "DEC", "HOME_POST", "CIN"), cols, strict=True):
        assert col.cast(pa.string()).to_pylist() == ref.column(c).to_pylist(), c


def test_fast_reader_hands_back_a_bad_row():
    body = b"a,b\n1,2\n3,4,5\n"
    parsed, trouble = native.parse_csv_bodies([body], [4], 2, [0, 1])
    assert parsed is None
    assert trouble == (0, 3, "wrong number of fields")


def test_cin_and_joined_journeys_match_the_references(returns, monkeypatch, tmp_path):
    j = make_journeys(n_children=80, seed=5)
    write_ssda903(j, tmp_path / "903", years=range(2016, 2021))
    write_cin_census(j, tmp_path / "cin", years=range(2016, 2021))

    def both() -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
        c = read_cin_census(tmp_path / "cin", hash_key="k" * 16)
        r = read_journeys(ssda903=[tmp_path / "903", returns / "gen"], cin=tmp_path / "cin")
        return c.table, c.report.to_table(), r.table, r.report.to_table()

    fast = both()
    with monkeypatch.context() as m:
        reference.use_references(m)
        slow = both()
    assert fast[0].num_rows > 50 and fast[2].num_rows > fast[0].num_rows
    for a, b in zip(fast, slow, strict=True):
        assert a.equals(b)


def test_argsort_stable_matches_numpy():
    rng = np.random.default_rng(3)
    keys = rng.integers(-50, 50, 20_000)
    assert np.array_equal(argsort_stable(keys), reference.argsort_stable(keys))


@pytest.mark.parametrize("n", [5_000, 120_000])  # the larger in many parallel pieces
def test_latest_in_groups_matches_the_reference(n: int) -> None:
    rng = np.random.default_rng(9)
    child = rng.integers(0, max(400, n // 12), n)
    start = rng.integers(0, 30, n)
    year = rng.integers(2016, 2020, n)
    content = [rng.integers(0, 3, n), rng.integers(0, 2, n)]
    rows = np.flatnonzero(rng.random(n) < 0.9)
    got = latest_in_groups(rows, [child, start], year, content)
    want = reference.latest_in_groups(rows, [child, start], year, content)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)
    assert got[2].any() and got[3].any() and got[4].any()  # every kind of follower


def test_month_start_matches_arrow():
    import pyarrow.compute as pc
    from carevis.ingest._dates import NULL_DAY, arrow_to_days, days_to_arrow

    d = np.random.default_rng(1).integers(-40_000, 40_000, 5_000)
    d[::7] = NULL_DAY
    want = arrow_to_days(pc.floor_temporal(days_to_arrow(d.astype(np.int32)), unit="month"))
    assert np.array_equal(month_start(d), want)
    assert np.array_equal(month_start(np.full(3, NULL_DAY)), np.full(3, NULL_DAY))


@pytest.mark.parametrize("index_type", [pa.int8(), pa.int16(), pa.int32(), pa.int64()])
def test_dictionary_indices_read_by_the_core_match_pyarrows_fill_null(
    index_type: pa.DataType,
) -> None:
    rng = np.random.default_rng(3)
    n = 1000
    keys = pa.array(rng.integers(0, 100, n), index_type, mask=rng.random(n) < 0.3)
    col = pa.DictionaryArray.from_arrays(keys, pa.array([f"v{i}" for i in range(100)]))
    # slices start inside a bitmap byte, and the no-null and empty cases
    for part in (col, col.slice(13, 500), col.slice(3, 0), col.slice(0, 1)):
        want = np.asarray(part.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
        got = dict_indices(part)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want)
    whole = pa.DictionaryArray.from_arrays(
        pa.array([2, 0, 1], index_type), pa.array(["a", "b", "c"])
    )
    np.testing.assert_array_equal(dict_indices(whole.slice(1)), [0, 1])
    with pytest.raises(ConfigError, match="not a dictionary"):
        dict_indices(pa.array([1, 2], index_type))


def test_first_of_each_key_is_numpys_unique_return_index() -> None:
    rng = np.random.default_rng(4)
    for n in (1, 7, 5000):
        dense = rng.integers(0, max(1, n // 3), n)  # child keys: counted per key
        for keys in (dense, rng.integers(-5, 5, n), rng.integers(0, 2**40, n), np.sort(dense)):
            want = np.unique(keys, return_index=True)[1]
            np.testing.assert_array_equal(first_of_each(keys), want)
    assert len(first_of_each(np.zeros(0, np.int64))) == 0


def test_files_are_read_whole_into_bytes_filled_in_place(tmp_path: Path) -> None:
    # made at the size read first, then filled by the core's threads: every length,
    # empty and one-byte files, a file over the cap and a missing one (None, as before)
    texts = [b"", b"x", b"CHILD,DECOM\n1,01/04/2019\n" * 500, bytes(range(256)) * 9]
    paths = []
    for i, t in enumerate(texts):
        paths.append(tmp_path / f"f{i}.csv")
        paths[-1].write_bytes(t)
    got = native.read_files([str(p) for p in paths], 1 << 20)
    assert got == texts and all(type(b) is bytes for b in got)
    assert native.read_files([str(paths[2]), str(tmp_path / "missing.csv")], 100) == [None, None]
    assert native.read_files([str(paths[1])], 1) == [b"x"]
