"""The statistics as pictures (PNG, written atomically): occupancy as stacked areas,
transitions as a matrix of shares, time in state as Kaplan-Meier curves. Matplotlib is
imported only when a plot is drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..atomic import atomic


def _save(fig: object, path: Path) -> Path:
    with atomic(path) as tmp:
        fig.savefig(tmp, dpi=120)  # type: ignore[attr-defined]
    return path


def plot_occupancy(occ: pa.Table, path: Path, title: str = "Children in each state") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = occ.select(["period_start", "state", "occupancy"]).to_pandas()
    wide = df.pivot_table(
        index="period_start", columns="state", values="occupancy", aggfunc="sum"
    ).fillna(0)
    fig, ax = plt.subplots(figsize=(11, 6))
    if len(wide):
        ax.stackplot(wide.index, wide.to_numpy().T, labels=list(wide.columns), alpha=0.9)
    ax.set_title(title)
    ax.set_ylabel("children (suppressed counts left out)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_transitions(tr: pa.Table, path: Path, below: int = 0) -> Path:
    """Shares of each state's ends pooled over all periods, from the unsuppressed table
    (so suppression never changes a pooled share); pooled cells under ``below`` are
    left blank."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = tr.select(["from_state", "to_state", "count"]).to_pandas().dropna()
    mat = df.pivot_table(
        index="from_state", columns="to_state", values="count", aggfunc="sum"
    ).fillna(0)
    prob = mat.div(mat.sum(axis=1).where(lambda s: s > 0, 1), axis=0)
    if below > 1:
        prob = prob.where(~((mat > 0) & (mat < below)), 0.0)
    fig, ax = plt.subplots(figsize=(12, 9))
    ax.imshow(prob.to_numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(prob.columns)), list(prob.columns), rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(prob.index)), list(prob.index), fontsize=8)
    for (i, j), v in np.ndenumerate(prob.to_numpy()):
        if v >= 0.005:
            ax.text(
                j,
                i,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="w" if v < 0.6 else "k",
            )
    ax.set_title("Where children go next: share of each state's ends (all periods)")
    ax.set_xlabel("next state")
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_time_in_state(curves: pa.Table, summary: pa.Table, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = curves.select(["state", "time_days", "survival"]).to_pandas().dropna()
    fig, ax = plt.subplots(figsize=(11, 6))
    shown = (
        set(summary.filter(pc.invert(summary.column("suppressed"))).column("state").to_pylist())
        if "suppressed" in summary.column_names
        else None
    )
    for state, g in df.groupby("state", sort=False):
        if shown is not None and state not in shown:
            continue
        ax.step(g["time_days"], g["survival"], where="post", label=state, lw=1.2)
    ax.set_xlabel("days in state")
    ax.set_ylabel("share still in state (Kaplan-Meier)")
    ax.set_xlim(0, 3 * 365)
    ax.set_ylim(0, 1)
    ax.set_title("Time in state (open spells censored)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)
