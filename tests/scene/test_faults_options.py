"""Every public option is checked up front: a bad value is a ConfigError naming the option
(never a bare OverflowError / ValueError / SystemError from deep inside, never silently
wrong pictures). The cases the hostile pass found, then hypothesis fuzzing of each option
with values of every kind."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from carevis import CarevisError, ConfigError, Journeys, Scene, export
from carevis.render import image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import day, random_table

J = Journeys.from_arrow(random_table(20, seed=2))
T = day(150)
NAN, INF = math.nan, math.inf


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene(J)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(seed=-1), "seed must be a whole number"),
        (dict(seed=2**64), "seed must be a whole number"),
        (dict(base_radius=INF), "base_radius must be a finite number"),
        (dict(base_radius=0.0), "base_radius"),
        (dict(dot_spacing=NAN), "dot_spacing"),
        (dict(colour_range=(NAN, 5)), r"colour_range\[0\] must be a finite number"),
        (dict(colour_range=(5, 5)), "low < high"),
        (dict(colour_range=5), "a pair of numbers"),
        (dict(label_gap=NAN), "label_gap"),
        (dict(alpha="x"), "alpha must be a finite number"),
        (dict(transit_days=1e300), "transit_days"),
        (dict(layout={s: (3.3e38, 1e38) for s in J.states}), "must be finite and within"),
        (dict(layout={s: (1e400, 0) for s in J.states}), "must be finite"),
        (dict(layout="x" * 1_000_000), "unknown layout 'xxx"),
        (dict(colourmap=5), "colourmap"),
    ],
)
def test_bad_scene_options(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words) as e:
        Scene(J, **options)
    assert len(str(e.value)) < 400


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(background=(300, 0, 0, 255)), "background must be 3 or 4 whole numbers"),
        (dict(background=(3, 0)), "background"),
        (dict(title="x" * 1_000_000), "title must be a one-line text of at most 1,000"),
        (dict(title="\r"), "no control characters"),  # found by the fuzz test below
        (dict(caption="a\x00b"), "caption"),
        (dict(title="\ud800"), "title"),
        (dict(caption=b"bytes"), "caption"),
        (dict(suppress_below=-3), "suppress_below"),
        (dict(dot_radius=NAN), "dot_radius"),
    ],
)
def test_bad_render_options(scene: Scene, options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words) as e:
        image(scene, T, 64, 36, **options)
    assert len(str(e.value)) < 400


def test_bad_export_options(scene: Scene, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"times\[0\]"):
        export.video(scene, tmp_path / "a.mp4", times=[NAN], width=64, height=36)
    with pytest.raises(ConfigError, match=r"times\[1\]"):
        export.video(scene, tmp_path / "a.mp4", times=[0.0, 1e300], width=64, height=36)
    with pytest.raises(ConfigError, match="centre"):
        export.png(scene, T, tmp_path / "a.png", width=64, height=36, centre=(NAN, 0))
    with pytest.raises(ConfigError, match="unknown option"):
        export.png(scene, T, tmp_path / "a.png", width=64, height=36, colour="sex")
    with pytest.raises(ConfigError, match="time"):
        export.png(scene, 1e300, tmp_path / "a.png", width=64, height=36)
    assert list(tmp_path.iterdir()) == []


def test_bad_filters(scene: Scene) -> None:
    with pytest.raises(ConfigError, match="highlight must be a whole number from 0"):
        scene.with_filter(highlight=-1)
    with pytest.raises(ConfigError, match="highlight"):
        scene.with_filter(highlight=True)
    with pytest.raises(ConfigError, match="dim"):
        scene.with_filter(dim=NAN)
    with pytest.raises(ConfigError, match="one flag per dot"):
        scene.with_filter(visible=np.ones(3, bool))


def test_states_given_twice_add_no_phantom_state() -> None:
    with pytest.raises(ConfigError, match="more than once: 'Referral'"):
        Journeys.from_arrow(random_table(5), states=["Referral", "Referral"])
    with pytest.raises(ConfigError, match="states"):
        Journeys.from_arrow(random_table(5), states="Referral")
    with pytest.raises(ConfigError, match="column name"):
        Journeys.from_arrow(random_table(5), child_id=3)  # type: ignore[arg-type]


def test_good_options_still_work(scene: Scene) -> None:
    s = Scene(
        J, seed=0, colour_range=(0, 365), layout={x: (0.1 * i, 0.5) for i, x in enumerate(J.states)}
    )
    assert s.frame(T).x.shape == (J.n_children,)
    img = image(scene, T, 64, 36, background=(0, 0, 0), title="t" * 1000)
    assert img[0, 0].tolist() == [0, 0, 0, 255]


# --- fuzzing: any value of any kind for any option -------------------------------------------
ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2.0, 2.0),
    st.text(max_size=4),
    st.sampled_from(["x" * 100_000, "viridis", "circle", "pathway", "hide", "<N", "Referral"]),
    st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)),
    st.lists(st.integers(-300, 300), max_size=5).map(tuple),
    st.lists(st.sampled_from(["Referral", "Assessment", "", "Referral"]), max_size=4),
    st.dictionaries(st.sampled_from(J.states), st.tuples(st.floats(), st.floats())),
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SCENE_OPTIONS = [
    "layout",
    "colour",
    "colourmap",
    "colour_range",
    "transit_days",
    "fade_days",
    "base_radius",
    "dot_spacing",
    "alpha",
    "seed",
    "label_gap",
]
RENDER_OPTIONS = ["title", "caption", "suppress_below", "background", "dot_radius"]
EXPORT_OPTIONS = ["zoom", "centre", "background", "suppress_style", "title"]


@FUZZ
@given(name=st.sampled_from(SCENE_OPTIONS), value=ANY)
def test_fuzz_scene_options(name: str, value: Any) -> None:
    try:
        s = Scene(J, **{name: value})
    except CarevisError:
        return
    f = s.frame(T)
    visible = f.rgba[:, 3] > 0
    if name != "alpha":  # alpha near 0 asks for faint (invisible) dots
        assert visible.any(), f"{name}={value!r} was accepted but makes every dot invisible"
    assert np.isfinite(f.x[visible]).all() and np.isfinite(f.y[visible]).all()
    image(s, T, 32, 18)


@FUZZ
@given(name=st.sampled_from(RENDER_OPTIONS), value=ANY)
def test_fuzz_render_options(name: str, value: Any) -> None:
    try:
        img = image(Scene(J), T, 32, 18, **{name: value})
    except CarevisError:
        return
    assert img.shape == (18, 32, 4)


@FUZZ
@given(name=st.sampled_from(EXPORT_OPTIONS), value=ANY)
def test_fuzz_png_options(tmp_path: Path, name: str, value: Any) -> None:
    target = tmp_path / "p.png"
    try:
        export.png(Scene(J), T, target, width=32, height=18, **{name: value})
    except CarevisError:
        assert not target.exists()
        return
    assert target.exists()
    target.unlink()


@FUZZ
@given(
    highlight=st.one_of(ANY, st.integers(-3, 8)),
    dim=st.one_of(ANY, st.floats(0, 1)),
    times=st.lists(st.one_of(st.floats(), st.integers(-(2**63), 2**63)), min_size=1, max_size=3),
    states=ANY,
)
def test_fuzz_filters_times_and_states(highlight: Any, dim: Any, times: Any, states: Any) -> None:
    s = Scene(J)
    with contextlib.suppress(CarevisError):
        s.with_filter(highlight=highlight, dim=dim)
    with contextlib.suppress(CarevisError):
        export._clip_times(s, times, None, None, 25, 30)
    try:
        j = Journeys.from_arrow(random_table(5), states=states)
    except CarevisError:
        return
    assert len(set(j.states)) == len(j.states)
