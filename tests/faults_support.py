"""Planted identifiers for the fault and privacy suites: generated SSDA903 returns and
journey tables whose ids, dates of birth, postcodes and UPNs must never come back out."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

EP_HEAD = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)
HD_HEAD = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
HASH_KEY = "a long test secret, never a real one"


@dataclass
class Planted:
    """Identifiers made up at random from a seed; ``secrets()`` lists every form they
    could take in an output (raw, ISO dates, dd/mm/yyyy dates)."""

    ids: list[str]
    postcodes: list[str]
    dobs: list[tuple[int, int, int]]  # (year, month, day)
    upns: list[str]

    @classmethod
    def make(cls, seed: int, n: int = 6) -> Planted:
        rng = random.Random(seed)
        letters = "JQXZ"
        ids = [f"{rng.choice(letters)}{rng.randrange(10**6, 10**7)}" for _ in range(n)]
        postcodes = [
            f"{rng.choice(letters)}{rng.choice('VWY')}{rng.randrange(1, 9)} "
            f"{rng.randrange(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
            for _ in range(n)
        ]
        dobs = [
            (rng.randrange(2005, 2013), rng.randrange(1, 13), rng.randrange(13, 29)) for _ in ids
        ]
        upns = [f"{rng.choice(letters)}{rng.randrange(10**11, 10**12)}" for _ in ids]
        return cls(ids, postcodes, dobs, upns)

    def dob_text(self, i: int) -> str:
        y, m, d = self.dobs[i]
        return f"{d:02d}/{m:02d}/{y}"

    def secrets(self) -> list[str]:
        out = [*self.ids, *self.postcodes, *self.upns]
        for y, m, d in self.dobs:
            out += [f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}"]
        return out

    def assert_absent(self, *texts: object) -> None:
        """No planted identifier in any of the texts (strings, bytes, files)."""
        for t in texts:
            if isinstance(t, Path) and t.suffix == ".parquet":  # compressed: read it
                import pyarrow.parquet as pq

                t = pq.read_table(t).to_pandas().to_csv()
            elif isinstance(t, Path):
                t = t.read_bytes()
            s = t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t)
            leaked = [x for x in self.secrets() if x in s]
            assert not leaked, f"identifiers {leaked} in: {s[:400]!r}"

    # -- generated returns ----------------------------------------------------------
    def episode_rows(self) -> list[str]:
        return [
            f"{c},{1 + i:02d}/04/2019,S,C2,N1,U6,PR1,,,,{self.postcodes[i]},"
            f"{self.postcodes[-1 - i]},SC123456"
            for i, c in enumerate(self.ids)
        ]

    def header_rows(self) -> list[str]:
        return [
            f"{c},{1 + i % 2},{self.dob_text(i)},WBRI,{self.upns[i]},,{self.dob_text(-1 - i)}"
            for i, c in enumerate(self.ids)
        ]

    def ragged(self, rows: list[str]) -> list[str]:
        """Every row with one field too many (the extra field a postcode)."""
        return [f"{r},{self.postcodes[i % len(self.postcodes)]}" for i, r in enumerate(rows)]


def write(path: Path, head: str, rows: list[str], eol: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((eol.join([head, *rows]) + eol).encode())
    return path


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
