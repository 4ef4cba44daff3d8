"""Text from cached masks (:mod:`carevis.render.text_masks`) is PIL's own text, bit for
bit: at every start within a pixel (each 1/64, the rounding edges, tiny and negative
starts), with and without a halo, in the fonts and sizes the overlay uses."""

from __future__ import annotations

import numpy as np
import pytest
from carevis.render import text_masks
from carevis.render.fonts import font
from PIL import Image, ImageDraw

TEXTS = [
    ("Child in need", 21, False, "ma"),
    ("12,345 (<5%)", 25, True, "ma"),
    ("Wednesday 30 September 2024", 38, True, "ra"),
    ("Synthetic data, not real children", 19, False, "rd"),
    ("Looked after: placed for adoption", 23, True, "la"),
]
FRACS = sorted(
    {k / 64 for k in range(64)}
    | {(k + 0.5) / 64 for k in range(64)}
    | {1e-9, 1 / 256, 0.5078125, 0.50780, 0.50782, 0.999999, 0.3333}
)


def background(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (90, 700, 4), dtype=np.uint8)
    img[..., 3] = rng.choice([0, 128, 255], img.shape[:2])
    return img


def both(xy: tuple[float, float], text: str, size: int, bold: bool, anchor: str, halo: int):
    bg = background(len(text) + size)
    ours, pils = Image.fromarray(bg.copy(), "RGBA"), Image.fromarray(bg.copy(), "RGBA")
    ink, halo_ink = (40, 40, 48), (250, 250, 252)
    text_masks.draw_text(ImageDraw.Draw(ours), xy, text, size, bold, anchor, ink, (halo, halo_ink))
    ImageDraw.Draw(pils).text(
        xy,
        text,
        font=font(size, bold),
        fill=ink,
        anchor=anchor,
        stroke_width=halo,
        stroke_fill=halo_ink if halo else None,
    )
    return np.asarray(ours), np.asarray(pils), bg


@pytest.mark.parametrize("halo", [0, 2])
@pytest.mark.parametrize("which", range(len(TEXTS)))
def test_cached_text_is_pils_text_at_every_start(which: int, halo: int) -> None:
    text, size, bold, anchor = TEXTS[which]
    x0 = {"ma": 350, "ra": 690, "la": 5, "rd": 690}[anchor]
    y0 = 70 if anchor == "rd" else 10
    for fy in FRACS:
        for fx in (0.0, 0.71, fy):
            ours, pils, bg = both((x0 + fx, y0 + fy), text, size, bold, anchor, halo)
            assert not np.array_equal(pils, bg)
            assert np.array_equal(ours, pils), (text, halo, fx, fy)


def test_negative_and_edge_starts_are_left_to_pil() -> None:
    assert text_masks._x_class(-0.25) is None and text_masks._y_class(-0.25) is None
    assert text_masks._x_class(0.5 / 64) is None and text_masks._y_class(32.5 / 64) is None
    assert text_masks._x_class(0.0) == -1 and text_masks._y_class(0.0) == 0
    ours, pils, _ = both((-3.4, -1.7), "Child in need", 21, False, "la", 2)
    assert np.array_equal(ours, pils)


def test_masks_are_rendered_once_per_class() -> None:
    text_masks._mask.cache_clear()
    for k in range(40):
        both((100 + k, 20.3 + k / 200), "Child in need", 21, False, "la", 2)
    info = text_masks._mask.cache_info()
    assert info.hits >= 2 * 40 - 2 * 4 and info.misses <= 2 * 4
