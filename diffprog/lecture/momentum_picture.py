"""Pictures of momentum.py's measurements: the rate over (step size, momentum), the range of
stable step sizes, and trajectories that show momentum's own oscillations."""
from __future__ import annotations

import os

import torch

from ..plots import plt, save_figure
from .momentum import Quadratic, Sweep, theoretical_rate, trajectory


def plot_rate_maps(problem: Quadratic, sweep: Sweep, measured_best: tuple[float, float, float],
                   path: str | os.PathLike) -> None:
    """Measured rate next to the closed form, over the grid; the optimum (η, α, rate) measured and
    in theory, and the stability boundary η = 2(1 + α)/L."""
    theory = theoretical_rate(problem, sweep.steps, sweep.momenta)
    eta_star, alpha_star = problem.optimal_momentum()
    eta_m, alpha_m, rate_m = measured_best
    extent = (sweep.steps[0].item(), sweep.steps[-1].item(), sweep.momenta[0].item(), sweep.momenta[-1].item())
    cmap = plt.get_cmap("viridis").with_extremes(over="#bbbbbb")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, rates, name in ((axes[0], sweep.rates, f"measured (optim.SGD, {sweep.iterations} steps per point)"),
                            (axes[1], theory, "closed form max_λ |root of t² − (1 + α − ηλ) t + α|")):
        image = ax.imshow(rates.clamp(max=1.5).numpy(), origin="lower", aspect="auto", extent=extent, cmap=cmap,
                          vmin=problem.optimal_rate(), vmax=1.0, interpolation="nearest")
        ax.plot(problem.largest_stable_step(sweep.momenta).numpy(), sweep.momenta.numpy(), "w--", lw=1.2,
                label="stability edge η = 2(1 + α)/L")
        ax.plot([eta_star], [alpha_star], "r*", ms=14, label=f"theory: η* = {eta_star:.4f}, α* = {alpha_star:.3f}")
        ax.plot([eta_m], [alpha_m], "o", mfc="none", mec="white", ms=11, mew=1.8,
                label=f"measured best: η = {eta_m:.4f}, α = {alpha_m:.3f} (rate {rate_m:.4f})")
        ax.set_xlim(extent[0], extent[1])
        ax.set_xlabel("step size η (Goh's α)")
        ax.set_title(name, fontsize=10)
    axes[0].set_ylabel("momentum α (Goh's β)")
    axes[0].legend(fontsize=7.5, loc="lower left", framealpha=0.85)
    bar = fig.colorbar(image, ax=axes, extend="max")
    bar.set_label("convergence rate (error ∝ rate^t); grey: diverges")
    fig.suptitle(f"Momentum on a quadratic, κ = {problem.condition:g}: optimum rate (√κ − 1)/(√κ + 1) = "
                 f"{problem.optimal_rate():.4f}, against {problem.optimal_rate(False):.4f} without momentum", fontsize=11)
    save_figure(fig, path)


def plot_step_ranges(problem: Quadratic, sweep: Sweep, momenta: list[float], path: str | os.PathLike) -> None:
    """Rate against step size for a few momenta: theory as lines, measurements as dots; each
    momentum's largest stable step 2(1 + α)/L dotted."""
    fig, ax = plt.subplots(figsize=(8, 4.6))
    fine = torch.linspace(sweep.steps[0].item(), sweep.steps[-1].item(), 600, dtype=sweep.steps.dtype)
    colours = plt.get_cmap("plasma")(torch.linspace(0, 0.85, len(momenta)).numpy())
    for alpha, colour in zip(momenta, colours):
        row = (sweep.momenta - alpha).abs().argmin().item()
        alpha_here = sweep.momenta[row].item()
        ax.plot(fine.numpy(), theoretical_rate(problem, fine, torch.tensor([alpha_here]))[0].numpy(), color=colour,
                label=f"α = {alpha_here:.3f}: stable for η < {problem.largest_stable_step(alpha_here):.4f}")
        ax.plot(sweep.steps.numpy(), sweep.rates[row].clamp(max=2).numpy(), "o", color=colour, ms=3)
        ax.axvline(problem.largest_stable_step(alpha_here), color=colour, ls=":", lw=1)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_ylim(problem.optimal_rate() - 0.05, 1.1)
    ax.set_xlabel("step size η")
    ax.set_ylabel("convergence rate (≥ 1: diverges)")
    ax.set_title(f"Momentum allows a larger range of step sizes (κ = {problem.condition:g}; lines: closed form, "
                 "dots: measured)", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    save_figure(fig, path)


def plot_trajectories(problem: Quadratic, runs: dict[str, tuple[float, float]], start: tuple[float, float],
                      iterations: int, path: str | os.PathLike) -> None:
    """Paths of optim.SGD on the 2-D quadratic ½(μ w1² + L w2²), and their distance to the optimum."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    paths = {name: trajectory(problem, eta, alpha, start, iterations) for name, (eta, alpha) in runs.items()}
    reach = torch.cat(list(paths.values())).abs().amax(0) * 1.1
    gx, gy = torch.meshgrid(torch.linspace(-reach[0], reach[0], 200), torch.linspace(-reach[1], reach[1], 200),
                            indexing="xy")
    left.contour(gx.numpy(), gy.numpy(), (0.5 * (problem.mu * gx ** 2 + problem.L * gy ** 2)).numpy(), levels=12,
                 colors="#cccccc", linewidths=0.7)
    for (name, path_), colour in zip(paths.items(), ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")):
        left.plot(path_[:, 0].numpy(), path_[:, 1].numpy(), "-o", ms=2, lw=1, color=colour, label=name)
        right.semilogy(path_.norm(dim=1).numpy(), color=colour, label=name)
    left.plot([0], [0], "k*", ms=10)
    left.set_xlabel("w1 (eigenvalue μ)")
    left.set_ylabel("w2 (eigenvalue L)")
    left.set_title(f"Paths on ½(μ w1² + L w2²), μ = {problem.mu:g}, L = {problem.L:g}", fontsize=10)
    left.legend(fontsize=8)
    right.set_xlabel("step t")
    right.set_ylabel("distance to the optimum ‖w_t‖")
    right.set_title("Momentum creates its own oscillations: with complex roots the error rotates, |t| = √α",
                    fontsize=10)
    right.grid(True, alpha=0.3)
    save_figure(fig, path)
