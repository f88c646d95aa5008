"""The fused (compiled) backward computes what the eager formula computes."""
from __future__ import annotations

import math

import pytest
import torch

from diffprog.builtin_checks import SPECS
from diffprog.ops import _fusion, norm, pointwise

FUSED_OPS = ["tanh", "sigmoid", "relu", "leaky_relu", "gelu", "softmax", "log_softmax", "mse_loss",
             "euclidean_loss", "cross_entropy", "batch_norm", "layer_norm"]


@pytest.fixture
def fusion_on():
    before = _fusion.get_fusion()
    _fusion.set_fusion("on")
    yield
    _fusion.set_fusion(before)


@pytest.mark.slow
@pytest.mark.parametrize("name", FUSED_OPS)
def test_fused_backward_passes_the_same_checks(fusion_on, name):
    report = SPECS[name].check(dtypes=[torch.float64, torch.float32], devices=["cpu"])
    assert report.passed, "\n" + report.table()


def test_fusion_is_skipped_while_a_graph_is_recorded(fusion_on, monkeypatch):
    calls = []
    monkeypatch.setattr(torch, "compile", lambda fn, **kw: calls.append(fn) or fn)
    formula = _fusion.fusable(pointwise.tanh_grad.eager)
    g, y = torch.randn(3), torch.rand(3)
    with torch.enable_grad():
        formula(g, y)
    assert calls == []
    with torch.no_grad():
        formula(g, y)
    assert len(calls) == 1


def test_auto_mode_fuses_only_large_tensors(monkeypatch):
    monkeypatch.setitem(_fusion._state, "mode", "auto")
    with torch.no_grad():
        assert not _fusion._should_fuse((torch.zeros(10),))
        assert _fusion._should_fuse((torch.zeros(_fusion.FUSE_MIN_NUMEL),))
        monkeypatch.setitem(_fusion._state, "mode", "off")
        assert not _fusion._should_fuse((torch.zeros(_fusion.FUSE_MIN_NUMEL),))


def test_a_failing_compiler_falls_back_to_the_eager_formula_with_one_warning(fusion_on, monkeypatch):
    def broken(*args):
        raise RuntimeError("no C++ compiler")
    monkeypatch.setattr(torch, "compile", lambda fn, **kw: broken)
    formula = _fusion.fusable(pointwise.tanh_grad.eager)
    g, y = torch.randn(3), torch.rand(3)
    with torch.no_grad():
        with pytest.warns(UserWarning, match="running it unfused"):
            first = formula(g, y)
        second = formula(g, y)
    torch.testing.assert_close(first, g * (1 - y * y))
    torch.testing.assert_close(second, first)


def test_unknown_fusion_mode_is_rejected():
    with pytest.raises(ValueError, match="auto"):
        _fusion.set_fusion("sometimes")


def test_layer_norm_sums_its_rows_in_the_largest_block_count_that_divides_them():
    assert norm.row_blocks(4096) == 64
    assert norm.row_blocks(4095) == 63
    assert norm.row_blocks(12) == 12
    assert norm.row_blocks(67) == 1  # a prime above 64: one plain sum


def test_gelu_slope_without_a_graph_is_as_accurate_as_torchs_kernel():
    x = torch.linspace(-12, 12, 100_001)
    g = torch.ones_like(x)
    exact = torch.ops.aten.gelu_backward(g.double(), x.double())
    with torch.no_grad():
        ours = pointwise.gelu_grad.eager(g, x, "none").double()
        torchs = torch.ops.aten.gelu_backward(g, x).double()
    assert (ours - exact).abs().max() <= 2 * max((torchs - exact).abs().max().item(), 1e-7)


def test_gelu_double_backward_is_exact_at_zero_in_float32():
    x = torch.zeros(1, requires_grad=True)
    (slope,) = torch.autograd.grad(pointwise.gelu(x), x, create_graph=True)
    (curvature,) = torch.autograd.grad(slope, x)
    torch.testing.assert_close(curvature, torch.tensor([2 / math.sqrt(2 * math.pi)]))
