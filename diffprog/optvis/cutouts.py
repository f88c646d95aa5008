"""Cutouts: the augmentation of CLIP guidance (VQGAN-CLIP, big-sleep). Every step, each image
gives N random square crops (random size, position, horizontal flip, pixel noise), each resized to
the size the network sees; the network scores every crop and the objective averages them per image,
so the image has to read as the prompt at every scale and place, not just as one adversarial
pattern.

All crops of all images are made by one batched `grid_sample` on the device, the crops of an image
stacked along the sampling grid so the image is never copied (peers loop over crops with one
slice-and-resize each), sampled `supersample`× finer and average-pooled so that large
crops shrink without aliasing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .settings import SettingsError
from .transforms import PerImageRandom

#: Cutouts per image and step in CLIP guidance.
COUNT = 32
#: Smallest cutout side, as a fraction of the image side. Large crops, because the embedded CLIP
#: saw whole scenes only and its embedding encodes where things are ("in the top left"): small
#: crops move an object around and pull the image in conflicting directions. CLIPs trained on
#: random crops (the open_clip models) take smaller ones (--cutout-min 0.3).
MIN_FRACTION = 0.8


def check_cutouts(count: int, min_fraction: float, max_fraction: float = 1.0) -> None:
    """Raise SettingsError unless count ≥ 1 and 0 < min_fraction ≤ max_fraction ≤ 1."""
    if count < 1:
        raise SettingsError(f"cutouts must be at least 1, got {count} (the crop count per image and step)")
    if not 0 < max_fraction <= 1:
        raise SettingsError(f"max_fraction is the largest crop side as a fraction of the image side: give one in "
                            f"(0, 1], got {max_fraction}")
    if not 0 < min_fraction <= max_fraction:
        raise SettingsError(f"min_fraction (--cutout-min) is the smallest crop side as a fraction of the image "
                            f"side: give one in (0, {max_fraction:g}], got {min_fraction}")


@dataclass(frozen=True)
class CutoutSpec:
    """The cutouts of CLIP guidance: `count` crops per image and step, sides uniform in
    [min_fraction, 1] of the image side, pixel noise up to `noise`."""
    count: int = COUNT
    min_fraction: float = MIN_FRACTION
    noise: float = 0.05

    def __post_init__(self) -> None:
        check_cutouts(self.count, self.min_fraction)

    def make(self, size: int, seed: int) -> Cutouts:
        """The transform: crops resized to `size` px, the noise pattern seeded by `seed`."""
        return Cutouts(self.count, size, min_fraction=self.min_fraction, noise=self.noise, seed=seed)


class Cutouts:
    """(B, 3, H, W) → (B·count, 3, size, size), image-major (crops of image b are rows b·count …).

    A crop's side is s·min(H, W) with s = min_fraction + (max_fraction − min_fraction)·u^power,
    u uniform (power > 1 favours small crops); its centre is uniform where the crop fits; it is
    flipped with probability `flip` and gets Gaussian noise of standard deviation uniform in
    [0, noise]. Geometry comes from each image's own random stream; the noise pattern from one
    generator seeded by `seed`."""

    def __init__(self, count: int = 16, size: int = 64, min_fraction: float = 0.3, max_fraction: float = 1.0,
                 power: float = 1.0, flip: float = 0.5, noise: float = 0.05, seed: int = 0):
        check_cutouts(count, min_fraction, max_fraction)
        self.count, self.size = count, size
        self.min_fraction, self.max_fraction, self.power = min_fraction, max_fraction, power
        self.flip, self.noise, self.seed = flip, noise, seed
        self._generator: torch.Generator | None = None

    def _noise_generator(self, device: torch.device) -> torch.Generator:
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device).manual_seed(self.seed)
        return self._generator

    def __call__(self, images: torch.Tensor, rng: PerImageRandom) -> torch.Tensor:
        b, c, h, w = images.shape
        n = self.count
        side = self.min_fraction + (self.max_fraction - self.min_fraction) * rng.uniform(0, 1, n) ** self.power
        # in grid_sample's [-1, 1] coordinates a crop of fraction s spans 2s, its centre lies in ±(1 − s)
        scale_x, scale_y = side * min(h, w) / w, side * min(h, w) / h
        centre_x = rng.uniform(-1, 1, n) * (1 - scale_x)
        centre_y = rng.uniform(-1, 1, n) * (1 - scale_y)
        mirror = torch.where(rng.uniform(0, 1, n) < self.flip, -1.0, 1.0)
        strength = rng.uniform(0, self.noise, n)
        zero = torch.zeros_like(side)
        theta = torch.stack([torch.stack([scale_x * mirror, zero, centre_x], -1),
                             torch.stack([zero, scale_y, centre_y], -1)], -2).reshape(b * n, 2, 3)
        supersample = max(1, min(4, math.ceil(self.max_fraction * min(h, w) / self.size)))
        fine = self.size * supersample
        grid = F.affine_grid(theta.to(images.dtype), [b * n, c, fine, fine], align_corners=False)
        # the crops of one image stacked along the grid's height: one sample, no copies of the image
        grid = grid.reshape(b, n * fine, fine, 2)
        crops = F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        crops = crops.reshape(b, c, n, fine, fine).transpose(1, 2).reshape(b * n, c, fine, fine)
        if supersample > 1:
            crops = F.avg_pool2d(crops, supersample)
        if self.noise > 0:
            pattern = torch.randn(crops.shape, device=crops.device, dtype=crops.dtype,
                                  generator=self._noise_generator(crops.device))
            crops = crops + strength.reshape(b * n, 1, 1, 1).to(crops.dtype) * pattern
        return crops
