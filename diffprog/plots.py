"""Pictures of training: loss curves and 2-D decision boundaries (matplotlib, written atomically)."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from .io import atomic_path  # noqa: E402


def save_figure(fig, path: str | os.PathLike) -> None:
    """Write `fig` to `path` atomically, as PNG or, for a .svg path, SVG; then close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="svg" if str(path).endswith(".svg") else "png")
    plt.close(fig)


def plot_loss_curves(curves: Mapping[str, Sequence[float]], path: str | os.PathLike, title: str = "Training loss",
                     ylabel: str = "loss", log: bool = True) -> None:
    """One line per run (log-scale y unless log=False), labelled by the mapping's keys."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    save_figure(fig, path)


@torch.no_grad()
def plot_decision_boundaries(predictors: Mapping[str, Callable[[torch.Tensor], torch.Tensor]], x: torch.Tensor,
                             y: torch.Tensor, path: str | os.PathLike, resolution: int = 200) -> None:
    """One panel per predictor (points (N, 2) → logits (N, C)): predicted class regions with the
    data on top, titled with the training accuracy."""
    pad = 0.15
    lo, hi = x.min(0).values - pad, x.max(0).values + pad
    gx, gy = torch.meshgrid(torch.linspace(lo[0], hi[0], resolution), torch.linspace(lo[1], hi[1], resolution),
                            indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], dim=1)
    fig, axes = plt.subplots(1, len(predictors), figsize=(4 * len(predictors), 4), squeeze=False)
    for ax, (name, predict) in zip(axes[0], predictors.items()):
        regions = predict(grid).argmax(1).view(resolution, resolution)
        accuracy = (predict(x).argmax(1) == y).float().mean().item()
        ax.contourf(gx, gy, regions, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
        ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=8, edgecolors="k", linewidths=0.2)
        ax.set_title(f"{name}\n{accuracy:.1%} training accuracy", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal")
    save_figure(fig, path)
