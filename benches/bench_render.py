"""Issue 4's benchmark: the CPU rasteriser against datashader and VisPy, and the end-to-end
video pipeline against matplotlib, in one run on the same points.

1. 10M dots into 3840 x 2160: carevis's CPU rasteriser vs datashader's aggregate + shade
   (goal: >= 5x faster) and vs VisPy gloo points rendered offscreen on Mesa llvmpipe
   (goal: >= 20x faster).
2. End to end, 1M dots to a 1920 x 1080 H.264 MP4: carevis's frames per second
   (goal: >= 25 fps on this 2-core machine) and the ratio against a matplotlib-per-frame
   pipeline writing the same video.

Usage: python benches/bench_render.py [--dots N] [--video-dots N] [--frames N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import carevis
from _common import ratio, timeit
from carevis import synthetic
from carevis.render import RenderSettings, rasterise
from carevis.scene import Frame
from carevis.viewport import Viewport

W4K, H4K = 3840, 2160


def points(n: int, seed: int = 0) -> Frame:
    """Dots in crowded clusters plus travellers, like a real frame, with colours."""
    rng = np.random.default_rng(seed)
    centres = np.column_stack([rng.uniform(0.1, 1.68, 20), rng.uniform(0.1, 0.9, 20)])
    k = rng.integers(0, 20, n)
    r = np.sqrt(rng.random(n)) * rng.uniform(0.01, 0.12, 20)[k]
    a = rng.random(n) * 2 * np.pi
    x = (centres[k, 0] + r * np.cos(a)).astype(np.float32)
    y = (centres[k, 1] + r * np.sin(a)).astype(np.float32)
    lut = np.asarray(carevis._native.colour_map("viridis"))
    rgba = lut[rng.integers(0, 256, n)].copy()
    rgba[:, 3] = 220
    return Frame(x, y, rgba, np.zeros(n, np.int32))


def bench_raster(n: int) -> None:
    f = points(n)
    s = RenderSettings(width=W4K, height=H4K, dot_radius=1.0, overlay=None)
    out = np.empty((H4K, W4K, 4), np.uint8)
    t_ours, _ = timeit(lambda: rasterise(f, s, out), repeat=7)
    print(f"[raster] {n:,} dots into {W4K}x{H4K}: carevis CPU {t_ours * 1e3:.0f} ms")

    try:
        import datashader as ds
        import datashader.transfer_functions as tf
        import pandas as pd

        vp = Viewport.fit(W4K, H4K)
        df = pd.DataFrame({"x": f.x, "y": f.y, "c": f.rgba[:, 0].astype(np.float32)})
        x0, x1 = -vp.tx / vp.sx, (W4K - vp.tx) / vp.sx
        y0, y1 = -vp.ty / vp.sy, (H4K - vp.ty) / vp.sy
        canvas = ds.Canvas(plot_width=W4K, plot_height=H4K, x_range=(x0, x1), y_range=(y0, y1))

        def datashade() -> object:
            agg = canvas.points(df, "x", "y", agg=ds.mean("c"))
            return tf.shade(agg, cmap=["#440154", "#fde725"]).to_numpy()

        t_ds, _ = timeit(datashade, repeat=5)
        print(
            f"[raster] datashader aggregate+shade {t_ds * 1e3:.0f} ms "
            f"-> carevis is {ratio(t_ds, t_ours)} faster (goal >= 5x)"
        )
    except ImportError as e:  # pragma: no cover - bench extra missing
        print(f"[raster] datashader not installed ({e})")

    try:
        os.environ.setdefault("EGL_PLATFORM", "surfaceless")
        from carevis.gl import render_frame_gl

        vp = Viewport.fit(W4K, H4K)
        render_frame_gl(f, vp, dot_radius_px=1.0)  # warm up: context, shaders
        t_gl, _ = timeit(lambda: render_frame_gl(f, vp, dot_radius_px=1.0), repeat=3, warmup=0)
        print(
            f"[raster] VisPy gloo points offscreen (llvmpipe, EGL) {t_gl * 1e3:.0f} ms "
            f"-> carevis is {ratio(t_gl, t_ours)} faster (goal >= 20x)"
        )
    except Exception as e:
        print(f"[raster] VisPy offscreen failed: {e}")


def bench_video(n_dots: int, frames: int) -> None:
    scale = n_dots / 4_300_000
    j = synthetic.england(scale=scale, seed=1)
    scene = carevis.Scene(j)
    print(f"[video] synthetic England at scale {scale:.3f}: {j.n_children:,} dots")
    with tempfile.TemporaryDirectory() as tmp:
        ts = carevis.export.frame_times(scene, "2021-04-01", "2025-03-31", 25, 30)[:frames]
        t0 = time.perf_counter()
        carevis.export.video(
            scene, Path(tmp) / "a.mp4", times=ts, width=1920, height=1080, preset="ultrafast"
        )
        t_ours = time.perf_counter() - t0
        fps = len(ts) / t_ours
        print(
            f"[video] carevis: {len(ts)} frames 1920x1080 H.264 (ultrafast) in {t_ours:.1f} s "
            f"= {fps:.1f} frames/s (goal >= 25)"
        )
        video_size(scene, ts, Path(tmp))

        import imageio_ffmpeg
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        k = max(3, min(10, len(ts) // 10))
        fig = plt.figure(figsize=(19.2, 10.8), dpi=100)
        ax = fig.add_axes((0, 0, 1, 1))
        writer = imageio_ffmpeg.write_frames(
            str(Path(tmp) / "m.mp4"),
            (1920, 1080),
            fps=25,
            macro_block_size=1,
            ffmpeg_log_level="error",
        )
        writer.send(None)
        buf = scene.buffers()
        t0 = time.perf_counter()
        for m in ts[:k]:
            f = scene.frame_at_minutes(m, buf)
            ax.clear()
            ax.set_xlim(0, 16 / 9)
            ax.set_ylim(1, 0)
            ax.axis("off")
            vis = f.rgba[:, 3] > 0
            ax.scatter(f.x[vis], f.y[vis], s=1.0, c=f.rgba[vis] / 255.0, linewidths=0)
            fig.canvas.draw()
            img = np.asarray(fig.canvas.buffer_rgba())[..., :3]
            writer.send(np.ascontiguousarray(img))
        writer.close()
        t_mpl = (time.perf_counter() - t0) / k
        print(
            f"[video] matplotlib per frame: {1 / t_mpl:.2f} frames/s ({k} frames timed) "
            f"-> carevis is {ratio(t_mpl, 1 / fps)} faster"
        )


def video_size(scene: carevis.Scene, ts: np.ndarray, tmp: Path) -> None:
    """Mbit/s of the same 1080p clip at the default quality, for publication and at the
    old fixed setting (ultrafast, CRF 18; now quantiser 18): what a person can email."""
    seconds = len(ts) / 25
    for name, q, preset in (
        ("default (email)", carevis.export.DEFAULT_QUALITY, carevis.export.DEFAULT_PRESET),
        ("publication", "publication", carevis.export.DEFAULT_PRESET),
        ("ultrafast quantiser 18", 18, "ultrafast"),
    ):
        path = tmp / f"size-{preset}-{q}.mp4"
        t0 = time.perf_counter()
        carevis.export.video(
            scene, path, times=ts, width=1920, height=1080, quality=q, preset=preset
        )
        dt = time.perf_counter() - t0
        mbit = path.stat().st_size * 8 / seconds / 1e6
        print(
            f"[video size] {name}: {mbit:.1f} Mbit/s at 1080p ({preset}, quantiser "
            f"{carevis.export.qp_value(q)}; {mbit * 30 / 8:.0f} MB per 30 s; "
            f"{len(ts) / dt:.1f} frames/s)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--dots", type=int, default=10_000_000)
    ap.add_argument("--video-dots", type=int, default=1_000_000)
    ap.add_argument("--frames", type=int, default=250)
    ap.add_argument("--skip-video", action="store_true")
    ap.add_argument("--skip-raster", action="store_true")
    args = ap.parse_args()
    print(f"carevis {carevis.__version__}, {carevis._native.num_threads()} threads")
    if not args.skip_raster:
        bench_raster(args.dots)
    if not args.skip_video:
        bench_video(args.video_dots, args.frames)


if __name__ == "__main__":
    main()
