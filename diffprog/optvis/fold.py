"""Batch normalization folded into the convolution before it, for a frozen network in eval mode.

In eval mode a BatchNorm layer right after a convolution is an affine map per output channel,

    BN(W ∗ x + b) = γ (W ∗ x + b − μ) / √(σ² + ε) + β = W' ∗ x + b',
    W'_c = W_c · γ_c / √(σ²_c + ε),   b'_c = (b_c − μ_c) · γ_c / √(σ²_c + ε) + β_c,

so the pair is one convolution with the weights W', b' (the same values up to rounding). An image
optimization runs the network forward *and* backward hundreds of times with the weights fixed:
folding removes every BatchNorm from both passes (MobileNetV2 at 224 px on 2 CPU cores: 1.3–1.5×
faster). Pairs are found on the model's torch.fx graph: a convolution whose only consumer is a
BatchNorm, each module run once. The modules stay where they are (every layer name still
resolves): the convolution gets W', b' and the BatchNorm passes its input through, so the
BatchNorm's output is unchanged and only the convolution's own output (before BN) is not what it
was: a convolution an objective reads is never folded.
"""
from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import fx, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils.fusion import fuse_conv_bn_weights

# model → its (convolution, batchnorm) name pairs, None when fx cannot trace it
_PAIRS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Tracer(fx.Tracer):
    """Convolutions and normalizations (also diffprog's, which subclass torch's) stay whole: one
    call_module node each."""

    def is_leaf_module(self, module: nn.Module, qualname: str) -> bool:
        return isinstance(module, (nn.Conv2d, _BatchNorm)) or super().is_leaf_module(module, qualname)


def _traced_pairs(model: nn.Module) -> list[tuple[str, str]] | None:
    training = model.training
    try:
        graph = _Tracer().trace(model)
    except Exception:  # untraceable (control flow on values, say): nothing is folded
        return None
    finally:
        model.train(training)
    modules = dict(model.named_modules())
    runs = Counter(node.target for node in graph.nodes if node.op == "call_module")
    pairs = []
    for node in graph.nodes:
        if node.op != "call_module" or not isinstance(modules[node.target], nn.Conv2d) or len(node.users) != 1:
            continue
        (user,) = node.users
        if (user.op == "call_module" and isinstance(modules[user.target], nn.BatchNorm2d)
                and runs[node.target] == 1 and runs[user.target] == 1):
            pairs.append((node.target, user.target))
    return pairs


def conv_bn_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """(convolution, BatchNorm) layer names where the BatchNorm alone reads the convolution's output
    (traced once per model)."""
    if model not in _PAIRS:
        _PAIRS[model] = _traced_pairs(model)
    return list(_PAIRS[model] or [])


def _passes_through(x: torch.Tensor) -> torch.Tensor:
    return x


@contextmanager
def folded_batchnorm(model: nn.Module, keep: Iterable[str] = (), enabled: bool = True) -> Iterator[int]:
    """Inside: every foldable BatchNorm of the eval-mode `model` folded into its convolution (see
    the module docstring), except where the convolution is in `keep` (layers an objective reads).
    Yields how many were folded (none unless `enabled`); restores the weights and the BatchNorms on exit, also on error.
    Gradients with respect to the weights are not what they were, so use it with frozen weights."""
    keep = set(keep)
    folded = []
    for conv_name, bn_name in conv_bn_pairs(model) if enabled else ():
        conv, bn = model.get_submodule(conv_name), model.get_submodule(bn_name)
        if (conv_name in keep or not isinstance(bn, nn.BatchNorm2d) or bn.training or bn.running_mean is None
                or "forward" in vars(bn)):
            continue
        with torch.no_grad():
            weight, bias = fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var,
                                                bn.eps, bn.weight, bn.bias)
        folded.append((conv, bn, conv.weight, conv.bias))
        conv.weight, conv.bias = weight.requires_grad_(False), bias.requires_grad_(False)
        bn.forward = _passes_through
    try:
        yield len(folded)
    finally:
        for conv, bn, weight, bias in folded:
            conv.weight, conv.bias = weight, bias
            del bn.forward
