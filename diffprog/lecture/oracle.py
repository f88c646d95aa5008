"""What we know about J (slides: "What's the knowledge we have about J?"), as counted access:

- J(θ) only → black-box optimization;
- J(θ) and ∇J(θ) → first-order optimization;
- J(θ), ∇J(θ) and the Hessian H(θ), here through Hessian-vector products Hv → second order.

Hv is a double backward through the ops: g = ∇J(θ) with its graph kept, then Hv = ∇_θ (gᵀv), so it
costs about two gradients and never forms the n × n matrix H.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class Counts:
    values: int = 0      # J(θ) alone
    gradients: int = 0   # J(θ) with ∇J(θ)
    hvps: int = 0        # H(θ) v

    @property
    def total(self) -> int:
        """Calls of any kind: the x-axis "evaluations" of the comparison."""
        return self.values + self.gradients + self.hvps


class Oracle:
    """J with counters. `value(θ)`, `gradient(θ)` and `curvature(θ)` (→ ∇J and a function v ↦ Hv
    sharing one graph) each count what they cost."""

    def __init__(self, J: Callable[[torch.Tensor], torch.Tensor]):
        self.J = J
        self.counts = Counts()

    def value(self, theta: torch.Tensor) -> float:
        self.counts.values += 1
        with torch.no_grad():
            return self.J(theta).item()

    def gradient(self, theta: torch.Tensor) -> tuple[float, torch.Tensor]:
        self.counts.gradients += 1
        theta = theta.detach().requires_grad_(True)
        value = self.J(theta)
        (grad,) = torch.autograd.grad(value, theta)
        return value.item(), grad

    def curvature(self, theta: torch.Tensor) -> tuple[float, torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
        """J(θ), ∇J(θ) and v ↦ H(θ) v (each product counted)."""
        self.counts.gradients += 1
        theta = theta.detach().requires_grad_(True)
        value = self.J(theta)
        (grad,) = torch.autograd.grad(value, theta, create_graph=True)

        def hvp(v: torch.Tensor) -> torch.Tensor:
            self.counts.hvps += 1
            (product,) = torch.autograd.grad(grad, theta, v, retain_graph=True)
            return product
        return value.item(), grad.detach(), hvp


def hvp(J: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H(θ) v for J at θ, by double backward (∇_θ of ∇J(θ)ᵀ v)."""
    return Oracle(J).curvature(theta)[2](v)
