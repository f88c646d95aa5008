"""Are visualizations real features or adversarial noise? Render each class with one network and
ask an independently trained second network to classify the images."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .transforms import Normalize, Resize
from .units import visualize_units


@dataclass
class TransferReport:
    rate: float  # fraction of images the judge assigns to their class
    per_class: list[float]
    predictions: list[list[int]]  # [seed][class]


@torch.no_grad()
def _classify(judge: nn.Module, images: torch.Tensor, input_size: int, mean, std) -> torch.Tensor:
    x = Normalize(mean, std)(Resize(input_size)(images, None), None)
    return judge.eval()(x).argmax(1)


def class_transfer(source: nn.Module, judge: nn.Module, classes: Sequence[int], seeds: Sequence[int], *,
                   input_size: int, mean, std, size: int, steps: int = 256, lr: float = 0.05,
                   device: str | torch.device = "cpu", progress: bool = False, **render_args) -> TransferReport:
    """For each seed, visualize every class of `source`; report how often `judge` agrees.
    render_args (decay, param, …) go to the render loop."""
    predictions = []
    for seed in seeds:
        result = visualize_units(source, "output", list(classes), seed=seed, size=size, input_size=input_size,
                                 mean=mean, std=std, steps=steps, lr=lr, device=device, progress=progress,
                                 **render_args)
        predictions.append(_classify(judge.to(device), result.images.to(device), input_size, mean, std).cpu().tolist())
    hits = [[p == c for p, c in zip(row, classes)] for row in predictions]
    per_class = [sum(h[i] for h in hits) / len(hits) for i in range(len(classes))]
    return TransferReport(sum(map(sum, hits)) / (len(hits) * len(classes)), per_class, predictions)
