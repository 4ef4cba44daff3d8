"""Made-up SSDA903 returns written as councils submit them, in both real layouts.

A "world" is every child's full care history; ``cut`` gives what one collection year's
return holds (episodes overlapping the year; an episode still open on 31 March has no
DEC/REC); the writers put a return on disk as the DfE's CSV tables (any column order,
extra columns) or as the DfE's XML layout (``EXPSSDA903/CHILD/HEADER`` + ``EPISODE``
...). No real children: ids, dates and codes are random.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.sax.saxutils import escape

D = dt.date

#: collection year (the March it ends in) -> the year text in a file name
NAMINGS: dict[str, Callable[[int], str]] = {
    "end": lambda y: f"{y}",  # 2018 = the year ending March 2018
    "start": lambda y: f"{y - 1}",  # 2017 = 2017-18 (the 2017-header.csv)
    "short": lambda y: f"{(y - 1) % 100:02d}{y % 100:02d}",  # 1718
    "dash": lambda y: f"{y - 1}-{y % 100:02d}",  # 2017-18
    "fy": lambda y: f"FY{y}",  # FY2018
}


@dataclass
class Ep:
    decom: dt.date
    rne: str
    ls: str
    place: str
    dec: dt.date | None
    rec: str | None
    cin: str = "N1"
    prov: str = "PR1"


@dataclass
class Kid:
    child: str
    sex: str
    dob: dt.date
    ethnic: str
    eps: list[Ep] = field(default_factory=list)
    reviews: list[dt.date] = field(default_factory=list)
    missing: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    placed: list[dt.date] = field(default_factory=list)  # DATE_PLACED (AD_PLACED)
    uasc: bool = False


def year_start(y: int) -> dt.date:
    return D(y - 1, 4, 1)


def year_end(y: int) -> dt.date:
    return D(y, 3, 31)


def world(n: int, seed: int, first: int = 2016, last: int = 2019) -> list[Kid]:
    """n children with 1-2 periods of care between April first-1 and March last."""
    rng = random.Random(seed)
    lo = year_start(first).toordinal()
    hi = year_end(last).toordinal()
    places = ["U1", "U3", "U4", "U6", "K2", "H5", "P1", "A4", "R2", "S1"]
    exits = ["E11", "E4A", "E45", "E41", "E13", "E5", "E8", "E3"]
    kids = []
    for i in range(n):
        dob = D.fromordinal(lo - rng.randrange(300, 6000))
        k = Kid(f"C{1000 + i}", rng.choice("12"), dob, rng.choice(["WBRI", "BAFR", "MOTH"]))
        t = lo + rng.randrange(0, hi - lo - 30)
        for _period in range(rng.choice([1, 1, 2])):
            rne = "S"
            n_eps = rng.choice([1, 2, 3, 4])
            for j in range(n_eps):
                length = rng.choice([20, 60, 150, 400])
                end = t + length
                last_ep = j == n_eps - 1
                if end > hi:
                    k.eps.append(Ep(D.fromordinal(t), rne, "C2", rng.choice(places), None, None))
                    t = hi + 1
                    break
                rec = rng.choice(exits) if last_ep else "X1"
                k.eps.append(
                    Ep(
                        D.fromordinal(t),
                        rne,
                        rng.choice(["C1", "C2", "V2"]),
                        rng.choice(places),
                        D.fromordinal(end),
                        rec,
                    )
                )
                t = end
                rne = rng.choice(["P", "L", "T"])
                if last_ep:
                    break
            if t > hi:
                break
            if k.eps and k.eps[-1].rec not in (None, "X1"):
                t += rng.randrange(30, 300)
                if t > hi - 10:
                    break
        for e in k.eps:
            if rng.random() < 0.5:
                k.reviews.append(e.decom + dt.timedelta(days=20))
        if rng.random() < 0.2 and k.eps:
            s = k.eps[0].decom + dt.timedelta(days=5)
            k.missing.append((s, s + dt.timedelta(days=2)))
        if any(e.place.startswith("A") for e in k.eps):
            k.placed.append(next(e.decom for e in k.eps if e.place.startswith("A")))
        k.uasc = rng.random() < 0.1
        kids.append(k)
    return kids


def cut(kids: list[Kid], y: int) -> list[Kid]:
    """What the return for collection year y holds."""
    a, b = year_start(y), year_end(y)
    out = []
    for k in kids:
        eps = []
        for e in k.eps:
            if e.decom > b or (e.dec is not None and e.dec < a):
                continue
            if e.dec is not None and e.dec > b:
                e = replace(e, dec=None, rec=None)
            eps.append(e)
        if eps:
            out.append(
                replace(
                    k,
                    eps=eps,
                    reviews=[r for r in k.reviews if a <= r <= b],
                    missing=[m for m in k.missing if a <= m[0] <= b],
                    placed=[p for p in k.placed if a <= p <= b],
                )
            )
    return out


def d(x: dt.date | None) -> str:
    return "" if x is None else x.strftime("%d/%m/%Y")


EP_COLS = [
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
]


def episode_rows(kids: list[Kid]) -> list[dict[str, str]]:
    return [
        {
            "CHILD": k.child,
            "DECOM": d(e.decom),
            "RNE": e.rne,
            "LS": e.ls,
            "CIN": e.cin,
            "PLACE": e.place,
            "PLACE_PROVIDER": e.prov,
            "DEC": d(e.dec),
            "REC": e.rec or "",
            "REASON_PLACE_CHANGE": "",
            "HOME_POST": "",
            "PL_POST": "",
            "URN": "",
        }
        for k in kids
        for e in k.eps
    ]


def _write(path: Path, cols: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_csv_return(folder: Path, name: str, kids: list[Kid], *, shuffle: int = 0) -> list[Path]:
    """The return's tables as `<name>-<table>.csv`: episodes, header, uasc, reviews,
    missing, placed_for_adoption; `shuffle` reorders columns and adds an extra one."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(shuffle)

    def cols(c: list[str]) -> list[str]:
        if not shuffle:
            return c
        c = [*c, "NOTES"]
        rng.shuffle(c)
        return c

    hdr = [
        {
            "CHILD": k.child,
            "SEX": k.sex,
            "DOB": d(k.dob),
            "ETHNIC": k.ethnic,
            "UPN": "",
            "MOTHER": "",
            "MC_DOB": "",
            "NOTES": "x",
        }
        for k in kids
    ]
    tables = {
        "episodes": (EP_COLS, [dict(r, NOTES="y") for r in episode_rows(kids)]),
        "header": (["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"], hdr),
        "uasc": (
            ["CHILD", "SEX", "DOB", "DUC"],
            [{"CHILD": k.child, "SEX": k.sex, "DOB": d(k.dob), "DUC": ""} for k in kids if k.uasc],
        ),
        "reviews": (
            ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
            [
                {"CHILD": k.child, "DOB": d(k.dob), "REVIEW": d(r), "REVIEW_CODE": "PN1"}
                for k in kids
                for r in k.reviews
            ],
        ),
        "missing": (
            ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
            [
                {
                    "CHILD": k.child,
                    "DOB": d(k.dob),
                    "MISSING": "M",
                    "MIS_START": d(a),
                    "MIS_END": d(b),
                }
                for k in kids
                for a, b in k.missing
            ],
        ),
        "placed_for_adoption": (
            ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
            [
                {
                    "CHILD": k.child,
                    "DOB": d(k.dob),
                    "DATE_PLACED": d(p),
                    "DATE_PLACED_CEASED": "",
                    "REASON_PLACED_CEASED": "",
                }
                for k in kids
                for p in k.placed
            ],
        ),
    }
    out = []
    for t, (c, rows) in tables.items():
        p = folder / f"{name}-{t}.csv"
        _write(p, cols(c), rows)
        out.append(p)
    return out


