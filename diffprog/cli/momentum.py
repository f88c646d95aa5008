"""Why momentum really works (Goh, 2017): on a quadratic with condition number κ, measure the
convergence rate of the lecture's momentum (diffprog.optim.SGD) over a grid of step sizes and
momenta, next to the closed form; the optimum measured and in theory; the range of stable step
sizes with and without momentum; and trajectories that show momentum's own oscillations.

    python scripts/momentum.py                      # κ = 100 (a few seconds)
    python scripts/momentum.py --condition 1000 --grid 80

Writes into a fresh folder (default outputs/momentum): rate_map.png, step_sizes.png,
trajectories.png and momentum.json (the grid's measured and closed-form rates, both optima, the
largest stable step per momentum, the seed of the start).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from diffprog.cli.options import add_seed_option, real, whole
from diffprog.cli.outputs import add_out_folder, command_line, parse_checked, write_failed
from diffprog.io import fresh_dir, versions, write_json
from diffprog.lecture.momentum import Quadratic, measure_rates, theoretical_rate
from diffprog.lecture.momentum_picture import plot_rate_maps, plot_step_ranges, plot_trajectories


def _largest_stable(steps: torch.Tensor, rates: torch.Tensor) -> float | None:
    """The largest step of the grid whose run converged (rate < 1) with every smaller step converging."""
    stable = (rates < 1).tolist()
    if not stable[0]:
        return None
    first_bad = stable.index(False) if False in stable else len(stable)
    return steps[first_bad - 1].item()


def refined_optimum(problem: Quadratic, sweep, iterations: int, seed: int) -> tuple[float, float, float]:
    """The measured best (η, α, rate): the grid's best point, then a 41 × 41 grid over its neighbour cells."""
    flat = torch.nan_to_num(sweep.rates, posinf=9.0).argmin().item()
    m, s = divmod(flat, len(sweep.steps))
    d_eta, d_alpha = (sweep.steps[1] - sweep.steps[0]).item(), (sweep.momenta[1] - sweep.momenta[0]).item()
    steps = torch.linspace(sweep.steps[s].item() - d_eta, sweep.steps[s].item() + d_eta, 41, dtype=torch.float64)
    momenta = torch.linspace(max(0.0, sweep.momenta[m].item() - d_alpha), min(0.999, sweep.momenta[m].item() + d_alpha),
                             41, dtype=torch.float64)
    fine = measure_rates(problem, steps.clamp(min=1e-9), momenta, iterations, seed)
    flat = torch.nan_to_num(fine.rates, posinf=9.0).argmin().item()
    m, s = divmod(flat, len(steps))
    return steps[s].item(), momenta[m].item(), fine.rates[m, s].item()


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--condition", type=real(1.5, 1e6), default=100.0, help="κ = L/μ, with μ = 1 (default 100)")
    parser.add_argument("--grid", type=whole(4, 400), default=60, help="grid points per axis (default 60)")
    parser.add_argument("--iterations", type=whole(40, 100_000), default=800,
                        help="steps per grid point; the rate is measured over the second half (default 800)")
    add_seed_option(parser, "seed of the random start (default 0)")
    add_out_folder(parser, "outputs/momentum")
    args = parse_checked(parser, argv)
    problem = Quadratic(mu=1.0, L=args.condition)
    steps = torch.linspace(0, 4 / problem.L, args.grid + 1, dtype=torch.float64)[1:]  # past 2(1 + α)/L for all α < 1
    momenta = torch.linspace(0, 0.99, args.grid, dtype=torch.float64)
    sweep = measure_rates(problem, steps, momenta, args.iterations, args.seed)
    theory = theoretical_rate(problem, steps, momenta)
    eta_star, alpha_star = problem.optimal_momentum()
    best_eta, best_alpha, best_rate = refined_optimum(problem, sweep, args.iterations, args.seed)
    shown = [0.0, 0.5, alpha_star, 0.9]
    rows = [(momenta - a).abs().argmin().item() for a in shown]
    plane = Quadratic(mu=1.0, L=min(args.condition, 20.0), dim=2)
    plane_eta, plane_alpha = plane.optimal_momentum()
    runs = {f"gradient descent, η = 2/(L + μ) = {plane.gradient_descent_step():.3f}": (plane.gradient_descent_step(), 0.0),
            f"momentum at the optimum, η* = {plane_eta:.3f}, α* = {plane_alpha:.3f}": (plane_eta, plane_alpha),
            f"heavy momentum, η = {plane_eta:.3f}, α = 0.9": (plane_eta, 0.9)}
    try:
        out = fresh_dir(args.out)
        plot_rate_maps(problem, sweep, (best_eta, best_alpha, best_rate), out / "rate_map.png")
        plot_step_ranges(problem, sweep, shown, out / "step_sizes.png")
        plot_trajectories(plane, runs, (1.0, 0.3), 40, out / "trajectories.png")
        write_json(out / "momentum.json", {
            "seed": args.seed, "command": command_line(), "versions": versions(),
            "mu": problem.mu, "L": problem.L, "condition": problem.condition, "dimension": problem.dim,
            "iterations": args.iterations, "steps": steps.tolist(), "momenta": momenta.tolist(),
            "measured_rates": sweep.rates.tolist(), "closed_form_rates": theory.tolist(),
            "optimum": {"theory": {"eta": eta_star, "alpha": alpha_star, "rate": problem.optimal_rate()},
                        "measured": {"eta": best_eta, "alpha": best_alpha, "rate": best_rate},
                        "gradient_descent": {"eta": problem.gradient_descent_step(),
                                             "rate": problem.optimal_rate(momentum=False)}},
            "largest_stable_step": [{"alpha": momenta[r].item(), "theory": problem.largest_stable_step(momenta[r].item()),
                                     "measured": _largest_stable(steps, sweep.rates[r])} for r in rows],
        })
    except OSError as error:
        return write_failed(Path(args.out), error)
    print(f"optimum: measured η = {best_eta:.4f}, α = {best_alpha:.3f}, rate {best_rate:.4f}; theory η* = {eta_star:.4f}, α* = {alpha_star:.3f}, rate "
          f"{problem.optimal_rate():.4f} (gradient descent: {problem.optimal_rate(False):.4f})")
    print(f"wrote rate_map.png, step_sizes.png, trajectories.png, momentum.json → {out}/")
    return 0
