"""The DfE rules on consecutive episodes (142, 501, 431, 432, 437, 433, 388) and 302,
run in the Rust core, flag exactly the rows their numpy reference
(``reference.dfe_sequence_rules``, the ingest's code before they moved) flags: rule by
rule, on random returns full of ties, blanks, overlaps and sparse keys."""

from __future__ import annotations

import carevis._native as native
import numpy as np
import pytest
from carevis.ingest._dates import NULL_DAY

from . import reference

RULES = ("142", "501", "431", "432", "437", "433", "388", "302", "302_header")


def _episodes(seed: int, n: int, sparse: bool) -> tuple[np.ndarray, ...]:
    """Random rows: few children per return (so groups of 1-8 rows), starts and ends
    on a small calendar (ties), a fifth of dates blank, every flag bit at random."""
    rng = np.random.default_rng(seed)
    grp = rng.integers(0, max(n // 4, 1), n).astype(np.int64)
    if sparse:  # keys far apart: the radix path instead of the counting sort
        grp = grp * (1 << 33) + 7
    decom = rng.integers(100, 160, n).astype(np.int64)
    dec = decom + rng.integers(-3, 12, n)
    decom[rng.random(n) < 0.2] = NULL_DAY
    dec[rng.random(n) < 0.25] = NULL_DAY
    flags = rng.integers(0, 128, n).astype(np.uint8)
    hn = max(n // 3, 1)
    hgrp = np.r_[rng.choice(grp, hn) if n else np.zeros(0, np.int64), [-5, 1 << 62]]
    dob = rng.integers(90, 170, len(hgrp)).astype(np.int64)
    dob[rng.random(len(hgrp)) < 0.2] = NULL_DAY
    return grp, decom, dec, flags, hgrp.astype(np.int64), dob


@pytest.mark.parametrize("sparse", [False, True])  # 60_000 rows: many parallel pieces
@pytest.mark.parametrize(
    "seed,n", [(1, 0), (2, 1), (3, 2), (4, 40), (5, 400), (6, 5000), (7, 60_000)]
)
def test_each_moved_rule_flags_what_the_reference_flags(seed: int, n: int, sparse: bool) -> None:
    grp, decom, dec, flags, hgrp, dob = _episodes(seed, n, sparse)
    got = native.dfe_sequence_rules(grp, decom, dec, flags, NULL_DAY, hgrp, dob)
    want = reference.dfe_sequence_rules(grp, decom, dec, flags, NULL_DAY, hgrp, dob)
    assert set(got) == set(RULES) == set(want)
    for rule in RULES:
        np.testing.assert_array_equal(np.asarray(got[rule]), want[rule], err_msg=rule)
    if n >= 400:  # the data make every rule bite, so the comparison means something
        assert all(len(want[r]) for r in RULES), {r: len(want[r]) for r in RULES}


def test_a_hand_made_return() -> None:
    """One child per rule, as the DfE defines it (R = reference bits)."""
    r = reference
    null = NULL_DAY
    rows = [
        # grp, decom, dec, flags
        (0, 10, 20, r.RNE_S | r.REC_LEFT | r.REC_KNOWN),  # 432 on the next row
        (0, 25, null, r.RNE_CONT),  # 432 (left, then not S) and 433 (25 != 20)
        (1, 10, 20, r.RNE_S | r.REC_X1 | r.REC_KNOWN),
        (1, 18, 30, r.RNE_S | r.REC_KNOWN),  # 501 and 431 (starts before 20); 388 row 2
        (2, 10, null, r.RNE_S),  # 142: open, followed by another
        (2, 40, 50, r.RNE_S | r.REC_E2_E15 | r.REC_KNOWN),
        (2, 60, null, r.RNE_S),  # 437 on the row before (died, then another)
    ]
    grp, decom, dec, flags = (np.array(c) for c in zip(*rows, strict=True))
    got = native.dfe_sequence_rules(
        grp.astype(np.int64),
        decom.astype(np.int64),
        dec.astype(np.int64),
        flags.astype(np.uint8),
        null,
        np.array([2, 1], np.int64),
        np.array([5, 15], np.int64),  # child 1 born after its first episode starts
    )
    flagged = {k: list(np.asarray(v)) for k, v in got.items() if len(v)}
    assert flagged == {
        "432": [1],
        "433": [1],
        "501": [3],
        "431": [3],
        "388": [2],
        "142": [4],
        "437": [5],
        "302": [2],
        "302_header": [1],
    }
