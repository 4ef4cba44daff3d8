"""Each stitching / validation rule on hand-made files, malformed files, code variants, ids."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from carevis.errors import ConfigError, DataError
from carevis.ingest import hash_one, read_cin_census, read_journeys, read_ssda903

from tests import returns_gen as gen

from .support import DATA, assert_no_overlap, write_csv

EP_HEAD = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,"
    "REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
)
HD_HEAD = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
D = dt.date


def ep(*rows: str) -> str:
    return EP_HEAD + "".join(r + ",,,,\n" for r in rows)


def spells(res, child=None):
    t = res.table
    out = list(
        zip(
            t["child_id"].to_pylist(),
            t["state"].cast(pa.string()).to_pylist(),
            t["start"].to_pylist(),
            t["end"].to_pylist(),
            strict=False,
        )
    )
    return [r[1:] for r in out if child is None or r[0] == child]


def rules(res, rule=None):
    rep = res.report.to_table().to_pylist()
    return [r for r in rep if rule is None or r["rule"] == rule]


def check_counts(res):
    assert res.rows_in == (
        res.rows_used + res.rows_not_needed + res.rows_superseded + res.rows_rejected
    )
    rep = res.report.to_table()
    rej = pc.sum(rep.filter(pc.equal(rep["action"], "rejected"))["rows"]).as_py() or 0
    assert rej == res.rows_rejected


# -- stitching rules ----------------------------------------------------------


def test_duplicates_across_years_dropped_and_later_submission_wins(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2019_episodes.csv",
        ep(
            "C1,01/06/2018,S,C2,N1,U6,PR1,,",  # open at 2019 year end
            "C2,01/07/2018,S,C2,N1,K2,PR1,01/09/2018,E4A",
        ),
    )
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            "C1,01/06/2018,S,C2,N1,U6,PR1,01/05/2019,E11",  # same episode, now closed
            "C2,01/07/2018,S,C2,N1,K2,PR1,01/09/2018,E4A",  # exact repeat (should not be, but is)
        ),
    )
    res = read_ssda903(tmp_path)
    check_counts(res)
    assert [r["line"] for r in rules(res, "superseded_episode")] == [2]
    assert len(rules(res, "duplicate_episode")) == 1
    assert spells(res, "800-C1") == [
        ("Foster care (other)", D(2018, 6, 1), D(2019, 5, 1)),
        ("Adopted", D(2019, 5, 1), D(2019, 5, 29)),
    ]


def test_open_episode_closed_at_next_start(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            "C1,01/06/2019,S,C2,N1,U6,PR1,,",
            "C1,01/09/2019,P,C2,N1,K2,PR1,,",
        ),
    )
    res = read_ssda903(tmp_path)
    assert [r["line"] for r in rules(res, "open_episode_closed")] == [2]
    assert spells(res) == [
        ("Foster care (other)", D(2019, 6, 1), D(2019, 9, 1)),
        ("Children's home & secure", D(2019, 9, 1), None),
    ]


def test_open_episode_closed_at_year_end_when_child_left(tmp_path):
    write_csv(tmp_path / "SSDA903_800_2019_episodes.csv", ep("C1,01/06/2018,S,C2,N1,U6,PR1,,"))
    write_csv(tmp_path / "SSDA903_800_2020_episodes.csv", ep("C2,01/06/2019,S,C2,N1,U6,PR1,,"))
    res = read_ssda903(tmp_path)
    assert [r["line"] for r in rules(res, "closed_at_year_end")] == [2]
    # the 2018-19 return says C1 was looked after on 31 March 2019: the episode ends the
    # day after, and the journey ends lost to follow-up (not a made-up exit)
    assert spells(res, "800-C1") == [
        ("Foster care (other)", D(2018, 6, 1), D(2019, 4, 1)),
        ("Lost to follow-up", D(2019, 4, 1), D(2019, 4, 29)),
    ]
    assert res.report.lost_to_follow_up == 1
    assert "lost to follow-up: 1 children" in res.summary()
    assert spells(res, "800-C2") == [
        ("Foster care (other)", D(2019, 6, 1), None)
    ]  # latest year: still open


def test_overlap_clipped(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            "C1,01/09/2019,P,C2,N1,K2,PR1,01/12/2019,E4A",  # out of order too
            "C1,01/06/2019,S,C2,N1,U6,PR1,15/10/2019,E8",
        ),
    )
    res = read_ssda903(tmp_path)
    assert [(r["line"], r["value"]) for r in rules(res, "overlap_clipped")] == [(3, "15/10/2019")]
    assert spells(res) == [
        ("Foster care (other)", D(2019, 6, 1), D(2019, 9, 1)),  # E8 dropped: care continued
        ("Children's home & secure", D(2019, 9, 1), D(2019, 12, 1)),
        ("Returned home", D(2019, 12, 1), D(2019, 12, 29)),
    ]


def test_x1_gap_closed_and_x1_without_next(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            "C1,01/06/2019,S,C2,N1,U6,PR1,01/08/2019,X1",
            "C1,10/08/2019,P,C2,N1,K2,PR1,01/10/2019,X1",
        ),
    )
    res = read_ssda903(tmp_path)
    assert [r["line"] for r in rules(res, "x1_gap_closed")] == [2]
    assert [r["line"] for r in rules(res, "x1_without_next")] == [3]
    assert spells(res) == [
        ("Foster care (other)", D(2019, 6, 1), D(2019, 8, 10)),
        ("Children's home & secure", D(2019, 8, 10), D(2019, 10, 1)),
        ("Lost to follow-up", D(2019, 10, 1), D(2019, 10, 29)),  # X1 with nothing after
    ]
    assert res.report.lost_to_follow_up == 1


def test_rec_missing(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            "C1,01/06/2019,S,C2,N1,U6,PR1,01/08/2019,",
            "C1,01/08/2019,P,C2,N1,K2,PR1,01/10/2019,",
        ),
    )
    res = read_ssda903(tmp_path)
    assert [r["line"] for r in rules(res, "rec_missing")] == [2, 3]
    assert [s[0] for s in spells(res)] == [
        "Foster care (other)",
        "Children's home & secure",
        "Other exit",
    ]


def test_reentry_gives_exit_cut_short_and_new_period(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            "C1,01/06/2019,S,C2,N1,U6,PR1,01/08/2019,E4B",
            "C1,11/08/2019,S,V2,N1,U6,PR1,,",
        ),
    )
    res = read_ssda903(tmp_path)
    assert spells(res) == [
        ("Foster care (other)", D(2019, 6, 1), D(2019, 8, 1)),
        ("Returned home", D(2019, 8, 1), D(2019, 8, 11)),  # cut short by the re-entry
        ("Foster care (other)", D(2019, 8, 11), None),
    ]
    assert rules(res, "x1_gap_closed") == []


def test_row_rejections(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            ",01/06/2019,S,C2,N1,U6,PR1,,",  # no CHILD
            "C2,,S,C2,N1,U6,PR1,,",  # no DECOM
            "C3,01/06/2019,S,C2,N1,U6,PR1,01/05/2019,E8",  # end before start
            "C4,01/06/2020,S,C2,N1,U6,PR1,,",  # after the 2020 year end
            "C5,01/06/2019,S,C2,N1,U6,PR1,01/06/2020,E8",  # ends after the year end -> open
            "C6,01/06/2019,S,C2,N1,U6,PR1,,",
            "C6,01/06/2019,S,C2,N1,K2,PR1,,",  # same return, same start, other content
        ),
    )
    res = read_ssda903(tmp_path)
    check_counts(res)
    got = {(r["rule"], r["line"]) for r in rules(res) if r["action"] == "rejected"}
    assert got == {
        ("missing_value", 2),
        ("missing_value", 3),
        ("end_before_start", 4),
        ("start_after_year_end", 5),
        ("duplicate_start", 7),
    }
    assert [r["line"] for r in rules(res, "end_after_year_end")] == [6]
    assert spells(res, "800-C5") == [("Foster care (other)", D(2019, 6, 1), None)]
    assert spells(res, "800-C6") == [
        ("Children's home & secure", D(2019, 6, 1), None)
    ]  # last row kept


def test_invalid_codes_repaired(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep(
            "C1,01/06/2019,*DUMMY*,XX,N99,ZZ,PR1,01/08/2019,E99",
        ),
    )
    res = read_ssda903(tmp_path)
    bad = {r["field"]: r["value"] for r in rules(res, "invalid_code")}
    assert bad == {"RNE": "*DUMMY*", "LS": "XX", "CIN": "N99", "PLACE": "ZZ", "REC": "E99"}
    assert spells(res) == [
        ("Other placement", D(2019, 6, 1), D(2019, 8, 1)),
        ("Other exit", D(2019, 8, 1), D(2019, 8, 29)),
    ]
    assert res.table["placement"].to_pylist()[0] is None
    assert res.rows_rejected == 0


# -- code variants ------------------------------------------------------------------


def test_code_variants_across_years():
    res = read_ssda903(DATA / "merged")
    check_counts(res)
    t = res.table
    by = {
        (c, str(s)): (p, x)
        for c, s, p, x in zip(
            t["child_id"].to_pylist(),
            t["state"].cast(pa.string()).to_pylist(),
            t["placement"].to_pylist(),
            t["sex"].to_pylist(),
            strict=False,
        )
    }
    assert by[("202-M2", "Supported / independent")] == ("K3", "F")  # K3 from 2024-25, SEX F
    assert by[("202-M3", "Other placement")] == ("Z12", "U")  # Z11-Z14 from 2025-26, SEX U
    assert by[("201-M1", "Foster care (other)")] == ("U6", "M")  # SEX 1 -> M
    assert ("201-M1", "Returned home") in by  # E13
    # the 2019 Q2 episode was replaced by the 2020 submission (U6)
    assert [r["rule"] for r in rules(res) if r["action"] == "superseded"] == ["superseded_episode"]
    assert res.rows_superseded == 1 and res.rows_rejected == 0
    # same CHILD in two councils: two children
    assert {"201-M1", "202-M1"} <= set(t["child_id"].to_pylist())


def test_q1_q2_and_z1(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2014_episodes.csv",
        ep(
            "C1,01/06/2013,S,C2,N1,Q1,PR1,01/07/2013,X1",
            "C1,01/07/2013,P,C2,N1,Q2,PR1,01/08/2013,X1",
            "C1,01/08/2013,P,C2,N1,Z1,PR1,01/09/2013,E48",
        ),
    )
    write_csv(tmp_path / "SSDA903_800_2014_header.csv", HD_HEAD + "C1,2,05/05/2005,WBRI,,,\n")
    res = read_ssda903(tmp_path)
    assert [s[0] for s in spells(res)] == [
        "Foster care (relative/friend)",
        "Foster care (other)",
        "Other placement",
        "Special guardianship",
    ]
    assert set(res.table["sex"].to_pylist()) == {"F"}
    assert res.table["birth_month"].to_pylist()[0] == D(2005, 5, 1)


def test_keep_birth_date(tmp_path):
    write_csv(tmp_path / "SSDA903_800_2020_episodes.csv", ep("C1,01/06/2019,S,C2,N1,U6,PR1,,"))
    write_csv(tmp_path / "SSDA903_800_2020_header.csv", HD_HEAD + "C1,1,17/05/2010,WBRI,,,\n")
    res = read_ssda903(tmp_path, keep_birth_date=True)
    assert res.table["birth_date"].to_pylist() == [D(2010, 5, 17)]
    assert res.table["birth_month"].to_pylist() == [D(2010, 5, 1)]
    assert "birth_date" not in read_ssda903(tmp_path).table.column_names


def xml_301(folder):
    """The 2020-21 return of council 301 in the DfE's XML layout (generated)."""
    kids = [
        gen.Kid(
            "X1001",
            "2",
            D(2014, 3, 12),
            "MWBA",
            [
                gen.Ep(D(2020, 6, 1), "S", "C2", "U4", D(2020, 9, 15), "X1"),
                gen.Ep(D(2020, 9, 15), "P", "C2", "A5", D(2021, 3, 1), "E12"),
            ],
        ),
        gen.Kid(
            "X1002",
            "1",
            D(2006, 1, 1),
            "WBRI",
            [gen.Ep(D(2020, 10, 10), "S", "V2", "H5", None, None, cin="N4", prov="PR4")],
        ),
    ]
    p = folder / "SSDA903_301_2021.xml"
    p.write_text(gen.xml_return(kids), encoding="utf-8")
    return p


