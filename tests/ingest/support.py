"""Shared helpers for the ingest tests: paths to the test data and a hand-made journey
table."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
from carevis.ingest.schema import JOURNEY_SCHEMA, state_labels

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path("/work/shared/samples/ssda903/liia-2020")
DATA = ROOT / "tests" / "data" / "ingest"

DATA_END = dt.date(2024, 3, 31)
DWELL = 28

PLACE = {
    "Foster care (relative/friend)": "U3",
    "Foster care (other)": "U6",
    "Children's home & secure": "K2",
    "Supported / independent": "H5",
    "Placed with parents": "P1",
    "Placed for adoption": "A6",
    "Other placement": "R2",
}
REC = {
    "Adopted": "E11",
    "Special guardianship": "E45",
    "Child arrangements order": "E41",
    "Returned home": "E4A",
    "Independence / adulthood": "E5",
    "Other exit": "E8",
}
FD = {
    "Referral",
    "Assessment",
    "Section 47",
    "Child protection conference",
    "Child in need",
    "Child protection plan",
    "No further action",
}

# Each path: a list of segments (state, days); None days = still there at the end.
# "gap:N" = N days outside services; exits take DWELL days or up to the next step.
PATHS: list[list[tuple[str, int | None]]] = [
    [("Referral", 0), ("No further action", DWELL)],  # front door only, same-day NFA
    [("Referral", 3), ("Assessment", 30), ("No further action", DWELL)],
    [("Referral", 0), ("Assessment", 40), ("Child in need", 200), ("END", 0)],
    [
        ("Referral", 1),
        ("Section 47", 10),
        ("Child protection conference", 0),
        ("Child protection plan", 300),
        ("END", 0),
    ],
    [("Referral", 0), ("Assessment", 20), ("Child in need", None)],  # front door open at the end
    [
        ("Referral", 0),
        ("Assessment", 20),
        ("Section 47", 5),
        ("Foster care (other)", 100),
        ("Children's home & secure", 200),
        ("Foster care (other)", 300),
        ("Returned home", DWELL),
    ],
    [
        ("Foster care (other)", 100),
        ("Returned home", 10),
        ("Children's home & secure", 200),
        ("Supported / independent", None),
    ],
    [("Foster care (other)", 200), ("Placed for adoption", 150), ("Adopted", DWELL)],
    [("Foster care (relative/friend)", 400), ("Special guardianship", DWELL)],
    [("Placed with parents", 90), ("Child arrangements order", DWELL)],
    [
        ("Children's home & secure", 300),
        ("Supported / independent", 200),
        ("Independence / adulthood", DWELL),
    ],
    [("Other placement", 15), ("Other exit", DWELL)],
    [
        ("Referral", 0),
        ("Assessment", 0),
        ("Foster care (other)", None),
    ],  # same-day steps into care, open
    [
        ("Referral", 0),
        ("Child in need", 100),
        ("END", 0),
        ("gap", 200),
        ("Referral", 0),
        ("Assessment", 10),
        ("Foster care (relative/friend)", 50),
        ("Returned home", DWELL),
        ("gap", 300),
        ("Referral", 0),
        ("No further action", DWELL),
    ],  # re-referral, care, exit, re-referral
    [
        ("Foster care (other)", 50),
        ("Returned home", DWELL),
        ("gap", 400),
        ("Foster care (other)", 60),
        ("Foster care (other)", 70),
        ("Placed with parents", None),
    ],  # re-entry after a long gap, moves
]


def make_journeys(n_children: int = 45, seed: int = 7, la: str = "822") -> pa.Table:
    """A canonical journey table of n children walking PATHS (each path several times)."""
    rng = random.Random(seed)
    labels = state_labels()
    rows: dict[str, list] = {f.name: [] for f in JOURNEY_SCHEMA}
    for i in range(n_children):
        path = PATHS[i % len(PATHS)]
        child = f"{la}-{100000 + i}"
        day = dt.date(2015, 6, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
        sex = "MFU"[i % 3] if i % 7 else "F"
        bm = dt.date(2003 + i % 10, 1 + i % 12, 1)  # born before any spell (DfE 301, 302)
        eth = ["WBRI", "BAFR", "MWBC", None][i % 4]
        spells: list[tuple] = []
        for _j, (state, days) in enumerate(path):
            if state == "END":
                continue
            if state == "gap":
                day += dt.timedelta(days=days or 0)
                continue
            if day > DATA_END:
                break
            if state in REC:  # an exit: DWELL days, or fewer when care starts again
                end = day + dt.timedelta(days=days or 0)
                spells.append((state, day, end))
                day = end
                continue
            if days is None or day + dt.timedelta(days=days) > DATA_END:
                spells.append((state, day, None))
                break
            end = day + dt.timedelta(days=days)
            spells.append((state, day, end))
            day = end
        for k, (state, start, end) in enumerate(spells):
            rows["child_id"].append(child)
            rows["state"].append(labels.index(state))
            rows["start"].append(start)
            rows["end"].append(end)
            rows["la"].append(la)
            rows["sex"].append(sex)
            rows["birth_month"].append(bm)
            rows["ethnicity"].append(eth)
            care = state in PLACE
            nxt_state = spells[k + 1][0] if k + 1 < len(spells) else None
            rows["placement"].append(PLACE[state] if care else None)
            rows["legal_status"].append(["C2", "V2", "E1", "C1"][(i + k) % 4] if care else None)
            rows["category_of_need"].append("N1" if care or state in FD else None)
            if care and nxt_state in REC:
                rows["reason_ceased"].append(REC[nxt_state])
            elif state in REC:
                rows["reason_ceased"].append(REC[state])
            else:
                rows["reason_ceased"].append(None)
    cols = []
    for f in JOURNEY_SCHEMA:
        if f.name == "state":
            cols.append(
                pa.DictionaryArray.from_arrays(
                    pa.array(rows["state"], pa.int32()), pa.array(labels)
                )
            )
        else:
            cols.append(pa.array(rows[f.name], f.type))
    return pa.Table.from_arrays(cols, schema=JOURNEY_SCHEMA)


def journeys_of(table: pa.Table) -> dict[str, list[tuple[str, object, object]]]:
    """child -> [(state, start, end)] sorted by start (then zero-length first)."""
    out: dict[str, list] = {}
    for c, s, a, b in zip(
        table.column("child_id").to_pylist(),
        table.column("state").cast(pa.string()).to_pylist(),
        table.column("start").to_pylist(),
        table.column("end").to_pylist(),
        strict=False,
    ):
        out.setdefault(c, []).append((s, a, b))
    return {k: v for k, v in out.items()}


def write_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def assert_no_overlap(table: pa.Table) -> None:
    """Spells of a child never overlap (zero-length spells may touch)."""
    prev: dict[str, object] = {}
    for c, s, e in zip(
        table.column("child_id").to_pylist(),
        table.column("start").to_pylist(),
        table.column("end").to_pylist(),
        strict=False,
    ):
        if c in prev:
            pe = prev[c]
            assert pe is not None, f"{c}: a spell after an open spell"
            assert s >= pe, f"{c}: spell starting {s} overlaps one ending {pe}"
        assert e is None or e >= s
        prev[c] = e
