"""Softmax and log-softmax along one dimension.

    y_i = e^{x_i} / Σ_j e^{x_j}                   ∂y_i/∂x_k = y_i (δ_ik − y_k)
    g_in = y ⊙ (g_out − Σ_k g_out,k y_k)          (softmax)

    z_i = x_i − log Σ_j e^{x_j}                   ∂z_i/∂x_k = δ_ik − y_k
    g_in = g_out − e^{z} Σ_k g_out,k               (log-softmax)

The forward subtracts max_j x_j before exponentiating, so logits of ±1e4 stay finite;
the backward only reads the saved output, which is already bounded.
Float16/bfloat16 inputs are reduced in float32, as torch's kernels do.
"""
from __future__ import annotations

import torch
from torch.autograd import Function

from ._fusion import fusable
from ._precision import upcast
from . import _autocast
from ._dispatch import dispatches
from ._validation import expect_floating, fail


@fusable
def softmax_grad(g_out, y, dim: int):
    """g_in = y ⊙ (g_out − Σ_k g_out,k y_k)"""
    g, y32 = upcast(g_out), upcast(y)
    return (y32 * (g - (g * y32).sum(dim, keepdim=True))).to(g_out.dtype)


@fusable
def log_softmax_grad(g_out, z, dim: int):
    """g_in = g_out − e^z Σ_k g_out,k"""
    g = upcast(g_out)
    return (g - torch.exp(upcast(z)) * g.sum(dim, keepdim=True)).to(g_out.dtype)


class SoftmaxFunction(Function):
    @staticmethod
    def forward(ctx, x, dim: int):
        y = torch.softmax(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g_out):
        (y,) = ctx.saved_tensors
        return softmax_grad(g_out, y, ctx.dim), None


class LogSoftmaxFunction(Function):
    @staticmethod
    def forward(ctx, x, dim: int):
        z = torch.log_softmax(x, dim)
        ctx.save_for_backward(z)
        ctx.dim = dim
        return z

    @staticmethod
    def backward(ctx, g_out):
        (z,) = ctx.saved_tensors
        return log_softmax_grad(g_out, z, ctx.dim), None


def _resolve_dim(op: str, input: torch.Tensor, dim: int | None) -> int:
    if dim is None:  # torch's legacy implicit choice
        dim = 0 if input.dim() in (0, 1, 3) else 1
    ndim = max(input.dim(), 1)
    if not -ndim <= dim < ndim:
        fail(op, f"dim={dim} is out of range for a {input.dim()}-D input", input=input)
    return dim % ndim


def _prepare(op: str, input: torch.Tensor, dim: int | None, dtype: torch.dtype | None):
    expect_floating(op, input=input)
    (input,) = _autocast.to_float32(input)
    if dtype is not None:
        input = input.to(dtype)
    return input, _resolve_dim(op, input, dim)


@dispatches
def softmax(input: torch.Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: torch.dtype | None = None) -> torch.Tensor:
    """Softmax along `dim` (probabilities summing to 1); `dtype` casts the input first."""
    input, dim = _prepare("softmax", input, dim, dtype)
    return _autocast.apply(SoftmaxFunction, input.device, input, dim)


@dispatches
def log_softmax(input: torch.Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: torch.dtype | None = None) -> torch.Tensor:
    """log(softmax(x)) along `dim`, computed stably as x − logsumexp(x)."""
    input, dim = _prepare("log_softmax", input, dim, dtype)
    return _autocast.apply(LogSoftmaxFunction, input.device, input, dim)
