"""Real returns read right: collection years from content, both DfE layouts, every row and
element accounted for, lost-to-follow-up endings, validate's exit codes (issue 14, 1-5)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pyarrow as pa
import pytest
from carevis._usage import UsageError
from carevis.cli import main as cli_main
from carevis.errors import DataError
from carevis.ingest import main_ingest, main_validate, read_cin_census, read_ssda903
from carevis.ingest._years import NameYear, decide, name_year

from tests import returns_gen as gen

from .support import DATA, write_csv

D = dt.date
YEARS = range(2017, 2020)  # 2016-17, 2017-18, 2018-19


def rows_of(res: object) -> list[tuple[object, ...]]:
    t = res.table  # type: ignore[attr-defined]
    cols = [
        "child_id",
        "state",
        "start",
        "end",
        "placement",
        "legal_status",
        "reason_ceased",
        "sex",
        "birth_month",
    ]
    t = t.select(cols).set_column(1, "state", t["state"].cast(pa.string()))
    return sorted(tuple(r.values()) for r in t.to_pylist())


def counts_add_up(res: object) -> None:
    rep = res.report  # type: ignore[attr-defined]
    assert rep.rows_in == (
        rep.rows_used + rep.rows_not_needed + rep.rows_superseded + rep.rows_rejected
    )
    for t, (i, u, r, nn, sup) in rep.by_table.items():
        assert i == u + r + nn + sup, t


@pytest.fixture(scope="module")
def kids() -> list[gen.Kid]:
    return gen.world(60, seed=7)


@pytest.fixture(scope="module")
def reference(kids, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ref")
    gen.write_returns(folder, kids, YEARS, naming="dash", layout="csv")
    return read_ssda903(folder)


@pytest.mark.parametrize("layout", ["csv", "csv-shuffled", "xml"])
@pytest.mark.parametrize("naming", sorted(gen.NAMINGS))
def test_every_naming_and_layout_gives_the_same_journeys(kids, reference, tmp_path, naming, layout):
    gen.write_returns(tmp_path, kids, YEARS, naming=naming, layout=layout)
    res = read_ssda903(tmp_path)
    assert rows_of(res) == rows_of(reference)
    assert res.rows_rejected == reference.rows_rejected == 0
    counts_add_up(res)
    # every file got the year its dates say, and the report says why
    years = {
        res.report.files[f].split("SSDA903_800_")[1]: y
        for f, (y, _) in res.report.file_years.items()
    }
    for y in YEARS:
        text = gen.NAMINGS[naming](y)
        assert {
            v for k, v in years.items() if k.startswith(text + "-") or k.startswith(text + ".")
        } == {y}
    rep = res.report.to_table().to_pylist()
    assert len([r for r in rep if r["rule"] == "collection_year"]) == len(res.report.files)
    assert not [r for r in rep if r["rule"] == "year_mismatch"]


def test_bare_year_meaning_the_year_it_starts_was_read_wrong_before(kids, tmp_path):
    """The issue's case: `2017-...csv` files holding 2017-18."""
    gen.write_returns(tmp_path, kids, range(2018, 2019), naming="start", layout="csv")
    res = read_ssda903(tmp_path)
    assert set(y for y, _ in res.report.file_years.values()) == {2018}
    assert res.rows_rejected == 0
    assert not [r for r in res.report.to_table().to_pylist() if r["rule"] == "end_after_year_end"]
    why = {w for _, w in res.report.file_years.values()}
    assert any("read as 2017-18 by its dates" in w for w in why)


def test_name_disagreeing_with_dates_the_dates_win(kids, reference, tmp_path):
    # each year's return named as the year before (2017-18 data called 2016-17, ...)
    for y in YEARS:
        gen.write_csv_return(tmp_path, f"SSDA903_800_{y - 2}-{(y - 1) % 100:02d}", gen.cut(kids, y))
    res = read_ssda903(tmp_path)
    assert rows_of(res) == rows_of(reference)
    mism = [r for r in res.report.to_table().to_pylist() if r["rule"] == "year_mismatch"]
    assert len(mism) == 3 * 6  # every file of every year
    r = next(m for m in mism if "2016-17-episodes" in m["file"])
    assert r["value"] == "2017-18" and r["severity"] == "warning"
    assert "'2016-17' says 2016-17, the dates say 2017-18" in r["detail"]
    assert "2016-17-episodes.csv: from its dates" in res.summary()


