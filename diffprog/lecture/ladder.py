"""The slide's ladder of knowledge about J, run side by side: black-box methods (J only), first-order
methods (J and ∇J: diffprog's own optimizers) and second-order Newton-CG (J, ∇J and Hv), on the same
problems from the same start, each within the same budget of oracle calls.

Each run records J after every iteration (measured apart: neither counted nor timed), the oracle
calls spent so far and the seconds spent so far, so a method can be judged per step, per
evaluation and per second — three different rankings.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import torch

from ..optim import SGD, Adam
from ..plots import plt, save_figure
from ..steps import StepLoop
from .blackbox import antithetic_es, descend, finite_differences, spsa
from .oracle import Oracle
from .problems import Problem, quadratic, rosenbrock, two_spirals_mlp
from .second_order import newton_cg

Iterates = Callable[[Oracle, torch.Tensor], Iterator[torch.Tensor]]


@dataclass(frozen=True)
class Method:
    name: str
    family: str  # "black box", "first order" or "second order" (FAMILY_COLOURS' keys)
    iterates: Iterates


@dataclass
class Run:
    method: str
    family: str
    problem: str
    loss: list[float] = field(default_factory=list)          # J(θ_t), t = 0 (the start), 1, 2, …
    evaluations: list[int] = field(default_factory=list)     # oracle calls spent before θ_t
    seconds: list[float] = field(default_factory=list)       # time spent before θ_t
    counts: dict = field(default_factory=dict)
    interrupted: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def first_order(make_optimizer: Callable[[list], torch.optim.Optimizer]) -> Iterates:
    """A torch-style optimizer fed the true gradient, one oracle call per step."""
    def iterates(oracle: Oracle, start: torch.Tensor) -> Iterator[torch.Tensor]:
        theta = torch.nn.Parameter(start.detach().clone())
        optimizer = make_optimizer([theta])
        while True:
            _, theta.grad = oracle.gradient(theta.detach())
            optimizer.step()
            yield theta.detach().clone()
    return iterates


@dataclass(frozen=True)
class Tuning:
    """A problem's step sizes, chosen once per problem as a lecturer would (not per method run)."""

    gd: float           # gradient descent η
    momentum: tuple[float, float]  # (η, α) of the lecture's momentum
    adam: float         # Adam's η, also used on the black-box estimates
    sigma: float        # ES and SPSA perturbation scale


def methods(tuning: Tuning, seed: int = 0, population: int = 10) -> list[Method]:
    """The ladder's rungs for one problem."""
    eta, alpha = tuning.momentum
    return [
        Method(f"ES ({population} antithetic pairs)", "black box",
               lambda o, s: descend(o, s, antithetic_es(tuning.sigma, population), tuning.adam, seed)),
        Method("SPSA", "black box", lambda o, s: descend(o, s, spsa(tuning.sigma), tuning.adam, seed)),
        Method("finite differences", "black box", lambda o, s: descend(o, s, finite_differences(), tuning.adam, seed)),
        Method(f"gradient descent (η={tuning.gd:.3g})", "first order", first_order(lambda p: SGD(p, lr=tuning.gd))),
        Method(f"momentum (η={eta:.3g}, α={alpha:.3g})", "first order",
               first_order(lambda p: SGD(p, lr=eta, momentum=alpha))),
        Method(f"Adam (η={tuning.adam:g})", "first order", first_order(lambda p: Adam(p, lr=tuning.adam))),
        Method("Newton-CG (damped)", "second order", lambda o, s: newton_cg(o, s)),
    ]


