"""Images made by a frozen generator from optimized latents (the CLIP+GAN pattern):

    image = G(√d · z / ‖z‖),   z ∈ ℝ^d one per image, seeded,

the latent kept on the sphere where a standard normal prior puts almost all its mass, so the
generator is never asked for latents it was not trained on. G maps (B, d) to (B, 3, H, W) in [0, 1].
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from .base import ImageParam, seeded_noise


class GeneratorImage(ImageParam):
    def __init__(self, generator: nn.Module, latent_dim: int, seeds: Sequence[int]):
        super().__init__(len(seeds))
        self.generator = generator.eval().requires_grad_(False)
        self.latent_dim = latent_dim
        self.latent = nn.Parameter(seeded_noise((latent_dim,), seeds))

    def forward(self) -> torch.Tensor:
        z = nn.functional.normalize(self.latent, dim=1) * math.sqrt(self.latent_dim)
        return self.generator(z)


@dataclass(frozen=True, eq=False)
class Generator:
    """Images from `generator`'s latents (latent_dim inputs: default the generator's `latent_dim`)."""
    generator: nn.Module
    latent_dim: int | None = None
    #: the latent lives on the sphere of radius √d, so steps are relative to √d
    lr: ClassVar[float] = 0.2

    @property
    def dim(self) -> int:
        return self.latent_dim if self.latent_dim is not None else self.generator.latent_dim

    @property
    def size(self) -> int:
        """The side of the generator's images (found by one call on a zero latent)."""
        device = next(self.generator.parameters()).device
        with torch.no_grad():
            return int(self.generator(torch.zeros(1, self.dim, device=device)).shape[-1])

    def __call__(self, seeds: Sequence[int]) -> GeneratorImage:
        return GeneratorImage(self.generator, self.dim, seeds)
