"""Objectives: what an image should maximize, as a score per image (B,).

An objective reads the activations of the layers it names (and the images themselves, for the
lecture's regularizer λR(x)); objectives compose with `+`, `-` and scalar `*`, so

    channel("block2.conv2", 5) - 0.05 * total_variation()

is one objective. `units` may be one int or one per image, so a batch of images can visualize
many units of a layer in one run, each image independent of the others.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from .. import ops
from .layers import OUTPUT

Units = int | Sequence[int] | torch.Tensor
Scorer = Callable[[dict[str, torch.Tensor], torch.Tensor], torch.Tensor]


class Objective:
    """A score per image to maximize: objective(activations, images) → (B,)."""

    def __init__(self, score: Scorer, layers: Sequence[str] = (), description: str = "",
                 units: dict[str, list[int]] | None = None):
        self.score = score
        self.layers = tuple(dict.fromkeys(layers))
        self.description = description
        self.units = units or {}  # layer → units it indexes, validated against the layer's channels

    def __call__(self, activations: dict[str, torch.Tensor], images: torch.Tensor) -> torch.Tensor:
        return self.score(activations, images)

    def __repr__(self) -> str:
        return self.description

    def _combine(self, other: Objective, op: Callable, symbol: str) -> Objective:
        units = {k: list(v) for k, v in self.units.items()}
        for k, v in other.units.items():
            units.setdefault(k, []).extend(v)
        return Objective(lambda a, x: op(self(a, x), other(a, x)), self.layers + other.layers,
                         f"{self} {symbol} {other}", units)

    def __add__(self, other: Objective | float) -> Objective:
        if isinstance(other, (int, float)):
            return self if other == 0 else Objective(lambda a, x: self(a, x) + other, self.layers,
                                                     f"{self} + {other}", self.units)
        return self._combine(other, torch.add, "+")

    __radd__ = __add__  # sum([...]) starts from 0

    def __sub__(self, other: Objective) -> Objective:
        return self._combine(other, torch.sub, "-")

    def __neg__(self) -> Objective:
        return Objective(lambda a, x: -self(a, x), self.layers, f"-({self})", self.units)

    def __mul__(self, factor: float) -> Objective:
        if not isinstance(factor, (int, float)):
            raise TypeError(f"objectives scale by numbers only, not {type(factor).__name__}")
        return Objective(lambda a, x: factor * self(a, x), self.layers, f"{factor} * {self}", self.units)

    __rmul__ = __mul__


def _unit_index(units: Units, batch: int, device: torch.device) -> torch.Tensor:
    index = torch.as_tensor(units, device=device).reshape(-1)
    if index.numel() == 1:
        return index.expand(batch)
    if index.numel() != batch:
        raise ValueError(f"got {index.numel()} units for a batch of {batch} images: give one unit, or one per image")
    return index


def _unit_list(units: Units) -> list[int]:
    return [int(u) for u in torch.as_tensor(units).reshape(-1).tolist()]


def _per_image_unit(acts: torch.Tensor, units: Units) -> torch.Tensor:
    """acts (B, C, …) → (B, …): image b's map of unit units[b]."""
    index = _unit_index(units, acts.shape[0], acts.device)
    return acts[torch.arange(acts.shape[0], device=acts.device), index]


def _spatial_mean(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).float().mean(1) if t.dim() > 1 else t.float()


def channel(layer: str, units: Units) -> Objective:
    """Mean activation of channel `units` over all positions: h_lj averaged spatially."""
    return Objective(lambda a, x: _spatial_mean(_per_image_unit(a[layer], units)), [layer],
                     f"channel({layer}:{units})", {layer: _unit_list(units)})


def neuron(layer: str, units: Units, x: int | None = None, y: int | None = None) -> Objective:
    """Activation of channel `units` at one position (x, y); the centre by default."""
    def score(a, _images):
        maps = _per_image_unit(a[layer], units)
        if maps.dim() == 1:
            return maps.float()
        row = maps.shape[1] // 2 if y is None else y
        col = maps.shape[2] // 2 if x is None else x
        return maps[:, row, col].float()
    return Objective(score, [layer], f"neuron({layer}:{units} at x={x}, y={y})", {layer: _unit_list(units)})


def layer_l2(layer: str) -> Objective:
    """Mean squared activation of a whole layer: DeepDream's objective."""
    return Objective(lambda a, x: a[layer].float().pow(2).flatten(1).mean(1), [layer], f"layer_l2({layer})")



def class_logit(units: Units, layer: str = OUTPUT) -> Objective:
    """The logit of class `units` (the lecture's y_j)."""
    return Objective(lambda a, x: _per_image_unit(a[layer], units).float(), [layer], f"logit({units})",
                     {layer: _unit_list(units)})


