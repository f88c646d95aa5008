"""Why momentum works: the rates diffprog's SGD achieves on a quadratic match the closed form
(Goh, 2017) — over a grid, at both optima and at the edges of stability — and the command's outputs."""
from __future__ import annotations

import json
import math

import pytest
import torch

from diffprog.lecture.momentum import Quadratic, measure_rates, theoretical_rate, trajectory

PROBLEM = Quadratic(mu=1.0, L=100.0, dim=20)


def test_measured_rates_match_the_closed_form_over_a_grid():
    steps = torch.linspace(0, 4 / PROBLEM.L, 21, dtype=torch.float64)[1:]
    momenta = torch.linspace(0, 0.95, 20, dtype=torch.float64)
    sweep = measure_rates(PROBLEM, steps, momenta, iterations=800)
    theory = theoretical_rate(PROBLEM, steps, momenta)
    converging = theory < 0.995
    assert converging.sum() > 150
    torch.testing.assert_close(sweep.rates[converging], theory[converging], rtol=5e-3, atol=0)
    clear = (theory - 1).abs() > 0.01  # off the stability edge itself (rate exactly 1 there)
    assert ((sweep.rates >= 1) == (theory >= 1))[clear].all()  # the same runs diverge


def test_the_optimum_is_where_theory_puts_it():
    eta, alpha = PROBLEM.optimal_momentum()
    assert (eta, alpha) == pytest.approx(((2 / 11) ** 2, (9 / 11) ** 2))
    kappa = PROBLEM.condition
    assert PROBLEM.optimal_rate() == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    steps = torch.linspace(0.8 * eta, 1.2 * eta, 21, dtype=torch.float64)
    momenta = torch.linspace(alpha - 0.1, alpha + 0.1, 21, dtype=torch.float64)
    sweep = measure_rates(PROBLEM, steps, momenta, iterations=800)
    m, s = divmod(sweep.rates.argmin().item(), len(steps))
    assert steps[s].item() == pytest.approx(eta, rel=0.05) and momenta[m].item() == pytest.approx(alpha, rel=0.02)
    assert sweep.rates[m, s].item() == pytest.approx(PROBLEM.optimal_rate(), rel=5e-3)
    assert sweep.rates[m, s].item() < 0.85 * PROBLEM.optimal_rate(momentum=False)  # √κ beats κ


def test_gradient_descent_is_best_at_two_over_l_plus_mu():
    best = torch.tensor([PROBLEM.gradient_descent_step()], dtype=torch.float64)
    rate = measure_rates(PROBLEM, best, torch.zeros(1, dtype=torch.float64)).rates.item()
    assert rate == pytest.approx(PROBLEM.optimal_rate(momentum=False), rel=1e-3)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9])
def test_momentum_widens_the_stable_step_sizes_to_two_one_plus_alpha_over_l(alpha):
    edge = PROBLEM.largest_stable_step(alpha)
    assert edge == pytest.approx(2 * (1 + alpha) / PROBLEM.L)
    steps = torch.tensor([0.97 * edge, 1.03 * edge], dtype=torch.float64)
    rates = measure_rates(PROBLEM, steps, torch.tensor([alpha], dtype=torch.float64), iterations=400).rates[0]
    assert rates[0] < 1 < rates[1]


def test_heavy_momentum_oscillates_where_gradient_descent_does_not():
    plane = Quadratic(mu=1.0, L=20.0, dim=2)
    gd = trajectory(plane, 1 / plane.L, 0.0, (1.0, 0.3), 40).norm(dim=1)
    heavy = trajectory(plane, 1 / plane.L, 0.9, (1.0, 0.3), 40).norm(dim=1)
    assert (gd[1:] <= gd[:-1]).all()                # small steps without momentum: always closer
    assert (heavy[1:] > heavy[:-1]).sum() >= 5       # momentum's own oscillation: it moves away, again and again


def test_the_command_writes_its_figures_and_numbers(tmp_path, run_tool):
    code, out, _ = run_tool("momentum", "--grid", "12", "--iterations", "200", "--seed", "4", "--out", str(tmp_path / "m"))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["momentum.json", "rate_map.png", "step_sizes.png",
                                                                    "trajectories.png"]
    record = json.loads((tmp_path / "m" / "momentum.json").read_text())
    assert record["seed"] == 4 and len(record["measured_rates"]) == 12
    assert record["optimum"]["theory"]["rate"] == pytest.approx(9 / 11)
    assert [row["measured"] is not None for row in record["largest_stable_step"]] == [True] * 4
