"""Random transforms applied to the images at every step (transformation robustness), batched on
the device, differentiable, and drawn per image from that image's own random stream, so a batch of
images behaves exactly like the same images rendered one at a time.

A transform is a callable (images (B, 3, H, W), rng) → images.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F


class PerImageRandom:
    """One random stream per image (a torch.Generator seeded from the image's seed).

    `uniform(lo, hi)` gives one number per image, (B,) on the device; `uniform(lo, hi, count)` gives
    `count` per image, (B, count). Numbers are drawn ahead in blocks of `block` per image and copied
    to the device once per block, so the step loop makes no per-step host round-trips; image b's
    k-th number depends only on its own seed."""

    def __init__(self, seeds: Sequence[int], device: torch.device, block: int = 256):
        self.generators = [torch.Generator().manual_seed(int(s) * 7919 + 17) for s in seeds]
        self.device, self.block = device, block
        self.pool = torch.empty(len(seeds), 0, device=device)
        self.used = 0

    def uniform(self, low: float, high: float, count: int | None = None) -> torch.Tensor:
        k = 1 if count is None else count
        if self.used + k > self.pool.shape[1]:
            draws = torch.stack([torch.rand(max(self.block, k), generator=g) for g in self.generators])
            self.pool = draws.to(self.device, non_blocking=True)
            self.used = 0
        columns = self.pool[:, self.used:self.used + k]
        self.used += k
        numbers = low + (high - low) * columns
        return numbers[:, 0] if count is None else numbers

    def state(self) -> tuple:
        """Where the streams stand, for `restore` (to redo a step with the same numbers)."""
        return [g.get_state() for g in self.generators], self.pool, self.used

    def restore(self, state: tuple) -> None:
        generator_states, self.pool, self.used = state
        for g, s in zip(self.generators, generator_states):
            g.set_state(s)


class Pad:
    """Pad every side by `pixels` with a constant grey, so jitter and rotation do not reveal edges."""

    def __init__(self, pixels: int, value: float = 0.5):
        self.pixels, self.value = pixels, value

    def __call__(self, images: torch.Tensor, rng: PerImageRandom) -> torch.Tensor:
        return F.pad(images, (self.pixels,) * 4, value=self.value)


class RandomAffine:
    """Per image: translate by up to ±`translate` pixels, scale in [scale], rotate by up to
    ±`degrees`, flip horizontally with probability `flip`; one bilinear resampling for all."""

    def __init__(self, translate: float = 0, scale: tuple[float, float] = (1.0, 1.0), degrees: float = 0,
                 flip: float = 0.0):
        self.translate, self.scale, self.degrees, self.flip = translate, scale, degrees, flip

    def __call__(self, images: torch.Tensor, rng: PerImageRandom) -> torch.Tensor:
        b, _, h, w = images.shape
        angle = rng.uniform(-self.degrees, self.degrees) * (math.pi / 180)
        zoom = rng.uniform(*self.scale)
        tx = rng.uniform(-self.translate, self.translate) * 2 / w
        ty = rng.uniform(-self.translate, self.translate) * 2 / h
        mirror = torch.where(rng.uniform(0, 1) < self.flip, -1.0, 1.0).to(images.device)
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        theta = torch.stack([torch.stack([cos * mirror, -sin, tx], 1), torch.stack([sin * mirror, cos, ty], 1)], 1)
        grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def standard_transforms(size: int, scale: tuple[float, float] = (0.95, 1.05), degrees: float = 10,
                        flip: float = 0.0) -> list:
    """Lucid's robustness set scaled to the image size: pad, jitter with zoom in `scale`, rotation
    by up to ±`degrees` and a mirror with probability `flip`, jitter."""
    unit = max(1, size // 32)
    return [Pad(2 * unit), RandomAffine(translate=2 * unit, scale=scale, degrees=degrees, flip=flip),
            RandomAffine(translate=unit)]


def class_transforms(size: int) -> list:
    """The robustness set for class images of networks that read ≥ 128 px (ImageNet's): the
    standard one with scale 0.8–1.2, rotation ±15° and a mirror half the time — a class looks the
    same mirrored, a channel need not, so channel images keep the standard set. Measured on 50
    held-out ImageNet classes (benchmarks/imagenet_ablation.py, MobileNetV2 torchvision → Google):
    the judge's mean p(class) 0.81 → 0.90, top-1 90% → 94%."""
    return standard_transforms(size, scale=(0.8, 1.2), degrees=15, flip=0.5)