def test_xml_return(tmp_path):
    res = read_ssda903(xml_301(tmp_path))
    check_counts(res)
    assert spells(res, "301-X1001") == [
        ("Foster care (other)", D(2020, 6, 1), D(2020, 9, 15)),
        ("Placed for adoption", D(2020, 9, 15), D(2021, 3, 1)),
        ("Adopted", D(2021, 3, 1), D(2021, 3, 29)),
    ]
    assert spells(res, "301-X1002") == [("Supported / independent", D(2020, 10, 10), None)]
    rep = res.report.to_table().to_pylist()
    assert [r for r in rep if r["severity"] != "info"] == []  # nothing wrong
    assert {r["rule"] for r in rep} == {"collection_year", "xml_elements"}


def test_file_type_detected_by_columns(tmp_path):
    # an episodes file named like a header file
    write_csv(tmp_path / "SSDA903_800_2020_header.csv", ep("C1,01/06/2019,S,C2,N1,U6,PR1,,"))
    res = read_ssda903(tmp_path)
    assert len(spells(res)) == 1
    assert rules(res, "file_name_mismatch")


def test_blank_lines_keep_line_numbers(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        EP_HEAD + "C1,01/06/2019,S,C2,N1,U6,PR1,,,,,,\n\n\nC2,bad,S,C2,N1,U6,PR1,,,,,,\n",
    )
    res = read_ssda903(tmp_path)
    assert [r["line"] for r in rules(res, "invalid_date")] == [5]


