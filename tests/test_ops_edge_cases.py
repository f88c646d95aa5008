"""Edges where the twins once parted from torch (issue 16), each as torch behaves."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from diffprog import ops
from diffprog.ops import OpInputError


def _grads(fn, *tensors):
    out = fn(*tensors)
    return torch.autograd.grad(out, tensors, torch.ones_like(out))


@pytest.mark.parametrize("shape, normalized, weight, bias", [
    ((4,), (4,), True, False),        # the whole input is normalized (an unbatched vector)
    ((0, 4), (4,), True, True),       # an empty batch
    ((3, 2, 5), (2, 5), False, True),  # a bias but no weight, two normalized dims
])
def test_layer_norm_gradients_equal_torchs_at_its_edges(shape, normalized, weight, bias):
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    params = [torch.randn(normalized, dtype=torch.float64, requires_grad=True) if use else None
              for use in (weight, bias)]
    given = [x] + [p for p in params if p is not None]
    ours = _grads(lambda *t: ops.layer_norm(x, normalized, *params), *given)
    theirs = _grads(lambda *t: F.layer_norm(x, normalized, *params), *given)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b)


def test_linear_with_no_input_features_returns_the_bias():
    x, w, b = torch.randn(3, 0, requires_grad=True), torch.randn(5, 0, requires_grad=True), torch.randn(5)
    torch.testing.assert_close(ops.linear(x, w, b), F.linear(x, w, b))
    ops.linear(x, w).sum().backward()
    assert x.grad.shape == (3, 0) and w.grad.shape == (5, 0)


def test_relu_passes_the_gradient_of_a_nan_input_as_torch_does():
    x = torch.tensor([float("nan"), -1.0, 2.0], requires_grad=True)
    (ours,) = _grads(ops.relu, x)
    (theirs,) = _grads(F.relu, x)
    assert ours.tolist() == theirs.tolist() == [1.0, 0.0, 1.0]


def test_what_torch_accepts_is_accepted():
    x = torch.ones(1, 1, 4, 4)
    torch.testing.assert_close(ops.avg_pool2d(x, 2, divisor_override=-2), F.avg_pool2d(x, 2, divisor_override=-2))
    empty = torch.randn(0)
    assert ops.batch_norm(empty, torch.zeros(0), torch.ones(0), training=True).shape == (0,)


@pytest.mark.parametrize("call, message", [
    (lambda: ops.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 2, 2), dilation=-1), "dilation must be ≥ 1"),
    (lambda: ops.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 2, 2), stride=0), "stride and dilation must be ≥ 1"),
    (lambda: ops.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 2, 2), padding=-1), "padding must be ≥ 0"),
    (lambda: ops.layer_norm(torch.randn(2, 3), ()), "at least one trailing dimension"),
    (lambda: ops.avg_pool2d(torch.randn(1, 1, 4, 4), 2, divisor_override=0), "must not be zero"),
])
def test_what_torch_refuses_is_refused_by_diffprogs_own_check_as_a_runtime_error_too(call, message):
    with pytest.raises(OpInputError, match=message) as caught:
        call()
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, ValueError)


_W, _B = torch.ones(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)


@pytest.mark.parametrize("ours, theirs", [
    (lambda x: ops.avg_pool2d(x, 2), lambda x: F.avg_pool2d(x, 2)),
    (lambda x: ops.adaptive_avg_pool2d(x, 3), lambda x: F.adaptive_avg_pool2d(x, 3)),
    (lambda x: ops.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2)),
    (ops.relu, F.relu),
    (lambda x: ops.batch_norm(x, None, None, _W, _B, training=True), lambda x: F.batch_norm(x, None, None, _W, _B, training=True)),
], ids=["avg_pool2d", "adaptive_avg_pool2d", "max_pool2d", "relu", "batch_norm"])
def test_second_order_code_written_for_torch_runs_on_the_twins(ours, theirs):
    """The first-order gradient carries a graph, as torch's does, so differentiating it again works
    and gives what torch gives (zeros, for the pools and ReLU)."""
    x = torch.randn(2, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    second = []
    for fn in (ours, theirs):
        (g,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
        assert g.requires_grad
        second.append(torch.autograd.grad(g.pow(2).sum(), x)[0])
    torch.testing.assert_close(second[0], second[1])
