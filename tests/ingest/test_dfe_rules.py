"""carevis's DfE-numbered rules flag the rows the DfE's rule definitions flag.

A messy return is generated at random (both layouts); the expected rows of each rule are
computed here, row by row, straight from the DfE's definitions (csc-validator-be-903,
lac2022_23), and must equal the rows carevis's report flags as ``dfe_<number>``.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from carevis.ingest import read_ssda903

from tests import returns_gen as gen

D = dt.date
YEAR = 2018
END = D(2018, 3, 31)
LEFT = set(
    [
        "E2",
        "E3",
        "E4A",
        "E4B",
        "E5",
        "E6",
        "E7",
        "E8",
        "E9",
        "E11",
        "E12",
        "E13",
        "E14",
        "E15",
        "E16",
        "E17",
        "E41",
        "E45",
        "E46",
        "E47",
        "E48",
    ]
)
CODES_2018 = {
    "RNE": set(["S", "P", "L", "T", "U", "B"]),
    "LS": set(["C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"]),
    "PLACE": set(
        [
            "A3",
            "A4",
            "A5",
            "A6",
            "H5",
            "K1",
            "K2",
            "P1",
            "P2",
            "P3",
            "R1",
            "R2",
            "R3",
            "R5",
            "S1",
            "T0",
            "T1",
            "T2",
            "T3",
            "T4",
            "U1",
            "U2",
            "U3",
            "U4",
            "U5",
            "U6",
            "Z1",
        ]
    ),
    "REC": LEFT | {"X1"},
}
CODE_RULE = {"RNE": "143", "LS": "144", "PLACE": "146", "REC": "149"}


def messy(seed: int, n: int = 150) -> list[gen.Kid]:
    rng = random.Random(seed)
    kids = []
    for i in range(n):
        dob = D(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 7000))
        if rng.random() < 0.03:
            dob = D(2099, 1, 1)
        k = gen.Kid(f"K{i}", rng.choice("12"), dob, "WBRI")
        t = D(2003, 1, 1) + dt.timedelta(days=rng.randrange(0, 5600))
        for j in range(rng.choice([1, 2, 3, 4])):
            length = rng.choice([0, 10, 100, 400])
            dec: dt.date | None = t + dt.timedelta(days=length)
            rec: str | None = rng.choice(["X1", "X1", "E11", "E2", "E4A", "E15", "E99", "E43"])
            r = rng.random()
            if r < 0.15:
                dec, rec = None, None
            elif r < 0.2:
                dec = None  # REC on an open episode
            elif r < 0.25:
                rec = None
            elif r < 0.28 and dec is not None:
                dec = t - dt.timedelta(days=5)  # ends before it starts
            rne = rng.choice(["S", "P", "L", "T", "B", "U", "X"]) if j else "S"
            ls = rng.choice(["C1", "C2", "V2", "D1", "E1", "J2", "Q9"])
            place = rng.choice(["U4", "K2", "H5", "Q1", "Z1", "K3", "A4"])
            k.eps.append(gen.Ep(t, rne, ls, place, dec, rec))
            step = rng.choice([-20, 0, 0, 0, 3])  # overlaps, chains, gaps
            t = (dec or t) + dt.timedelta(days=step)
            if t <= k.eps[-1].decom:
                t = k.eps[-1].decom + dt.timedelta(days=1)
            if rng.random() < 0.08:
                t = k.eps[-1].decom  # two episodes starting the same day
        kids.append(k)
    return kids


def expected(kids: list[gen.Kid]) -> dict[str, set[tuple[str, int]]]:
    """rule -> {(table, row)}: row numbers count from 0 in each table's file order."""
    out: dict[str, set[tuple[str, int]]] = {}

    def flag(rule: str, table: str, row: int) -> None:
        out.setdefault(rule, set()).add((table, row))

    row = 0
    for h, k in enumerate(kids):
        if k.dob > END:
            flag("301", "header", h)
        rows = list(range(row, row + len(k.eps)))
        eps = sorted(zip(rows, k.eps, strict=True), key=lambda p: p[1].decom)
        row += len(k.eps)
        for r, e in zip(rows, k.eps, strict=True):
            for fld in CODE_RULE:
                v = {"RNE": e.rne, "LS": e.ls, "PLACE": e.place, "REC": e.rec}[fld]
                if v is not None and v not in CODES_2018[fld]:
                    flag(CODE_RULE[fld], "episodes", r)
            if (e.dec is None) != (e.rec is None):
                flag("148", "episodes", r)
            if e.dec is not None and e.dec < e.decom:
                flag("356", "episodes", r)
            if e.decom > END:
                flag("354", "episodes", r)
            if e.dec is not None and e.dec > END:
                flag("385", "episodes", r)
            if e.ls == "D1" and e.decom > D(2005, 12, 31):
                flag("445", "episodes", r)
            if e.ls == "E1" and e.decom < D(2005, 12, 1):
                flag("446", "episodes", r)
        if k.dob > eps[0][1].decom:
            flag("302", "header", h)
            flag("302", "episodes", eps[0][0])
        by_dec = sorted(  # 433 sorts by the end too (a blank end last)
            zip(rows, k.eps, strict=True),
            key=lambda p: (p[1].decom, p[1].dec is None, p[1].dec or D(1, 1, 1)),
        )
        for q, (r, e) in enumerate(by_dec):
            prev = by_dec[q - 1][1] if q else None
            if prev is not None and e.rne in "PLTUB" and prev.dec != e.decom:
                flag("433", "episodes", r)
        for q, (r, e) in enumerate(eps):
            prev = eps[q - 1][1] if q else None
            nxt = eps[q + 1][1] if q + 1 < len(eps) else None
            if nxt is not None and (e.dec is None or e.rec is None):
                flag("142", "episodes", r)
            if prev is not None and prev.dec is not None and e.decom < prev.dec:
                flag("501", "episodes", r)
            if prev is not None and e.rne == "S" and prev.dec is not None and e.decom <= prev.dec:
                flag("431", "episodes", r)
            if prev is not None and prev.rec in LEFT and e.rne != "S":
                flag("432", "episodes", r)
            if nxt is not None and e.rec in ("E2", "E15"):
                flag("437", "episodes", r)
            if nxt is not None and e.rec == "X1" and e.dec is not None and e.dec != nxt.decom:
                flag("388", "episodes", r)
            if nxt is not None and e.rec not in (None, "X1") and e.dec == nxt.decom:
                flag("388", "episodes", r)
            if nxt is None and e.dec is not None and e.rec == "X1":
                flag("388", "episodes", r)
    return out


