"""Layers addressed by their dotted module path (`layer3.1.conv2`), as `model.get_submodule` does.

`OUTPUT` names the model's own output (the logits of a classifier). Hooks go only on the layers an
objective needs and are always removed afterwards, also on error; the forward pass stops right
after the last needed layer has produced its output.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

OUTPUT = "output"


class LayerError(KeyError):
    """A layer name that the model does not have, or a unit that the layer does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class LayerInfo:
    name: str
    kind: str
    shape: tuple[int, ...]  # output shape for one image, e.g. (C, H, W)
    calls: int  # how often the module runs in one forward (a reused ReLU runs several times)

    @property
    def channels(self) -> int:
        return self.shape[0] if self.shape else 1


class _StopForward(Exception):
    pass


def layer_names(model: nn.Module) -> list[str]:
    return [name for name, _ in model.named_modules() if name]


def resolve(model: nn.Module, name: str) -> nn.Module:
    """The submodule at dotted path `name`; a typo raises LayerError listing the close names."""
    if name == OUTPUT:
        return model
    try:
        return model.get_submodule(name)
    except AttributeError:
        names = layer_names(model)
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else f"layers start with: {', '.join(names[:8])}, …"
        raise LayerError(f"unknown layer {name!r}: {hint} (list them all with --list-layers, or "
                         f"diffprog.optvis.list_layers(model, input_shape))") from None


@torch.no_grad()
def list_layers(model: nn.Module, example: torch.Tensor) -> list[LayerInfo]:
    """Every named layer with the shape of its (last) output for one image, in execution order,
    plus OUTPUT. `example` is a batch (N, 3, H, W) of the size the model sees."""
    order: list[str] = []
    shapes: dict[str, tuple[int, ...]] = {}
    calls: dict[str, int] = {}
    kinds = {name: type(m).__name__ for name, m in model.named_modules() if name}

    def make_hook(name):
        def hook(_module, _inputs, output):
            if isinstance(output, torch.Tensor):
                if name not in calls:
                    order.append(name)
                calls[name] = calls.get(name, 0) + 1
                shapes[name] = tuple(output.shape[1:])
        return hook

    handles = [m.register_forward_hook(make_hook(name)) for name, m in model.named_modules() if name]
    try:
        output = model(example)
    finally:
        for h in handles:
            h.remove()
    infos = [LayerInfo(n, kinds[n], shapes[n], calls[n]) for n in order]
    infos.append(LayerInfo(OUTPUT, type(model).__name__, tuple(output.shape[1:]), 1))
    return infos


@contextmanager
def capture(model: nn.Module, layers: Iterable[str], calls: dict[str, int]) -> Iterator[dict[str, torch.Tensor]]:
    """Within the block, `model(x)` fills the yielded dict with each layer's output (its last call's,
    `calls[name]` being how often it runs) and stops the forward early once all are captured
    (use `forward_to`). Hooks are removed on exit, also on error."""
    wanted = [n for n in dict.fromkeys(layers) if n != OUTPUT]
    store: dict[str, torch.Tensor] = {}
    seen: dict[str, int] = {}
    stop_early = OUTPUT not in layers

    def make_hook(name):
        def hook(_module, _inputs, output):
            seen[name] = seen.get(name, 0) + 1
            if seen[name] == calls.get(name, 1):
                store[name] = output
                if stop_early and len(store) == len(wanted):
                    raise _StopForward
        return hook

    handles = [resolve(model, n).register_forward_hook(make_hook(n)) for n in wanted]
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


def forward_to(model: nn.Module, images: torch.Tensor, layers: Iterable[str],
               calls: dict[str, int]) -> dict[str, torch.Tensor]:
    """Activations {layer: tensor} of `layers` for `images`, running the model no further than needed."""
    layers = list(layers)
    with capture(model, layers, calls) as store:
        try:
            output = model(images)
            if OUTPUT in layers:
                store[OUTPUT] = output
        except _StopForward:
            pass
        return dict(store)
