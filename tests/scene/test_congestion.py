"""Congestion: a waiting state whose occupancy and time in state rise while its exits fall
behind its entries, found with the right figures on data built so the answer is known;
stable, falling-wait and placement states never flagged; marked in exported frames."""

from __future__ import annotations

import statistics

import carevis
import numpy as np
import pytest
from carevis import export
from carevis.errors import ConfigError
from carevis.render import OverlayStyle
from carevis.rules import standard_states, waiting_states
from carevis.scene.congestion import (
    CongestionSettings,
    congestion,
    congestion_figures,
    congestion_series,
    occupancy_at,
    scene_congestion,
)
from PIL import Image

from tests.conftest import day, table

NOW, WINDOW = 365, 182  # the moment (day) and the window: it opens on day 183

Row = tuple[int, str, int, "int | None"]


def _rows() -> list[Row]:
    rows: list[Row] = []
    for k in range(73):  # every 5 days from day 0 to day 360, three children
        for c in range(3):
            # Assessment: before day 150 each leaves after 30 days; from then on none
            # leaves (the exits fall behind, the crowd and its waits grow).
            rows.append((10_000 + 3 * k + c, "Assessment", 5 * k, 5 * k + 30 if k < 30 else None))
            # Foster care (other): the same shape, but a placement: stability, never a wait.
            rows.append((20_000 + 3 * k + c, "Foster care (other)", 5 * k, None))
        for c in range(2):  # Section 47: steady turnover, each child 42 days
            rows.append((30_000 + 2 * k + c, "Section 47", 5 * k, 5 * k + 42))
    # Child protection conference: 10 children waiting since long before, then from day
    # 302 a surge of new ones (none leaving): the crowd grows but the median wait falls.
    rows += [(40_000 + c, "Child protection conference", -400, None) for c in range(10)]
    rows += [(41_000 + k, "Child protection conference", 302 + 5 * k, None) for k in range(13)]
    return rows


@pytest.fixture(scope="module")
def journeys() -> carevis.Journeys:
    return carevis.Journeys.from_arrow(table(_rows()))


def _by_hand(rows: list[Row], state: str) -> tuple[int, int, int, int, float, float]:
    """Occupancy now and a window ago, entries and exits in the window, and the median
    (lower, as the core) time so far now and a window ago, counted row by row."""
    t, a = NOW, NOW - WINDOW
    mine = [(s, np.inf if e is None else e) for _, st, s, e in rows if st == state]

    def inside(x: int) -> list[float]:
        return sorted(x - s for s, e in mine if s < x < e)

    return (
        len(inside(t)),
        len(inside(a)),
        sum(1 for s, _ in mine if a <= s < t),
        sum(1 for _, e in mine if a <= e < t),
        float(statistics.median_low(inside(t))),
        float(statistics.median_low(inside(a))),
    )


def test_waiting_states_are_data_in_the_package() -> None:
    kinds = {s.label: s.kind for s in standard_states()}
    assert waiting_states() == {
        "Referral",
        "Assessment",
        "Section 47",
        "Child protection conference",
        "Placed for adoption",
    }
    assert all(kinds[s] == "placement" for s in ("Foster care (other)", "Children's home & secure"))
    assert kinds["Child in need"] == "service" and kinds["Adopted"] == "outcome"


def test_a_waiting_state_whose_entries_outrun_its_exits_is_flagged_with_its_figures(
    journeys: carevis.Journeys,
) -> None:
    found = congestion(journeys, day(NOW), CongestionSettings(window_days=WINDOW))
    assert [c.state for c in found] == ["Assessment"]
    a = found[0]
    now, before, entries, exits, wait, wait_before = _by_hand(_rows(), "Assessment")
    assert (now, before, entries, exits) == (129, 21, 108, 0)
    assert (a.count, a.before, a.entries, a.exits) == (now, before, entries, exits)
    assert (a.wait_days, a.wait_before_days) == (wait, wait_before) == (110.0, 18.0)
    assert a.change_pct == pytest.approx((129 - 21) / 21 * 100)
    assert a.label == "+514% in 6 months, median wait 3.6 months"
    # the scene's entry point gives the same
    scene = carevis.Scene(journeys)
    got = scene_congestion(
        scene, carevis._time.to_minutes(day(NOW)), CongestionSettings(window_days=WINDOW)
    )
    assert got == found and got[0].label == a.label


