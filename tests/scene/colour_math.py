"""CIELAB and CIEDE2000 colour difference (Sharma, Wu and Dalal 2005) for the palette
tests: how far apart two colours look, and how far a colour looks from a background."""

from __future__ import annotations

import numpy as np

#: The pictures' light background and a dark one (the window and posters may use either).
LIGHT = (247, 247, 244)
DARK = (18, 18, 20)


def lab(rgb: object) -> np.ndarray:
    """CIELAB (D65) of sRGB colours (..., 3) in 0..255."""
    c = np.asarray(rgb, np.float64)[..., :3] / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1
    )


def de2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 between CIELAB colours (broadcast over the leading axes)."""
    l1, a1, b1 = np.moveaxis(np.asarray(lab1, np.float64), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab2, np.float64), -1, 0)
    cb = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(cb**7 / (cb**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    d_hp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    hs = h1p + h2p
    hbp = np.where(
        np.abs(h1p - h2p) > 180, np.where(hs < 360, (hs + 360) / 2, (hs - 360) / 2), hs / 2
    )
    hbp = np.where(c1p * c2p == 0, hs, hbp)
    t = (
        1
        - 0.17 * np.cos(np.radians(hbp - 30))
        + 0.24 * np.cos(np.radians(2 * hbp))
        + 0.32 * np.cos(np.radians(3 * hbp + 6))
        - 0.20 * np.cos(np.radians(4 * hbp - 63))
    )
    rt = (
        -np.sin(np.radians(60 * np.exp(-(((hbp - 275) / 25) ** 2))))
        * 2
        * np.sqrt(cbp**7 / (cbp**7 + 25.0**7))
    )
    sl = 1 + 0.015 * (lbp - 50) ** 2 / np.sqrt(20 + (lbp - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    dl, dc, dhh = (l2 - l1) / sl, (c2p - c1p) / sc, d_hp / sh
    return np.asarray(np.sqrt(dl**2 + dc**2 + dhh**2 + rt * dc * dhh))


def closest_pair(rgb: np.ndarray) -> float:
    """The smallest CIEDE2000 between two of the colours."""
    x = lab(rgb)
    d = de2000(x[:, None], x[None])
    np.fill_diagonal(d, np.inf)
    return float(d.min())


def from_background(rgb: np.ndarray, background: tuple[int, int, int]) -> float:
    """The smallest CIEDE2000 between the colours and a background."""
    return float(de2000(lab(rgb), lab(background)[None]).min())
