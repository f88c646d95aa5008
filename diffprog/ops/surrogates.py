"""Trainable surrogates for functions whose true gradient is useless (zero almost everywhere, or
undefined): the forward keeps the hard function, the backward uses the derivative of a smooth
stand-in. The backward is therefore *not* the derivative of the forward; each is checked against
its own surrogate formula (see tests/test_surrogates.py).

Straight-through estimators (Bengio et al., 2013; Hubara et al., 2016):

    round_ste(x) = round(x)        g_in = g_out                      (as if round were the identity)
    sign_ste(x)  = sign(x)         g_in = g_out ⊙ 1{|x| ≤ 1}         (as if sign were hardtanh)

Gumbel-softmax (Jang et al., 2017; Maddison et al., 2017), a twin of F.gumbel_softmax:

    y = softmax((logits + G) / τ),  G_i = −log E_i, E_i ~ Exp(1)     (a relaxed one-hot sample)
    hard=True: the one-hot of argmax y forward, y's gradient backward (one_hot_ste)

Soft rank with pairwise sigmoids, along the last dimension (temperature τ):

    r_i = ½ + Σ_j σ((x_i − x_j)/τ)  → the rank 1 … n of x_i as τ → 0
    D_ij = σ'((x_i − x_j)/τ)/τ (symmetric),   g_in = g_out ⊙ (D 1) − D g_out
"""
from __future__ import annotations

import torch
from torch.autograd import Function

from ._dispatch import dispatches
from ._validation import expect_floating, fail
from .softmax import softmax


class RoundSTEFunction(Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, g_out):
        return g_out  # g_in = g_out


class SignSTEFunction(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sign(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out * (x.abs() <= 1).to(g_out.dtype)  # g_in = g_out ⊙ 1{|x| ≤ 1}


class OneHotSTEFunction(Function):
    @staticmethod
    def forward(ctx, y, dim: int):
        index = y.argmax(dim, keepdim=True)
        return torch.zeros_like(y).scatter_(dim, index, 1.0)

    @staticmethod
    def backward(ctx, g_out):
        return g_out, None  # the one-hot passes its gradient to the soft sample


def _pairwise_slope(x: torch.Tensor, tau: float) -> torch.Tensor:
    """D_ij = σ'((x_i − x_j)/τ)/τ, shape (…, n, n)."""
    s = torch.sigmoid((x[..., :, None] - x[..., None, :]) / tau)
    return s * (1 - s) / tau


class SoftRankFunction(Function):
    @staticmethod
    def forward(ctx, x, tau: float):
        ctx.save_for_backward(x)
        ctx.tau = tau
        return 0.5 + torch.sigmoid((x[..., :, None] - x[..., None, :]) / tau).sum(-1)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        D = _pairwise_slope(x, ctx.tau)  # differentiable ops of x: double backward works
        return g_out * D.sum(-1) - (D @ g_out[..., None])[..., 0], None  # g_in = g ⊙ (D 1) − D g


@dispatches
def round_ste(input: torch.Tensor) -> torch.Tensor:
    """round(x) forward, the identity's gradient backward."""
    expect_floating("round_ste", input=input)
    return RoundSTEFunction.apply(input)


@dispatches
def sign_ste(input: torch.Tensor) -> torch.Tensor:
    """sign(x) forward, hardtanh's gradient 1{|x| ≤ 1} backward."""
    expect_floating("sign_ste", input=input)
    return SignSTEFunction.apply(input)


@dispatches
def gumbel_softmax(logits: torch.Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> torch.Tensor:
    """A relaxed one-hot sample from the categorical softmax(logits) at temperature τ (hard=True:
    exactly one-hot forward, straight-through backward). Draws its noise as F.gumbel_softmax does,
    so the same seed gives the same sample. `eps` is accepted for torch's signature (unused there too)."""
    expect_floating("gumbel_softmax", logits=logits)
    if not tau > 0:
        fail("gumbel_softmax", f"temperature tau must be positive, got {tau}", "give tau > 0 (e.g. 1.0)")
    gumbels = -torch.empty_like(logits, memory_format=torch.legacy_contiguous_format).exponential_().log()
    y = softmax((logits + gumbels) / tau, dim)
    return OneHotSTEFunction.apply(y, dim) if hard else y


@dispatches
def soft_rank(input: torch.Tensor, tau: float = 0.1) -> torch.Tensor:
    """Differentiable ranks (1 = smallest) of `input` along its last dimension; exact as τ → 0."""
    expect_floating("soft_rank", input=input)
    if not tau > 0:
        fail("soft_rank", f"temperature tau must be positive, got {tau}", "give tau > 0 (e.g. 0.1)")
    return SoftRankFunction.apply(input, float(tau))
