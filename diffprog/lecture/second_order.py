"""Second-order optimization with Hessian-vector products (slides: "Hessian"): Newton's method
without ever forming H ("Hessian-free", Martens 2010).

Newton's step minimizes the local quadratic model m(p) = J + ∇Jᵀp + ½ pᵀHp: it solves H p = −∇J.
Conjugate gradients solve it using only products Hv (double backward, see oracle.py), at most n of
them, and exactly in n steps on a quadratic. Damping (Levenberg–Marquardt) solves (H + λI) p = −∇J
instead, which keeps the step inside the region where the model can be trusted: with
ρ = (J(θ + p) − J(θ)) / m_λ(p) the ratio of actual to predicted change, λ shrinks when ρ > 3/4,
grows when ρ < 1/4, and a step that does not lower J is not taken.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from .oracle import Oracle


def conjugate_gradient(matvec: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, iterations: int,
                       tolerance: float = 1e-10) -> tuple[torch.Tensor, float]:
    """x ≈ A⁻¹ b for symmetric A given as x ↦ Ax, from x = 0, and the model value
    φ(x) = ½ xᵀAx − bᵀx (< 0 when x improves on 0). Stops at `iterations`, when ‖r‖ ≤ tolerance ‖b‖,
    or at a direction of non-positive curvature dᵀAd ≤ 0 (A is not positive definite there)."""
    x = torch.zeros_like(b)
    r = b.clone()
    d = r.clone()
    rr = r.dot(r)
    model = 0.0
    for _ in range(iterations):
        if rr.sqrt() <= tolerance * b.norm():
            break
        Ad = matvec(d)
        curvature = d.dot(Ad)
        if curvature <= 0:
            break
        alpha = rr / curvature
        x = x + alpha * d
        model -= 0.5 * (alpha * rr).item()  # φ falls by ½ α rᵀr at each step
        r = r - alpha * Ad
        rr_next = r.dot(r)
        d = r + (rr_next / rr) * d
        rr = rr_next
    return x, model


def newton_cg(oracle: Oracle, start: torch.Tensor, damping: float = 1e-3,
              cg_iterations: int = 50, tolerance: float = 1e-10) -> Iterator[torch.Tensor]:
    """θ after each damped Newton step (an endless iterator); each step costs one gradient, up to
    `cg_iterations` Hessian-vector products and one value."""
    theta = start.detach().clone()
    lam = damping
    while True:
        value, grad, hvp = oracle.curvature(theta)
        step, predicted = conjugate_gradient(lambda v: hvp(v) + lam * v, -grad, cg_iterations, tolerance)
        if predicted < 0:
            trial = theta + step
            rho = (oracle.value(trial) - value) / predicted
            if rho > 0:
                theta = trial
            if rho > 0.75:
                lam *= 2 / 3
            elif rho < 0.25:
                lam = max(lam, 1e-6) * (1.5 if rho > 0 else 10)
        else:  # no descent direction from the model: trust it less
            lam = max(lam, 1e-6) * 10
        yield theta.clone()
