"""Black-box optimization: J(θ) is all we know. Each method estimates the gradient from values
alone and hands the estimate to the same Adam step the first-order methods use, so the only
difference in a comparison is the knowledge of J (and its price: function evaluations).

- Evolution strategies, antithetic Gaussian sampling (Salimans et al., 2017):
      ĝ = 1/(2σP) Σ_{i=1..P} (J(θ + σε_i) − J(θ − σε_i)) ε_i,   ε_i ~ N(0, I)
  an unbiased estimate of ∇J_σ, the gradient of the smoothed J_σ(θ) = E_ε J(θ + σε); 2P values.
- SPSA, simultaneous perturbation (Spall, 1992): one random ±1 direction Δ per step,
      ĝ = (J(θ + cΔ) − J(θ − cΔ)) / (2c) · Δ          (Δ_i⁻¹ = Δ_i for ±1 entries)
  2 values per step whatever the dimension n; E ĝ = ∇J + O(c²).
- Central finite differences: ĝ_i = (J(θ + h e_i) − J(θ − h e_i)) / (2h), exact to O(h²) but
  2n values per gradient.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from ..optim import Adam
from .oracle import Oracle

Estimator = Callable[[Oracle, torch.Tensor, torch.Generator], torch.Tensor]


def descend(oracle: Oracle, start: torch.Tensor, estimate: Estimator, lr: float, seed: int = 0) -> Iterator[torch.Tensor]:
    """θ after each Adam step on the estimated gradient (an endless iterator)."""
    theta = torch.nn.Parameter(start.detach().clone())
    optimizer = Adam([theta], lr=lr)
    generator = torch.Generator().manual_seed(seed)
    while True:
        theta.grad = estimate(oracle, theta.detach(), generator)
        optimizer.step()
        yield theta.detach().clone()


def antithetic_es(sigma: float, population: int) -> Estimator:
    """The ES gradient estimate with `population` antithetic pairs at scale σ."""
    def estimate(oracle, theta, generator):
        eps = torch.randn(population, theta.numel(), generator=generator, dtype=theta.dtype)
        diffs = torch.tensor([oracle.value(theta + sigma * e) - oracle.value(theta - sigma * e) for e in eps],
                             dtype=theta.dtype)
        return (diffs[:, None] * eps).sum(0) / (2 * sigma * population)
    return estimate


def spsa(c: float) -> Estimator:
    """The SPSA gradient estimate with perturbation size c."""
    def estimate(oracle, theta, generator):
        delta = torch.randint(0, 2, theta.shape, generator=generator).to(theta.dtype) * 2 - 1
        return (oracle.value(theta + c * delta) - oracle.value(theta - c * delta)) / (2 * c) * delta
    return estimate


def finite_differences(h: float = 1e-5) -> Estimator:
    """The central-difference gradient, coordinate by coordinate."""
    def estimate(oracle, theta, generator):
        grad = torch.empty_like(theta)
        for i in range(theta.numel()):
            step = torch.zeros_like(theta)
            step[i] = h
            grad[i] = (oracle.value(theta + step) - oracle.value(theta - step)) / (2 * h)
        return grad
    return estimate
