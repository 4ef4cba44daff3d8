"""The mapping from world units to pixels, shared by the CPU rasteriser, the GL renderer
and the window so that all three put a dot on the same pixel.

World: x over ``[0, ASPECT]``, y over ``[0, 1]`` (down). Pixels: ``px = x * sx + tx``,
``py = y * sy + ty``, with pixel ``(i, j)`` covering ``[i, i+1) x [j, j+1)`` and row 0 at
the top. The world box is fitted to the image, centred, keeping its aspect; ``zoom`` and
``pan`` (world units at the centre) move the view.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout import ASPECT


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int
    sx: float
    sy: float
    tx: float
    ty: float

    @classmethod
    def fit(
        cls,
        width: int,
        height: int,
        *,
        zoom: float = 1.0,
        centre: tuple[float, float] | None = None,
        margin: float = 0.0,
    ) -> Viewport:
        """Fits the world box into ``width x height`` (leaving ``margin`` of the shorter
        side free), then zooms about ``centre`` (world units; default the box centre)."""
        usable = 1.0 - 2.0 * margin
        s = min(width * usable / ASPECT, height * usable) * zoom
        cx, cy = centre if centre is not None else (ASPECT / 2, 0.5)
        return cls(width, height, s, s, width / 2 - cx * s, height / 2 - cy * s)

    def to_pixels(self, x: float, y: float) -> tuple[float, float]:
        return x * self.sx + self.tx, y * self.sy + self.ty

    def to_world(self, px: float, py: float) -> tuple[float, float]:
        return (px - self.tx) / self.sx, (py - self.ty) / self.sy

    @property
    def pixels_per_unit(self) -> float:
        return self.sx
