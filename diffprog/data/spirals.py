"""Two interleaved spirals, the classic problem a linear model cannot solve."""
from __future__ import annotations

import math

import torch


def two_spirals(points_per_class: int = 200, turns: float = 1.75, noise: float = 0.08,
                seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points X (2N, 2) in about [−1, 1]² and labels y (2N,) ∈ {0, 1}.

    Class k is the spiral r = t, θ = 2π·turns·t + kπ for t ∈ (0, 1], with Gaussian noise of
    standard deviation `noise`·r (so the centre, where the arms meet, stays separable).
    """
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0.05, 1.0, points_per_class)
    xs, ys = [], []
    for k in range(2):
        angle = 2 * math.pi * turns * t + k * math.pi
        arm = torch.stack([t * torch.cos(angle), t * torch.sin(angle)], dim=1)
        arm = arm + noise * t[:, None] * torch.randn(points_per_class, 2, generator=g)
        xs.append(arm)
        ys.append(torch.full((points_per_class,), k, dtype=torch.long))
    return torch.cat(xs), torch.cat(ys)