def test_many_files_one_parse_keeps_lines(tmp_path):
    for la in ("801", "802", "803"):
        write_csv(
            tmp_path / f"SSDA903_{la}_2020_episodes.csv",
            ep("C1,01/06/2019,S,C2,N1,U6,PR1,,", f"C{la},x,S,C2,N1,U6,PR1,,"),
        )
    res = read_ssda903(tmp_path)
    got = [(r["file"].rsplit("_", 3)[1], r["line"]) for r in rules(res, "invalid_date")]
    assert got == [("801", 3), ("802", 3), ("803", 3)]
    assert sorted(set(res.table["child_id"].to_pylist())) == ["801-C1", "802-C1", "803-C1"]


def test_mapping_can_be_replaced(tmp_path):
    m = tmp_path / "map.csv"
    m.write_text("field,code,state\nPLACE,U6,Children's home & secure\nREC,E8,Returned home\n")
    write_csv(
        tmp_path / "d" / "SSDA903_800_2020_episodes.csv",
        ep("C1,01/06/2019,S,C2,N1,U6,PR1,01/07/2019,E8"),
    )
    res = read_ssda903(tmp_path / "d", mapping=m)
    assert [s[0] for s in spells(res)] == ["Children's home & secure", "Returned home"]
    bad = tmp_path / "bad.csv"
    bad.write_text("field,code,state\nPLACE,U6,Nowhere\n")
    with pytest.raises(ConfigError, match="Nowhere"):
        read_ssda903(tmp_path / "d", mapping=bad)


