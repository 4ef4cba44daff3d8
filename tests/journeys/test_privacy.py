"""No identifier in a legend, a statistics table or a rejects file unless asked for by
name (issue 15, items 6 and 7): one list of identifying names, and a check by content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from carevis import Journeys, Scene, stats
from carevis.errors import ConfigError
from carevis.ingest import read_ssda903

from tests.conftest import day
from tests.faults_support import EP_HEAD, HASH_KEY, HD_HEAD, Planted, write

# Names of columns holding ids under other spellings, as councils and tools name them.
ID_NAMES = ["LAchildID", "CHILD", "person_id", "source_child", "UPN", "Person ID", "MC_DOB"]


def _journeys(p: Planted, n: int = 40, extra_name: str = "ref") -> Journeys:
    """n children (two spells each) with per-child columns: ``sex`` (3 values), ``la``
    (4 values), and ``extra_name`` holding one planted-looking id per child."""
    rng = np.random.default_rng(0)
    ids = [f"{p.ids[i % len(p.ids)]}{i:03d}" for i in range(n)]
    rows = []
    for i in range(n):
        s = int(rng.integers(0, 100))
        rows += [(i, "Referral", s, s + 10), (i, "Assessment", s + 10, None)]
    t = pa.table(
        {
            "child_id": [r[0] for r in rows],
            "state": [r[1] for r in rows],
            "start": pa.array([day(r[2]) for r in rows], pa.date32()),
            "end": pa.array([None if r[3] is None else day(r[3]) for r in rows], pa.date32()),
            "sex": [["F", "M", "U"][r[0] % 3] for r in rows],
            "la": [f"E0900000{r[0] % 4}" for r in rows],
            extra_name: [ids[r[0]] for r in rows],
        }
    )
    return Journeys.from_arrow(t)


@pytest.mark.parametrize("name", ID_NAMES)
def test_identifying_names_refused_for_colour_and_groups(name: str) -> None:
    j = _journeys(Planted.make(1), extra_name=name)
    with pytest.raises(ConfigError, match="identif") as e:
        Scene(j, colour=name)
    Planted.make(1).assert_absent(str(e.value))
    with pytest.raises(ConfigError, match="identif"):
        stats.occupancy(j, "year", by=name)
    with pytest.raises(ConfigError, match="identif"):
        stats.transitions(j, "year", by=name)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_column_with_one_value_per_child_is_refused_by_content(seed: int) -> None:
    p = Planted.make(seed)
    j = _journeys(p, n=30 + 10 * seed, extra_name="ref")  # a harmless name, id content
    with pytest.raises(ConfigError, match="one distinct value per child") as e:
        Scene(j, colour="ref")
    p.assert_absent(str(e.value))
    with pytest.raises(ConfigError, match="one distinct value per child"):
        stats.occupancy(j, "year", by="ref")
    # the same children coloured and grouped by harmless columns: fine
    assert Scene(j, colour="sex").legend.categories == ["F", "M", "U"]
    assert len(Scene(j, colour="la").legend.categories) == 4
    assert set(stats.occupancy(j, "year", by="la").column_names) >= {"la"}


def test_opt_in_by_name() -> None:
    from carevis import privacy

    p = Planted.make(4)
    j = _journeys(p, n=20, extra_name="person_id")
    s = Scene(j, colour=privacy.allow("person_id"))
    assert s.legend.categories is not None and len(s.legend.categories) == 20
    table = stats.occupancy(j, "year", by=privacy.allow("person_id"))
    assert table.num_rows > 0
    with pytest.raises(ConfigError):  # allowing one column allows only that one
        Scene(_journeys(p, n=20, extra_name="ref"), colour=privacy.allow("person_id"))


def test_source_child_from_ingest_is_refused(tmp_path: Path) -> None:
    p = Planted.make(5)
    write(tmp_path / "SSDA903_201_2020_episodes.csv", EP_HEAD, p.episode_rows())
    write(tmp_path / "SSDA903_201_2020_header.csv", HD_HEAD, p.header_rows())
    res = read_ssda903(tmp_path, hash_key=HASH_KEY, keep_ids=True)
    assert "source_child" in res.table.column_names
    j = res.journeys()
    for name in ("source_child", "child_id"):
        with pytest.raises(ConfigError):
            Scene(j, colour=name)
        with pytest.raises(ConfigError):
            stats.occupancy(j, "year", by=name)


def test_one_list_of_identifying_names() -> None:
    """Scene, statistics and the ingest report agree on every identifying name."""
    from carevis import privacy, scene
    from carevis.ingest.report import ValidationReport

    assert not hasattr(scene, "IDENTIFYING") and not hasattr(stats, "IDENTIFYING")
    p = Planted.make(6)
    for name in [*ID_NAMES, "DOB", "PL_POST", "HOME_POST", "child_id", "birth_month"]:
        assert privacy.is_identifying(name), name
        rep = ValidationReport()
        rep.file_index("f.csv")
        rep.add("missing_value", "rejected", file_idx=0, line=2, field=name, value=p.ids[0])
        p.assert_absent(rep.to_table().to_pandas().to_csv())
    for name in ("sex", "la", "state", "LS", "PLACE", "REC", "ethnicity"):
        assert not privacy.is_identifying(name), name


@pytest.mark.parametrize("seed", [1, 2])
def test_write_rejects_redacts_unless_asked(tmp_path: Path, seed: int) -> None:
    p = Planted.make(seed)
    n = len(p.ids)
    t = pa.table(
        {
            "child_id": p.ids,
            "state": ["Referral"] * n,
            "start": pa.array([day(10)] * n, pa.date32()),
            "end": pa.array([day(5)] * 2 + [day(20)] * (n - 2), pa.date32()),  # 2 bad rows
            "postcode": p.postcodes,
            "dob": ["-".join(f"{x:02d}" for x in d) for d in p.dobs],
            "UPN": p.upns,
            "sex": ["F"] * n,
        }
    )
    j = Journeys.from_arrow(t, on_error="reject")
    assert j.n_rejected == 2
    out = tmp_path / "rejects.csv"
    assert j.write_rejects(out) == 2
    text = out.read_text()
    p.assert_absent(text)
    assert text.count("<redacted>") == 2 * 4 and "end is before start" in text
    assert [x.name for x in tmp_path.iterdir()] == ["rejects.csv"]  # no .part left
    kept = tmp_path / "kept.csv"
    j.write_rejects(kept, keep_ids=True)  # asked for by name
    assert p.ids[0] in kept.read_text() and p.postcodes[1] in kept.read_text()
    # a child id column under another name is redacted too
    renamed = t.rename_columns(["ref", *t.column_names[1:]])
    j2 = Journeys.from_arrow(renamed, on_error="reject", child_id="ref")
    j2.write_rejects(tmp_path / "r2.csv")
    p.assert_absent(tmp_path / "r2.csv")
