"""Dense layers: the linear layer and the embedding lookup (a linear layer on one-hot rows).

Linear. Lecture notation (column vectors): x_out = W x_in, g_in = g_out W, ∂J/∂W = x_in g_out.
With a batch of row vectors X (…, n_in) and torch's weight layout W (n_out, n_in):

    X_out = X W^T + b
    G_in  = G_out W                 (back to the input)
    ∂J/∂W = G_out^T X               (outer products x_in g_out, summed over the batch)
    ∂J/∂b = Σ_batch G_out

Embedding. A lookup y[…] = W[idx[…]] is y = onehot(idx) W, so ∂J/∂W = onehot(idx)ᵀ g_out:
row r of ∂J/∂W sums g_out over every position whose index is r (sum_rows_by_index). Rows equal to
padding_idx get no gradient; scale_grad_by_freq divides row r by how often r occurs in the batch.
"""
from __future__ import annotations

import math

import torch
from torch.autograd import Function

from . import _autocast
from ._dispatch import dispatches
from ._validation import expect_floating, expect_same_device, expect_same_device_dtype, expect_tensor, fail


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None):
        ctx.save_for_backward(input, weight)
        ctx.has_bias = bias is not None
        rows = input.reshape(math.prod(input.shape[:-1]), input.shape[-1])  # -1 cannot infer rows of width 0
        if bias is None:
            out = rows @ weight.t()
        else:
            out = torch.addmm(bias, rows, weight.t())
        return out.reshape(*input.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        input, weight = ctx.saved_tensors
        rows = math.prod(input.shape[:-1])
        g_out = grad_out.reshape(rows, weight.shape[0])
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = (g_out @ weight).reshape(input.shape)
        if ctx.needs_input_grad[1]:
            grad_weight = g_out.t() @ input.reshape(rows, input.shape[-1])
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = g_out.sum(0)
        return grad_input, grad_weight, grad_bias


@dispatches
def linear(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """y = x Wᵀ + b for input (…, n_in), weight (n_out, n_in), bias (n_out,); output (…, n_out)."""
    expect_tensor("linear", "input", input)
    input, weight, bias = _autocast.to_autocast_dtype(input, weight, bias)
    expect_same_device_dtype("linear", input=input, weight=weight, bias=bias)
    if weight.dim() != 2:
        fail("linear", "weight must be 2-D (out_features, in_features)", weight=weight)
    if input.dim() == 0 or input.shape[-1] != weight.shape[1]:
        fail("linear", f"input's last dimension must equal weight's in_features={weight.shape[1]}",
             input=input, weight=weight)
    if bias is not None and bias.shape != (weight.shape[0],):
        fail("linear", f"bias must have shape ({weight.shape[0]},)", weight=weight, bias=bias)
    return _autocast.apply(LinearFunction, input.device, input, weight, bias)


ATOMIC_ADD_DEVICES = ("cpu",)


def sum_rows_by_index(rows: torch.Tensor, index: torch.Tensor, shape: torch.Size, sort: bool) -> torch.Tensor:
    """onehot(index)ᵀ rows: a (num_embeddings, dim) tensor whose row r is Σ_{i: index_i = r} rows_i.

    sort=False adds each row in place where it goes (index_add_; the fastest on the CPU). sort=True
    sorts the indices and sums each run of equal ones (index_put_ with accumulate), reading every
    row once and writing every output row once, deterministically, as torch's embedding backward
    does on CUDA, where index_add_ would be one atomic add per element."""
    out = rows.new_zeros(shape)
    if sort:
        return out.index_put_((index,), rows, accumulate=True)
    return out.index_add_(0, index, rows)


class EmbeddingFunction(Function):
    @staticmethod
    def forward(ctx, weight, indices, padding_idx: int | None, scale_grad_by_freq: bool, sparse: bool):
        ctx.save_for_backward(indices)
        ctx.conf = (weight.shape, padding_idx, scale_grad_by_freq, sparse)
        return weight.index_select(0, indices.reshape(-1)).view(*indices.shape, weight.shape[1])

    @staticmethod
    def backward(ctx, g_out):
        (indices,) = ctx.saved_tensors
        shape, padding_idx, by_freq, sparse = ctx.conf
        flat = indices.reshape(-1)
        rows = g_out.reshape(-1, shape[1])
        keep = None
        if padding_idx is not None:
            keep = (flat != padding_idx).unsqueeze(1).to(rows.dtype)
        if by_freq:
            counts = torch.bincount(flat, minlength=shape[0]).to(rows.dtype)
            freq = counts[flat].unsqueeze(1)
            keep = 1 / freq if keep is None else keep / freq
        if keep is not None:
            rows = rows * keep
        if sparse:
            return (torch.sparse_coo_tensor(flat.unsqueeze(0), rows, shape, check_invariants=False),
                    None, None, None, None)
        grad = sum_rows_by_index(rows, flat, shape, sort=rows.device.type not in ATOMIC_ADD_DEVICES)
        return grad, None, None, None, None


@dispatches
def embedding(input: torch.Tensor, weight: torch.Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> torch.Tensor:
    """Rows of weight (num_embeddings, dim) at integer indices `input` (any shape) → (*input.shape, dim).

    max_norm renormalizes the looked-up rows of weight in place first, as torch does."""
    op = "embedding"
    expect_tensor(op, "input", input)
    expect_tensor(op, "weight", weight)
    expect_floating(op, weight=weight)
    expect_same_device(op, input=input, weight=weight)
    if input.is_floating_point() or input.dtype == torch.bool:
        fail(op, "input must hold integer indices", "Convert it with .long()", input=input)
    if weight.dim() != 2:
        fail(op, "weight must be 2-D (num_embeddings, embedding_dim)", weight=weight)
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            fail(op, f"padding_idx={padding_idx} must be within num_embeddings={n}")
        padding_idx %= n
    if input.numel() and not torch.compiler.is_compiling():
        low, high = int(input.min()), int(input.max())
        if low < 0 or high >= n:
            fail(op, f"index {high if high >= n else low} is out of range for {n} embeddings", input=input,
                 weight=weight)
    if max_norm is not None:
        with torch.no_grad():
            torch.embedding_renorm_(weight, input, max_norm, norm_type)
    return _autocast.apply(EmbeddingFunction, weight.device, weight, input.long(), padding_idx, scale_grad_by_freq,
                           sparse)
