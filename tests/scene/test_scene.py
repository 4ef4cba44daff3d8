"""The frame engine: states, positions, motion, crowding, colour and determinism."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import carevis
import numpy as np
import pyarrow as pa
import pytest
from carevis import ConfigError, Journeys, Scene
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import D0, day, random_table, table

MIN_PER_DAY = 1440


def brute_states(t: pa.Table, j: Journeys, minutes: float) -> np.ndarray:
    """The state of each dot at `minutes`, straight from the rows (no index)."""
    ids = j.child_ids.to_pylist()
    pos = {cid: i for i, cid in enumerate(ids)}
    out = np.full(len(ids), -1, np.int32)
    epoch = dt.date(1970, 1, 1)
    for row in t.to_pylist():
        s = (row["start"] - epoch).days * MIN_PER_DAY
        e = np.inf if row["end"] is None else (row["end"] - epoch).days * MIN_PER_DAY
        if s <= minutes < e:
            out[pos[row["child_id"]]] = j.states.index(row["state"])
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), when=st.floats(-30, 2500))
def test_state_equals_brute_force(seed: int, when: float) -> None:
    t = random_table(40, seed=seed)
    j = Journeys.from_arrow(t)
    s = Scene(j)
    minutes = (D0 - dt.date(1970, 1, 1)).days * MIN_PER_DAY + when * MIN_PER_DAY
    f = s.frame(minutes / MIN_PER_DAY)
    assert np.array_equal(f.state, brute_states(t, j, minutes))
    # dots in no state are invisible only once they have faded; dots in a state are drawn
    assert np.all(f.rgba[f.state >= 0, 3] > 0) or s.fade_days > 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), when=st.integers(0, 2000))
def test_at_rest_dots_stay_inside_their_cluster(seed: int, when: int) -> None:
    t = random_table(60, seed=seed)
    j = Journeys.from_arrow(t)
    s = Scene(j, transit_days=0.0)
    when_day = (D0 - dt.date(1970, 1, 1)).days + when
    f = s.frame(float(when_day))
    r = s.radii(float(when_day))
    inside = f.state >= 0
    c = s.centres[f.state[inside]]
    d = np.hypot(f.x[inside] - c[:, 0], f.y[inside] - c[:, 1])
    assert np.all(d <= r[f.state[inside]] * (1 + 1e-5))


def test_same_frame_twice_is_identical_and_frame_into_reuses_buffers() -> None:
    j = Journeys.from_arrow(random_table(300, seed=3))
    s = Scene(j)
    a = s.frame("2020-06-01")
    buf = s.buffers()
    ids = [id(buf.x), id(buf.y), id(buf.rgba), id(buf.state)]
    b = s.frame_into("2020-06-01", buf)
    assert [id(b.x), id(b.y), id(b.rgba), id(b.state)] == ids
    for name in ("x", "y", "rgba", "state"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    with pytest.raises(ConfigError, match="contiguous"):
        s.frame_into(
            "2020-06-01",
            {
                "x": np.zeros(2 * j.n_children, np.float32)[::2],
                "y": buf.y,
                "rgba": buf.rgba,
                "state": buf.state,
            },
        )
    with pytest.raises(ConfigError, match="buffers"):
        s.frame_into("2020-06-01", carevis.Frame.empty(j.n_children + 1))


SCRIPT = """
import hashlib, numpy as np, carevis, sys
sys.path.insert(0, {tests!r})
from tests.conftest import random_table
j = carevis.Journeys.from_arrow(random_table(20000, seed=9))
f = carevis.Scene(j).frame("2020-08-01")
h = hashlib.sha256()
for a in (f.x, f.y, f.rgba, f.state):
    h.update(np.ascontiguousarray(a).tobytes())
