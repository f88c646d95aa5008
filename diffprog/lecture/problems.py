"""Problems to optimize, each a cost J(θ) of one flat parameter vector θ built from diffprog ops (so
its gradient and Hessian-vector products come from the hand-written backwards):

- an ill-conditioned quadratic J(θ) = ½ (θ − θ*)ᵀ A (θ − θ*), A with eigenvalues from 1 to κ in a
  random orthonormal basis (so no coordinate is special);
- the Rosenbrock function J(x, y) = (1 − x)² + 100 (y − x²)², a curved valley, from (−1.2, 1);
- the two-spirals MLP of the lecture's demo, J(θ) = cross-entropy of a 2-16-16-2 tanh network,
  θ its weights and biases end to end.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .. import ops
from ..data import two_spirals

DTYPE = torch.float64


@dataclass(frozen=True)
class Problem:
    """J: θ (n,) → scalar; `start` the θ every method begins from; `minimum` J's least value when
    known (the plots show J − minimum); `hessian` when it is a constant known in closed form."""

    name: str
    title: str
    J: Callable[[torch.Tensor], torch.Tensor]
    start: torch.Tensor
    minimum: float | None = None
    hessian: torch.Tensor | None = None


def quadratic(condition: float = 100.0, dim: int = 20, seed: int = 0) -> Problem:
    """½ (θ − θ*)ᵀ A (θ − θ*) with A's eigenvalues log-spaced in [1, κ], κ = `condition`."""
    if condition < 1 or dim < 2:
        raise ValueError(f"quadratic needs condition ≥ 1 and dim ≥ 2, got {condition}, {dim}")
    generator = torch.Generator().manual_seed(seed)
    basis, _ = torch.linalg.qr(torch.randn(dim, dim, generator=generator, dtype=DTYPE))
    eigenvalues = torch.logspace(0, math.log10(condition), dim, dtype=DTYPE)
    A = basis @ torch.diag(eigenvalues) @ basis.T
    optimum = torch.randn(dim, generator=generator, dtype=DTYPE)

    def J(theta):
        d = theta - optimum
        return 0.5 * (d * ops.linear(d, A)).sum()
    return Problem("quadratic", f"Ill-conditioned quadratic (n = {dim}, κ = {condition:g})", J,
                   torch.zeros(dim, dtype=DTYPE), 0.0, A)


def rosenbrock() -> Problem:
    """(1 − x)² + 100 (y − x²)², minimum 0 at (1, 1), from the classic start (−1.2, 1)."""
    def J(theta):
        x, y = theta[0], theta[1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2
    return Problem("rosenbrock", "Rosenbrock (1 − x)² + 100 (y − x²)²", J, torch.tensor([-1.2, 1.0], dtype=DTYPE), 0.0)


def two_spirals_mlp(hidden: int = 16, points: int = 100, seed: int = 0) -> Problem:
    """Cross-entropy of a 2-hidden-2 tanh MLP on two spirals; θ holds W1, b1, W2, b2, W3, b3."""
    x, y = two_spirals(points, seed=seed)
    x = x.to(DTYPE)
    shapes = [(hidden, 2), (hidden,), (hidden, hidden), (hidden,), (2, hidden), (2,)]
    sizes = [math.prod(s) for s in shapes]

    def J(theta):
        w1, b1, w2, b2, w3, b3 = (part.view(shape) for part, shape in zip(theta.split(sizes), shapes))
        h = ops.tanh(ops.linear(x, w1, b1))
        h = ops.tanh(ops.linear(h, w2, b2))
        return ops.cross_entropy(ops.linear(h, w3, b3), y)

    generator = torch.Generator().manual_seed(seed)
    start = torch.cat([(torch.rand(s, generator=generator, dtype=DTYPE) * 2 - 1).flatten() / math.sqrt(s[-1])
                       for s in shapes])  # torch.nn.Linear's uniform ±1/√fan_in
    return Problem("two_spirals_mlp", f"Two-spirals MLP (2-{hidden}-{hidden}-2, {start.numel()} parameters)", J,
                   start)


PROBLEMS = {"quadratic": quadratic, "rosenbrock": rosenbrock, "two_spirals_mlp": two_spirals_mlp}
