"""DeepDream: gradient ascent on a photo, amplifying what a layer already sees in it.

Multi-octave (Mordvintsev et al. 2015): the photo is processed from coarse to fine. At each octave

    x = base_k + detail,   then  x ← x + η g/mean|g|  with  g = ∂J(roll(x))/∂x  (random roll each step)
    detail = x − base_k   is carried, upsampled, to the next (finer) octave,

so the dream accumulates at every scale while the output keeps the photo's full resolution and
sharpness (base_K is the photo itself). J is any diffprog.optvis objective (layer L2, channels,
a class, a guide image's feature direction, weighted sums of those).

Tiling: images larger than `tile` are processed in equal windows of tile + 2·margin pixels, placed
inside the image; each window's forward/backward gives the gradient of the pixels in its inner tile.
For objectives that average over positions, with margin ≥ twice the layer's receptive-field radius,
the assembled gradient is the untiled one times a constant, which the normalized step removes: tiled
and untiled dreams agree (see tests), in memory bounded by the window size. (Windows are aligned to
the network's stride; an image whose size is not a multiple of it is padded by repeating its edge.)
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..devices import as_device
from ..imaging import InputSpec, resize
from ..steps import StepLoop
from . import objectives as obj
from .fold import folded_batchnorm
from .layers import forward_to, list_layers, resolve
from .objectives import Objective
from .render import frozen
from .settings import SettingsError, at_least


@dataclass
class DreamResult:
    image: torch.Tensor  # (3, H, W) in [0, 1], the input's size, on the CPU
    history: list[list[float]] = field(default_factory=list)  # objective per step, one list per octave
    interrupted: bool = False


def octave_sizes(height: int, width: int, octaves: int, scale: float) -> list[tuple[int, int]]:
    """Sizes from coarsest to finest; the finest is the image's own size."""
    sizes = [(max(1, round(height / scale ** k)), max(1, round(width / scale ** k))) for k in range(octaves)]
    return sizes[::-1]


def tile_windows(length: int, tile: int, margin: int) -> list[tuple[int, int, int, int]]:
    """(inner_start, inner_end, window_start, window_end) along one axis: inner tiles cover the axis
    once; every window has the same size tile + 2·margin and lies inside [0, length)."""
    size = tile + 2 * margin
    if length <= size:
        return [(0, length, 0, length)]
    windows, start = [], 0
    while start < length:
        end = min(start + tile, length)
        window_start = min(max(start - margin, 0), length - size)
        windows.append((start, end, window_start, window_start + size))
        start = end
    return windows