print(carevis._native.num_threads(), h.hexdigest())
"""


def test_bit_identical_for_any_thread_count() -> None:
    code = SCRIPT.format(tests=os.path.dirname(__file__))
    out = []
    for n in ("1", "2", "3"):
        env = dict(os.environ, CAREVIS_NUM_THREADS=n)
        r = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        threads, digest = r.stdout.split()
        assert threads == n
        out.append(digest)
    assert len(set(out)) == 1


def test_same_day_step_passes_through_its_node() -> None:
    t = table([(1, "Referral", 0, 0), (1, "Assessment", 0, 0), (1, "Child in need", 0, 200)])
    s = Scene(Journeys.from_arrow(t), transit_days=4.0)
    start = (D0 - dt.date(1970, 1, 1)).days
    # the dot appears at Referral, reaches Assessment after one transit, then Child in need
    seen = []
    for k in np.linspace(0, 8.5, 60):
        f = s.frame(start + float(k))
        seen.append((float(f.x[0]), float(f.y[0])))
    a_idx = s.states.index("Assessment")
    ca = s.centres[a_idx]
    ra = s.radii(start + 4.0)[a_idx]
    assert min(np.hypot(x - ca[0], y - ca[1]) for x, y in seen) <= ra + 1e-6
    assert s.frame(start + 1).state[0] == s.states.index("Child in need")


def test_dots_fade_in_and_out() -> None:
    t = table([(1, "Referral", 10, 100)])
    s = Scene(Journeys.from_arrow(t), fade_days=10, alpha=1.0)
    base = (D0 - dt.date(1970, 1, 1)).days
    alpha = [int(s.frame(base + d).rgba[0, 3]) for d in (9, 12, 50, 105, 200)]
    assert (
        alpha[0] == 0
        and 0 < alpha[1] < 255
        and alpha[2] == 255
        and 0 < alpha[3] < 255
        and alpha[4] == 0
    )


def test_crowded_clusters_grow_and_never_overlap() -> None:
    rows = [(i, "Foster care (other)", 0, None) for i in range(2000)]
    rows += [(10_000 + i, "Referral", 0, 1) for i in range(30)]
    rows += [(20_000 + i, "Assessment", 100, None) for i in range(500)]
    s = Scene(Journeys.from_arrow(table(rows)))
    base = (D0 - dt.date(1970, 1, 1)).days
    r0, r1 = s.radii(base + 50), s.radii(base + 150)
    a = s.states.index("Assessment")
    assert r1[a] > r0[a]
    fc = s.states.index("Foster care (other)")
    assert r1[fc] > r1[s.states.index("Referral")]
    for i in range(len(s.states)):
        for k in range(i + 1, len(s.states)):
            d = np.hypot(*(s.centres[i] - s.centres[k]))
            assert r1[i] + r1[k] < d


def test_colour_by_time_in_care_darkens_to_bright() -> None:
    t = table([(1, "Foster care (other)", 0, None), (2, "Foster care (other)", 1500, None)])
    s = Scene(Journeys.from_arrow(t), alpha=1.0, fade_days=0)
    f = s.frame(D0 + dt.timedelta(days=1600))
    luma = f.rgba[:, :3].astype(float) @ [0.3, 0.59, 0.11]
    ids = s.journeys.child_ids.to_pylist()
    assert luma[ids.index(1)] > luma[ids.index(2)]
    assert s.legend.kind == "continuous" and s.legend.colours.shape == (256, 4)
    assert s.legend.ticks[0][1] == "0 yr"


def test_colour_by_entries_counts_returns() -> None:
    t = table(
        [
            (1, "Referral", 0, 5),
            (1, "Referral", 400, 405),
            (1, "Referral", 900, None),
            (2, "Referral", 900, None),
        ]
    )
    s = Scene(Journeys.from_arrow(t), colour="entries", colour_range=(1, 3), alpha=1.0)
    f = s.frame(D0 + dt.timedelta(days=950))
    lut = s.legend.colours
    ids = s.journeys.child_ids.to_pylist()
    assert tuple(f.rgba[ids.index(1)]) == tuple(lut[255])
    assert tuple(f.rgba[ids.index(2)]) == tuple(lut[0])


def test_categorical_colour_and_privacy(small: pa.Table) -> None:
    s = Scene(Journeys.from_arrow(small), colour="sex", alpha=1.0)
    assert s.legend.kind == "categorical"
    assert s.legend.categories == ["F", "M", "Unknown"]
    f = s.frame(day(55))
    ids = s.journeys.child_ids.to_pylist()
    assert tuple(f.rgba[ids.index(3)][:3]) == tuple(s.legend.colours[2][:3])
    with pytest.raises(ConfigError, match="identifier"):
        Scene(Journeys.from_arrow(small), colour="child_id")
    with pytest.raises(ConfigError, match="unknown colour"):
        Scene(Journeys.from_arrow(small), colour="nope")


def test_layouts(small: pa.Table) -> None:
    j = Journeys.from_arrow(small)
    auto = Scene(j).centres
    assert np.array_equal(auto, Scene(j, layout="pathway").centres)
    circ = Scene(j, layout="circle").centres
    assert circ.shape == (4, 2) and not np.array_equal(auto, circ)
    mine = {s: (0.1 * i + 0.1, 0.5) for i, s in enumerate(j.states)}
    assert np.allclose(Scene(j, layout=mine).centres[:, 0], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ConfigError, match=r"lacks state.*Child in need"):
        Scene(j, layout={k: v for k, v in mine.items() if k != "Child in need"})
    other = Journeys.from_arrow(table([(1, "Waiting", 0, 3), (1, "Seen", 3, None)]))
    assert Scene(other).centres.shape == (2, 2)  # auto falls back to the circle
    with pytest.raises(ConfigError, match="no place"):
        Scene(other, layout="pathway")


def test_filter_and_highlight(small: pa.Table) -> None:
    s = Scene(Journeys.from_arrow(small), alpha=1.0, fade_days=0)
    t = day(55)
    full = s.frame(t).rgba[:, 3].copy()
    mask = s.filter_mask(la="A")
    plain = s
    s = s.with_filter(mask)
    assert plain.emphasis is None  # the first scene is unchanged
    f = s.frame(t)
    assert np.all(f.rgba[~mask, 3] == 0) and np.array_equal(f.rgba[mask, 3], full[mask])
    s = s.with_filter(None, highlight="Child in need", dim=0.25)
    f = s.frame(t)
    cin = f.state == s.states.index("Child in need")
    assert np.all(f.rgba[cin, 3] == 255)
    others = (~cin) & (full > 0)
    assert np.all(f.rgba[others, 3] < 100)


def test_counts_match_states(small: pa.Table) -> None:
    s = Scene(Journeys.from_arrow(small))
    c = s.counts(day(55))
    assert c.sum() == 3
    assert c[s.states.index("Foster care (other)")] == 1


def test_time_inputs_agree(small: pa.Table) -> None:
    s = Scene(Journeys.from_arrow(small))
    days = (day(55) - dt.date(1970, 1, 1)).days
    ref = s.frame(day(55)).state
    for t in (
        dt.datetime.combine(day(55), dt.time()),
        np.datetime64(day(55)),
        day(55).isoformat(),
        float(days),
    ):
        assert np.array_equal(s.frame(t).state, ref)
    with pytest.raises(ConfigError):
        s.frame("31/03/2020")


def test_a_scene_is_a_value(small: pa.Table) -> None:
    s = Scene(Journeys.from_arrow(small), alpha=0.5, seed=3, dot_spacing=0.005)
    with pytest.raises(AttributeError, match="a Scene is a value"):
        s.colour_range = (0.0, 1.0)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.settings.alpha = 1.0  # type: ignore[misc]
    # a new setting keeps every other one, and the emphasis
    shown = s.with_filter(s.filter_mask(la="A"), highlight="Child in need", dim=0.3)
    recoloured = shown.replace(colour="la")
    assert recoloured.colour == "la" and s.colour == "time_in_care"
    same = {k: v for k, v in s.settings.as_dict().items() if k != "colour"}
    assert {k: v for k, v in recoloured.settings.as_dict().items() if k != "colour"} == same
    assert recoloured.emphasis is shown.emphasis and s.emphasis is None
    assert recoloured.options["alpha"] == 0.5 and recoloured.options["seed"] == 3
    # the filter shares the engine; a new setting makes a new one
    assert shown._native is s._native and recoloured._native is not s._native
    # frames agree with a scene built afresh with the same settings and filter
    fresh = Scene(Journeys.from_arrow(small), colour="la", alpha=0.5, seed=3, dot_spacing=0.005)
    fresh = fresh.with_filter(fresh.filter_mask(la="A"), highlight="Child in need", dim=0.3)
    a, b = recoloured.frame(day(55)), fresh.frame(day(55))
    assert np.array_equal(a.rgba, b.rgba) and np.array_equal(a.x, b.x)
    with pytest.raises(ConfigError, match="unknown scene setting"):
        s.replace(colours="la")
    with pytest.raises(ConfigError, match="alpha"):
        s.replace(alpha=2.0)


def test_emphasis_is_frozen_and_checked(small: pa.Table) -> None:
    s = Scene(Journeys.from_arrow(small))
    mask = np.ones(s.n_dots, bool)
    shown = s.with_filter(mask)
    mask[:] = False  # the caller's array may change: the scene's copy does not
    assert shown.emphasis is not None and shown.emphasis.visible is not None
    assert shown.emphasis.visible.all() and not shown.emphasis.visible.flags.writeable
    assert s.with_filter(None).emphasis is None
    with pytest.raises(ConfigError, match="one flag per dot"):
        s.with_filter(np.ones(s.n_dots + 1, bool))
    with pytest.raises(ConfigError, match="unknown state to highlight 'Nowhere'"):
        s.with_filter(highlight="Nowhere")
