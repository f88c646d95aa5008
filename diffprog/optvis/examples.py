"""What does a unit respond to? The photos, and crops of them, from a folder that excite it most —
the dataset examples Lucid and OpenAI Microscope show beside a feature visualization.

Each photo is seen whole and as a 3 × 3 grid of half-size windows (overlapping by half), each
resized to the network's input and normalized as it expects. A unit's activation is its channel's
spatial mean (conv layers; the channel objective of the visualization) or its value (the output
layer's logits, a linear layer's units).
"""
from __future__ import annotations

import heapq
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..imaging import InputSpec, resize
from ..io import ImageReadError, load_image
from ..plots import plt, save_figure
from .layers import forward_to

PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


@dataclass(order=True)
class Example:
    activation: float
    path: str = field(compare=False)
    box: tuple[int, int, int, int] = field(compare=False)  # left, top, right, bottom in the photo's pixels
    crop: torch.Tensor = field(compare=False, repr=False)  # (3, S, S) in [0, 1], as the network saw it


def photos_in(folder: str | os.PathLike) -> list[Path]:
    """The image files of `folder`, sorted; ValueError naming the folder when it has none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"--examples {str(folder)!r} is not a folder: give a folder of photos")
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())
    if not photos:
        raise ValueError(f"--examples {str(folder)!r} holds no photos ({', '.join(PHOTO_SUFFIXES)})")
    return photos


def windows(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """The whole photo, then 3 × 3 half-size windows at quarter strides."""
    boxes = [(0, 0, width, height)]
    h, w = height // 2, width // 2
    for top in (0, height // 4, height - h):
        for left in (0, width // 4, width - w):
            boxes.append((left, top, left + w, top + h))
    return boxes


def unit_values(activations: torch.Tensor) -> torch.Tensor:
    """(B, C, …) → (B, C): each unit's spatial mean (or its value, for (B, C))."""
    return activations.flatten(2).mean(2) if activations.dim() > 2 else activations


@torch.no_grad()
def top_examples(model: nn.Module, spec: InputSpec, layer: str, units: list[int], folder: str | os.PathLike,
                 top: int = 4, batch: int = 16) -> tuple[dict[int, list[Example]], list[str]]:
    """{unit: its `top` examples, most exciting first} over the photos of `folder`, and the files that
    could not be read (each 'name: why')."""
    device = next(model.parameters()).device
    best: dict[int, list[Example]] = {u: [] for u in units}
    skipped: list[str] = []
    pending: list[tuple[str, tuple[int, int, int, int], torch.Tensor]] = []

    def flush():
        crops = torch.stack([c for _, _, c in pending]).to(device)
        values = unit_values(forward_to(model, spec.normalize(crops), [layer], {})[layer].float())[:, units].cpu()
        for (path, box, crop), row in zip(pending, values):
            for u, value in zip(units, row.tolist()):
                heap = best[u]
                example = Example(value, path, box, crop)
                if len(heap) < top:
                    heapq.heappush(heap, example)
                elif value > heap[0].activation:
                    heapq.heapreplace(heap, example)
        pending.clear()

    for photo in photos_in(folder):
        try:
            image, _ = load_image(photo)
        except ImageReadError as error:
            skipped.append(f"{photo.name}: {error}")
            continue
        for box in windows(*image.shape[1:]):
            left, top_, right, bottom = box
            pending.append((str(photo), box, resize(image[:, top_:bottom, left:right], spec.size)))
            if len(pending) == batch:
                flush()
    if pending:
        flush()
    return {u: sorted(heap, reverse=True) for u, heap in best.items()}, skipped


def plot_examples(visualizations: torch.Tensor, labels: list[str], examples: dict[int, list[Example]],
                  units: list[int], path: str | os.PathLike) -> None:
    """One row per unit: its visualization, then its most exciting crops with file and activation."""
    columns = 1 + max(len(v) for v in examples.values())
    fig, axes = plt.subplots(len(units), columns, figsize=(2.2 * columns, 2.4 * len(units)), squeeze=False)
    for row, (unit, label, image) in enumerate(zip(units, labels, visualizations)):
        axes[row][0].imshow(image.permute(1, 2, 0).clamp(0, 1).cpu().numpy())
        axes[row][0].set_title(f"{label}\n(visualization)", fontsize=8)
        for col, example in enumerate(examples[unit], start=1):
            axes[row][col].imshow(example.crop.permute(1, 2, 0).clamp(0, 1).numpy())
            axes[row][col].set_title(f"{Path(example.path).name}\n{example.activation:.3g}", fontsize=7)
        for ax in axes[row]:
            ax.axis("off")
    fig.suptitle("What does each unit respond to? Its image, then the photo crops that excite it most", fontsize=10)
    save_figure(fig, path)
