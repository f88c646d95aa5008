"""Multilayer perceptrons built from diffprog layers."""
from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from .. import nn as dnn


def mlp(widths: Sequence[int], activation: type[nn.Module] = dnn.Tanh) -> nn.Sequential:
    """Linear layers of the given widths (input, hidden…, output) with `activation` between them."""
    if len(widths) < 2:
        raise ValueError(f"mlp needs at least an input and an output width, got {list(widths)}")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(dnn.Linear(n_in, n_out))
        if i < len(widths) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)
