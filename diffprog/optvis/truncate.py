"""The model cut after the last layer an objective needs, as one traced graph, optionally compiled.

`layers.forward_to` stops the forward with a hook that raises once the last needed layer has run;
that works for any model, but an exception is a graph break for torch.compile. Here torchvision's
feature extractor traces the model with torch.fx and returns the needed layers' outputs instead:
every node past them is dead code and dropped, so the graph stops where the hooks would, and
torch.compile (with CUDA graphs under mode "reduce-overhead") can take it whole. diffprog's own
layers (autograd Functions inside) and torchvision's ops are kept as calls, not traced into. Models
that fx cannot trace (control flow on tensor values, say) get None: the hooks serve them.
"""
from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Callable, Iterable

import torch
import torchvision
from torch import nn

from .layers import OUTPUT, forward_to

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune")
# model → {(layers, mode): compiled graph, or None if untraceable or failed}: later renders of the same layers
# (the chunks of a layer's units, a second run) reuse the compiled graph instead of compiling again
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _node_name(layer: str, calls: dict[str, int], nodes: list[str]) -> str | None:
    """fx's name for the output the hooks capture, None if the graph has none: a module run n times
    names its later calls `name_1` … `name_{n-1}` (hooks keep the last); a container's output is the
    last node inside it; OUTPUT is the graph's last node."""
    if layer == OUTPUT:
        return nodes[-1]
    n = calls.get(layer, 1)
    name = layer if n == 1 else f"{layer}_{n - 1}"
    if name in nodes:
        return name
    inside = [node for node in nodes if node.startswith(layer + ".")]
    return inside[-1] if inside and n == 1 else None


def truncated(model: nn.Module, layers: Iterable[str], calls: dict[str, int]) -> nn.Module | None:
    """A module mapping images to {layer: activation} for `layers` that computes nothing past them,
    or None when the model cannot be traced."""
    from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

    # diffprog's layers (autograd Functions inside) and torchvision's ops stay whole, as calls
    leaves = list({type(m) for m in model.modules() if type(m).__module__.startswith(("diffprog.", "torchvision.ops"))})
    tracer_kwargs = {"autowrap_modules": (math, torchvision.ops), "leaf_modules": leaves}
    training = model.training
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, nodes = get_graph_node_names(model, tracer_kwargs=tracer_kwargs)
            names = {layer: _node_name(layer, calls, nodes) for layer in dict.fromkeys(layers)}
            if None in names.values():
                return None
            return create_feature_extractor(model, return_nodes={node: layer for layer, node in names.items()},
                                            tracer_kwargs=tracer_kwargs, suppress_diff_warning=True)
    except Exception:  # untraceable model: the hook path serves it
        return None
    finally:
        model.train(training)


class LayerForward:
    """images → {layer: activation}: the traced, cut and compiled graph where that works, else the
    hook path. If the compiled graph fails (no compiler, an unsupported op; seen on the first step's
    forward or backward), `fail` warns and the hook path takes over."""

    def __init__(self, model: nn.Module, layers: Iterable[str], calls: dict[str, int], compile: str | None = None):
        if compile is not None and compile not in COMPILE_MODES:
            raise ValueError(f"unknown compile mode {compile!r}: choose one of {', '.join(COMPILE_MODES)}")
        self.model, self.layers, self.calls = model, list(layers), calls
        self.compiled: Callable | None = None
        self.key = (tuple(dict.fromkeys(self.layers)), compile)
        if compile is None:
            return
        cache = _COMPILED.setdefault(model, {})
        if self.key not in cache:  # warnings come once per model and layers, not once per render
            graph = truncated(model, self.layers, calls)
            if graph is None:
                warnings.warn("diffprog: this model cannot be traced by torch.fx, so it runs uncompiled "
                              "(the forward still stops after the last needed layer)", stacklevel=3)
            cache[self.key] = graph and torch.compile(graph, mode=None if compile == "default" else compile,
                                                      dynamic=False)
        self.compiled = cache[self.key]

    @property
    def is_compiled(self) -> bool:
        return self.compiled is not None

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.compiled is None:
            return forward_to(self.model, images, self.layers, self.calls)
        return self.compiled(images)

    def fail(self, exc: BaseException) -> None:
        """Give up the compiled graph and run the hook path from now on."""
        self.compiled = None
        _COMPILED.setdefault(self.model, {})[self.key] = None  # later renders run eagerly, without retrying
        message = str(exc).splitlines()[0][:160] if str(exc) else ""
        warnings.warn(f"diffprog: the compiled model failed ({type(exc).__name__}: {message}); "
                      "running it uncompiled", stacklevel=3)
