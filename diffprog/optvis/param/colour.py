"""Colour decorrelation and the squash into [0, 1] shared by the pixel and Fourier images.

Optimizing in a decorrelated colour basis t and mapping back with the square root C of natural
images' colour covariance, x = σ(C t), lets gradient steps change brightness and hue at natural
rates (Olah et al., "Feature Visualization", 2017).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from .base import check_size

#: √ of the colour covariance of natural images (Lucid's `color_correlation_svd_sqrt`).
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()


def to_rgb(t: torch.Tensor, decorrelate: bool) -> torch.Tensor:
    """x = σ(C t) (σ(t) without decorrelation), for t (B, 3, H, W)."""
    if decorrelate:
        t = torch.einsum("bchw,dc->bdhw", t, COLOR.to(t.device, t.dtype))
    return torch.sigmoid(t)


def from_rgb(images: torch.Tensor, decorrelate: bool) -> torch.Tensor:
    """The t that to_rgb maps to `images` (clamped to [0.001, 0.999] first)."""
    t = torch.logit(images.clamp(1e-3, 1 - 1e-3))
    if decorrelate:
        t = torch.einsum("bchw,dc->bdhw", t, torch.linalg.inv(COLOR).to(t.device, t.dtype))
    return t


@dataclass(frozen=True, eq=False)
class SquashedImages:
    """What the recipes of images x = σ(C t) share: size × size px, colour decorrelation, initial
    noise of standard deviation `sd` (of t) or start images `init` (B or 1, 3, H, W) in [0, 1]."""
    size: int = 64
    decorrelate: bool = True
    sd: float = 0.01
    init: torch.Tensor | None = None
    lr: ClassVar[float] = 0.05

    def __post_init__(self) -> None:
        check_size(self.size)
