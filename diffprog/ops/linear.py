"""Linear layer, the lecture's first block.

Lecture notation (column vectors): x_out = W x_in, g_in = g_out W, ∂J/∂W = x_in g_out.
With a batch of row vectors X (…, n_in) and torch's weight layout W (n_out, n_in):

    X_out = X W^T + b
    G_in  = G_out W                 (back to the input)
    ∂J/∂W = G_out^T X               (outer products x_in g_out, summed over the batch)
    ∂J/∂b = Σ_batch G_out
"""
from __future__ import annotations

import torch
from torch.autograd import Function

from ._validation import expect_same_device_dtype, expect_tensor, fail


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None):
        ctx.save_for_backward(input, weight)
        ctx.has_bias = bias is not None
        rows = input.reshape(-1, input.shape[-1])
        if bias is None:
            out = rows @ weight.t()
        else:
            out = torch.addmm(bias, rows, weight.t())
        return out.reshape(*input.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        input, weight = ctx.saved_tensors
        g_out = grad_out.reshape(-1, weight.shape[0])
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = (g_out @ weight).reshape(input.shape)
        if ctx.needs_input_grad[1]:
            grad_weight = g_out.t() @ input.reshape(-1, input.shape[-1])
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = g_out.sum(0)
        return grad_input, grad_weight, grad_bias


def linear(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """y = x Wᵀ + b for input (…, n_in), weight (n_out, n_in), bias (n_out,); output (…, n_out)."""
    expect_tensor("linear", "input", input)
    expect_same_device_dtype("linear", input=input, weight=weight, bias=bias)
    if weight.dim() != 2:
        fail("linear", "weight must be 2-D (out_features, in_features)", weight=weight)
    if input.dim() == 0 or input.shape[-1] != weight.shape[1]:
        fail("linear", f"input's last dimension must equal weight's in_features={weight.shape[1]}",
             input=input, weight=weight)
    if bias is not None and bias.shape != (weight.shape[0],):
        fail("linear", f"bias must have shape ({weight.shape[0]},)", weight=weight, bias=bias)
    return LinearFunction.apply(input, weight, bias)