class _Gradient:
    """∂J/∂x of a (3, H, W) image, tiled when larger than a window, with a random roll.

    Windows start on multiples of the network's stride at the objective's layers (found by a probe),
    and the image is padded (edge pixels repeated) to a multiple of it, so that every window sees
    the same pooling grid as the whole image does."""

    def __init__(self, model: nn.Module, objective: Objective, input_spec: InputSpec, tile: int, margin: int,
                 jitter: int, generator: torch.Generator):
        self.model, self.objective, self.input_spec = model, objective, input_spec
        self.jitter, self.generator = jitter, generator
        probe = list_layers(model, torch.zeros(1, 3, 64, 64, device=next(model.parameters()).device))
        self.calls = {i.name: i.calls for i in probe}
        strides = [64 // i.shape[-1] for i in probe if i.name in objective.layers and len(i.shape) == 3]
        self.align = max(strides, default=1)
        self.tile = -(-tile // self.align) * self.align
        self.margin = -(-margin // self.align) * self.align

    def _window(self, crop: torch.Tensor) -> tuple[torch.Tensor, float]:
        crop = crop.detach().requires_grad_(True)
        acts = forward_to(self.model, self.input_spec.normalize(crop[None]), self.objective.layers, self.calls)
        score = self.objective(acts, crop[None]).sum()
        (grad,) = torch.autograd.grad(score, crop)
        return grad, score.item()

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, float]:
        dy, dx = (torch.randint(-self.jitter, self.jitter + 1, (2,), generator=self.generator).tolist()
                  if self.jitter else (0, 0))
        h, w = x.shape[1:]
        shifted = torch.roll(x, (dy, dx), (1, 2))
        pad_h, pad_w = -h % self.align, -w % self.align
        if pad_h or pad_w:
            shifted = F.pad(shifted[None], (0, pad_w, 0, pad_h), mode="replicate")[0]
        grad = torch.zeros_like(shifted)
        scores = []
        for r0, r1, wr0, wr1 in tile_windows(shifted.shape[1], self.tile, self.margin):
            for c0, c1, wc0, wc1 in tile_windows(shifted.shape[2], self.tile, self.margin):
                g, s = self._window(shifted[:, wr0:wr1, wc0:wc1])
                grad[:, r0:r1, c0:c1] = g[:, r0 - wr0:r1 - wr0, c0 - wc0:c1 - wc0]
                scores.append(s)
        return torch.roll(grad[:, :h, :w], (-dy, -dx), (1, 2)), sum(scores) / len(scores)


def dream(model: nn.Module, image: torch.Tensor, objective: Objective, *, input_spec: InputSpec | None = None,
          octaves: int = 4, octave_scale: float = 1.4, steps: int = 10, lr: float = 0.02, jitter: int = 16,
          tile: int = 512, margin: int = 64, seed: int = 0, carry_detail: bool = True,
          device: str | torch.device | None = None, progress: bool = True) -> DreamResult:
    """Dream `objective` into `image` (3, H, W) in [0, 1]; returns an image of the same size.

    input_spec: the network's normalization (its mean and std; the dream keeps the photo's own
    size). lr is the step in [0, 1] pixel units per step (gradients are normalized by their mean |g|).
    carry_detail=False is the naive variant that upsamples the previous octave's result instead
    of adding its detail to the sharper base (it loses the photo's fine detail; for comparison).
    Ctrl-C stops early and returns the current dream at full size (interrupted=True). Weights are
    frozen and eval-mode BatchNorms folded into their convolutions for the run (fold.py).
    """
    at_least("octaves", octaves)
    at_least("steps", steps)
    at_least("tile", tile)
    at_least("margin", margin, 0)
    at_least("jitter", jitter, 0)
    for name, value, low in (("lr", lr, 0.0), ("octave_scale", octave_scale, 1.0)):
        if not (math.isfinite(value) and value > low):
            raise SettingsError(f"{name} must be a finite number above {low:g}, got {value}")
    if image.dim() != 3 or image.shape[0] != 3:
        raise SettingsError(f"image must be (3, H, W) in [0, 1], got shape {tuple(image.shape)}")
    if not torch.isfinite(image).all():
        raise SettingsError("image has NaN or inf in it: give finite values in [0, 1]")
    input_spec = input_spec or InputSpec(max(image.shape[-2:]))
    device = as_device(device)
    model = model.to(device).eval()
    for layer in objective.layers:
        resolve(model, layer)
    with frozen(model), folded_batchnorm(model, objective.layers):
        image = image.to(device)
        generator = torch.Generator().manual_seed(seed)
        gradient = _Gradient(model, objective, input_spec, tile, margin, jitter, generator)
        sizes = octave_sizes(image.shape[1], image.shape[2], octaves, octave_scale)
        bases = [resize(image, s) for s in sizes]
        x = bases[0].clone()
        history: list[list[float]] = []
        with StepLoop(len(sizes) * steps, "dream", progress) as loop:
            for step in loop:
                k, j = divmod(step, steps)
                if j == 0:
                    if k:
                        x = (bases[k] + resize(x - bases[k - 1], sizes[k])) if carry_detail else resize(x, sizes[k])
                        x = x.clamp(0, 1)
                    history.append([])
                g, score = gradient(x)
                x = (x + lr * g / (g.abs().mean() + 1e-8)).clamp(0, 1)
                history[-1].append(score)
                loop.show(octave=f"{k + 1}/{len(sizes)}", objective=f"{score:.3f}")
        if loop.interrupted:
            level = max(i for i, s in enumerate(sizes) if s == tuple(x.shape[-2:]))
            x = (bases[-1] + resize(x - bases[level], sizes[-1])).clamp(0, 1)
        return DreamResult(x.detach().cpu(), history, loop.interrupted)


@torch.no_grad()
def guide_objective(model: nn.Module, guide: torch.Tensor, layers: Sequence[tuple[str, float]],
                    input_spec: InputSpec) -> Objective:
    """Σ_l w_l · direction(l, mean feature of `guide` at l): dream toward a guide image's features.
    guide (3, H, W) in [0, 1]; layers: (name, weight) pairs."""
    device = next(model.parameters()).device
    calls = {i.name: i.calls for i in list_layers(model, torch.zeros(1, 3, 32, 32, device=device))}
    names = [n for n, _ in layers]
    acts = forward_to(model, input_spec.normalize(guide[None].to(device)), names, calls)
    return sum(w * obj.direction(n, acts[n].flatten(2).mean(2)[0].cpu()) for n, w in layers)


def zoom_frames(model: nn.Module, image: torch.Tensor, objective: Objective, frames: int, zoom: float = 1.05,
                progress: bool = True, **dream_args) -> list[torch.Tensor]:
    """The classic infinite zoom: dream, zoom into the centre by `zoom`, dream again, … → frames."""
    out, current = [], image
    base_seed = dream_args.pop("seed", 0)
    for i in range(frames):
        result = dream(model, current, objective, seed=base_seed + i, progress=progress, **dream_args)
        out.append(result.image)
        if result.interrupted:
            break
        _, h, w = result.image.shape
        ch, cw = round(h / zoom), round(w / zoom)
        top, left = (h - ch) // 2, (w - cw) // 2
        current = resize(result.image[:, top:top + ch, left:left + cw], (h, w))
    return out