def test_explicit_year_override(tmp_path):
    # only open episodes: the dates give a lower bound only, and the bare name is ambiguous
    p = tmp_path / "SSDA903_800_2018-episodes.csv"
    write_csv(p, ",".join(gen.EP_COLS) + "\nC1,01/06/2017,S,C2,N1,U4,PR1,,,,,,\n")
    assert read_ssda903(tmp_path).report.file_years[0][0] == 2018
    res = read_ssda903(tmp_path, year={p.name: 2019})
    assert res.report.file_years[0] == (2019, "given (year=)")
    out = tmp_path / "o.parquet"
    assert main_ingest(["ssda903", str(tmp_path), "-o", str(out), "--year", f"{p}=2019"]) == 0
    # a usage error: one line and exit status 2 from the command
    assert cli_main(["validate", str(tmp_path), "--year", "x=notayear"]) == 2
    with pytest.raises(UsageError, match="--year 'x=notayear'"):
        main_validate([str(tmp_path), "--year", "x=notayear"])


def test_name_year_conventions():
    from pathlib import Path

    assert name_year(Path("2017-header.csv")) == NameYear((2017, 2018), "2017")
    assert name_year(Path("903_1718_episodes.csv")).years == (2018,)  # type: ignore[union-attr]
    assert name_year(Path("episodes_2017-18.csv")).years == (2018,)  # type: ignore[union-attr]
    assert name_year(Path("episodes_201718.csv")).years == (2018,)  # type: ignore[union-attr]
    assert name_year(Path("FY2018/episodes.csv")).years == (2018,)  # type: ignore[union-attr]
    assert name_year(Path("SSDA903_301_episodes.csv")) is None
    # ties among the end dates go to the name's reading; a clear majority wins over it
    assert decide(None, NameYear((2017, 2018), "2017"), {2017: 3, 2018: 3}, 2018).year == 2017
    assert decide(None, NameYear((2017,), "2016-17"), {2018: 9, 2017: 1}, 2018).mismatch


# -- the DfE XML layout: every element and row accounted for ---------------------------


def test_xml_layout_accounts_for_every_element_and_row(kids, tmp_path):
    part = gen.cut(kids, 2018)
    p = tmp_path / "return.xml"
    p.write_text(gen.xml_return(part), encoding="utf-8")
    res = read_ssda903(p)
    counts_add_up(res)
    bt = res.report.by_table
    n_ep = sum(len(k.eps) for k in part)
    assert bt["episodes"][0] == n_ep
    assert bt["header"][0] == len(part)
    assert bt["placed_for_adoption"][0] == sum(len(k.placed) for k in part) > 0  # AD_PLACED
    assert bt["reviews"] == [
        sum(len(k.reviews) for k in part),
        0,
        0,
        sum(len(k.reviews) for k in part),
        0,
    ]
    assert bt["missing"][3] == sum(len(k.missing) for k in part) > 0
    assert bt["oc2"][3] == bt["previous_permanence"][3] == len(part)
    assert bt["uasc"][0] == sum(k.uasc for k in part)
    total = sum(1 for _ in ET.parse(p).getroot().iter())
    el = [r for r in res.report.to_table().to_pylist() if r["rule"] == "xml_elements"]
    assert el[0]["value"] == str(total)
    assert "0 unknown" in el[0]["detail"]


def test_xml_unknown_elements_are_reported(tmp_path):
    p = tmp_path / "r.xml"
    p.write_text(
        "<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID><SEX>1</SEX><DOB>01/01/2010</DOB>"
        "<SHOE_SIZE>3</SHOE_SIZE></HEADER><EPISODE><DECOM>01/06/2017</DECOM><RNE>S</RNE>"
        "<LS>C2</LS><PL>U4</PL><DEC /><REC /><COLOUR>red</COLOUR></EPISODE></CHILD>"
        "</EXPSSDA903>"
    )
    res = read_ssda903(p)
    assert res.table.num_rows == 1
    unk = [r for r in res.report.to_table().to_pylist() if r["rule"] == "unknown_element"]
    assert unk[0]["value"] == "COLOUR x1, SHOE_SIZE x1"


def test_invented_layout_and_empty_result_fail_loudly(tmp_path, capsys):
    p = tmp_path / "SSDA903_301_2021.xml"
    p.write_text("<RETURN><CHILD><PLACE><CHILD>1</CHILD></PLACE></CHILD></RETURN>")
    with pytest.raises(DataError, match="no row of the input made a journey") as ei:
        read_ssda903(p)
    assert "SSDA903_301_2021.xml (set aside)" in str(ei.value)
    res = ei.value.result
    assert res.table.num_rows == 0 and res.files_failed == 1
    out = tmp_path / "o.parquet"
    assert main_ingest(["ssda903", str(p), "-o", str(out)]) == 1
    assert not out.exists()
    assert "nothing written" in capsys.readouterr().err
    assert main_validate([str(p)]) == 1


def test_doctype_is_refused_naming_the_file(tmp_path):
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<EXPSSDA903>&lol2;</EXPSSDA903>'
    )
    p = tmp_path / "evil_903.xml"
    p.write_text(bomb)
    with pytest.raises(DataError, match=r"evil_903\.xml, line 2: XML with a DOCTYPE"):
        read_ssda903(p)
    q = tmp_path / "evil_cin.xml"
    q.write_text(bomb.replace("EXPSSDA903", "Message"))
    with pytest.raises(DataError, match=r"evil_cin\.xml.*DOCTYPE"):
        read_cin_census(q)


