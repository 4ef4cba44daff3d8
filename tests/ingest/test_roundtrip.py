"""read(write(table)) gives the same journeys; random episode sets keep the invariants."""

from __future__ import annotations

import datetime as dt
import itertools

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from carevis.errors import DataError
from carevis.ingest import (
    hash_one,
    read_cin_census,
    read_journeys,
    read_ssda903,
    write_cin_census,
    write_ssda903,
)
from carevis.ingest.schema import EXIT_STATES, FRONT_DOOR_STATES, LOST
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import (
    PATHS,
    assert_no_overlap,
    journeys_of,
    make_journeys,
    write_csv,
)


@pytest.fixture(scope="module")
def table():
    return make_journeys(n_children=45)


def test_fixture_covers_every_path(table):
    j = journeys_of(table)
    states = {s for v in j.values() for s, _, _ in v}
    assert set(EXIT_STATES) - {LOST} <= states
    assert "Referral" in states and "Placed for adoption" in states
    kinds = {
        "front door only": any(all(s in FRONT_DOOR_STATES for s, _, _ in v) for v in j.values()),
        "into care": any(
            v[0][0] == "Referral" and any(s not in FRONT_DOOR_STATES for s, _, _ in v)
            for v in j.values()
        ),
        "open at end": any(v[-1][2] is None for v in j.values()),
        "re-entry": any(
            sum(
                1
                for a, b in itertools.pairwise(v)
                if a[0] in EXIT_STATES and b[0] not in FRONT_DOOR_STATES and b[0] not in EXIT_STATES
            )
            for v in j.values()
        ),
        "same-day step": any(s == e for v in j.values() for _, s, e in v),
    }
    assert all(kinds.values()), kinds
    assert len(j) == 45 and len(PATHS) >= 15


def test_round_trip_903_and_cin(table, tmp_path):
    files = write_ssda903(table, tmp_path / "903")
    cin_files = write_cin_census(table, tmp_path / "cin")
    assert files and cin_files
    # as councils submit: open episodes repeated in the next year's return, dd/mm/yyyy
    ep_text = files[0].read_text()
    assert ep_text.startswith("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC")
    res = read_journeys(ssda903=tmp_path / "903", cin=tmp_path / "cin")
    assert (
        res.rows_in == res.rows_used + res.rows_not_needed + res.rows_superseded + res.rows_rejected
    )
    assert {r for r in res.report.to_table()["severity"].to_pylist()} <= {"info"}
    assert journeys_of(res.table) == journeys_of(table)
    assert_no_overlap(res.table)
    # per-child attributes survive too
    a = {
        c: (s, b)
        for c, s, b in zip(
            table["child_id"].to_pylist(),
            table["sex"].to_pylist(),
            table["birth_month"].to_pylist(),
            strict=False,
        )
    }
    b = {
        c: (s, bm)
        for c, s, bm in zip(
            res.table["child_id"].to_pylist(),
            res.table["sex"].to_pylist(),
            res.table["birth_month"].to_pylist(),
            strict=False,
        )
    }
    assert a == b


def test_round_trip_903_only(table, tmp_path):
    care = table.filter(
        pc.invert(pc.is_in(table["state"].cast(pa.string()), value_set=pa.array(FRONT_DOOR_STATES)))
    )
    write_ssda903(care, tmp_path)
    res = read_ssda903(tmp_path)
    assert journeys_of(res.table) == journeys_of(care)
    # placements and reasons survive as codes
    got = dict(
        zip(
            zip(res.table["child_id"].to_pylist(), res.table["start"].to_pylist(), strict=False),
            res.table["placement"].to_pylist(),
            strict=False,
        )
    )
    want = dict(
        zip(
            zip(care["child_id"].to_pylist(), care["start"].to_pylist(), strict=False),
            care["placement"].to_pylist(),
            strict=False,
        )
    )
    assert got == want


def test_writer_years_and_sex_codes(tmp_path):
    t = make_journeys(n_children=15)
    files = write_ssda903(t, tmp_path, years=[2020, 2025])
    names = sorted(p.name for p in files)
    assert names and all("_2020_" in n or "_2025_" in n for n in names)
    hdr_file = next(p for p in files if p.name.endswith("2020_header.csv"))
    hdr20 = hdr_file.read_text().splitlines()[1:]
    assert {line.split(",")[1] for line in hdr20} <= {"1", "2", "U"}


def test_cin_census_round_trip_alone(table, tmp_path):
    fd = table.filter(
        pc.is_in(table["state"].cast(pa.string()), value_set=pa.array(FRONT_DOOR_STATES))
    )
    write_cin_census(fd, tmp_path)
    res = read_cin_census(tmp_path)
    assert journeys_of(res.table) == journeys_of(fd)


# -- random episode sets ---------------------------------------------------------------

PLACES = ["U1", "U6", "K2", "H5", "P1", "A6", "R2", "Q2", "ZZ", ""]
RECS = ["X1", "E11", "E4A", "E45", "E8", "", "E99"]
LSS = ["C2", "V2", "V3", "V4", "E1", ""]


