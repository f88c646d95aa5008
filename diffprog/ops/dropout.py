"""Dropout: y = x ⊙ m with m_i = b_i / (1 − p), b_i ~ Bernoulli(1 − p);  g_in = g_out ⊙ m.

On the CPU the mask is drawn exactly as torch draws it, so seeded runs match F.dropout bit for bit.
"""
from __future__ import annotations

import torch
from torch.autograd import Function

from ._validation import expect_floating, fail


class DropoutFunction(Function):
    @staticmethod
    def forward(ctx, x, p: float, inplace: bool):
        if p == 1.0:
            mask = torch.zeros_like(x)
        else:
            mask = torch.empty_like(x).bernoulli_(1 - p).div_(1 - p)
        ctx.save_for_backward(mask)
        if inplace:
            ctx.mark_dirty(x)
            return x.mul_(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g_out):
        (mask,) = ctx.saved_tensors
        return g_out * mask, None, None


def dropout(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> torch.Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 − p); identity when not training."""
    expect_floating("dropout", input=input)
    if not 0.0 <= p <= 1.0:
        fail("dropout", f"p must be a probability in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    return DropoutFunction.apply(input, float(p), inplace)
