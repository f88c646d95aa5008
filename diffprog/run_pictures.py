"""The pictures every image-optimization run writes beside its images: a labelled contact sheet,
the objective per step, and optionally the optimization as a GIF of contact sheets."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from .io import contact_sheet, save_gif, save_image
from .plots import plot_loss_curves

MAX_CURVES = 12  # more lines than this make the objective plot unreadable


def write_run_pictures(out: Path, images: torch.Tensor, labels: Sequence[str], history: list[list[float]],
                       snapshots: dict[int, torch.Tensor], *, title: str, curve_labels: Sequence[str],
                       curve_title: str, ylabel: str, scale: int = 2, gif: bool = False) -> list[Path]:
    """contact_sheet.png (images with labels), objective.png (history[step][i] per image, the first
    MAX_CURVES named by curve_labels) and, with gif and snapshots, optimization.gif (one sheet per
    snapshot, then the final images). Every file is written atomically; returns their paths."""
    labels = list(labels)
    written = [save_image(contact_sheet(images, labels, scale=scale, title=title), out / "contact_sheet.png")]
    if history:
        curves = {name: [step[i] for step in history] for i, name in enumerate(curve_labels[:MAX_CURVES])}
        plot_loss_curves(curves, out / "objective.png", title=curve_title, ylabel=ylabel, log=False)
        written.append(out / "objective.png")
    if gif and snapshots:
        frames = [contact_sheet(shot, labels, scale=scale, title=f"step {step}") for step, shot in sorted(snapshots.items())]
        frames.append(contact_sheet(images, labels, scale=scale, title="final"))
        written.append(save_gif(frames, out / "optimization.gif"))
    return written
