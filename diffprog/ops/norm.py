"""Normalization layers: batch norm (statistics over the batch) and layer norm (over features).

Both standardize then scale and shift, over a set of reduced dimensions R of size M:

    μ = mean_R x,   σ² = mean_R (x − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β

With g = ∂J/∂y and ĝ = γ g (the gradient reaching x̂), the chain rule through μ and σ² gives

    ∂J/∂x = (1/√(σ² + ε)) · (ĝ − mean_R ĝ − x̂ · mean_R (ĝ x̂))
    ∂J/∂γ = Σ_{not γ's dims} g x̂        ∂J/∂β = Σ_{not β's dims} g

In batch norm's eval mode μ, σ² are the running statistics (constants), so ∂J/∂x = ĝ / √(σ² + ε).
Layer norm's ∂J/∂γ, ∂J/∂β sum over all rows (the leading dims); they are summed in two stages,
Σ_rows = Σ_blocks Σ_rows in block, so the compiled kernel splits the rows across threads. On the
CPU in float32, a hand-written C kernel (kernels/layer_norm_backward.c) computes the same formula
in one pass, adding each row into ∂J/∂γ, ∂J/∂β while it computes the row's ∂J/∂x.
Float16/bfloat16 are computed in float32.
"""
from __future__ import annotations

import math

import torch
from torch.autograd import Function

from ._c_kernels import layer_norm_applies, layer_norm_backward
from ._fusion import fusable
from ._graph import attached
from ._precision import upcast
from . import _autocast
from ._dispatch import dispatches
from ._validation import expect_floating, expect_same_device, expect_tensor, fail


def _standardized_grad(g_hat: torch.Tensor, x_hat: torch.Tensor, inv_std: torch.Tensor, dims) -> torch.Tensor:
    """(1/σ) (ĝ − mean ĝ − x̂ mean(ĝ x̂)) over `dims`: the backward of x̂ = (x − μ)/σ with batch statistics."""
    return inv_std * (g_hat - g_hat.mean(dims, keepdim=True) - x_hat * (g_hat * x_hat).mean(dims, keepdim=True))


def row_blocks(rows: int, most: int = 64) -> int:
    """The largest divisor of `rows` not above `most`: how many partial sums a sum over rows takes
    (1 for no rows)."""
    return next((b for b in range(min(most, rows), 0, -1) if rows % b == 0), 1)


def _param_sum(t: torch.Tensor, param_dims: tuple[int, ...], blocks: int) -> torch.Tensor:
    """Σ over param_dims (none: t itself); with blocks > 1 (param_dims leading) as Σ_blocks of per-block sums."""
    if not param_dims:
        return t
    if blocks <= 1:
        return t.sum(param_dims)
    return t.reshape(blocks, -1, *t.shape[len(param_dims):]).sum(1).sum(0)


@fusable
def normalization_grads(g_out, x, weight, mean, inv_std, norm_dims: tuple[int, ...], batch_stats: bool,
                        param_dims: tuple[int, ...], param_shape: tuple[int, ...], param_size: tuple[int, ...],
                        needs: tuple[bool, bool, bool], blocks: int = 1):
    """(∂J/∂x, ∂J/∂γ, ∂J/∂β) for y = γ x̂ + β, x̂ = (x − μ) inv_std, statistics over norm_dims
    (batch statistics: the full formula; fixed statistics: ĝ · inv_std). γ, β broadcast as
    param_shape, are shaped param_size, and their gradients sum over param_dims (leading ones in
    `blocks` partial sums when blocks > 1). None where not needed."""
    x32, g = upcast(x), upcast(g_out)
    x_hat = (x32 - mean) * inv_std
    g_hat = g if weight is None else g * upcast(weight).view(param_shape)
    grad_x = grad_w = grad_b = None
    if needs[0]:
        grad_x = _standardized_grad(g_hat, x_hat, inv_std, norm_dims) if batch_stats else g_hat * inv_std
        grad_x = grad_x.to(x.dtype)
    if weight is not None and needs[1]:
        grad_w = _param_sum(g * x_hat, param_dims, blocks).reshape(param_size).to(weight.dtype)
    if needs[2]:
        grad_b = _param_sum(g, param_dims, blocks).reshape(param_size).to(g_out.dtype)
    return grad_x, grad_w, grad_b


class BatchNormFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training: bool, momentum: float, eps: float):
        if x.dim() < 2:  # the empty 1-D input torch accepts: nothing to normalize
            ctx.save_for_backward(x, weight, bias, None, None)
            return x.clone()
        out, mean, inv_std = torch.ops.aten.native_batch_norm(
            x, weight, bias, running_mean, running_var, training, momentum, eps)
        if not training:  # statistics are the running ones, constants of the graph
            mean, inv_std = running_mean, torch.rsqrt(upcast(running_var) + eps)
        ctx.save_for_backward(x, weight, bias, mean, inv_std)
        ctx.training, ctx.eps = training, eps
        return out

    @staticmethod
    def backward(ctx, g_out):
        x, weight, bias, mean, inv_std = ctx.saved_tensors
        if x.dim() < 2:
            grads = (g_out.clone(), *(None if t is None else t.new_zeros(t.shape) for t in (weight, bias)))
            return (*attached(grads, x, weight), None, None, None, None, None)
        channel = (1, x.shape[1]) + (1,) * (x.dim() - 2)
        dims = (0,) + tuple(range(2, x.dim()))
        if ctx.training and torch.is_grad_enabled():  # double backward: statistics as functions of x
            var, mean = torch.var_mean(upcast(x), dims, correction=0, keepdim=True)
            inv_std = torch.rsqrt(var + ctx.eps)
        else:
            mean, inv_std = upcast(mean).view(channel), upcast(inv_std).view(channel)
        needs = (ctx.needs_input_grad[0], ctx.needs_input_grad[1], bias is not None and ctx.needs_input_grad[2])
        grads = normalization_grads(g_out, x, weight, mean, inv_std, dims, ctx.training, dims, channel,
                                    (x.shape[1],), needs)
        return (*attached(grads, x, weight), None, None, None, None, None)