@pytest.mark.parametrize("layout", ["csv", "xml"])
@pytest.mark.parametrize("seed", [1, 2])
def test_dfe_rules_flag_what_the_definitions_flag(tmp_path, layout, seed):
    kids = messy(seed)
    want = expected(kids)
    if layout == "xml":
        p = tmp_path / "SSDA903_800_2017-18.xml"
        p.write_text(gen.xml_return(kids), encoding="utf-8")
        lines = p.read_text().splitlines()
        ep_lines = [i for i, s in enumerate(lines, 1) if s.startswith("<EPISODE>")]
        hd_lines = [i for i, s in enumerate(lines, 1) if s.startswith("<HEADER>")]
        where = {
            **{ln: ("episodes", i) for i, ln in enumerate(ep_lines)},
            **{ln: ("header", i) for i, ln in enumerate(hd_lines)},
        }
        res = read_ssda903(p, year=YEAR)
    else:
        gen.write_csv_return(tmp_path, "SSDA903_800_2017-18", kids)
        res = read_ssda903(tmp_path, year=YEAR)
    got: dict[str, set[tuple[str, int]]] = {}
    for r in res.report.to_table().to_pylist():
        if r["rule"].startswith("dfe_"):
            if layout == "xml":
                key = where[r["line"]]
            else:
                key = ("header" if r["file"].endswith("header.csv") else "episodes", r["line"] - 2)
            got.setdefault(r["rule"][4:], set()).add(key)
    assert set(got) == set(want)  # every rule both ways; the data breaks all of them
    for rule in sorted(want):
        assert got[rule] == want[rule], rule
    assert {
        "142",
        "148",
        "301",
        "302",
        "356",
        "388",
        "431",
        "432",
        "433",
        "445",
        "446",
        "501",
    } <= set(want)


def test_synthetic_returns_keep_each_years_code_lists(tmp_path):
    """`carevis synth --ssda903` writes the window's returns with each year's code lists:
    an episode carried into a later return takes that return's code (Q1 -> U3, E43 -> E46,
    K3 -> H5 before 2024-25), and placement orders before December 2005 are freeing
    orders, so no code-list rule (DfE 144, 146, 149, 445, 446) flags anything. (Before,
    returns went back to 1999-00 with today's codes: 2,856 rows flagged by 146 and 650 by
    149 at scale 0.02.)"""
    from carevis.cli import main

    out = tmp_path / "returns"
    args = ["synth", "--synthetic", "0.01", "-o", str(tmp_path / "e.parquet")]
    assert main([*args, "--ssda903", str(out)]) == 0
    names = {p.name.split("_")[2] for p in out.rglob("*_episodes.csv")}
    assert min(names) == "2016" and max(names) == "2025"
    counts = read_ssda903(out).report.rule_counts()
    flagged = {rule: n for (rule, action), n in counts.items() if action == "flagged"}
    for rule in ("dfe_144", "dfe_146", "dfe_149", "dfe_445", "dfe_446"):
        assert flagged.get(rule, 0) == 0, (rule, flagged)
