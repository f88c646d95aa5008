"""Visualize many units of one layer: one image per unit, seeded by (seed, unit), rendered in
batches that fit the device."""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import nn

from ..devices import as_device
from ..imaging import InputSpec
from . import objectives as obj
from .layers import OUTPUT, LayerError, resolve
from .param import DECAY, Fourier, Parameterization
from .render import RenderResult, layer_infos, render
from .settings import RunSettings
from .transforms import class_transforms

KINDS = ("auto", "channel", "neuron", "logit", "log-prob")
#: The largest image side a unit visualization makes by default; a larger network input upsamples it.
MAX_SIZE = 128
#: The Fourier 1/f exponent for networks that read ≥ MAX_SIZE px (ImageNet's); smaller ones take DECAY.
LARGE_INPUT_DECAY = 1.25


def default_size(input_size: int) -> int:
    """The image side for a network that reads input_size px: twice that (the network sees the
    image shrunk, which keeps it from exploiting single pixels), at most MAX_SIZE. For ImageNet
    networks that is 128 px upsampled to 224: smoother images that an independently trained network
    recognizes more often than images made at 224 (benchmarks/imagenet_ablation.py, MobileNetV2
    torchvision → Google: top-1 91.7% against 83.3%, clipped pixels 0.2% against 2.0%)."""
    return min(2 * input_size, MAX_SIZE)


def default_decay(input_size: int) -> float:
    """The Fourier 1/f exponent for a network that reads input_size px: DECAY (1.5) for the small
    networks (the embedded and CIFAR ones, measured in benchmarks/unitvis_quality.py), 1.25 for
    ImageNet-sized ones, where 1.5 saturates colours at 128 px and 1.0 (Lucid's) blurs the class
    away (imagenet_ablation.py at 128 px: top-1 95.8% and no clipped pixels, against 91.7% / 0.2%
    at 1.5 and 83.3% / 0% at 1.0)."""
    return DECAY if input_size < MAX_SIZE else LARGE_INPUT_DECAY


def unit_seed(seed: int, unit: int) -> int:
    """The seed of unit `unit`'s image: the same whether it is rendered alone or in a batch."""
    return seed * 1_000_003 + unit


def resolved_kind(kind: str, layer: str) -> str:
    """The objective kind 'auto' stands for: logit for the output layer, channel otherwise."""
    if kind == "auto":
        return "logit" if layer == OUTPUT else "channel"
    return kind


def default_transforms(kind: str, layer: str, param: Parameterization, input_spec: InputSpec | None) -> list | None:
    """class_transforms for class images (logit or log-prob) of a network that reads ≥ MAX_SIZE px;
    otherwise None (render's standard set)."""
    if input_spec is not None and input_spec.size >= MAX_SIZE and resolved_kind(kind, layer) in ("logit", "log-prob"):
        return class_transforms(param.size)
    return None


def make_objective(kind: str, layer: str, units: Sequence[int]) -> obj.Objective:
    """The per-image objective for these units: logit for the output layer, channel otherwise."""
    kind = resolved_kind(kind, layer)
    if kind == "channel":
        return obj.channel(layer, list(units))
    if kind == "neuron":
        return obj.neuron(layer, list(units))
    if kind == "logit":
        return obj.class_logit(list(units), layer)
    if kind == "log-prob":
        return obj.class_log_prob(list(units), layer)
    raise ValueError(f"unknown objective kind {kind!r}: choose one of {', '.join(KINDS)}")


def layer_channels(model: nn.Module, layer: str, input_size: int, device) -> int:
    for info in layer_infos(model, input_size, torch.device(device)):
        if info.name == layer:
            return info.channels
    resolve(model, layer)  # raises with suggestions
    raise LayerError(f"layer {layer!r} does not produce a tensor output in a forward pass")


def _join(parts: list[RenderResult]) -> RenderResult:
    """The chunks' results as one, in order."""
    steps = min(len(p.history) for p in parts)
    history = [sum((p.history[i] for p in parts), []) for i in range(steps)]
    snapshot_steps = sorted(set.intersection(*(set(p.snapshots) for p in parts)))
    snapshots = {s: torch.cat([p.snapshots[s] for p in parts]) for s in snapshot_steps}
    return RenderResult(torch.cat([p.images for p in parts]), history, snapshots, any(p.interrupted for p in parts),
                        sum((p.facts for p in parts), []))


def visualize_units(model: nn.Module, layer: str, units: Sequence[int], *, kind: str = "auto", seed: int = 0,
                    batch: int | None = None, param: Parameterization | None = None,
                    input_spec: InputSpec | None = None, transforms: list | None = None,
                    run: RunSettings = RunSettings()) -> RenderResult:
    """Render one image per unit (see render for param, input_spec, transforms, run), `batch` units
    per run; the result stacks them in `units` order. param=None: Fourier images of
    default_size(input_spec.size) px with default_decay (64 px, DECAY without an input_spec).
    transforms=None: class_transforms for the class images of networks that read ≥ MAX_SIZE px
    (default_transforms), render's standard set otherwise.

    batch=None: 32 on the CPU; on a GPU, all units (at most 256) at once, halved for as long as a
    run does not fit in memory (with a message each time) instead of failing."""
    if param is None:
        param = Fourier(default_size(input_spec.size), decay=default_decay(input_spec.size)) if input_spec else Fourier()
    if transforms is None:
        transforms = default_transforms(kind, layer, param, input_spec)
    if not units:
        return RenderResult(torch.empty(0, 3, param.size, param.size), [], {}, False)
    device = as_device(run.device)
    probing = batch is None and device.type == "cuda"
    batch = batch or (min(len(units), 256) if device.type == "cuda" else 32)
    parts: list[RenderResult] = []
    start = 0
    while start < len(units):
        chunk = list(units[start:start + batch])
        try:
            part = render(model, make_objective(kind, layer, chunk), param, seeds=[unit_seed(seed, u) for u in chunk],
                          input_spec=input_spec, transforms=transforms, run=run)
        except torch.cuda.OutOfMemoryError:
            if batch == 1:
                raise MemoryError(f"one {param.size}-px image of layer {layer!r} does not fit in "
                                  "GPU memory: lower --size, or use --device cpu") from None
            if device.type == "cuda":
                torch.cuda.empty_cache()
            batch //= 2
            warnings.warn(f"{len(chunk)} images at once did not fit in {'GPU ' if device.type == 'cuda' else ''}"
                          f"memory; rendering {batch} at a time" + ("" if probing else " (lower --batch)"),
                          stacklevel=2)
            continue
        parts.append(part)
        start += len(chunk)
        if part.interrupted:
            break
    return _join(parts)
