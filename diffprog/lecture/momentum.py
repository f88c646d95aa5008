"""Why momentum really works (Goh, 2017), measured with diffprog's own SGD.

On a quadratic f(w) = ½ Σ_i λ_i w_i² with eigenvalues λ_i in [μ, L] (condition number κ = L/μ),
the lecture's momentum (optim.SGD)

    w^{t+1} = w^t − η ∇f(w^t) − α m^t,      m^{t+1} = η ∇f(w^t) + α m^t

is Goh's "z^{k+1} = β z^k + ∇f(w^k), w^{k+1} = w^k − α z^{k+1}" with Goh's step size α = our η and
Goh's momentum β = our α. Per eigenvalue λ the error evolves linearly, by the 2 × 2 matrix
R_λ = [[β, λ], [−αβ, 1 − αλ]] (Goh's letters) whose eigenvalues solve t² − (1 + β − αλ) t + β = 0,
so the convergence rate (error shrinks ∝ rate^t) is max_λ |t|:

- without momentum (β = 0), rate = max |1 − αλ|: stable for 0 < α < 2/L, best at α = 2/(L + μ),
  rate (κ − 1)/(κ + 1);
- with momentum, stable for 0 < α < 2(1 + β)/L — a larger range of step sizes — and best at
  α* = (2 / (√L + √μ))², β* = ((√κ − 1)/(√κ + 1))², rate* = (√κ − 1)/(√κ + 1): the square root
  of κ where gradient descent has κ itself;
- where (1 + β − αλ)² < 4β the roots are complex with |t| = √β: the error rotates as it shrinks —
  momentum "creates its own oscillations", the faster the larger β.

The measured rates run diffprog.optim.SGD on a whole grid at once: one parameter group per
momentum, one row per step size η_i, and the rows' cost scaled by η_i with the group's lr = 1
(∇(η_i f) = η_i ∇f, so each row takes exactly the lecture's steps with step size η_i).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..optim import SGD

DTYPE = torch.float64


@dataclass(frozen=True)
class Quadratic:
    """f(w) = ½ Σ λ_i w_i², eigenvalues spread evenly over [mu, L] (both included)."""

    mu: float = 1.0
    L: float = 100.0
    dim: int = 20

    @property
    def condition(self) -> float:
        return self.L / self.mu

    @property
    def eigenvalues(self) -> torch.Tensor:
        return torch.linspace(self.mu, self.L, self.dim, dtype=DTYPE)

    def gradient_descent_step(self) -> float:
        """The best step size without momentum, 2/(L + μ)."""
        return 2 / (self.L + self.mu)

    def optimal_momentum(self) -> tuple[float, float]:
        """(η*, α*) in the lecture's letters = Goh's (α*, β*)."""
        root_l, root_mu = math.sqrt(self.L), math.sqrt(self.mu)
        return (2 / (root_l + root_mu)) ** 2, ((root_l - root_mu) / (root_l + root_mu)) ** 2

    def optimal_rate(self, momentum: bool = True) -> float:
        k = self.condition
        return (math.sqrt(k) - 1) / (math.sqrt(k) + 1) if momentum else (k - 1) / (k + 1)

    def largest_stable_step(self, momentum: float) -> float:
        """Steps η below 2(1 + α)/L converge (α = 0: gradient descent's 2/L)."""
        return 2 * (1 + momentum) / self.L


def theoretical_rate(problem: Quadratic, steps: torch.Tensor, momenta: torch.Tensor) -> torch.Tensor:
    """max over the eigenvalues of |root of t² − (1 + α − ηλ) t + α| for every (momentum α, step η):
    shape (len(momenta), len(steps))."""
    lam = problem.eigenvalues
    eta = steps.to(DTYPE)[None, :, None]
    alpha = momenta.to(DTYPE)[:, None, None]
    b = 1 + alpha - eta * lam
    disc = (b * b - 4 * alpha).to(torch.complex128).sqrt()
    roots = torch.stack([(b + disc) / 2, (b - disc) / 2]).abs()
    return roots.amax(dim=(0, 3))


@dataclass
class Sweep:
    steps: torch.Tensor       # (S,) step sizes η
    momenta: torch.Tensor     # (M,) momenta α
    rates: torch.Tensor       # (M, S) measured rate; inf where the run diverged
    iterations: int


def measure_rates(problem: Quadratic, steps: torch.Tensor, momenta: torch.Tensor, iterations: int = 800,
                  seed: int = 0) -> Sweep:
    """Run the lecture's momentum (optim.SGD) from one random start for every (α, η) at once and
    measure each run's rate: (max ‖w_t‖ over the last quarter / max over the second quarter)^(1/(T/2)),
    T = iterations. The maxima over wide windows follow the envelope of an error that rotates
    (complex roots) instead of catching it at a node."""
    generator = torch.Generator().manual_seed(seed)
    start = torch.randn(problem.dim, generator=generator, dtype=DTYPE)
    lam = problem.eigenvalues
    eta = steps.to(DTYPE)[:, None]
    rows = [torch.nn.Parameter(start.repeat(len(steps), 1)) for _ in momenta]
    optimizer = SGD([{"params": [w], "lr": 1.0, "momentum": float(a)} for w, a in zip(rows, momenta)], lr=1.0)
    norms = torch.empty(iterations + 1, len(momenta), len(steps), dtype=DTYPE)
    norms[0] = start.norm()
    for t in range(1, iterations + 1):
        optimizer.zero_grad(set_to_none=True)
        cost = sum((0.5 * eta * lam * w * w).sum() for w in rows)  # row i: η_i f(w), so its step is η_i ∇f
        cost.backward()
        optimizer.step()
        with torch.no_grad():
            for w in rows:
                w.nan_to_num_(nan=1e200, posinf=1e200, neginf=-1e200).clamp_(-1e200, 1e200)  # diverged: parked
            norms[t] = torch.stack([w.norm(dim=1) for w in rows])
    quarter = iterations // 4
    late = norms[3 * quarter:].amax(0)
    early = norms[quarter:2 * quarter + 1].amax(0)
    rates = (late / early) ** (1 / (2 * quarter))
    rates[late >= 1e150] = math.inf
    return Sweep(steps, momenta, rates, iterations)


def trajectory(problem: Quadratic, eta: float, alpha: float, start: tuple[float, float], iterations: int) -> torch.Tensor:
    """(iterations + 1, 2): the path of optim.SGD(η, α) on the 2-D quadratic with eigenvalues (μ, L)."""
    lam = torch.tensor([problem.mu, problem.L], dtype=DTYPE)
    w = torch.nn.Parameter(torch.tensor(start, dtype=DTYPE))
    optimizer = SGD([w], lr=eta, momentum=alpha)
    path = [w.detach().clone()]
    for _ in range(iterations):
        optimizer.zero_grad(set_to_none=True)
        (0.5 * lam * w * w).sum().backward()
        optimizer.step()
        path.append(w.detach().clone())
    return torch.stack(path)
