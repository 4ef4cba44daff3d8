"""The window, driven by the events a user would send, read back from the framebuffer.
Runs for real on EGL surfaceless (Mesa llvmpipe)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import types
from collections.abc import Iterator
from typing import Any

import carevis
import numpy as np
import pyarrow as pa
import pytest

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from tests.journey_tables import BG, make_table

pytestmark = pytest.mark.gl

T0 = "2018-06-30"
SIZE = (480, 270)


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return make_table(600, seed=11)


@pytest.fixture
def canvas(table: pa.Table) -> Iterator[Any]:
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    c = CarevisCanvas(scene, app="egl", size=SIZE, threaded=False, t=T0, dot_radius_px=2.0)
    yield c
    c.close()


def key(c: Any, name: str, text: str = "") -> None:
    from vispy.util import keys

    k = getattr(keys, name.upper(), None) if len(name) > 1 else keys.Key(name.upper())
    c.events.key_press(key=k, text=text)
    c.events.key_release(key=k, text=text)


def click(c: Any, pos: tuple[float, float], **kw: Any) -> None:
    c.events.mouse_press(pos=pos, button=kw.pop("button", 1), **kw)
    c.events.mouse_release(pos=pos, button=1)


def ink(img: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """How far each pixel is from the background (max over channels)."""
    return np.abs(img[py, px, :3].astype(int) - np.array(BG[:3])).max(axis=-1)


def brute_counts(
    table: pa.Table, states: list[str], day: str, keep: np.ndarray | None = None
) -> np.ndarray:
    t = np.datetime64(day, "D")
    s = table["start"].to_numpy()
    e = table["end"].to_numpy(zero_copy_only=False)
    e = np.where(np.isnat(e), np.datetime64("2999-01-01", "D"), e)
    cur = (s <= t) & (t < e)
    if keep is not None:
        cur &= keep
    lab = np.array(table["state"].to_pylist())
    return np.array([int(np.sum(lab[cur] == x)) for x in states])


def dot_pixels(c: Any, dots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vp, f = c.viewport, c.frame
    return (
        np.floor(f.x[dots] * vp.sx + vp.tx).astype(int),
        np.floor(f.y[dots] * vp.sy + vp.ty).astype(int),
    )


def test_dots_drawn_where_the_engine_says(canvas: Any) -> None:
    img = canvas.render()
    assert img.shape == (SIZE[1], SIZE[0], 4)
    f = canvas.frame
    vp = canvas.viewport
    shown = np.flatnonzero(f.rgba[:, 3] > 0)
    px, py = dot_pixels(canvas, shown)
    inside = (px >= 0) & (px < vp.width) & (py >= 0) & (py < vp.height)
    assert inside.sum() > 100
    assert (ink(img, px[inside], py[inside]) > 25).mean() > 0.95
    # midway between two clusters (no dot there, no label): background
    k, m = canvas.scene.states.index("Referral"), canvas.scene.states.index("Assessment")
    mx, my = vp.to_pixels(*(canvas.scene.centres[k] + canvas.scene.centres[m]) / 2)
    assert ink(img, np.array([int(mx) - 30]), np.array([int(my)]))[0] < 4


def test_play_pause_step_and_speed(canvas: Any) -> None:
    m0 = canvas.minutes
    key(canvas, "space", " ")
    assert canvas.playing
    canvas.tick(0.5)
    assert canvas.minutes == pytest.approx(m0 + 0.5 * canvas.speed * 1440)
    assert canvas.frame.minutes == pytest.approx(canvas.minutes)
    key(canvas, "space", " ")
    assert not canvas.playing
    m1 = canvas.minutes
    canvas.tick(1.0)
    assert canvas.minutes == m1
    key(canvas, "right")
    assert canvas.frame.minutes == pytest.approx(m1 + 7 * 1440)
    key(canvas, "left")
    key(canvas, "left")
    assert canvas.frame.minutes == pytest.approx(m1 - 7 * 1440)
    s = canvas.speed
    key(canvas, "+", "+")
    assert canvas.speed == 2 * s
    key(canvas, "-", "-")
    key(canvas, "-", "-")
    assert canvas.speed == s / 2
    # the date on screen follows (the HUD text)
    canvas.render()
    assert canvas.hud.text[0] == f"{canvas.t.day} {canvas.t:%B %Y}"  # as exports write it


def test_threaded_playback_shows_the_worker_frames(table: pa.Table) -> None:
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    c = CarevisCanvas(scene, app="egl", size=SIZE, threaded=True, t=T0)
    try:
        c.play()
        for _ in range(3):
            c.tick(0.25)
            c.wait()
            c.render()
        assert c.frame.minutes == pytest.approx(c.minutes)
        np.testing.assert_array_equal(c.frame.state, scene.frame(c.minutes / 1440).state)
        assert len(c.timings["engine"]) >= 3
    finally:
        c.close()


def test_scrub_the_timeline(canvas: Any) -> None:
    x0, y0, x1, y1 = canvas._timeline_box()
    lo, hi = canvas.t_range
    yc = (y0 + y1) / 2
    canvas.events.mouse_press(pos=(x0 + 0.25 * (x1 - x0), yc), button=1)
    assert canvas.frame.minutes == pytest.approx(lo + 0.25 * (hi - lo), abs=1440)
    canvas.events.mouse_move(pos=(x0 + 0.75 * (x1 - x0), yc), button=1)
    canvas.events.mouse_release(pos=(x0 + 0.75 * (x1 - x0), yc), button=1)
    want = lo + 0.75 * (hi - lo)
    assert canvas.frame.minutes == pytest.approx(want, abs=1440)
    assert canvas.zoom == 1.0 and canvas.centre is None  # scrubbing is not panning
    img = canvas.render()
    # the knob (dark) is drawn at 3/4 of the track, the track beyond it is light
    kx = int(x0 + 0.75 * (x1 - x0))
    assert img[int(yc), kx, :3].max() < 60
    assert img[int(yc), int(x1) - 3, :3].min() > 180
    assert img[int(yc), int(x0) + 3, :3].max() < 120


def drawn(texts: Any, model: list[str]) -> bool:
    """Whether the window's label texts say what the model says, where drawn: at this
    small size (480x270) a label with no free place is left out (""), a third at most."""
    texts = list(texts)
    shown = [t for t in texts if t]
    return (
        len(texts) == len(model)
        and 3 * len(shown) >= 2 * len(model)
        and all(t in ("", m) for t, m in zip(texts, model, strict=True))
    )


def test_label_counts_equal_brute_force(canvas: Any, table: pa.Table) -> None:
    for day in (T0, "2019-03-31", "2020-11-02"):
        canvas.jump_to(day)
        canvas.render()
        want = brute_counts(table, canvas.scene.states, day)
        np.testing.assert_array_equal(canvas.counts(), want)
        labels = [f"{s} {n:,}" for s, n in zip(canvas.scene.states, want, strict=True)]
        assert drawn(canvas.labels.text, labels)


def test_hover_shows_name_count_and_median(canvas: Any, table: pa.Table) -> None:
    k = int(np.argmax(canvas.counts()))
    vp = canvas.viewport
    pos = vp.to_pixels(*canvas.scene.centres[k])
    canvas.events.mouse_move(pos=pos)
    h = canvas.hover
    assert h is not None and h["state"] == canvas.scene.states[k]
    want = brute_counts(table, canvas.scene.states, T0)[k]
    assert h["count"] == want
    # median of (t - start of the current spell) over children in state k, in days
    t = np.datetime64(T0, "D")
    s = table["start"].to_numpy()
    e = table["end"].to_numpy(zero_copy_only=False)
    e = np.where(np.isnat(e), np.datetime64("2999-01-01", "D"), e)
    lab = np.array(table["state"].to_pylist())
    cur = (s <= t) & (t < e) & (lab == canvas.scene.states[k])
    assert h["median_days"] == pytest.approx(float(np.median((t - s[cur]).astype(int))))
    canvas.render()
    assert canvas.scene.states[k] in canvas.panel_text.text
    assert f"{want:,} children now" in canvas.panel_text.text
    canvas.events.mouse_move(pos=(5, 5))
    assert canvas.hover is None


def test_click_cluster_highlights_it_brighter(canvas: Any) -> None:
    k = int(np.argmax(canvas.counts()))
    vp = canvas.viewport
    click(canvas, vp.to_pixels(*canvas.scene.centres[k]))
    assert canvas.highlight == k
    img = canvas.render()
    f = canvas.frame
    shown = f.rgba[:, 3] > 0
    ins, outs = np.flatnonzero(shown & (f.state == k)), np.flatnonzero(shown & (f.state != k))
    assert len(ins) > 5 and len(outs) > 50
    bright = ink(img, *dot_pixels(canvas, ins)).mean()
    dim = ink(img, *dot_pixels(canvas, outs)).mean()
    assert bright > 2.0 * dim, (bright, dim)
    # clicking it again clears the highlight
    click(canvas, vp.to_pixels(*canvas.scene.centres[k]))
    assert canvas.highlight is None
    img = canvas.render()
    assert ink(img, *dot_pixels(canvas, outs)).mean() > 1.5 * dim


def test_filter_by_council_and_keys(canvas: Any, table: pa.Table) -> None:
    la = np.array(canvas.scene.journeys.attribute("la").to_pylist())
    before = canvas.render()
    canvas.set_filter(la="Kent")
    img = canvas.render()
    f = canvas.frame
    assert (f.rgba[la != "Kent", 3] == 0).all()
    assert (f.rgba[(la == "Kent") & (f.state >= 0), 3] > 0).any()
    keep_rows = np.array(table["la"].to_pylist()) == "Kent"
    np.testing.assert_array_equal(
        canvas.counts(), brute_counts(table, canvas.scene.states, T0, keep_rows)
    )
    ink_before = (np.abs(before[..., :3].astype(int) - BG[:3]).max(-1) > 30).sum()
    ink_after = (np.abs(img[..., :3].astype(int) - BG[:3]).max(-1) > 30).sum()
    assert ink_after < ink_before
    # keys: L cycles councils (all -> first -> ...), X sex, B age band
    canvas.set_filter(la=None)
    key(canvas, "l", "l")
    assert canvas.filters["la"] == "East Sussex"
    key(canvas, "x", "x")
    assert canvas.filters["sex"] == "F"
    sex = np.array(canvas.scene.journeys.attribute("sex").to_pylist())
    visible = canvas.frame.rgba[:, 3] > 0
    assert set(la[visible]) <= {"East Sussex"} and set(sex[visible]) <= {"F"}
    key(canvas, "r", "r")
    assert canvas.filters == {"la": None, "sex": None, "age_band": None}


def test_zoom_about_pointer_pan_and_reset(canvas: Any) -> None:
    vp = canvas.viewport
    pos = (300.0, 100.0)
    world = vp.to_world(*pos)
    canvas.events.mouse_wheel(pos=pos, delta=(0, 3))
    assert canvas.zoom == pytest.approx(1.2**3)
    vp2 = canvas.viewport
    assert vp2.to_pixels(*world) == pytest.approx(pos, abs=1e-3)
    # the picture is zoomed too: a dot's pixel is where the new viewport puts it
    img = canvas.render()
    f = canvas.frame
    shown = np.flatnonzero(f.rgba[:, 3] > 0)
    px, py = dot_pixels(canvas, shown)
    inside = (px >= 0) & (px < SIZE[0]) & (py >= 0) & (py < SIZE[1] - 40)
    assert inside.sum() > 10
    assert (ink(img, px[inside], py[inside]) > 25).mean() > 0.9
    # drag pans: the world point under the pointer follows it
    canvas.events.mouse_press(pos=(200, 120), button=1)
    canvas.events.mouse_move(pos=(240, 150), button=1)
    canvas.events.mouse_release(pos=(240, 150), button=1)
    assert canvas.viewport.to_pixels(*vp2.to_world(200, 120)) == pytest.approx((240, 150), abs=1e-3)
    assert canvas.highlight is None  # a drag is not a click
    key(canvas, "r", "r")
    assert canvas.zoom == 1.0 and canvas.centre is None


def test_follow_a_child_shows_journey_without_identifiers(canvas: Any, table: pa.Table) -> None:
    f = canvas.frame
    shown = np.flatnonzero((f.rgba[:, 3] > 0) & (f.state >= 0))
    d = int(shown[0])
    vp = canvas.viewport
    pos = vp.to_pixels(float(f.x[d]), float(f.y[d]))
    click(canvas, pos, modifiers=(__import__("vispy.util.keys").util.keys.SHIFT,))
    assert canvas.followed is not None
    d = canvas.followed  # the dot nearest the click (maybe a neighbour)
    for _ in range(4):
        canvas.step(30)
    journey = canvas.journey(d)
    # brute force: this child's spells begun by now
    cid = canvas.scene.journeys.child_ids[d].as_py()
    rows = table.filter(pa.compute.equal(table["child_id"], cid))
    now = canvas.t.date()
    begun = [r for r in rows.to_pylist() if r["start"] <= now]
    assert [(s, a) for s, a, _ in journey] == [(r["state"], r["start"]) for r in begun]
    canvas.render()
    panel = " ".join(canvas.panel_text.text)
    assert "Journey so far" in panel
    assert str(cid) not in panel
    assert len(canvas.trail) >= 1
    key(canvas, "escape")
    assert canvas.followed is None


def test_colour_cycle_updates_legend(canvas: Any) -> None:
    seen = [canvas.scene.colour]
    titles = [canvas.scene.legend.title]
    for _ in range(5):
        key(canvas, "c", "c")
        seen.append(canvas.scene.colour)
        titles.append(canvas.scene.legend.title)
    # no birth dates in this table: age_band is skipped
    assert seen == ["time_in_care", "time_in_state", "entries", "la", "sex", "time_in_care"]
    key(canvas, "c", "c")
    key(canvas, "c", "c")
    key(canvas, "c", "c")
    assert canvas.scene.legend.kind == "categorical"
    canvas.render()
    assert canvas.legend_text.text[0] == canvas.scene.legend.title
    assert list(canvas.legend_text.text[1:-2]) == canvas.scene.legend.categories
    assert list(canvas.legend_text.text[-2:]) == list(canvas.label_model.legend.note)
    # the dots carry the new colours: a Kent dot's pixel has Kent's legend colour
    la = np.array(canvas.scene.journeys.attribute("la").to_pylist())
    f = canvas.frame
    cat = canvas.scene.legend.categories.index("Kent")
    want = canvas.scene.legend.colours[cat][:3].astype(int)
    kent = np.flatnonzero((la == "Kent") & (f.rgba[:, 3] > 0))
    assert (np.abs(f.rgba[kent, :3].astype(int) - want).max(-1) <= 1).all()


def test_jump_to_31_march(canvas: Any) -> None:
    key(canvas, "j", "j")
    assert canvas.t.date() == dt.date(2019, 3, 31)
    key(canvas, "j", "j")
    assert canvas.t.date() == dt.date(2020, 3, 31)
    canvas.jump_to("2017-01-02")
    assert canvas.t.date() == dt.date(2017, 1, 2)


def test_save_and_record_go_through_the_exporter(
    canvas: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    calls: list[tuple[str, Any, Any]] = []
    fake = types.ModuleType("carevis.export")
    fake.png = lambda scene, t, path, **kw: calls.append(("png", t, kw))  # type: ignore[attr-defined]
    fake.video = lambda scene, path, **kw: calls.append(("video", path, kw))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "carevis.export", fake)
    monkeypatch.setattr(carevis, "export", fake, raising=False)
    monkeypatch.chdir(tmp_path)
    canvas.zoom = 2.0
    canvas.centre = (0.5, 0.4)
    key(canvas, "s", "s")
    assert calls[0][0] == "png" and calls[0][1] == canvas.t
    assert calls[0][2]["width"] == 3840 and calls[0][2]["renderer"] == "cpu"
    # what is on screen: the same zoom, centred on the world point at the window's centre
    w, h = canvas.physical_size
    assert calls[0][2]["zoom"] == 2.0
    assert np.allclose(calls[0][2]["centre"], canvas.viewport.to_world(w / 2, h / 2))
    key(canvas, "r", "r")  # reset the view for the tests that follow
    assert canvas.zoom == 1.0
    key(canvas, "v", "v")
    canvas.play()
    for _ in range(3):
        canvas.tick(0.1)
    canvas.pause()
    key(canvas, "v", "v")
    kind, path, kw = calls[1]
    assert kind == "video" and str(path).endswith(".mp4")
    assert len(kw["times"]) == 4 and kw["times"][-1] == canvas.frame.minutes


def test_main_view_reads_a_file(monkeypatch: Any, tmp_path: Any, table: pa.Table) -> None:
    import pyarrow.parquet as pq
    from carevis import window
    from carevis.window import launch

    path = tmp_path / "j.parquet"
    pq.write_table(table, path)
    seen: dict[str, Any] = {}
    monkeypatch.setenv("DISPLAY", ":99")  # `view` is replaced: no window opens
    monkeypatch.setattr(launch, "check_display", lambda: None)  # nor is :99 probed
    monkeypatch.setattr(launch, "view", lambda scene, **kw: seen.update(scene=scene, **kw))
    argv = [str(path), "--size", "640x360", "--colour", "entries", "--suppress-below", "5"]
    assert window.main_view(argv) == 0
    assert seen["scene"].n_dots == 600 and seen["size"] == (640, 360)
    assert seen["scene"].colour == "entries"
    assert seen["suppress_below"] == 5 and seen["suppress_style"] == "<N"


def test_menu_saves_what_is_on_screen_and_records(
    canvas: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    from carevis.window import MENU_BUTTON, MENU_ITEM_H

    monkeypatch.chdir(tmp_path)
    bx0, by0, bx1, by1 = MENU_BUTTON
    below = (bx0 + 40, by1 + 2 + 1.5 * MENU_ITEM_H)  # where the second item will drop down
    shut = canvas.render()
    assert not canvas.menu_open
    click(canvas, ((bx0 + bx1) / 2, (by0 + by1) / 2))  # the menu button opens it
    assert canvas.menu_open
    opened = canvas.render()
    # right of the item's short text: the box alone
    px, py = int((bx0 + 200) * canvas.pixel_scale), int(below[1] * canvas.pixel_scale)
    # the item boxes are drawn (near white) where the closed menu left the picture alone
    assert opened[py, px, :3].min() > 240
    assert np.abs(opened.astype(int) - shut.astype(int)).max() > 100
    assert canvas.menu_items()[0].startswith("Save view")
    # a click on the first item saves the view, at 4K, through the real exporter
    canvas.zoom = 2.0
    click(canvas, (bx0 + 40, by1 + 2 + 0.5 * MENU_ITEM_H))
    assert not canvas.menu_open
    saved = tmp_path / f"carevis-{canvas.t:%Y-%m-%d}.png"
    assert saved.exists() and canvas.message == f"saved {saved.name}"
    from PIL import Image

    with Image.open(saved) as im:
        assert im.size == (3840, 2160)
    # M opens it too; the second item starts a clip and, chosen again, writes it
    key(canvas, "m", "m")
    assert canvas.menu_open and canvas.menu_items()[1] == "Record a clip"
    click(canvas, below)
    assert canvas.recording is not None and not canvas.menu_open
    canvas.step(7)
    key(canvas, "m", "m")
    assert canvas.menu_items()[1].startswith("Stop recording")
    calls: list[Any] = []
    fake = types.ModuleType("carevis.export")
    fake.video = lambda scene, path, **kw: calls.append((path, kw))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "carevis.export", fake)
    monkeypatch.setattr(carevis, "export", fake, raising=False)
    click(canvas, below)
    assert canvas.recording is None and len(calls) == 1 and len(calls[0][1]["times"]) == 2
    # a click elsewhere, or Escape, closes the menu without doing anything
    key(canvas, "m", "m")
    click(canvas, (300, 200))
    assert not canvas.menu_open and canvas.followed is None and canvas.highlight is None
    key(canvas, "m", "m")
    key(canvas, "Escape")
    assert not canvas.menu_open
    # the third item resets the view
    key(canvas, "m", "m")
    click(canvas, (bx0 + 40, by1 + 2 + 2.5 * MENU_ITEM_H))
    assert canvas.zoom == 1.0


def test_high_dpi_screen_doubles_pixels_and_keeps_text_crisp(table: pa.Table) -> None:
    # A 2x screen (VisPy's px_scale): the same logical window has four times the pixels;
    # dots, labels and hit-testing follow, and text is drawn at the screen's resolution
    # (twice as tall in pixels), not magnified.
    from carevis.window import MENU_BUTTON, CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    made = {
        k: CarevisCanvas(
            scene, app="egl", size=SIZE, threaded=False, t=T0, dot_radius_px=2.0, px_scale=k
        )
        for k in (1, 2)
    }
    try:
        one, two = made[1], made[2]
        assert two.pixel_scale == 2 and tuple(two.size) == SIZE
        img1, img2 = one.render(), two.render()
        assert img2.shape == (2 * SIZE[1], 2 * SIZE[0], 4)
        # dots where the engine says, in physical pixels
        shown = np.flatnonzero(two.frame.rgba[:, 3] > 0)
        px, py = dot_pixels(two, shown)
        ok = (px >= 0) & (px < img2.shape[1]) & (py >= 0) & (py < img2.shape[0])
        for x0, y0, x1, y1 in two.label_boxes:  # labels are drawn over the dots, with a halo
            ok &= ~((px >= x0) & (px < x1) & (py >= y0) & (py < y1))
        assert ok.sum() > 100
        assert (ink(img2, px[ok], py[ok]) > 25).mean() > 0.95

        # the date (top left): rows of dark text ink, about twice as many at 2x
        def text_rows(img: np.ndarray, k: int) -> int:
            box = img[int(36 * k) : int(60 * k), int(10 * k) : int(120 * k), :3]
            return int((box.max(axis=-1) < 90).any(axis=1).sum())

        r1, r2 = text_rows(img1, 1), text_rows(img2, 2)
        assert r1 >= 6 and 1.6 <= r2 / r1 <= 2.4
        # clicks come in logical pixels: a cluster and the menu button are hit alike
        k = two.scene.states.index("Foster care (other)")
        vp = two.viewport
        cx, cy = vp.to_pixels(*two.scene.centres[k])
        click(two, (cx / 2, cy / 2))
        assert two.highlight == k
        bx0, by0, bx1, by1 = MENU_BUTTON
        click(two, ((bx0 + bx1) / 2, (by0 + by1) / 2))
        assert two.menu_open
    finally:
        for c in made.values():
            c.close()


def test_window_opens_at_the_latest_whole_year_end(table: pa.Table) -> None:
    # Without a time given the window opens at the latest 31 March whose whole year is in
    # the data (issue 17, item 6), not at the warm-up edge; one child in care since long
    # before everyone else changes nothing but the timeline's reach.
    from carevis.rules import opening_minutes
    from carevis.window import CarevisCanvas

    old = pa.table(
        {
            "child_id": pa.array([10**6], table.schema.field("child_id").type),
            "state": pa.array(["Foster care (other)"]).cast(table.schema.field("state").type),
            "start": pa.array([dt.date(1990, 1, 1)], table.schema.field("start").type),
            "end": pa.array([None], table.schema.field("end").type),
        }
    )
    t = pa.concat_tables([table.select(old.column_names), old])
    scene = carevis.Scene(carevis.Journeys.from_arrow(t))
    c = CarevisCanvas(scene, app="egl", size=SIZE, threaded=False)
    try:
        starts = scene.journeys.spells()["start"]
        assert c.t_range[0] == starts.min()  # the timeline still reaches back to 1990
        assert c.t.date() == dt.date(2023, 3, 31)  # the data run to January 2024
        assert c.minutes == opening_minutes(scene.journeys.minute_range)
        assert c.counts().sum() > 100  # a full picture, not the warm-up's few dots
    finally:
        c.close()


def test_window_frame_matches_the_cpu_exporter(canvas: Any) -> None:
    # The same moment, the same view: the window's dots (overlay off) and the CPU
    # exporter's image agree pixel by pixel, within the GL-vs-CPU tolerance.
    from carevis.render.raster import _rasteriser

    canvas.show_overlay = False
    canvas.zoom = 1.7
    canvas.centre = (0.6, 0.45)
    try:
        win = canvas.render()
        vp, f = canvas.viewport, canvas.frame
        cpu = np.empty_like(win)
        bg = canvas.background
        _rasteriser().render(
            f.x,
            f.y,
            f.rgba,
            cpu,
            radius_px=canvas.dot_radius_px * canvas.pixel_scale * canvas.zoom**0.5,
            sx=vp.sx,
            sy=vp.sy,
            tx=vp.tx,
            ty=vp.ty,
            background=(int(bg[0]), int(bg[1]), int(bg[2]), int(bg[3])),
            region=(0, 0),
            full=(win.shape[1], win.shape[0]),
        )
        diff = np.abs(win.astype(int) - cpu.astype(int)).max(axis=-1)
        inked = np.abs(cpu[..., :3].astype(int) - np.array(bg[:3])).max(-1) > 25
        assert inked.sum() > 300  # plenty of dots in view to compare
        assert (diff > 3).mean() < 0.002, f"{(diff > 3).sum()} pixels differ by more than 3"
    finally:
        canvas.show_overlay = True
        canvas.reset()


def test_resized_window_redraws_at_the_new_size_with_text_as_sharp(table: pa.Table) -> None:
    # After a resize the picture fills the new size, the dots move with the layout and the
    # text keeps its size in pixels (drawn anew, not stretched).
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    c = CarevisCanvas(scene, app="egl", size=SIZE, threaded=False, t=T0, dot_radius_px=2.0)
    try:
        before = c.render()
        c.size = (2 * SIZE[0], 2 * SIZE[1] - 60)
        c.events.resize(size=c.size, physical_size=c.physical_size)
        after = c.render()
        assert after.shape == (2 * SIZE[1] - 60, 2 * SIZE[0], 4)
        shown = np.flatnonzero(c.frame.rgba[:, 3] > 0)
        px, py = dot_pixels(c, shown)
        ok = (px >= 0) & (px < after.shape[1]) & (py >= 0) & (py < after.shape[0])
        assert ok.sum() > 100 and (ink(after, px[ok], py[ok]) > 25).mean() > 0.95

        def date_rows(img: np.ndarray) -> int:
            box = img[36:60, 10:120, :3]
            return int((box.max(axis=-1) < 90).any(axis=1).sum())

        assert date_rows(before) >= 6 and date_rows(after) == date_rows(before)
    finally:
        c.close()


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"seconds": 0}, "positive"),
        ({"seconds": float("nan")}, "positive"),
        ({"screenshot": "x.png"}, "seconds"),
    ],
)
def test_view_refuses_bad_seconds_before_opening(
    table: pa.Table, kw: dict[str, Any], words: str
) -> None:
    from carevis.window import view

    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    with pytest.raises(carevis.ConfigError, match=words):
        view(scene, run=False, app="egl", **kw)


def test_recolouring_keeps_every_other_setting_and_the_filter(table: pa.Table) -> None:
    """Issue 16: set_colour rebuilt the scene from layout, transit and fade only, dropping
    alpha, seed, dot spacing and the rest."""
    from carevis.window import CarevisCanvas

    scene = carevis.Scene(
        carevis.Journeys.from_arrow(table), alpha=0.5, seed=7, dot_spacing=0.005, fade_days=3
    )
    c = CarevisCanvas(scene, app="egl", size=SIZE, threaded=False, t=T0, dot_radius_px=2.0)
    try:
        c.set_filter(la="Kent")
        c.set_colour("la")
        got = c.scene.settings.as_dict()
        want = {**scene.settings.as_dict(), "colour": "la"}
        assert got == want
        # the filter survives the recolouring, and the frame is the fresh scene's frame
        fresh = carevis.Scene(
            carevis.Journeys.from_arrow(table),
            colour="la",
            alpha=0.5,
            seed=7,
            dot_spacing=0.005,
            fade_days=3,
        )
        fresh = fresh.with_filter(fresh.filter_mask(la="Kent"), dim=0.2)
        want_frame = fresh.frame(T0)
        assert np.array_equal(c.frame.rgba, want_frame.rgba)
        assert np.array_equal(c.frame.x, want_frame.x)
    finally:
        c.close()


@pytest.mark.parametrize(
    ("style", "council", "below"), [("<N", None, 8), ("hide", None, 8), ("<N", "Kent", 3)]
)
def test_window_labels_equal_the_exported_labels(
    table: pa.Table, tmp_path: Any, monkeypatch: Any, style: str, council: str | None, below: int
) -> None:
    # One label model, painted twice: for the same scene, moment, filter and threshold,
    # the window's labels (its text visuals) say what the exported picture's say; both
    # count the children the picture shows (a filter's hidden children are not counted).
    from carevis import export
    from carevis.render import overlay
    from carevis.window import CarevisCanvas

    painted: list[Any] = []
    real = overlay.paint_labels

    def spy(image: np.ndarray, model: Any, *a: Any, **kw: Any) -> np.ndarray:
        painted.append(model)
        return real(image, model, *a, **kw)

    monkeypatch.setattr(overlay, "paint_labels", spy)
    scene = carevis.Scene(carevis.Journeys.from_arrow(table))
    c = CarevisCanvas(
        scene,
        app="egl",
        size=SIZE,
        threaded=False,
        t=T0,
        suppress_below=below,
        suppress_style=style,
    )
    try:
        if council is not None:
            c.set_filter(la=council)
            keep = np.asarray(table["la"].to_pylist()) == council
            want = brute_counts(table, scene.states, T0, keep)
            np.testing.assert_array_equal(c.counts(), want)
            assert want.sum() < brute_counts(table, scene.states, T0).sum()
        c.render()
        export.png(
            c.scene,
            T0,
            tmp_path / "p.png",
            width=640,
            height=360,
            suppress_below=below,
            suppress_style=style,
        )
        shown, exported = c.label_model, painted[-1]
        assert shown is not None
        assert exported.clusters == shown.clusters
        assert shown.texts() == exported.texts() and drawn(c.labels.text, shown.texts())
        assert c.hud.text[0] == shown.date == exported.date
        assert shown.legend.texts == exported.legend.texts
        # the threshold bit: some counts are suppressed, others shown
        counts = c.counts()
        small = [k for k, n in enumerate(counts) if 0 < n < below]
        assert small and any(n >= below for n in counts)
        for k in small:
            want = None if style == "hide" else f"<{below}"
            assert shown.clusters[k].count_text == want
            assert str(counts[k]) not in c.labels.text[k].split()
    finally:
        c.close()