def run_method(problem: Problem, method: Method, budget: int, max_iterations: int,
               progress: bool = False) -> Run:
    """Iterate `method` on `problem` until `budget` oracle calls are spent (the step that crosses it
    is kept) or `max_iterations`. Ctrl-C ends the run early; what was recorded is kept."""
    oracle = Oracle(problem.J)
    run = Run(method.name, method.family, problem.name)

    def record(theta, seconds):
        with torch.no_grad():
            run.loss.append(problem.J(theta).item())
        run.evaluations.append(oracle.counts.total)
        run.seconds.append(seconds)

    def converged(loss):
        """J − J* down to 1e-12 of where it started (floating point ends there): nothing left to show."""
        return problem.minimum is not None and loss[-1] - problem.minimum <= 1e-12 * (loss[0] - problem.minimum)

    record(problem.start, 0.0)
    iterates = method.iterates(oracle, problem.start)
    spent = 0.0
    with StepLoop(max_iterations, f"{problem.name}: {method.name}", progress) as loop:
        for _ in loop:
            started = time.perf_counter()
            theta = next(iterates)
            spent += time.perf_counter() - started
            record(theta, spent)
            if oracle.counts.total >= budget or not math.isfinite(run.loss[-1]) or converged(run.loss):
                break
    run.counts = asdict(oracle.counts)
    run.interrupted = loop.interrupted
    return run


#: The comparison's problems, each with the step sizes it is run with. The quadratic's are the
#: optimal ones from its spectrum [μ, L] = [1, 100]: η = 2/(L + μ) for gradient descent and
#: (η, α) = ((2/(√L + √μ))², ((√κ − 1)/(√κ + 1))²) for momentum (see momentum.py).
LADDER: dict[str, tuple[Callable[[], Problem], Tuning]] = {
    "quadratic": (quadratic, Tuning(gd=2 / 101, momentum=((2 / 11) ** 2, (9 / 11) ** 2), adam=0.1, sigma=0.01)),
    "rosenbrock": (rosenbrock, Tuning(gd=1e-3, momentum=(1e-3, 0.9), adam=0.02, sigma=0.01)),
    "two_spirals_mlp": (two_spirals_mlp, Tuning(gd=1.0, momentum=(0.1, 0.9), adam=0.1, sigma=0.01)),
}


def compare(names: list[str], budget: int, max_iterations: int, seed: int = 0,
            progress: bool = True) -> dict[str, tuple[Problem, list[Run]]]:
    """Every method of the ladder on each named problem; stops early (keeping what ran) on Ctrl-C."""
    results = {}
    for name in names:
        make, tuning = LADDER[name]
        problem = make()
        runs = results.setdefault(name, (problem, []))[1]
        for method in methods(tuning, seed):
            runs.append(run_method(problem, method, budget, max_iterations, progress))
            if runs[-1].interrupted:
                return results
    return results


FAMILY_COLOURS = {"black box": ["#1b9e77", "#66c2a5", "#a6dba0"], "first order": ["#08519c", "#3182bd", "#9ecae1"],
                  "second order": ["#d62728"]}


def plot_runs(problem: Problem, runs: list[Run], path) -> None:
    """J − J* (or J when J* is unknown) against iterations, oracle calls and seconds; one line per method."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    shift = problem.minimum or 0.0
    used: dict[str, int] = {}
    for run in runs:
        colour = FAMILY_COLOURS[run.family][used.get(run.family, 0) % len(FAMILY_COLOURS[run.family])]
        used[run.family] = used.get(run.family, 0) + 1
        gap = [max(v - shift, 1e-16) for v in run.loss]
        for ax, x in zip(axes, (range(len(gap)), run.evaluations, run.seconds)):
            ax.plot(list(x), gap, color=colour, label=f"{run.method} [{run.family}]", lw=1.6)
    ylabel = "J − J*" if problem.minimum is not None else "J (cross-entropy)"
    for ax, xlabel in zip(axes, ("iterations", "oracle calls (J, ∇J or Hv: one each)", "seconds")):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
    for ax, linear_up_to in zip(axes, (10, 10, 1e-2)):
        ax.set_xscale("symlog", linthresh=linear_up_to)
        ax.set_xlim(left=0)
    axes[2].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(f"{problem.title}: what we know about J — J only, J and ∇J, J, ∇J and H", fontsize=11)
    save_figure(fig, path)
