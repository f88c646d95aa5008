"""diffprog.optim equals torch.optim step by step, and the lecture's momentum maps onto torch's."""
from __future__ import annotations

import pytest
import torch

from diffprog import optim

CASES = [
    (optim.SGD, torch.optim.SGD, dict(lr=0.1)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.5, weight_decay=0.01, maximize=True)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("ours_cls,torch_cls,kwargs", CASES, ids=[f"{c[0].__name__}-{c[2]}" for c in CASES])
def test_optimizer_equals_torch_step_by_step(ours_cls, torch_cls, kwargs):
    start = [torch.randn(4, 3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    opt_ours, opt_theirs = ours_cls(ours, **kwargs), torch_cls(theirs, **kwargs)
    for step in range(25):
        noise = [torch.randn_like(p) for p in start]
        for params, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            for p, n in zip(params, noise):
                p.grad = n + 0.5 * p.detach()  # a quadratic bowl plus noise
            opt.step()
        for a, b in zip(ours, theirs):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, msg=f"step {step}")


def test_lecture_momentum_is_torch_velocity_times_learning_rate():
    """m^{t+1} = η b^t: the lecture's m is torch's momentum buffer in parameter units."""
    p1 = torch.randn(5, dtype=torch.float64, requires_grad=True)
    p2 = p1.detach().clone().requires_grad_()
    ours, theirs = optim.SGD([p1], lr=0.3, momentum=0.7), torch.optim.SGD([p2], lr=0.3, momentum=0.7)
    for _ in range(5):
        g = torch.randn(5, dtype=torch.float64)
        p1.grad, p2.grad = g.clone(), g.clone()
        ours.step()
        theirs.step()
        torch.testing.assert_close(ours.state[p1]["m"], 0.3 * theirs.state[p2]["momentum_buffer"])


def test_lecture_momentum_remembers_the_step_taken_when_the_learning_rate_changes():
    """After η drops, the lecture's update carries α × the previous *step*; torch rescales old gradients."""
    p1 = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    p2 = p1.detach().clone().requires_grad_()
    ours, theirs = optim.SGD([p1], lr=1.0, momentum=0.5), torch.optim.SGD([p2], lr=1.0, momentum=0.5)
    for lr in (1.0, 0.1):
        for opt in (ours, theirs):
            opt.param_groups[0]["lr"] = lr
        p1.grad = torch.ones(1, dtype=torch.float64)
        p2.grad = torch.ones(1, dtype=torch.float64)
        ours.step()
        theirs.step()
    # step 1: −1 (both). step 2, lecture: −0.1·1 − 0.5·1 = −0.6; torch: −0.1·(0.5·1 + 1) = −0.15
    assert p1.item() == pytest.approx(-1.6)
    assert p2.item() == pytest.approx(-1.15)


@pytest.mark.parametrize("kwargs,fragment", [(dict(lr=-1), "learning rate"), (dict(lr=0.1, momentum=1.2), "momentum"),
                                             (dict(lr=0.1, nesterov=True), "nesterov")])
def test_sgd_rejects_bad_settings_with_a_clear_message(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        optim.SGD([torch.zeros(1, requires_grad=True)], **kwargs)
