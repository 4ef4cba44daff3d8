"""Where the texts of a picture go: the one placement both painters use (the PIL overlay
of exported pictures and the window), so that no label overlaps another label, a group
heading, the legend, the title, the date or the caption, and all stay inside the picture.

The fixed texts (title, date, legend, caption) are placed first; then the group
headings; then each cluster's label (and its congestion figure), the most populous
cluster first, greedily: below its cluster's rim, above, right, left, then pushed
further out, the first position that overlaps nothing already placed and stays inside
the picture. Positions that also keep off other clusters' dots are preferred. A text
that fits nowhere is left out (None) rather than drawn over another.

Frame to frame (a video, the window playing) the placement is steady: given the previous
frame's layout, each text first tries the position it had then (the same side of its
cluster, as far out; re-measured for this frame's rim and text) and keeps it while it is
still free, inside the picture and (for a label) off other clusters' dots; the labels
that can stay are placed before those that must move, so that a moving label never
takes the place of one that could stay. Only a text whose place is taken moves, or a
label pushed far out when a place :data:`NEARER` push steps closer to its cluster has
come free.

Boxes are ``(x0, y0, x1, y1)`` in pixels of the full picture, measured from the text's
ink (PIL ``font.getbbox``) grown by the halo's width and a small gap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..scene.labels import Labels
from ..viewport import Viewport

Box = tuple[float, float, float, float]
#: A text block's width and height in pixels.
Size = tuple[float, float]

#: How far out (in text units) a label is pushed, step by step, when no nearer place is free.
PUSH_STEPS = (0.0, 1.0, 2.0, 3.5, 5.0, 7.0, 9.5, 12.5)


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share any area (touching edges do not count)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def box_meets_disc(b: Box, disc: tuple[float, float, float]) -> bool:
    """Whether box ``b`` and the disc (centre x, centre y, radius) share any area."""
    cx, cy, r = disc
    dx = max(b[0] - cx, 0.0, cx - b[2])
    dy = max(b[1] - cy, 0.0, cy - b[3])
    return dx * dx + dy * dy < r * r


def inside(a: Box, width: float, height: float) -> bool:
    return a[0] >= 0 and a[1] >= 0 and a[2] <= width and a[3] <= height


@dataclass(frozen=True)
class TextLayout:
    """Where each text of one picture goes (None: not drawn). Cluster and congestion
    boxes are per state, in state order; ``fixed`` names the title, date, legend and
    caption boxes; ``choices`` the position each placed text took among those tried for
    it ("label 3": 0 is below its cluster's rim), what the next frame keeps if it can."""

    width: int
    height: int
    fixed: dict[str, Box]
    groups: tuple[Box | None, ...]
    clusters: tuple[Box | None, ...]
    congestion: tuple[Box | None, ...]
    choices: dict[str, int] = field(default_factory=dict)

    def boxes(self) -> list[tuple[str, Box]]:
        """Every placed box with a name saying what it is ("title", "group 0", ...)."""
        out = list(self.fixed.items())
        for kind, seq in (("group", self.groups), ("label", self.clusters)):
            out += [(f"{kind} {i}", b) for i, b in enumerate(seq) if b is not None]
        out += [(f"congestion {i}", b) for i, b in enumerate(self.congestion) if b is not None]
        return out

    def overlapping(self) -> list[tuple[str, str]]:
        """Pairs of boxes that overlap (empty for a good layout)."""
        named = self.boxes()
        return [
            (n1, n2)
            for i, (n1, b1) in enumerate(named)
            for n2, b2 in named[i + 1 :]
            if overlaps(b1, b2)
        ]

    def outside(self) -> list[str]:
        """Names of boxes not wholly inside the picture (empty for a good layout)."""
        return [n for n, b in self.boxes() if not inside(b, self.width, self.height)]


class _Free:
    """The boxes placed so far, and the clusters' discs, to test candidates against
    (all candidates of a text at once)."""

    def __init__(self, width: int, height: int, discs: np.ndarray) -> None:
        self.width, self.height = width, height
        self.placed = np.zeros((0, 4))
        self.discs = discs  # (n, 3): x, y, r in pixels

    def add(self, box: Box) -> None:
        self.placed = np.vstack([self.placed, np.asarray(box)[None]])

    def clear(self, options: Sequence[Box]) -> np.ndarray:
        """Indices of the ``options`` inside the picture that overlap nothing placed."""
        b = np.asarray(options, dtype=np.float64).reshape(-1, 4)
        ok = (b[:, 0] >= 0) & (b[:, 1] >= 0) & (b[:, 2] <= self.width)
        ok &= b[:, 3] <= self.height
        p = self.placed[None]
        x0, y0, x1, y1 = (b[:, k, None] for k in range(4))
        hit = (p[..., 0] < x1) & (x0 < p[..., 2]) & (p[..., 1] < y1) & (y0 < p[..., 3])
        ok &= ~hit.any(axis=1)
        return np.flatnonzero(ok)

    def off_dots(self, boxes: np.ndarray, own: int) -> np.ndarray:
        """For each box (rows of x0, y0, x1, y1), whether it keeps off every other
        cluster's disc."""
        d = self.discs[None]
        nx = np.clip(d[..., 0], boxes[:, 0, None], boxes[:, 2, None])
        ny = np.clip(d[..., 1], boxes[:, 1, None], boxes[:, 3, None])
        hit: np.ndarray = (nx - d[..., 0]) ** 2 + (ny - d[..., 1]) ** 2 < d[..., 2] ** 2
        if hit.shape[1]:
            # own = -1 (a group heading) leaves out the last cluster, as it always has
            hit[:, own] = False
        off: np.ndarray = np.logical_not(hit.any(axis=1))
        return off


def _candidates(cx: float, cy: float, r: float, size: Size, unit: float, first: str) -> list[Box]:
    """Boxes of ``size`` around a disc (centre, radius in pixels): below its rim, above,
    right, left (``first`` = "above" swaps the first two), each pushed further out."""
    w, h = size
    gap = 0.3 * unit
    out: list[Box] = []
    for step in PUSH_STEPS:
        d = r + gap + step * unit
        below = (cx - w / 2, cy + d, cx + w / 2, cy + d + h)
        above = (cx - w / 2, cy - d - h, cx + w / 2, cy - d)
        right = (cx + d, cy - h / 2, cx + d + w, cy + h / 2)
        left = (cx - d - w, cy - h / 2, cx - d, cy + h / 2)
        ring = [above, below] if first == "above" else [below, above]
        out += [*ring, right, left]
        if step:  # diagonals once pushed out
            k = d * 0.7071
            out += [
                (cx + k, cy + k, cx + k + w, cy + k + h),
                (cx - k - w, cy + k, cx - k, cy + k + h),
                (cx + k, cy - k - h, cx + k + w, cy - k),
                (cx - k - w, cy - k - h, cx - k, cy - k),
            ]
    return out


#: A label pushed out at least this many steps further than where a free place now is
#: moves in (a steadier label is not worth one stranded far from its cluster).
NEARER = 2


def push_step(option: int) -> int:
    """How far out (an index into :data:`PUSH_STEPS`) option ``option`` of
    :func:`_candidates` lies: four options at the rim, then eight per step."""
    return 0 if option < 4 else 1 + (option - 4) // 8


def _choose(
    free: _Free, options: Sequence[Box], own: int, keep: int | None = None, steps: bool = False
) -> int | None:
    """The index of the option placed: the first clear option that keeps off other
    clusters' dots, else the first clear one (None: none is clear); but ``keep`` (the
    previous frame's) while it is clear and keeps off them (or none clear does), unless
    (with ``steps``: options of :func:`_candidates`) the first is :data:`NEARER` push
    steps nearer its cluster."""
    clear = free.clear(options)
    if not len(clear):
        return None
    off = free.off_dots(np.asarray(options, dtype=np.float64)[clear], own)
    first = np.flatnonzero(off)
    best = int(clear[first[0] if len(first) else 0])
    nearer = steps and keep is not None and push_step(best) <= push_step(keep) - NEARER
    if keep is not None and _stays(clear, off, keep) and not nearer:
        best = keep
    free.add(options[best])
    return best


def _stays(clear: np.ndarray, off: np.ndarray, keep: int) -> bool:
    """Whether option ``keep`` may be kept: it is among the ``clear`` ones and keeps off
    other clusters' dots (``off``, per clear option), or no clear option does."""
    if keep not in clear:
        return False
    return bool(off[int(np.flatnonzero(clear == keep)[0])] or not off.any())


def _keep(free: _Free, options: Sequence[Box], own: int, keep: int | None) -> int | None:
    """A label's ``keep`` placed where :func:`_choose` would keep it whatever is placed
    next: by its cluster's rim (pushed out at most one step: nothing free can be
    :data:`NEARER`), clear and off other clusters' dots (None: it may have to move)."""
    if keep is None or not 0 <= keep < len(options) or push_step(keep) >= NEARER:
        return None
    box = options[keep]
    if not len(free.clear([box])):
        return None
    if not free.off_dots(np.asarray([box], np.float64), own)[0]:  # rarely: all options then
        clear = free.clear(options)
        if not _stays(clear, free.off_dots(np.asarray(options, np.float64)[clear], own), keep):
            return None
    free.add(box)
    return keep


def _beside(label: Box | None, size: Size, cy: float) -> list[Box]:
    """A box of ``size`` touching a label's box on its side away from its cluster (whose
    centre is at height ``cy``): under a label below its cluster, else over it."""
    if label is None:
        return []
    w, h = size
    mid = (label[0] + label[2]) / 2
    if (label[1] + label[3]) / 2 >= cy:
        return [(mid - w / 2, label[3], mid + w / 2, label[3] + h)]
    return [(mid - w / 2, label[1] - h, mid + w / 2, label[1])]


def _choose_near(free: _Free, options: Sequence[Box], keep: int | None = None) -> int | None:
    """The index of the option placed: ``keep`` while it is clear, else the first clear
    one (a congestion figure is drawn with a halo: being near its cluster matters more
    than keeping off other dots)."""
    clear = free.clear(options)
    if not len(clear):
        return None
    best = keep if keep is not None and keep in clear else int(clear[0])
    free.add(options[best])
    return best


def _group_options(x: float, y: float, size: Size, unit: float) -> list[Box]:
    w, h = size
    out = []
    for dy in (0.0, -1.2, 1.2, -2.4, 2.4, -3.6):
        for dx in (0.0, -3.0, 3.0, -6.0, 6.0, -10.0, 10.0):
            x0, y0 = x + dx * unit - w / 2, y + dy * unit
            out.append((x0, y0, x0 + w, y0 + h))
    return out


def place(
    model: Labels,
    vp: Viewport,
    unit: float,
    fixed: dict[str, Box],
    group_sizes: Sequence[Size],
    cluster_sizes: Sequence[Size | None],
    congestion_sizes: Sequence[Size | None] = (),
    group_top: Callable[[list[tuple[float, float]]], float] | None = None,
    previous: TextLayout | None = None,
) -> TextLayout:
    """Places the texts of ``model`` over a ``vp`` picture: ``fixed`` boxes are kept as
    given; group headings (``group_sizes``, in ``model.groups`` order) go centred over
    their members at ``group_top`` (default 4.2 units above the highest member); cluster
    labels (``cluster_sizes`` per state, None: nothing to draw) and congestion figures
    (``congestion_sizes`` per state) go where they fit, most populous cluster first.
    With ``previous`` (the layout of the frame before) each text keeps its place there
    where it still can."""
    n = len(model.clusters)
    at = [vp.to_pixels(c.centre[0], c.centre[1]) for c in model.clusters]
    radii = [c.radius * vp.sx for c in model.clusters]
    discs = np.array([(x, y, r) for (x, y), r in zip(at, radii, strict=True)]).reshape(-1, 3)
    free = _Free(vp.width, vp.height, discs)
    for box in fixed.values():
        free.add(box)
    before = previous.choices if previous is not None else {}
    chosen: dict[str, int] = {}

    def pick(name: str, options: Sequence[Box], k: int | None) -> Box | None:
        if k is not None:
            chosen[name] = k
        return None if k is None else options[k]

    groups: list[Box | None] = []
    if model.groups:
        tops = [at[k] for g in model.groups for k in g.members]
        top = group_top(tops) if group_top else min(y for _, y in tops) - 4.2 * unit
        for j, (g, size) in enumerate(zip(model.groups, group_sizes, strict=True)):
            gx = sum(at[k][0] for k in g.members) / len(g.members)
            heads = _group_options(gx, top, size, unit)
            groups.append(
                pick(f"group {j}", heads, _choose(free, heads, -1, before.get(f"group {j}")))
            )
    clusters: list[Box | None] = [None] * n
    congestion: list[Box | None] = [None] * n
    cong: list[Size | None] = list(congestion_sizes) or [None] * n
    order = sorted(range(n), key=lambda i: (-model.clusters[i].count, i))
    spots = {
        i: _candidates(*at[i], radii[i], size, unit, "below")
        for i, size in enumerate(cluster_sizes)
        if size is not None
    }
    for i in order:  # first the labels that can stay where they were
        if i in spots:
            name = f"label {i}"
            clusters[i] = pick(name, spots[i], _keep(free, spots[i], i, before.get(name)))
    for i in order:
        (cx, cy), r = at[i], radii[i]
        name = f"label {i}"
        if i in spots and clusters[i] is None:
            k = _choose(free, spots[i], i, before.get(name), steps=True)
            clusters[i] = pick(name, spots[i], k)
        csize = cong[i]
        if csize is not None:
            ring = max(r, unit) + 1.0 * unit  # outside the congestion ring
            # next to its own label first (it reads as part of it), then around the ring
            near = _beside(clusters[i], csize, cy)
            around = near + _candidates(cx, cy, ring, csize, unit, "above")
            # choices count the place beside the label, there or not, so they keep meaning
            shift, name = 1 - len(near), f"congestion {i}"
            keep = before.get(name)
            keep = None if keep is None or keep < shift else keep - shift
            k = _choose_near(free, around, keep)
            congestion[i] = pick(name, around, k)
            if k is not None:
                chosen[name] = k + shift
    return TextLayout(
        vp.width, vp.height, fixed, tuple(groups), tuple(clusters), tuple(congestion), chosen
    )
