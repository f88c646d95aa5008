"""One free value per pixel and channel: x = σ(C t), t optimized directly."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .base import ImageParam, fit_init, seeded_noise
from .colour import SquashedImages, from_rgb, to_rgb


class PixelImage(ImageParam):
    def __init__(self, size: tuple[int, int], seeds: Sequence[int], decorrelate: bool = True, sd: float = 0.01,
                 init: torch.Tensor | None = None):
        super().__init__(len(seeds))
        self.decorrelate = decorrelate
        raw = from_rgb(fit_init(init, size, len(seeds)), decorrelate) if init is not None else \
            seeded_noise((3, *size), seeds, sd)
        self.raw = nn.Parameter(raw)

    def forward(self) -> torch.Tensor:
        return to_rgb(self.raw, self.decorrelate)


@dataclass(frozen=True, eq=False)
class Pixels(SquashedImages):
    """Images of free pixels (see SquashedImages for the settings)."""

    def __call__(self, seeds: Sequence[int]) -> PixelImage:
        return PixelImage((self.size, self.size), seeds, self.decorrelate, self.sd, self.init)