# -- endings ------------------------------------------------------------------------------


def test_lost_to_follow_up_is_in_the_stock_of_its_last_31_march(tmp_path):
    head = ",".join(gen.EP_COLS) + "\n"
    write_csv(
        tmp_path / "SSDA903_800_2017-18-episodes.csv",
        head + "C1,01/06/2017,S,C2,N1,U4,PR1,,,,,,\nC2,01/06/2017,S,C2,N1,U4,PR1,,,,,,\n",
    )
    write_csv(
        tmp_path / "SSDA903_800_2018-19-episodes.csv", head + "C2,01/06/2017,S,C2,N1,U4,PR1,,,,,,\n"
    )
    res = read_ssda903(tmp_path)
    c1 = [r for r in rows_of(res) if r[0] == "800-C1"]
    # still looked after at the end of 31 March 2018 (the spell ends on 1 April)
    assert [(r[1], r[2], r[3]) for r in c1] == [
        ("Foster care (other)", D(2017, 6, 1), D(2018, 4, 1)),
        ("Lost to follow-up", D(2018, 4, 1), D(2018, 4, 29)),
    ]
    assert [r[3] for r in rows_of(res) if r[0] == "800-C2"] == [None]  # in the last return
    assert res.report.lost_to_follow_up == 1


# -- validate -------------------------------------------------------------------------------


def test_validate_exit_codes_and_superseded_counts(kids, tmp_path, capsys):
    clean = tmp_path / "clean"
    gen.write_returns(clean, kids, YEARS, naming="fy", layout="csv")
    assert main_validate([str(clean)]) == 0
    text = capsys.readouterr().out
    assert "superseded by a later return" in text
    sup = int(text.split("superseded by a later return ")[1].split()[0])
    assert sup > 0  # episodes open at a year end come back in the next return
    assert ", rejected 0" in text.replace("+ rejected 0", ", rejected 0")
    bad = tmp_path / "bad"
    bad.mkdir()
    write_csv(
        bad / "SSDA903_800_2018-episodes.csv",
        ",".join(gen.EP_COLS) + "\nC1,01/06/2017,S,D1,N1,U4,PR1,,,,,,\n",
    )
    assert main_validate([str(bad)]) == 1
    assert "dfe_445" in capsys.readouterr().out
    assert cli_main(["validate"]) == 2  # usage error
    with pytest.raises(UsageError):
        main_validate([])


def test_cin_census_year_from_its_dates(tmp_path):
    text = (DATA / "xml" / "CIN_301_2021.xml").read_text()
    no_header = text[: text.index("<Header>")] + text[text.index("</Header>") + 9 :]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "CIN_301_2019-20.xml").write_text(no_header)  # named a year early
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "CIN_301_2020.xml").write_text(no_header)  # bare: 2019-20 or 2020-21
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "CIN_301_2019-20.xml").write_text(text)  # its <Year> says 2021
    ref = read_cin_census(DATA / "xml" / "CIN_301_2021.xml")
    for sub in ("a", "b", "c"):
        res = read_cin_census(tmp_path / sub, la="301")
        assert res.report.file_years[0][0] == 2021, sub
        rep = res.report.to_table().to_pylist()
        # c: the name disagrees with its <Year> and its dates, which agree: no mismatch
        assert bool([r for r in rep if r["rule"] == "year_mismatch"]) == (sub == "a")
        assert res.table.num_rows == ref.table.num_rows
    assert "read as 2020-21 by its dates" in read_cin_census(tmp_path / "b").report.file_years[0][1]


def test_empty_result_is_a_data_error_in_every_entry(tmp_path, capsys):
    """An empty result raises DataError naming the files (read_ssda903, read_cin_census,
    read_journeys); the CLI still prints the summary and writes the report."""
    from carevis.ingest import read_journeys

    ep = tmp_path / "SSDA903_301_2021_episodes.csv"
    ep.write_text("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n")
    cin = tmp_path / "cin"
    cin.mkdir()
    (cin / "census.xml").write_text("<Foo><Bar/></Foo>")
    for call in (
        lambda: read_ssda903(ep),
        lambda: read_cin_census(cin),
        lambda: read_journeys(ssda903=ep, cin=cin),
    ):
        with pytest.raises(DataError, match="no row of the input made a journey") as ei:
            call()
        assert "SSDA903_301_2021_episodes.csv" in str(ei.value) or "census.xml" in str(ei.value)
        assert ei.value.result.table.num_rows == 0
    rep = tmp_path / "report.csv"
    assert main_validate([str(ep), "--report", str(rep)]) == 1
    out = capsys.readouterr()
    assert "rows in 0" in out.out and "SSDA903_301_2021_episodes.csv" in out.err
    assert rep.exists()
