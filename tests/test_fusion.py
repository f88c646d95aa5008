"""The fused (compiled) backward computes what the eager formula computes."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from diffprog import ops
from diffprog.check.builtin import SPECS
from diffprog.ops import _c_kernels, _fusion, norm, pointwise

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
    # float32, the dtype the fused kernels serve in practice; the formula they compile is the eager
    # one, which the checker proves against finite differences in float64 (test_ops_checker.py).
    report = SPECS[name].check(dtypes=[torch.float32], devices=["cpu"])
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


@pytest.fixture
def kernel_cache(tmp_path, monkeypatch):
    """Kernels built afresh into a temporary cache."""
    monkeypatch.setenv("DIFFPROG_CACHE", str(tmp_path))
    _c_kernels.load.cache_clear()
    _c_kernels._layer_norm_kernel.cache_clear()
    yield tmp_path
    _c_kernels.load.cache_clear()
    _c_kernels._layer_norm_kernel.cache_clear()


@pytest.mark.parametrize("shape, normalized, affine", [((37, 3, 13), (3, 13), True), ((5, 1000), (1000,), False),
                                                       ((64, 8), (8,), True)])
def test_layer_norm_c_kernel_gives_autograds_gradients(fusion_on, kernel_cache, monkeypatch, shape, normalized,
                                                       affine):
    calls = []
    monkeypatch.setattr(norm, "layer_norm_backward", lambda *a: calls.append(1) or _c_kernels.layer_norm_backward(*a))
    x = torch.randn(shape, requires_grad=True)
    weight = torch.randn(normalized, requires_grad=True) if affine else None
    bias = torch.randn(normalized, requires_grad=True) if affine else None
    g = torch.randn(shape)
    inputs = [t for t in (x, weight, bias) if t is not None]
    ours = torch.autograd.grad(ops.layer_norm(x, normalized, weight, bias), inputs, g)
    reference = torch.autograd.grad(F.layer_norm(x, normalized, weight, bias), inputs, g)
    for a, b in zip(ours, reference):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert calls == [1]


def test_layer_norm_c_kernel_splits_rows_across_threads_without_changing_dx(fusion_on, kernel_cache):
    x, g = torch.randn(257, 96, requires_grad=True), torch.randn(257, 96)
    weight = torch.randn(96, requires_grad=True)
    threads = torch.get_num_threads()
    results = []
    try:
        for n in (1, 3):
            torch.set_num_threads(n)
            results.append(torch.autograd.grad(ops.layer_norm(x, (96,), weight), (x, weight), g))
    finally:
        torch.set_num_threads(threads)
    torch.testing.assert_close(results[0][0], results[1][0], rtol=0, atol=0)  # rows are independent
    torch.testing.assert_close(results[0][1], results[1][1])  # column sums: partials per thread


def test_layer_norm_without_a_c_compiler_warns_once_and_uses_the_formula(fusion_on, kernel_cache, monkeypatch):
    monkeypatch.setenv("CC", str(kernel_cache / "no-such-compiler"))
    x, g = torch.randn(64, 32, requires_grad=True), torch.randn(64, 32)
    with pytest.warns(UserWarning, match="CC to a C compiler"):
        (first,) = torch.autograd.grad(ops.layer_norm(x, (32,)), x, g)
    (reference,) = torch.autograd.grad(F.layer_norm(x, (32,)), x, g)
    torch.testing.assert_close(first, reference, rtol=1e-4, atol=1e-5)
    assert not list(kernel_cache.glob("kernels/*.so"))


def test_layer_norm_c_kernel_is_left_out_of_double_backward_and_other_dtypes(fusion_on):
    x = torch.randn(8, 16)
    stats = torch.zeros(8), torch.ones(8)
    with torch.no_grad():
        assert _c_kernels.layer_norm_applies(x, x, None, *stats)
        assert not _c_kernels.layer_norm_applies(x.double(), x.double(), None, *(s.double() for s in stats))
        assert not _c_kernels.layer_norm_applies(x.t().contiguous().t(), x, None, *stats)
    with torch.enable_grad():  # a graph is recorded: double backward needs the differentiable formula
        assert not _c_kernels.layer_norm_applies(x, x, None, *stats)
