"""The notebook player (issue 17, item 7): a play button, a date slider with the date
beside it and the picture, built and driven without a kernel here, and in a real headless
kernel (no display, EGL surfaceless) by running a notebook."""

from __future__ import annotations

import datetime as dt
import io

import carevis
import ipywidgets as widgets
import numpy as np
import pytest
from carevis.render import image
from PIL import Image

from tests.journey_tables import make_table

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def scene() -> carevis.Scene:
    return carevis.Scene(carevis.Journeys.from_arrow(make_table(400, seed=2)))


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGBA"))


def test_player_is_a_box_of_play_slider_date_and_picture(scene: carevis.Scene) -> None:
    from carevis.notebook import player
    from carevis.rules import opening_minutes

    p = player(scene, width=320, height=180, title=None)
    assert isinstance(p, widgets.VBox)
    bar, pic = p.children
    assert [type(w) for w in bar.children] == [widgets.Play, widgets.IntSlider, widgets.Label]
    assert pic is p.image and isinstance(pic, widgets.Image) and pic.format == "png"
    assert p.play.max == p.slider.max == len(p.times) - 1
    # it opens at the latest whole year-end, as the window does
    opening = opening_minutes(scene.journeys.minute_range)
    assert abs(p.minutes - opening) <= 7 * 1440 / 2
    assert _pixels(p.image.value).shape == (180, 320, 4)


def test_moving_the_slider_draws_that_day_and_says_its_date(scene: carevis.Scene) -> None:
    from carevis.notebook import player

    p = player(
        scene, width=320, height=180, title=None, start="2018-01-01", t="2018-01-01", step_days=1
    )
    before = p.image.value
    p.slider.value = 365  # 1 January 2019
    assert p.date.value == "1 January 2019"
    assert p.image.value != before
    want = image(scene, dt.date(2019, 1, 1), 320, 180, renderer=p.renderer, title=None)
    assert np.array_equal(_pixels(p.image.value), want)
    p.jump_to("2019-06-30")
    assert p.date.value == "30 June 2019"
    p.step(-1)
    assert p.date.value == "29 June 2019"


def test_play_drives_the_slider(scene: carevis.Scene) -> None:
    from carevis.notebook import player

    p = player(scene, width=160, height=90, renderer="cpu", start="2018-01-01", t="2018-01-01")
    assert p.renderer == "cpu"
    p.play.value = 10  # what the Play widget's timer does in the browser
    assert p.slider.value == 10
    assert p.date.value == "12 March 2018"


def test_gl_offscreen_is_used_where_egl_works(scene: carevis.Scene) -> None:
    from carevis.notebook import player

    p = player(scene, width=160, height=90)
    assert p.renderer == "gl"  # EGL surfaceless on this machine and on CI


def test_bad_arguments_are_config_errors(scene: carevis.Scene) -> None:
    from carevis.errors import ConfigError
    from carevis.notebook import player

    with pytest.raises(ConfigError, match="renderer"):
        player(scene, renderer="gll")
    with pytest.raises(ConfigError, match="step_days"):
        player(scene, step_days=0)
    with pytest.raises(ConfigError, match="empty"):
        player(scene, start="2020-01-01", end="2019-01-01")


def test_player_labels_show_percent_when_asked(scene: carevis.Scene) -> None:
    from carevis.errors import ConfigError
    from carevis.notebook import player

    kw: dict[str, object] = dict(width=640, height=360, title=None, renderer="cpu")
    count = player(scene, **kw)
    share = player(scene, label_values="percent", **kw)
    assert share.picture["label_values"] == "percent"
    assert count.picture["label_values"] == "count"
    at = dt.datetime.fromtimestamp(share.minutes * 60, dt.timezone.utc).replace(tzinfo=None)
    want = image(scene, at, 640, 360, renderer="cpu", title=None, label_values="percent")
    assert np.array_equal(_pixels(share.image.value)[..., :3], want[..., :3])
    assert not np.array_equal(_pixels(share.image.value), _pixels(count.image.value))
    with pytest.raises(ConfigError, match="label_values"):
        player(scene, label_values="share", **kw)
