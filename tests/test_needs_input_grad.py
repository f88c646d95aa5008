"""Backward skips the gradients nobody asked for (ctx.needs_input_grad)."""
from __future__ import annotations

import torch

from diffprog import ops
from diffprog.ops import conv, dense, losses, norm


def _backward(function_cls, make_inputs, needs, *extra):
    """Run forward with requires_grad as in `needs`, then backward through a spy that records
    which gradients the Function returned."""
    returned = []
    original = function_cls.backward

    def spy(ctx, *grads):
        out = original(ctx, *grads)
        returned.append([g is not None for g in out])
        return out

    inputs = [t.requires_grad_(n) if t is not None else None for t, n in zip(make_inputs(), needs)]
    function_cls.backward = staticmethod(spy)
    try:
        out = function_cls.apply(*inputs, *extra)
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()
    finally:
        function_cls.backward = staticmethod(original)
    return returned[0][: len(needs)]


def test_linear_computes_only_the_requested_gradients():
    make = lambda: (torch.randn(4, 3), torch.randn(2, 3), torch.randn(2))  # noqa: E731
    assert _backward(dense.LinearFunction, make, [True, False, False]) == [True, False, False]
    assert _backward(dense.LinearFunction, make, [False, True, False]) == [False, True, False]
    assert _backward(dense.LinearFunction, make, [False, False, True]) == [False, False, True]


def test_conv2d_computes_only_the_requested_gradients():
    make = lambda: (torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3), torch.randn(3))  # noqa: E731
    conf = ((1, 1), (1, 1), (1, 1), 1)
    assert _backward(conv.Conv2dFunction, make, [False, True, False], *conf) == [False, True, False]
    assert _backward(conv.Conv2dFunction, make, [True, False, True], *conf) == [True, False, True]


def test_batch_norm_computes_only_the_requested_gradients():
    make = lambda: (torch.randn(4, 3, 2, 2), torch.randn(3), torch.randn(3))  # noqa: E731
    extra = (None, None, True, 0.1, 1e-5)
    assert _backward(norm.BatchNormFunction, make, [False, True, False], *extra) == [False, True, False]
    assert _backward(norm.BatchNormFunction, make, [True, False, False], *extra) == [True, False, False]


def test_mse_computes_only_the_requested_gradients():
    make = lambda: (torch.randn(4, 3), torch.randn(4, 3))  # noqa: E731
    assert _backward(losses.SquaredErrorFunction, make, [True, False], None, "mean", 1.0) == [True, False]
    assert _backward(losses.SquaredErrorFunction, make, [False, True], None, "mean", 1.0) == [False, True]


def test_frozen_weights_get_no_gradient_through_the_functional_api():
    w = torch.randn(2, 3)
    x = torch.randn(4, 3, requires_grad=True)
    ops.linear(x, w).sum().backward()
    assert w.grad is None and x.grad is not None
