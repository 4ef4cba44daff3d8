"""The fonts of pictures (DejaVu Sans, shipped with the package) and the measure of a
block of text lines in them: the box of its ink, grown by the halo, that the placement
(:mod:`carevis.render.layout_text`) works with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from PIL import ImageFont


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = resources.files("carevis").joinpath(f"fonts/{name}")
    with resources.as_file(path) as p:
        return ImageFont.truetype(str(p), size=max(6, int(size)))


def halo_width(unit: float) -> int:
    """The halo's width around text (pixels): grows with the text unit."""
    return max(1, round(0.12 * unit))


@lru_cache(maxsize=4096)
def ink(text: str, size: int, bold: bool, anchor: str) -> tuple[int, int, int, int]:
    """The box of ``text``'s ink drawn at (0, 0) with ``anchor``."""
    box = font(size, bold).getbbox(text, anchor=anchor)
    return int(box[0]), int(box[1]), int(box[2]), int(box[3])


@dataclass(frozen=True)
class Line:
    """One line of a block: its text, font size and weight, and how far below the
    block's first line it is drawn (pixels)."""

    text: str
    size: int
    bold: bool = False
    dy: float = 0.0


@dataclass(frozen=True)
class Block:
    """Lines drawn one under the other, all with the same ``anchor`` at the same x: its
    size with the halo and a gap around, and where its anchor lies inside that box."""

    lines: tuple[Line, ...]
    anchor: str
    width: float
    height: float
    origin: tuple[float, float]

    def box_at(self, x: float, y: float) -> tuple[float, float, float, float]:
        """The block's box when its anchor is drawn at (x, y)."""
        x0, y0 = x - self.origin[0], y - self.origin[1]
        return x0, y0, x0 + self.width, y0 + self.height

    def anchor_in(self, box: tuple[float, float, float, float]) -> tuple[float, float]:
        """Where to draw the anchor so the block fills ``box``."""
        return box[0] + self.origin[0], box[1] + self.origin[1]


def block(lines: tuple[Line, ...], anchor: str, pad: float) -> Block:
    """Measures ``lines`` drawn with ``anchor``, padded by ``pad`` pixels (halo and gap)."""
    boxes = [ink(ln.text, ln.size, ln.bold, anchor) for ln in lines]
    x0 = min(b[0] for b in boxes) - pad
    y0 = min(b[1] + ln.dy for b, ln in zip(boxes, lines, strict=True)) - pad
    x1 = max(b[2] for b in boxes) + pad
    y1 = max(b[3] + ln.dy for b, ln in zip(boxes, lines, strict=True)) + pad
    return Block(lines, anchor, x1 - x0, y1 - y0, (-x0, -y0))