# -- malformed files ------------------------------------------------------------


@pytest.fixture(scope="module")
def malformed():
    return read_ssda903(DATA / "malformed")


@pytest.mark.parametrize(
    ("la", "rule"),
    [
        ("902", "wrong_delimiter"),
        ("903", "missing_column"),
        ("904", "bad_encoding"),
        ("905", "empty_file"),
        ("906", "table_not_used"),
        ("907", "missing_column"),
        ("908", "wrong_field_count"),
        ("909", "invalid_date"),
    ],
)
def test_malformed_file_reported(malformed, la, rule):
    rows = [r for r in rules(malformed) if f"SSDA903_{la}_" in r["file"]]
    assert rule in {r["rule"] for r in rows}


def test_malformed_others_still_load(malformed):
    check_counts(malformed)
    ids = set(malformed.table["child_id"].to_pylist())
    assert {"901-A1", "901-A3", "908-B8", "908-B10", "909-C2"} == ids
    assert malformed.files_failed == 5  # 902, 903, 904, 905, 907
    missing = next(r for r in rules(malformed, "missing_column") if "_903_" in r["file"])
    assert missing["field"] == "LS,PLACE,DEC,REC" and missing["rows"] == 2
    enc = rules(malformed, "bad_encoding")[0]
    assert enc["line"] == 3 and enc["rows"] == 2


def test_malformed_strict_raises_with_location():
    with pytest.raises(
        DataError, match=r"SSDA903_901_2020_episodes.csv, line 4, column DEC, value '30/13/2019'"
    ):
        read_ssda903(DATA / "malformed", strict=True)


def test_rejects_file(tmp_path):
    out = tmp_path / "rejects.csv"
    res = read_ssda903(DATA / "malformed", rejects=out)
    text = out.read_text()
    assert "30/13/2019" in text and "invalid_date" in text
    assert "A2," not in text and "<redacted>" in text
    assert res.rows_rejected > 0


# -- ids ----------------------------------------------------------------------------


