"""Procedural shapes and textures: an image classification data set drawn on the fly from a seed.

Each image is one class of shape or texture, with random colours, position, scale and rotation on a
cluttered background (colour gradient, faint distractor blobs, pixel noise). Everything is drawn
with vectorized tensor math on a coordinate grid (no files, no downloads), so a batch of 10 000
32×32 images takes well under a second on a CPU.
"""
from __future__ import annotations

import math

import torch

CLASSES = ("circle", "ring", "square", "triangle", "star", "cross", "horizontal stripes",
           "vertical stripes", "diagonal stripes", "checkerboard", "dots", "spiral", "waves")


def soft_edge(signed: torch.Tensor, size: int) -> torch.Tensor:
    """Antialiased mask from a signed value (positive inside), edges about one pixel wide."""
    return torch.sigmoid(signed * size * 0.5)


def shape_mask(label: int, u: torch.Tensor, v: torch.Tensor, freq: torch.Tensor, size: int) -> torch.Tensor:
    """Mask (B, S, S) in [0, 1] of class `label` in local coordinates u, v (B, S, S)."""
    r = torch.sqrt(u * u + v * v + 1e-12)
    phi = torch.atan2(v, u)
    name = CLASSES[label]
    region = 0.95 - torch.maximum(u.abs(), v.abs())  # textures fill a rotated square
    if name == "circle":
        return soft_edge(0.8 - r, size)
    if name == "ring":
        return soft_edge(0.17 - (r - 0.62).abs(), size)
    if name == "square":
        return soft_edge(0.68 - torch.maximum(u.abs(), v.abs()), size)
    if name == "triangle":
        sides = [u * math.cos(a) + v * math.sin(a) for a in (math.pi / 2, math.pi / 2 + 2 * math.pi / 3,
                                                              math.pi / 2 + 4 * math.pi / 3)]
        return soft_edge(0.42 - torch.stack(sides).amax(0), size)
    if name == "star":
        return soft_edge(0.32 + 0.55 * ((torch.cos(5 * phi) + 1) / 2) ** 3 - r, size)
    if name == "cross":
        bar = torch.maximum(torch.minimum(0.22 - u.abs(), 0.85 - v.abs()), torch.minimum(0.22 - v.abs(), 0.85 - u.abs()))
        return soft_edge(bar, size)
    f = freq[:, None, None]
    if name in ("horizontal stripes", "vertical stripes", "diagonal stripes"):
        pattern = torch.sin(2 * math.pi * f * u)  # u is the stripe normal: orientation set by the caller
    elif name == "checkerboard":
        pattern = torch.sin(2 * math.pi * f * u) * torch.sin(2 * math.pi * f * v) * 2
    elif name == "dots":
        du, dv = torch.remainder(f * u, 1) - 0.5, torch.remainder(f * v, 1) - 0.5
        pattern = (0.3 - torch.sqrt(du * du + dv * dv)) * 4
    elif name == "spiral":
        pattern = torch.sin(phi * 2 - 2 * math.pi * 2.2 * r)
        region = 0.9 - r
    else:  # waves
        pattern = torch.sin(2 * math.pi * f * (v + 0.15 * torch.sin(2 * math.pi * 1.2 * u)))
    return soft_edge(pattern.clamp(-1, 1) * 0.35, size) * soft_edge(region, size)


#: Fixed orientation (radians) of the oriented textures, jittered ±10° per image.
_ORIENTATION = {"horizontal stripes": math.pi / 2, "vertical stripes": 0.0, "diagonal stripes": math.pi / 4}


def make_shapes(n: int, size: int = 32, seed: int = 0, classes: tuple[int, ...] | None = None,
                device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """n images (n, 3, size, size) in [0, 1] and labels (n,) into CLASSES, reproducible from `seed`.

    `classes` restricts the labels drawn (default: all, uniformly)."""
    g = torch.Generator().manual_seed(seed)
    allowed = torch.tensor(classes if classes is not None else range(len(CLASSES)))
    labels = allowed[torch.randint(len(allowed), (n,), generator=g)]
    rand = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731

    # colours: foreground far enough from background to be visible
    bg = rand(n, 3)
    fg = rand(n, 3)
    close = (fg - bg).norm(dim=1) < 0.45
    fg[close] = 1 - bg[close]
    centre = (rand(n, 2) - 0.5) * 0.5
    scale = 0.45 + 0.35 * rand(n)
    angle = rand(n) * 2 * math.pi
    freq = 2.0 + 1.5 * rand(n)
    for name, base in _ORIENTATION.items():
        pick = labels == CLASSES.index(name)
        angle[pick] = base + (rand(int(pick.sum())) - 0.5) * math.radians(20)

    axis = (torch.arange(size) + 0.5) / size * 2 - 1
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    x, y = x.expand(n, size, size), y.expand(n, size, size)
    dx, dy = x - centre[:, 0, None, None], y - centre[:, 1, None, None]
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    u = (cos * dx + sin * dy) / scale[:, None, None]
    v = (-sin * dx + cos * dy) / scale[:, None, None]

    mask = torch.zeros(n, size, size)
    for label in labels.unique().tolist():
        pick = labels == label
        mask[pick] = shape_mask(label, u[pick], v[pick], freq[pick], size)

    # background clutter: a colour gradient, faint blobs, pixel noise
    direction = rand(n, 2) * 2 - 1
    gradient = 0.15 * (direction[:, 0, None, None] * x + direction[:, 1, None, None] * y)
    background = bg[:, :, None, None] + gradient[:, None]
    for _ in range(3):
        spot = (rand(n, 2) * 2 - 1)
        radius = 0.08 + 0.1 * rand(n)
        blob = soft_edge(radius[:, None, None] - torch.sqrt((x - spot[:, 0, None, None]) ** 2 + (y - spot[:, 1, None, None]) ** 2), size)
        tint = rand(n, 3)[:, :, None, None]
        background = background + 0.25 * blob[:, None] * (tint - background)
    image = background + mask[:, None] * (fg[:, :, None, None] - background)
    image = image + 0.04 * torch.randn(n, 3, size, size, generator=g)
    return image.clamp(0, 1).to(device), labels.to(device)
