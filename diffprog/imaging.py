"""What a network expects of its input images, and the two operations that give it that: the
antialiased resize and the normalization (x − mean) / std. Every tool that feeds images in [0, 1]
to a network goes through here."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def resize(images: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Images (…, C, H, W) resized bilinearly to `size` (antialiased when shrinking); unchanged when
    they already have it. A non-square image is squashed to a square `size`."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(images.shape[-2:]) == size:
        return images
    if images.dim() == 3:
        return F.interpolate(images[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]
    return F.interpolate(images, size=size, mode="bilinear", antialias=True, align_corners=False)


def normalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(x − mean) / std per channel, for images (B, C, H, W), in their dtype and on their device."""
    mean_t = torch.tensor(mean).view(1, -1, 1, 1).to(images)
    std_t = torch.tensor(std).view(1, -1, 1, 1).to(images)
    return (images - mean_t) / std_t


@dataclass(frozen=True)
class InputSpec:
    """A network's input: square images of `size` px, normalized with `mean` and `std` per channel."""
    size: int
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        return normalize(images, self.mean, self.std)

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, 3, H, W) in [0, 1] → what the network reads: resized to `size`, normalized."""
        return self.normalize(resize(images, self.size))