def test_hashing(tmp_path):
    write_csv(
        tmp_path / "SSDA903_800_2020_episodes.csv",
        ep("C1,01/06/2019,S,C2,N1,U6,PR1,,", "C2,01/06/2019,S,C2,N1,U6,PR1,,"),
    )
    write_csv(tmp_path / "SSDA903_801_2020_episodes.csv", ep("C1,01/06/2019,S,C2,N1,U6,PR1,,"))
    a = read_ssda903(tmp_path, hash_key="secret-key-one").table["child_id"].to_pylist()
    a2 = read_ssda903(tmp_path, hash_key="secret-key-one").table["child_id"].to_pylist()
    b = read_ssda903(tmp_path, hash_key="secret-key-two").table["child_id"].to_pylist()
    assert a == a2
    assert len(set(a)) == 3  # the two councils' C1 are different children
    assert not set(a) & set(b)
    assert a[0] == hash_one("800", "C1", "secret-key-one")
    assert all(len(x) == 16 and "C1" not in x and "800" not in x for x in a)
    with pytest.raises(ConfigError):
        read_ssda903(tmp_path, hash_key="short")


# -- CIN ----------------------------------------------------------------------------


def test_cin_census_front_door():
    res = read_cin_census(DATA / "xml" / "CIN_301_2021.xml")
    check_counts(res)
    assert spells(res, "301-Y2002") == [
        ("Referral", D(2020, 6, 10), D(2020, 6, 10)),  # same-day step: zero-length
        ("No further action", D(2020, 6, 10), D(2020, 7, 8)),
        ("Referral", D(2020, 9, 1), D(2020, 9, 3)),
        ("Assessment", D(2020, 9, 3), D(2020, 10, 1)),
        ("Child in need", D(2020, 10, 1), D(2021, 2, 1)),  # closure = leaving the front door
    ]
    x = spells(res, "301-X1001")
    assert x[0] == ("Referral", D(2020, 4, 1), D(2020, 4, 1))
    assert x[-1] == ("Child protection plan", D(2020, 5, 5), None)
    assert ("Child protection conference", D(2020, 5, 5), D(2020, 5, 5)) in x


def test_journey_from_referral_into_care(tmp_path):
    res = read_journeys(ssda903=xml_301(tmp_path), cin=DATA / "xml" / "CIN_301_2021.xml")
    check_counts(res)
    assert_no_overlap(res.table)
    x = spells(res, "301-X1001")
    assert [s[0] for s in x] == [
        "Referral",
        "Assessment",
        "Section 47",
        "Child protection conference",
        "Child protection plan",
        "Foster care (other)",
        "Placed for adoption",
        "Adopted",
    ]
    assert x[4] == (
        "Child protection plan",
        D(2020, 5, 5),
        D(2020, 6, 1),
    )  # clipped at the care start
    assert len(rules(res, "front_door_clipped")) == 1


def test_cin_malformed(tmp_path):
    (tmp_path / "bad.xml").write_text("<Message><Children><Child>")
    (tmp_path / "other.xml").write_text("<Foo><Bar/></Foo>")
    with pytest.raises(DataError, match=r"no row .* \(CIN census\): .*bad\.xml") as ei:
        read_cin_census(tmp_path)
    res = ei.value.result
    assert {r["rule"] for r in rules(res)} == {"unreadable_file", "unknown_table"}
    assert res.files_failed == 2 and res.table.num_rows == 0


def test_header_later_year_wins(tmp_path):
    write_csv(tmp_path / "SSDA903_800_2019_episodes.csv", ep("C1,01/06/2018,S,C2,N1,U6,PR1,,"))
    write_csv(tmp_path / "SSDA903_800_2020_episodes.csv", ep("C1,01/06/2018,S,C2,N1,U6,PR1,,"))
    write_csv(tmp_path / "SSDA903_800_2020_header.csv", HD_HEAD + "C1,2,09/09/2011,WBRI,,,\n")
    write_csv(tmp_path / "SSDA903_800_2019_header.csv", HD_HEAD + "C1,1,08/08/2010,WBRI,,,\n")
    res = read_ssda903(tmp_path)
    check_counts(res)
    assert set(res.table["sex"].to_pylist()) == {"F"}
    assert res.table["birth_month"].to_pylist()[0] == D(2011, 9, 1)
    sup = rules(res, "superseded_header")
    assert len(sup) == 1 and "2019_header" in sup[0]["file"]
    assert [r["rule"] for r in rules(res) if r["action"] == "superseded"] == [
        "duplicate_episode",
        "superseded_header",
    ]
    assert res.rows_superseded == 2 and res.rows_rejected == 0
