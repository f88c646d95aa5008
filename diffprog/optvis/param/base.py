"""The contract every parameterization keeps.

A *parameterization* is a small frozen recipe (`Parameterization`): the side `size` of the images
it makes, its default learning rate `lr`, and `recipe(seeds)`, which builds the `ImageParam` for
one batch, image b drawing its initial values from seed seeds[b] (so an image is the same whether
it is made alone or in a batch). An `ImageParam` is an nn.Module whose forward() returns the images
(B, 3, H, W) in [0, 1]; its parameters with requires_grad are what the optimizer changes; `final()`
is the images a run returns and `facts()` what each image's JSON records about it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

import torch
from torch import nn

from ...imaging import resize
from ..settings import SettingsError, at_least


class ImageParam(nn.Module):
    """forward() → (count, 3, H, W) in [0, 1]."""

    def __init__(self, count: int):
        super().__init__()
        self.count = count

    @torch.no_grad()
    def final(self) -> torch.Tensor:
        """The images a finished (or interrupted) run returns, on the CPU."""
        return self().detach().cpu()

    def facts(self) -> list[dict]:
        """Per image, what its JSON records beyond the run's settings (none by default)."""
        return [{} for _ in range(self.count)]


class Parameterization(Protocol):
    size: int
    lr: ClassVar[float]

    def __call__(self, seeds: Sequence[int]) -> ImageParam: ...


def seeded_noise(shape: Sequence[int], seeds: Sequence[int], sd: float = 1.0) -> torch.Tensor:
    """(len(seeds), *shape) standard normal draws times sd, one seeded generator per image."""
    return torch.stack([torch.randn(*shape, generator=torch.Generator().manual_seed(s)) * sd for s in seeds])


def check_size(size: int) -> None:
    at_least("size", size)


def fit_init(init: torch.Tensor, size: tuple[int, int], count: int) -> torch.Tensor:
    """Start images (B or 1, 3, H, W) in [0, 1] resized to `size` and repeated to `count` images."""
    if init.dim() != 4 or init.shape[1] != 3:
        raise SettingsError(f"an init image must be (B, 3, H, W) in [0, 1], got shape {tuple(init.shape)}")
    if init.shape[-2:] != size:
        init = resize(init, size).clamp(0, 1)
    if init.shape[0] != count:
        init = init.expand(count, -1, -1, -1)
    return init
