"""Autocast as torch applies it to the twins: matmul-like ops (linear, conv2d) run in the autocast
dtype, numerically sensitive ones (softmax, log-softmax, losses, layer norm) in float32, the rest
in their input's dtype. The Functions themselves then run with autocast off, so that forward and
hand-written backward see the same dtypes."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

import torch


def _enabled(t: torch.Tensor) -> bool:
    return torch.is_autocast_enabled(t.device.type)


def to_autocast_dtype(*tensors: torch.Tensor | None) -> tuple:
    """Floating tensors cast to the autocast dtype when autocast is on for their device."""
    first = next(t for t in tensors if t is not None)
    if not _enabled(first):
        return tensors
    dtype = torch.get_autocast_dtype(first.device.type)
    return tuple(t.to(dtype) if t is not None and t.is_floating_point() else t for t in tensors)


def to_float32(*tensors: torch.Tensor | None) -> tuple:
    """Floating tensors cast to float32 when autocast is on for their device."""
    first = next(t for t in tensors if t is not None)
    if not _enabled(first):
        return tensors
    return tuple(t.float() if t is not None and t.is_floating_point() else t for t in tensors)


def apply(function: type[torch.autograd.Function], device: torch.device, *args) -> Callable:
    """function.apply(*args) with autocast off on `device`."""
    context = torch.autocast(device.type, enabled=False) if torch.is_autocast_enabled(device.type) else nullcontext()
    with context:
        return function.apply(*args)
