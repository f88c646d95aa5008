"""First-order gradients that carry a graph wherever torch's do.

torch writes many backwards as differentiable ops of the forward's tensors even where the gradient
does not depend on them (ReLU's threshold_backward(g, y), the pools' backward(g, x), the bias
gradient of the normalizations): under create_graph=True those gradients are attached to the
graph, and differentiating them again gives zeros. diffprog's formulas read such tensors only
through a mask, or not at all, so their gradients would be constants of the graph, and second-order
code written against torch, `torch.autograd.grad(g.sum(), x)`, would raise on the twin. `attached`
links each such gradient to the forward's tensors with a derivative of zero. It does nothing unless
a graph is being recorded (a plain `.backward()` never pays for it).
"""
from __future__ import annotations

import torch
from torch.autograd import Function


class _ZeroLink(Function):
    """(count, g_1 … g_count, a_1 … a_m) → copies of g_1 … g_count, with ∂/∂g = identity, ∂/∂a = 0."""

    @staticmethod
    def forward(ctx, count: int, *tensors: torch.Tensor):
        ctx.anchors = [(a.shape, a.dtype, a.device) for a in tensors[count:]]
        return tuple(g.clone() for g in tensors[:count])

    @staticmethod
    def backward(ctx, *grads):
        zeros = [torch.zeros(shape, dtype=dtype, device=device) for shape, dtype, device in ctx.anchors]
        return (None, *grads, *zeros)


def attached(grads, *anchors: torch.Tensor | None):
    """`grads` (one tensor, or the tuple a backward returns, None where there is no gradient) with every
    gradient that carries no graph linked to those `anchors` that do, while a graph is recorded."""
    if not torch.is_grad_enabled():
        return grads
    live = [a for a in anchors if isinstance(a, torch.Tensor) and a.requires_grad]
    single = isinstance(grads, torch.Tensor)
    items = [grads] if single else list(grads)
    loose = [i for i, g in enumerate(items) if isinstance(g, torch.Tensor) and not g.requires_grad]
    if not live or not loose:
        return grads
    for i, linked in zip(loose, _ZeroLink.apply(len(loose), *(items[i] for i in loose), *live)):
        items[i] = linked
    return items[0] if single else tuple(items)