def _leaf(tag: str, v: str | None) -> str:
    return f"<{tag} />" if not v else f"<{tag}>{escape(v)}</{tag}>"


def xml_return(kids: list[Kid]) -> str:
    """The return in the DfE's XML layout (one line per element, so lines are known)."""
    out = ["<?xml version='1.0' encoding='utf-8'?>", "<EXPSSDA903>"]
    for k in kids:
        out.append("<CHILD>")
        out.append("<HEADER>")
        out += [
            _leaf("CHILDID", k.child),
            _leaf("UPN", "A123"),
            _leaf("SEX", k.sex),
            _leaf("DOB", d(k.dob)),
            _leaf("ETHNIC", k.ethnic),
            _leaf("UASC", "1" if k.uasc else None),
        ]
        for r in k.reviews:
            out.append(f"<AREVIEW>{_leaf('REVIEW', d(r))}{_leaf('REVIEW_CODE', 'PN1')}</AREVIEW>")
        for a, b in k.missing:
            out.append(
                f"<AMISSING>{_leaf('MISSING', 'M')}{_leaf('MIS_START', d(a))}"
                f"{_leaf('MIS_END', d(b))}</AMISSING>"
            )
        out += [_leaf("MOTHER", None), _leaf("MC_DOB", None)]
        out.append(f"<PERMANENCE>{_leaf('PREV_PERM', 'Z1')}</PERMANENCE>")
        out.append(f"<OC2>{_leaf('SDQ_SCORE', '12')}{_leaf('CONVICTED', '0')}</OC2>")
        for p in k.placed:
            out.append(
                f"<AD_PLACED>{_leaf('DATE_PLACED', d(p))}{_leaf('DATE_PLACED_CEASED', None)}"
                f"{_leaf('REASON_PLACED_CEASED', None)}</AD_PLACED>"
            )
        out.append("</HEADER>")
        for e in k.eps:
            out.append(
                "<EPISODE>"
                + "".join(
                    _leaf(t, v)
                    for t, v in (
                        ("DECOM", d(e.decom)),
                        ("RNE", e.rne),
                        ("LS", e.ls),
                        ("CIN", e.cin),
                        ("PL", e.place),
                        ("PL_POST", "AB1 2CD"),
                        ("HOME_POST", "EF3 4GH"),
                        ("URN", "SC123456"),
                        ("PLACE_PROVIDER", e.prov),
                        ("DEC", d(e.dec)),
                        ("REC", e.rec),
                        ("REASON_PLACE_CHANGE", None),
                    )
                )
                + "</EPISODE>"
            )
        out.append("</CHILD>")
    out.append("</EXPSSDA903>")
    return "\n".join(out) + "\n"


def write_returns(
    folder: Path, kids: list[Kid], years: range, *, naming: str, layout: str, la: str = "800"
) -> list[Path]:
    """Every year's return of a world, named in one convention, in one layout."""
    out = []
    for y in years:
        name = f"SSDA903_{la}_{NAMINGS[naming](y)}"
        part = cut(kids, y)
        if layout == "xml":
            p = folder / f"{name}.xml"
            folder.mkdir(parents=True, exist_ok=True)
            p.write_text(xml_return(part), encoding="utf-8")
            out.append(p)
        else:
            out += write_csv_return(
                folder, name, part, shuffle=y if layout == "csv-shuffled" else 0
            )
    return out
