"""A procedural landscape photo-like image (sky, sun, clouds, ridges, lake, meadow), made by the
project so the DeepDream default needs no third-party picture."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _fractal_noise(height: int, width: int, generator: torch.Generator, octaves: int = 6) -> torch.Tensor:
    """Sum of upsampled random grids with halving amplitude: (H, W), about unit range."""
    total = torch.zeros(1, 1, height, width)
    for k in range(octaves):
        cells = 2 ** (k + 2)
        grid = torch.rand(1, 1, cells, cells * width // height + 1, generator=generator)
        total += F.interpolate(grid, size=(height, width), mode="bicubic", align_corners=False) / 2 ** k
    return (total[0, 0] / 2).clamp(0, 1)


def _profile(width: int, generator: torch.Generator, octaves: int = 5) -> torch.Tensor:
    """A smooth 1-D fractal curve (width,) in about [0, 1], for ridge lines."""
    total = torch.zeros(1, 1, width)
    for k in range(octaves):
        points = torch.rand(1, 1, 2 ** (k + 2) + 1, generator=generator)
        total += F.interpolate(points, size=width, mode="linear", align_corners=True) / 2 ** k
    return (total[0, 0] / 2).clamp(0, 1)


def landscape(width: int = 640, height: int = 480, seed: int = 0) -> torch.Tensor:
    """(3, height, width) in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    y = torch.linspace(0, 1, height)[:, None].expand(height, width)
    x = torch.linspace(0, 1, width)[None, :].expand(height, width)
    sky = torch.stack([0.35 + 0.4 * y, 0.55 + 0.3 * y, 0.95 - 0.1 * y])
    clouds = (_fractal_noise(height, width, g) - 0.45).clamp(min=0) * 2.2 * (1 - y)
    image = sky + clouds[None] * (torch.tensor([0.95, 0.95, 0.97])[:, None, None] - sky)
    sun = torch.exp(-(((x - 0.75) * width) ** 2 + ((y - 0.22) * height) ** 2) / (0.004 * width * height))
    image = image + sun[None] * (torch.tensor([1.0, 0.95, 0.7])[:, None, None] - image)
    for layer, (level, amp, colour) in enumerate([(0.45, 0.18, (0.45, 0.5, 0.62)), (0.55, 0.12, (0.25, 0.38, 0.3))]):
        ridge = level - amp * _profile(width, g) - 0.04 * torch.sin(x[0] * math.pi * (3 + layer))
        mountain = (y > ridge[None, :]).float()
        shade = 0.85 + 0.3 * _fractal_noise(height, width, g)
        image = image + mountain[None] * (torch.tensor(colour)[:, None, None] * shade[None] - image)
    lake = ((y > 0.68) & (y < 0.8)).float()
    reflection = torch.flip(image, dims=[1]) * 0.6 + torch.tensor([0.05, 0.12, 0.25])[:, None, None]
    image = image + lake[None] * (reflection - image)
    meadow = (y >= 0.8).float()
    grass = torch.stack([0.25 + 0.2 * _fractal_noise(height, width, g), 0.5 + 0.25 * _fractal_noise(height, width, g),
                         0.15 + 0.1 * _fractal_noise(height, width, g)])
    image = image + meadow[None] * (grass - image)
    image = image + 0.015 * torch.randn(3, height, width, generator=g)
    return image.clamp(0, 1)
