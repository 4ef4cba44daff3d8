"""The menu: a button at the top left whose items (save a PNG, record a clip, reset) drop
down below it; where its items are, and what choosing one does."""

from __future__ import annotations

from ..errors import CarevisError
from .shapes import Shapes
from .state import MENU_BUTTON, MENU_ITEM_H, MENU_ITEM_W, CanvasState


class Menu(CanvasState):
    """The menu's items, their places, and their actions."""

    def menu_items(self) -> list[str]:
        """The menu's actions, as labelled now (the menu button or M opens it)."""
        rec = "Stop recording and save the clip" if self.recording is not None else "Record a clip"
        return ["Save view as PNG (4K)", rec, "Reset view"]

    def menu_choose(self, i: int) -> str | None:
        """Does what menu item ``i`` says and closes the menu; returns a saved file's path."""
        self.menu_open = False
        out: str | None = None
        if i == 0:
            try:
                out = self.save()
            except (ImportError, AttributeError, CarevisError) as e:
                self._say(f"cannot save: {e}")
        elif i == 1:
            out = self.toggle_recording()
        elif i == 2:
            self.reset()
        self.update()
        return out

    def _menu_item_at(self, x: float, y: float) -> int | None:
        x0, _, _, y1 = MENU_BUTTON
        if not self.menu_open or not (x0 <= x <= x0 + MENU_ITEM_W):
            return None
        i = int((y - y1 - 2) // MENU_ITEM_H)
        return i if 0 <= i < len(self.menu_items()) and y >= y1 + 2 else None

    def _build_menu(
        self, mo: Shapes, s: float
    ) -> tuple[list[str], list[tuple[float, float]], list[str]]:
        """The menu's shapes into ``mo`` (``s``: physical pixels per logical one); returns
        its texts, their places and colours."""
        bx0, by0, bx1, by1 = MENU_BUTTON
        mo.clear()
        mo.rect(bx0 * s, by0 * s, bx1 * s, by1 * s, (0.25, 0.25, 0.28, 0.9))
        menu = ["Menu"]
        menu_pos = [(bx0 + 9, (by0 + by1) / 2)]
        if self.menu_open:
            n_items = len(self.menu_items())
            mo.rect(  # a grey frame round the items
                (bx0 - 1) * s,
                (by1 + 1) * s,
                (bx0 + MENU_ITEM_W + 1) * s,
                (by1 + 2 + n_items * MENU_ITEM_H) * s,
                (0.55, 0.55, 0.55, 1.0),
            )
            for i, item in enumerate(self.menu_items()):
                iy = by1 + 2 + i * MENU_ITEM_H
                mo.rect(
                    bx0 * s,
                    iy * s,
                    (bx0 + MENU_ITEM_W) * s,
                    (iy + MENU_ITEM_H - 1) * s,
                    (1.0, 1.0, 1.0, 1.0),
                )
                menu.append(item)
                menu_pos.append((bx0 + 8, iy + MENU_ITEM_H / 2))
        return menu, menu_pos, ["#ffffff"] + ["#111111"] * (len(menu) - 1)
