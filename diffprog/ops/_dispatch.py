"""The public ops take part in PyTorch's `__torch_function__` protocol, as torch.nn.functional's do:
a tensor subclass or a TorchFunctionMode sees `ops.tanh(x)` as one call of `ops.tanh`, not the
tensor operations inside it. diffprog.lecture.graph draws computation graphs this way."""
from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch.overrides import handle_torch_function, has_torch_function


def dispatches(op: Callable) -> Callable:
    """`op`, offered first to any __torch_function__ override among its arguments (tensor
    subclasses, torch.fx's tracing proxies) or modes."""
    @functools.wraps(op)
    def public(*args, **kwargs):
        tensors = tuple(a for a in (*args, *kwargs.values()) if hasattr(type(a), "__torch_function__"))
        if has_torch_function(tensors):
            return handle_torch_function(public, tensors, *args, **kwargs)
        return op(*args, **kwargs)
    return public