def test_stable_falling_wait_and_placement_states_are_not_flagged(
    journeys: carevis.Journeys,
) -> None:
    figs = {
        c.state: c
        for c in congestion_figures(journeys, day(NOW), CongestionSettings(window_days=WINDOW))
    }
    # every watched state is a waiting state: foster care is not even looked at
    assert set(figs) == {"Assessment", "Section 47", "Child protection conference"}
    s47 = figs["Section 47"]
    assert not s47.flagged and (s47.count, s47.before) == _by_hand(_rows(), "Section 47")[:2]
    assert s47.count == s47.before == 16 and s47.entries == s47.exits == 72  # steady
    cpc = figs["Child protection conference"]
    now, before, entries, exits, wait, wait_before = _by_hand(
        _rows(), "Child protection conference"
    )
    assert (cpc.count, cpc.before, cpc.entries, cpc.exits) == (now, before, entries, exits)
    assert cpc.change_pct is not None and cpc.change_pct > 100 and cpc.exits < cpc.entries
    assert cpc.wait_days == wait < cpc.wait_before_days == wait_before  # the wait falls
    assert not cpc.flagged
    # foster care's crowd grows as fast as assessment's, but a placement is never a wait
    occ = occupancy_at(journeys, np.array([carevis._time.to_minutes(day(NOW))], np.int64))
    assert occ[journeys.states.index("Foster care (other)"), 0] == 219
    with pytest.raises(ConfigError, match=r"Foster care \(other\). is a placement"):
        CongestionSettings(states=frozenset({"Foster care (other)"}))


def test_thresholds_are_respected(journeys: carevis.Journeys) -> None:
    t = day(NOW)
    assert not congestion(journeys, t, CongestionSettings(window_days=WINDOW, growth_pct=1000))
    assert not congestion(journeys, t, CongestionSettings(window_days=WINDOW, min_count=22))
    assert congestion(journeys, t, CongestionSettings(window_days=WINDOW, min_count=21))
    only = CongestionSettings(window_days=WINDOW, states=frozenset({"Section 47"}))
    assert [c.state for c in congestion_figures(journeys, t, only)] == ["Section 47"]
    for bad in ({"window_days": 0}, {"growth_pct": -1}, {"min_count": 0}):
        with pytest.raises(ConfigError):
            CongestionSettings(**bad)  # type: ignore[arg-type]


def test_a_series_agrees_with_single_moments(journeys: carevis.Journeys) -> None:
    s = CongestionSettings(window_days=WINDOW)
    times = [carevis._time.to_minutes(day(d)) for d in (200, 290, NOW)]
    series = congestion_series(journeys, times, s)
    assert series == [congestion_figures(journeys, day(d), s) for d in (200, 290, NOW)]


def test_exported_frame_marks_congested_states(tmp_path, journeys) -> None:  # type: ignore[no-untyped-def]
    scene = carevis.Scene(journeys)
    plain = export.png(scene, day(NOW), tmp_path / "plain.png", width=640, height=360)
    settings = CongestionSettings(window_days=WINDOW, halo=(255, 0, 0, 255))
    marked = export.png(
        scene,
        day(NOW),
        tmp_path / "marked.png",
        width=640,
        height=360,
        overlay=OverlayStyle(congestion=settings),
    )
    p = np.asarray(Image.open(plain).convert("RGB")).astype(int)
    m = np.asarray(Image.open(marked).convert("RGB")).astype(int)
    red = (m[..., 0] > 200) & (m[..., 1] < 60) & (m[..., 2] < 60)
    red_before = (p[..., 0] > 200) & (p[..., 1] < 60) & (p[..., 2] < 60)
    assert red.sum() > 200 + red_before.sum()
