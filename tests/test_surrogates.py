"""Surrogate gradients: each Function's hand-written backward is checked by the project's checker
against its own surrogate formula (straight-through: the detach trick; Gumbel-softmax: torch's twin
with the same noise; soft rank: the pairwise-sigmoid formula, also by finite differences)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from diffprog import ops
from diffprog.check import call, check_function


def _x(dtype, device):
    return call((torch.randn(4, 9, dtype=dtype, device=device) * 2).requires_grad_(True))


@pytest.mark.parametrize("op, surrogate", [
    (ops.round_ste, lambda x: x + (torch.round(x) - x).detach()),                       # forward round, gradient 1
    (ops.sign_ste, lambda x: torch.sign(x) + F.hardtanh(x) - F.hardtanh(x).detach()),   # gradient 1{|x| ≤ 1}
], ids=["round_ste", "sign_ste"])
def test_straight_through_backward_is_its_surrogates_gradient(op, surrogate):
    report = check_function(op, surrogate, _x, gradcheck=False)  # the forward is a step: no finite differences
    assert report.passed, report.table()


def test_straight_through_values_are_the_hard_functions_and_gradients_are_not_zero():
    x = torch.tensor([-1.7, -0.4, 0.2, 0.5, 2.6], requires_grad=True)
    assert ops.round_ste(x).tolist() == torch.round(x).tolist()
    ops.round_ste(x).sum().backward()
    assert x.grad.tolist() == [1.0] * 5
    x.grad = None
    assert ops.sign_ste(x).tolist() == torch.sign(x).tolist()
    ops.sign_ste(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_is_torchs_twin_with_the_same_noise(hard):
    case = lambda dtype, device: call(torch.randn(6, 5, dtype=dtype, device=device, requires_grad=True), tau=0.7,
                                      hard=hard)
    report = check_function(ops.gumbel_softmax, F.gumbel_softmax, case, seed=3, gradcheck=not hard)
    assert report.passed, report.table()


def test_hard_gumbel_softmax_is_one_hot_and_samples_the_softmax():
    logits = torch.tensor([0.0, 1.0, 2.0])
    torch.manual_seed(0)
    samples = ops.gumbel_softmax(logits.expand(20000, 3), tau=0.5, hard=True)
    assert ((samples == 0) | (samples == 1)).all() and (samples.sum(1) == 1).all()
    torch.testing.assert_close(samples.mean(0), logits.softmax(0), atol=0.015, rtol=0)


def test_soft_rank_matches_its_formula_and_finite_differences():
    formula = lambda x, tau: 0.5 + torch.sigmoid((x[..., :, None] - x[..., None, :]) / tau).sum(-1)
    report = check_function(ops.soft_rank, formula,
                            lambda dtype, device: call(torch.randn(3, 6, dtype=dtype, device=device,
                                                                   requires_grad=True), tau=0.5))
    assert report.passed, report.table()


def test_soft_rank_becomes_the_rank_as_the_temperature_falls():
    x = torch.tensor([[3.0, -1.0, 2.0, 10.0, 0.5]])
    ranks = x.argsort(-1).argsort(-1).float() + 1
    torch.testing.assert_close(ops.soft_rank(x, tau=1e-3), ranks)
    assert (ops.soft_rank(x, tau=5.0) - ranks).abs().max() > 0.3  # smooth at high temperature


@pytest.mark.parametrize("make, message", [
    (lambda: ops.soft_rank(torch.randn(3), tau=0), "temperature tau must be positive"),
    (lambda: ops.gumbel_softmax(torch.randn(3), tau=-1), "temperature tau must be positive"),
    (lambda: ops.round_ste(torch.arange(3)), "must be a floating-point tensor"),
])
def test_bad_input_is_refused_with_the_fix(make, message):
    with pytest.raises(ops.OpInputError, match=message):
        make()
