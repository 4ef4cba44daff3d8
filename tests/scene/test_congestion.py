"""Congestion: growing occupancy and long waits, found and marked in exported frames."""

from __future__ import annotations

import carevis
import numpy as np
import pytest
from carevis import export
from carevis.errors import ConfigError
from carevis.render import OverlayStyle
from carevis.scene.congestion import CongestionSettings, congestion, occupancy_at, scene_congestion
from PIL import Image

from tests.conftest import day, table


def growing() -> carevis.Journeys:
    rows = []
    # Foster care: 20 children in by day 0, then 2 more every 10 days, none leave: grows.
    for c in range(20):
        rows.append((c, "Foster care (other)", -30, None))
    for k in range(40):
        rows.append((100 + 2 * k, "Foster care (other)", 10 * k, None))
        rows.append((101 + 2 * k, "Foster care (other)", 10 * k + 5, None))
    # Assessment: 30 children who have all waited long (since day -300), steady.
    for c in range(30):
        rows.append((1000 + c, "Assessment", -300, None))
    # Referral: steady turnover of short spells.
    for c in range(400):
        rows.append((2000 + c, "Referral", c, c + 3))
    return carevis.Journeys.from_arrow(table(rows))


def test_growth_and_wait_found_with_figures() -> None:
    j = growing()
    t = day(365)
    found = {
        c.state: c
        for c in congestion(
            j, t, CongestionSettings(window_days=182, growth_pct=10, wait_days=200, min_count=5)
        )
    }
    fc = found["Foster care (other)"]
    occ = occupancy_at(j, np.array([int(carevis._time.to_minutes(t))]))
    now = 20 + sum(1 for k in range(40) for off in (0, 5) if 10 * k + off <= 365)
    before = 20 + sum(1 for k in range(40) for off in (0, 5) if 10 * k + off <= 365 - 182)
    assert (
        fc.kind == "growth"
        and fc.count == int(occ[j.states.index("Foster care (other)"), 0]) == now == 94
    )
    assert fc.value == pytest.approx((now - before) / before * 100)
    assert fc.label == f"+{fc.value:.0f}% in 6 months"
    a = found["Assessment"]
    assert a.kind == "wait" and a.value == 665 and a.label == "median wait 665 days"
    assert "Referral" not in found  # short, steady


def test_thresholds_are_respected() -> None:
    j = growing()
    t = day(365)
    assert not congestion(j, t, CongestionSettings(growth_pct=1000, wait_days=None))
    assert [
        c.state for c in congestion(j, t, CongestionSettings(growth_pct=1000, wait_days=600))
    ] == ["Assessment"]
    assert not congestion(j, t, CongestionSettings(min_count=1000))
    with pytest.raises(ConfigError):
        CongestionSettings(window_days=0)


def test_scene_congestion_uses_daily_occupancy_and_agrees() -> None:
    j = growing()
    scene = carevis.Scene(j)
    t = day(365)
    minutes = carevis._time.to_minutes(t)
    a = scene_congestion(scene, minutes)
    b = congestion(j, t)
    assert [(c.state, c.kind, round(c.value, 6)) for c in a] == [
        (c.state, c.kind, round(c.value, 6)) for c in b
    ]


def test_exported_frame_marks_congested_states(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scene = carevis.Scene(growing())
    plain = export.png(scene, day(365), tmp_path / "plain.png", width=640, height=360)
    settings = CongestionSettings(halo=(255, 0, 0, 255))
    marked = export.png(
        scene,
        day(365),
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
