"""Saving what the window shows: a PNG of the moment as zoomed and panned, and clips of the
moments shown, both through the exporter's public functions (``export.png``,
``export.video``), so a saved picture is an exported one."""

from __future__ import annotations

from .._time import to_date
from .state import CanvasState


class Recording(CanvasState):
    """``S`` saves a PNG; ``V`` starts collecting the moments shown, and again writes them."""

    def save(
        self, path: str | None = None, width: int = 3840, height: int = 2160, renderer: str = "cpu"
    ) -> str:
        """Saves the moment on screen, as zoomed and panned, as a PNG at any size, through
        the exporter."""
        from .. import export

        path = path or f"carevis-{to_date(self.frame.minutes):%Y-%m-%d}.png"
        vp = self.viewport
        w, h = self.physical_size
        centre = vp.to_world(w / 2, h / 2)
        export.png(
            self.scene,
            self.frame.t,
            path,
            width=width,
            height=height,
            renderer=renderer,
            zoom=float(self.zoom),
            centre=(float(centre[0]), float(centre[1])),
            suppress_below=self.suppress_below,
            suppress_style=self.suppress_style,
            label_values=self.label_values,
        )
        self._say(f"saved {path}")
        return path

    def toggle_recording(self, path: str | None = None) -> str | None:
        """Starts collecting the moments shown; on the second call writes them as a video."""
        if self.recording is None:
            self.recording = [self.frame.minutes]
            self._say("recording")
            return None
        times, self.recording = self.recording, None
        path = path or f"carevis-{to_date(times[0]):%Y-%m-%d}.mp4"
        try:
            from .. import export

            export.video(
                self.scene,
                path,
                times=times,
                suppress_below=self.suppress_below,
                suppress_style=self.suppress_style,
                label_values=self.label_values,
            )
        except (ImportError, AttributeError) as e:
            self._say(f"cannot record: {e}")
            return None
        self._say(f"saved {path} ({len(times)} frames)")
        return path
