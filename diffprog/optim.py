"""Optimizers written out: SGD with the lecture's momentum (and Nesterov), Adam and AdamW.

Lecture momentum ("a heavy ball rolling down a hill"):

    θ^{t+1} = θ^t − η ∇J(θ^t) − α m^t,      m^{t+1} = η ∇J(θ^t) + α m^t   (m^0 = 0)

so m^t is the previous step, −(θ^t − θ^{t−1}), and α says how much of it carries on.
torch.optim.SGD keeps a velocity in gradient units instead, b^t = μ b^{t−1} + ∇J, θ ← θ − lr b^t.
With a constant step size the two are the same trajectory: m^{t+1} = η b^t, α = μ, η = lr
(proved step by step in tests/test_optim.py). They differ when η changes during training:
the lecture's m remembers the step actually taken, torch's b rescales old gradients by the new lr.
Nesterov evaluates the momentum step ahead: θ^{t+1} = θ^t − η ∇J − α m^{t+1}.
Weight decay adds λθ to the gradient (L2 penalty ½λ‖θ‖²).
"""
from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.optim import Optimizer


def _evaluate(closure):
    """The loss from torch.optim's optional closure (which recomputes it with gradients)."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class SGD(Optimizer):
    """Gradient descent θ ← θ − η(∇J + λθ) − α m, with the lecture's momentum m (see module doc)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, maximize: bool = False):
        if lr < 0:
            raise ValueError(f"SGD: learning rate must be ≥ 0, got {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum α must be in [0, 1), got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"SGD: weight_decay must be ≥ 0, got {weight_decay}")
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay,
                                      maximize=maximize))

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            eta, alpha, decay = group["lr"], group["momentum"], group["weight_decay"]
            for theta in group["params"]:
                if theta.grad is None:
                    continue
                grad = -theta.grad if group["maximize"] else theta.grad
                if decay:
                    grad = grad + decay * theta
                if alpha == 0:
                    theta.sub_(eta * grad)
                    continue
                state = self.state[theta]
                m = state.get("m")
                step_now = eta * grad
                if m is None:  # m^0 = 0, so the first step is plain gradient descent
                    m = state["m"] = step_now.clone()
                    theta.sub_(step_now + alpha * m if group["nesterov"] else step_now)
                    continue
                if group["nesterov"]:
                    m.mul_(alpha).add_(step_now)          # m^{t+1}
                    theta.sub_(step_now + alpha * m)      # θ − η∇J − α m^{t+1}
                else:
                    theta.sub_(step_now + alpha * m)      # θ − η∇J − α m^t
                    m.mul_(alpha).add_(step_now)          # m^{t+1} = η∇J + α m^t
        return loss


class Adam(Optimizer):
    """Adam (Kingma & Ba): moment estimates of the gradient g and of g², bias-corrected.

        m ← β1 m + (1 − β1) g          v ← β2 v + (1 − β2) g²
        θ ← θ − η (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)

    weight_decay adds λθ to g (L2, as torch.optim.Adam); AdamW decays θ directly instead.
    """

    decoupled = False

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False):
        name = type(self).__name__
        if lr < 0:
            raise ValueError(f"{name}: learning rate must be ≥ 0, got {lr}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{name}: betas must be in [0, 1), got {betas}")
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"{name}: eps and weight_decay must be ≥ 0, got {eps}, {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    @torch.no_grad()
    def step(self, closure=None):
        loss = _evaluate(closure)
        for group in self.param_groups:
            eta, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for theta in group["params"]:
                if theta.grad is None:
                    continue
                grad = -theta.grad if group["maximize"] else theta.grad
                if decay and self.decoupled:
                    theta.mul_(1 - eta * decay)
                elif decay:
                    grad = grad + decay * theta
                state = self.state[theta]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(theta)
                    state["v"] = torch.zeros_like(theta)
                    if group["amsgrad"]:
                        state["v_max"] = torch.zeros_like(theta)
                state["step"] += 1
                t, m, v = state["step"], state["m"], state["v"]
                m.lerp_(grad, 1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                if group["amsgrad"]:
                    torch.maximum(state["v_max"], v, out=state["v_max"])
                    v = state["v_max"]
                m_hat_scale = 1 - beta1 ** t
                v_hat_sqrt = (v / (1 - beta2 ** t)).sqrt_().add_(eps)
                theta.addcdiv_(m, v_hat_sqrt, value=-eta / m_hat_scale)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): θ ← θ (1 − ηλ) before the Adam step."""

    decoupled = True

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