class LayerNormFunction(Function):
    @staticmethod
    def forward(ctx, x, normalized_shape, weight, bias, eps: float):
        out, mean, inv_std = torch.ops.aten.native_layer_norm(x, normalized_shape, weight, bias, eps)
        ctx.save_for_backward(x, weight, bias, mean, inv_std)
        ctx.n_norm, ctx.eps = len(normalized_shape), eps
        return out

    @staticmethod
    def backward(ctx, g_out):
        x, weight, bias, mean, inv_std = ctx.saved_tensors
        norm_dims = tuple(range(x.dim() - ctx.n_norm, x.dim()))
        batch_dims = tuple(range(x.dim() - ctx.n_norm))
        needs = (ctx.needs_input_grad[0], ctx.needs_input_grad[2], bias is not None and ctx.needs_input_grad[3])
        param_shape = tuple(x.shape[x.dim() - ctx.n_norm:])
        if needs[0] and layer_norm_applies(g_out, x, weight, mean, inv_std):  # no graph recorded: one pass
            grad_x, grad_w, grad_b = layer_norm_backward(g_out, x, weight, mean, inv_std, param_shape)
            return grad_x, None, grad_w if needs[1] else None, grad_b if needs[2] else None, None
        dtypes = (x.dtype, None if weight is None else weight.dtype, g_out.dtype)
        if torch.is_grad_enabled():
            # double backward: the statistics as functions of x, in float64, because the second
            # derivatives of a normalization over few features cancel down to rounding level
            x, g_out = x.double(), g_out.double()
            weight = None if weight is None else weight.double()
            var, mean = torch.var_mean(x, norm_dims, correction=0, keepdim=True)
            inv_std = torch.rsqrt(var + ctx.eps)
        blocks = row_blocks(math.prod(x.shape[:len(batch_dims)]))
        grads = normalization_grads(g_out, x, weight, mean, inv_std, norm_dims, True, batch_dims, param_shape,
                                    param_shape, needs, blocks)
        grad_x, grad_w, grad_b = (None if g is None else g.to(d) for g, d in zip(grads, dtypes))
        grad_x, grad_w, grad_b = attached((grad_x, grad_w, grad_b), *ctx.saved_tensors[:2])
        return grad_x, None, grad_w, grad_b, None


@dispatches
def batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> torch.Tensor:
    """Batch norm of input (N, C, *) per channel C. In training, batch statistics are used and the
    running ones updated in place (unbiased variance, as torch); in eval, running statistics are used."""
    op = "batch_norm"
    expect_tensor(op, "input", input)
    expect_floating(op, input=input, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    expect_same_device(op, input=input, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    if input.dim() < 2 and not (input.dim() == 1 and input.numel() == 0):  # torch takes an empty 1-D input
        fail(op, "input must be (N, C, *) with a channel dimension", input=input)
    channels = input.shape[1] if input.dim() > 1 else 0
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            fail(op, f"{name} must have one entry per channel ({channels})", input=input, **{name: t})
    if not training and (running_mean is None or running_var is None):
        fail(op, "eval mode needs running_mean and running_var", "Pass them, or training=True")
    if training and channels and input.numel() // channels <= 1:
        fail(op, f"expected more than 1 value per channel when training, got input of size {tuple(input.shape)}")
    return _autocast.apply(BatchNormFunction, input.device, input, weight, bias, running_mean, running_var, training,
                           momentum, eps)


@dispatches
def layer_norm(input: torch.Tensor, normalized_shape, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """Layer norm over the last len(normalized_shape) dims of input (*, *normalized_shape)."""
    op = "layer_norm"
    expect_tensor(op, "input", input)
    expect_floating(op, input=input, weight=weight, bias=bias)
    input, weight, bias = _autocast.to_float32(input, weight, bias)
    expect_same_device(op, input=input, weight=weight, bias=bias)
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not normalized_shape:
        fail(op, "normalized_shape must name at least one trailing dimension, got ()",
             "Pass the feature size, e.g. normalized_shape=input.shape[-1:]")
    if tuple(input.shape[input.dim() - len(normalized_shape):]) != normalized_shape or \
            len(normalized_shape) > input.dim():
        fail(op, f"input's trailing dims must equal normalized_shape {normalized_shape}", input=input)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            fail(op, f"{name} must have shape {normalized_shape}", input=input, **{name: t})
    return _autocast.apply(LayerNormFunction, input.device, input, list(normalized_shape), weight, bias, eps)
