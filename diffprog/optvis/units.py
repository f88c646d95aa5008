"""Visualize many units of one layer: unit selection, batching into chunks, and the outputs a
person looks at (one PNG and one JSON per unit, a labelled contact sheet, a loss curve, a GIF)."""
from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from ..io import save_png, versions, write_json
from ..run_pictures import write_run_pictures
from . import objectives as obj
from .layers import OUTPUT, LayerError, resolve
from .render import RenderResult, layer_infos, render

KINDS = ("auto", "channel", "neuron", "logit", "log-prob")


def unit_seed(seed: int, unit: int) -> int:
    """The seed of unit `unit`'s image: the same whether it is rendered alone or in a batch."""
    return seed * 1_000_003 + unit


def parse_units(text: str, count: int, layer: str) -> list[int]:
    """'all', '7', '0-63', '1,3,5-7' → unit list, checked against the layer's `count` channels."""
    text = text.strip()
    if text == "all":
        return list(range(count))
    units: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"cannot read units {text!r}: write 'all', '7', '0-63' or '1,3,5-7'")
        low, high = int(match[1]), int(match[2] or match[1])
        units.extend(range(low, high + 1))
    bad = [u for u in units if u >= count]
    if bad:
        raise LayerError(f"unit {bad[0]} is out of range: layer {layer!r} has {count} channels (units 0–{count - 1})")
    return units


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


def visualize_units(model: nn.Module, layer: str, units: Sequence[int], *, kind: str = "auto", seed: int = 0,
                    batch: int | None = None, progress: bool = True, **render_args) -> RenderResult:
    """Render one image per unit, `batch` units per run; the result stacks them in `units` order.

    batch=None: 32 on the CPU; on a GPU, all units (at most 256) at once, halved for as long as a
    run does not fit in memory (with a message each time) instead of failing."""
    if not units:
        size = render_args.get("size", 64)
        return RenderResult(torch.empty(0, 3, size, size), [], {}, False)
    device = torch.device(render_args.get("device") or ("cuda" if torch.cuda.is_available() else "cpu"))
    probing = batch is None and device.type == "cuda"
    batch = batch or (min(len(units), 256) if device.type == "cuda" else 32)
    parts: list[RenderResult] = []
    start = 0
    while start < len(units):
        chunk = list(units[start:start + batch])
        try:
            part = render(model, make_objective(kind, layer, chunk), seeds=[unit_seed(seed, u) for u in chunk],
                          progress=progress, **render_args)
        except torch.cuda.OutOfMemoryError:
            if batch == 1:
                raise MemoryError(f"one {render_args.get('size', 64)}-px image of layer {layer!r} does not fit in "
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
    steps = min(len(p.history) for p in parts)
    history = [sum((p.history[i] for p in parts), []) for i in range(steps)]
    snapshot_steps = sorted(set.intersection(*(set(p.snapshots) for p in parts)))
    snapshots = {s: torch.cat([p.snapshots[s] for p in parts]) for s in snapshot_steps}
    return RenderResult(torch.cat([p.images for p in parts]), history, snapshots,
                        any(p.interrupted for p in parts))


def write_outputs(out: Path, result: RenderResult, units: Sequence[int], labels: Sequence[str],
                  settings: dict, scale: int = 2, gif: bool = False) -> list[Path]:
    """unit_XXXX.png + .json per unit, contact_sheet.png, objective.png (loss curve), optional
    optimization.gif, run.json. Every file is written atomically."""
    written = []
    final = result.final_objective
    for i, (unit, label) in enumerate(zip(units, labels)):
        stem = out / f"unit_{unit:04d}"
        written.append(save_png(result.images[i], stem.with_suffix(".png"), scale))
        write_json(stem.with_suffix(".json"), {**settings, "unit": unit, "label": label,
                                               "image_seed": unit_seed(settings["seed"], unit),
                                               "final_objective": final[i] if i < len(final) else None,
                                               "interrupted": result.interrupted, "versions": versions()})
    written += write_run_pictures(out, result.images, labels, result.history, result.snapshots, scale=scale,
                                  title=f"{settings['model']} · {settings['layer']} · {settings['objective']}",
                                  curve_labels=labels, curve_title="Objective per step (higher is better)",
                                  ylabel="objective", gif=gif)
    written.append(write_json(out / "run.json", {**settings, "units": list(units), "labels": list(labels),
                                                 "final_objective": final, "interrupted": result.interrupted,
                                                 "versions": versions()}))
    return written