def class_log_prob(units: Units, layer: str = OUTPUT) -> Objective:
    """log softmax(logits)_j: raises class j *and* lowers the others."""
    return Objective(lambda a, x: _per_image_unit(ops.log_softmax(a[layer].float(), 1), units), [layer],
                     f"log_prob({units})", {layer: _unit_list(units)})


def direction(layer: str, vector: torch.Tensor) -> Objective:
    """Projection of the spatially averaged activation onto a direction in channel space."""
    v = torch.as_tensor(vector, dtype=torch.float32)
    v = v / v.norm()

    def score(a, _images):
        acts = a[layer].float()
        pooled = acts.flatten(2).mean(2) if acts.dim() > 2 else acts
        return pooled @ v.to(acts.device)
    return Objective(score, [layer], f"direction({layer})")


def diversity(layer: str) -> Objective:
    """Minus the mean cosine similarity between this image's Gram matrix at `layer` and the other
    images' (Lucid's diversity): pushes a batch apart. Couples the images of a batch."""
    def score(a, _images):
        acts = a[layer].float()
        b, c = acts.shape[:2]
        flat = acts.reshape(b, c, -1)
        gram = torch.nn.functional.normalize((flat @ flat.transpose(1, 2)).reshape(b, -1), dim=1)
        sim = gram @ gram.t()
        return -(sim.sum(1) - sim.diagonal()) / max(b - 1, 1)
    return Objective(score, [layer], f"diversity({layer})")


def embedding_similarity(targets: torch.Tensor, weights: Sequence[float] | torch.Tensor,
                         layer: str = OUTPUT) -> Objective:
    """Σ_p w_p · mean_k cos(e_k, t_p): the weighted cosine similarity of the layer's embeddings e_k to
    target embeddings t_p (P, D), averaged over the k = 1…K views of each image (cutouts: the layer
    sees B·K rows, image-major). CLIP guidance: t_p are prompt embeddings, negative w_p push away."""
    targets = torch.nn.functional.normalize(torch.as_tensor(targets, dtype=torch.float32), dim=-1)
    weights = torch.as_tensor(weights, dtype=torch.float32)

    def score(a, images):
        embeddings = torch.nn.functional.normalize(a[layer].float().flatten(1), dim=-1)
        similarity = embeddings @ targets.to(embeddings.device).T  # (B·K, P)
        per_image = similarity.reshape(images.shape[0], -1, targets.shape[0]).mean(1)
        return per_image @ weights.to(embeddings.device)
    return Objective(score, [layer], f"embedding_similarity({layer}, {targets.shape[0]} targets)")


# The lecture's regularizers λR(x), as objectives on the image (maximize −penalty).

def l1(target: float = 0.5) -> Objective:
    """−mean |x − target|"""
    return Objective(lambda a, x: -(x - target).abs().flatten(1).mean(1), [], "-l1")


def l2(target: float = 0.5) -> Objective:
    """−mean (x − target)²"""
    return Objective(lambda a, x: -(x - target).pow(2).flatten(1).mean(1), [], "-l2")


def total_variation() -> Objective:
    """−mean |x_{i+1,j} − x_ij| + |x_{i,j+1} − x_ij|: penalizes high-frequency noise."""
    def score(_a, x):
        dy = (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().flatten(1).mean(1)
        dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().flatten(1).mean(1)
        return -(dx + dy)
    return Objective(score, [], "-tv")


def blur(sigma: float = 1.0) -> Objective:
    """−mean (x − G_σ * x)²: penalizes what a Gaussian blur would remove."""
    def score(_a, x):
        radius = max(1, int(3 * sigma))
        t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
        k = torch.exp(-0.5 * (t / sigma) ** 2)
        k = k / k.sum()
        channels = x.shape[1]
        blurred = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (radius,) * 4, mode="replicate"),
                                             k.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
        blurred = torch.nn.functional.conv2d(blurred, k.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)
        return -(x - blurred).pow(2).flatten(1).mean(1)
    return Objective(score, [], f"-blur({sigma})")


def split_weight(spec: str, what: str, example: str) -> tuple[str, float]:
    """'NAME' → (NAME, 1.0); 'NAME:WEIGHT' → (NAME, WEIGHT): how a command line writes a weighted
    term of an objective (a prompt, a layer). The weight follows the last ':' and must be a finite
    number; ValueError names `what` and shows `example` otherwise."""
    body, sep, tail = spec.rpartition(":")
    if not sep:
        return spec, 1.0
    try:
        weight = float(tail)
    except ValueError:
        raise ValueError(f"the weight {tail!r} of {what} {spec!r} is not a number: write {what.upper()}:WEIGHT, "
                         f"e.g. {example} (the weight defaults to 1)") from None
    if not math.isfinite(weight):
        raise ValueError(f"the weight of {what} {spec!r} must be a finite number, got {tail!r}")
    return body, weight
