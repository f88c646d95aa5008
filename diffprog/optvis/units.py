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
from .param import Fourier, Parameterization
from .render import RenderResult, layer_infos, render
from .settings import RunSettings

KINDS = ("auto", "channel", "neuron", "logit", "log-prob")


def unit_seed(seed: int, unit: int) -> int:
    """The seed of unit `unit`'s image: the same whether it is rendered alone or in a batch."""
    return seed * 1_000_003 + unit


def make_objective(kind: str, layer: str, units: Sequence[int]) -> obj.Objective:
    """The per-image objective for these units: logit for the output layer, channel otherwise."""
    if kind == "auto":
        kind = "logit" if layer == OUTPUT else "channel"
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
    per run; the result stacks them in `units` order.

    batch=None: 32 on the CPU; on a GPU, all units (at most 256) at once, halved for as long as a
    run does not fit in memory (with a message each time) instead of failing."""
    param = Fourier() if param is None else param
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