@st.composite
def episode_files(draw):
    base = dt.date(2016, 4, 1)
    files = {}
    for year in draw(st.lists(st.integers(2017, 2021), min_size=1, max_size=3, unique=True)):
        rows = []
        for _ in range(draw(st.integers(0, 25))):
            child = f"K{draw(st.integers(0, 6))}"
            start = base + dt.timedelta(days=draw(st.integers(0, 5 * 365)))
            end = (
                None
                if draw(st.booleans())
                else start + dt.timedelta(days=draw(st.integers(-5, 400)))
            )
            fmt = draw(st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"]))
            rows.append(
                ",".join(
                    [
                        child,
                        start.strftime(fmt),
                        "S",
                        draw(st.sampled_from(LSS)),
                        "N1",
                        draw(st.sampled_from(PLACES)),
                        "PR1",
                        "" if end is None else end.strftime("%d/%m/%Y"),
                        draw(st.sampled_from(RECS)),
                        "",
                        "",
                        "",
                        "",
                    ]
                )
            )
        files[year] = rows
    return files


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=episode_files())
def test_random_episode_sets_keep_invariants(files, tmp_path_factory):
    d = tmp_path_factory.mktemp("rand")
    head = (
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,"
        "REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    )
    for year, rows in files.items():
        write_csv(d / f"SSDA903_850_{year}_episodes.csv", head + "".join(r + "\n" for r in rows))
    try:
        res = read_ssda903(d)
    except DataError as e:  # an empty result is an error; its report is still there
        res = e.result
        assert res.table.num_rows == 0 and "no row of the input made a journey" in str(e)
    n = sum(len(r) for r in files.values())
    assert res.rows_in == n
    assert (
        res.rows_in == res.rows_used + res.rows_not_needed + res.rows_superseded + res.rows_rejected
    )
    rep = res.report.to_table()
    rej = pc.sum(rep.filter(pc.equal(rep["action"], "rejected"))["rows"]).as_py() or 0
    assert rej == res.rows_rejected
    # every rejected row appears exactly once in the report
    lines = [
        (f, ln)
        for f, ln, a in zip(
            rep["file"].to_pylist(),
            rep["line"].to_pylist(),
            rep["action"].to_pylist(),
            strict=False,
        )
        if a == "rejected"
    ]
    assert len(lines) == len(set(lines))
    assert_no_overlap(res.table)
    assert not any("K" in c.split("-", 1)[0] for c in res.table["child_id"].to_pylist())
    assert not any(
        v and v.startswith("K")
        for v in rep.filter(pc.equal(rep["field"], "CHILD"))["value"].to_pylist()
    )
    # one care spell per used episode (invalid PLACE codes give null placement, so count states)
    exits = (
        pc.sum(
            pc.is_in(res.table["state"].cast(pa.string()), value_set=pa.array(EXIT_STATES))
        ).as_py()
        or 0
    )
    assert res.table.num_rows - exits == res.report.by_table.get("episodes", [0, 0, 0])[1]


def test_round_trip_with_hashed_ids_joins_903_and_cin(table, tmp_path):
    write_ssda903(table, tmp_path / "903")
    write_cin_census(table, tmp_path / "cin")
    key = "round-trip-secret"
    res = read_journeys(ssda903=tmp_path / "903", cin=tmp_path / "cin", hash_key=key)
    want = {
        hash_one(c.split("-", 1)[0], c.split("-", 1)[1], key): v
        for c, v in journeys_of(table).items()
    }
    assert journeys_of(res.table) == want
    assert not any(c.startswith("822-") for c in res.table["child_id"].to_pylist())


def test_writer_takes_rec_from_the_exit_spell_and_never_invents_a_death(tmp_path):
    """The synthetic England records the reason on the exit spell, not the care spell: the
    writer writes that code (E3 here), and an exit with no usable code gets E8 ('any other
    reason'), never E2 ('died', after which DfE rule 437 allows no further episode)."""
    d = dt.date

    def spells(child, reason):
        return [
            (child, "Foster care (other)", d(2019, 5, 1), d(2019, 8, 1), None),
            (child, "Other exit", d(2019, 8, 1), d(2019, 8, 29), reason),
            (child, "Foster care (other)", d(2019, 10, 1), d(2019, 12, 1), None),
            (child, "Returned home", d(2019, 12, 1), d(2019, 12, 29), "E13"),
        ]

    rows = spells("822-1", "E3") + spells("822-2", None) + spells("822-3", "E5")
    cols = list(zip(*rows, strict=True))
    t = pa.table(
        {
            "child_id": pa.array(cols[0]),
            "state": pa.array(cols[1]),
            "start": pa.array(cols[2], pa.date32()),
            "end": pa.array(cols[3], pa.date32()),
            "la": pa.array(["822"] * len(rows)),
            "reason_ceased": pa.array(cols[4], pa.string()),
        }
    )
    (ep,) = [p for p in write_ssda903(t, tmp_path) if p.name.endswith("episodes.csv")]
    recs = [(r.split(",")[0], r.split(",")[8]) for r in ep.read_text().splitlines()[1:]]
    # E5 maps to 'Independence / adulthood', not to the 'Other exit' that follows: default
    assert recs == [
        ("1", "E3"),
        ("1", "E13"),
        ("2", "E8"),
        ("2", "E13"),
        ("3", "E8"),
        ("3", "E13"),
    ]
    res = read_ssda903(ep.parent)
    assert res.report.errors == 0
    assert journeys_of(res.table) == journeys_of(t)
