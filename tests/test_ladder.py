"""The ladder of knowledge about J: Hessian-vector products by double backward equal the explicit
Hessian times v; conjugate gradients and Newton solve a quadratic exactly; every black-box method
lowers J within its budget and is charged what it evaluates; the command's outputs."""
from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F

from diffprog.data import two_spirals
from diffprog.lecture.blackbox import antithetic_es, descend, finite_differences, spsa
from diffprog.lecture.ladder import LADDER, methods, run_method
from diffprog.lecture.oracle import Oracle, hvp
from diffprog.lecture.problems import quadratic, rosenbrock, two_spirals_mlp
from diffprog.lecture.second_order import conjugate_gradient, newton_cg


def _rosenbrock_hessian(x, y):
    return torch.tensor([[1200 * x * x - 400 * y + 2, -400 * x], [-400 * x, 200.0]], dtype=torch.float64)


def test_hvp_is_the_quadratics_matrix_times_v():
    problem = quadratic(condition=50, dim=8)
    v = torch.randn(8, dtype=torch.float64)
    theta = torch.randn(8, dtype=torch.float64)
    torch.testing.assert_close(hvp(problem.J, theta, v), problem.hessian @ v)


def test_hvp_is_rosenbrocks_hessian_written_by_hand_times_v():
    problem = rosenbrock()
    for point in ([-1.2, 1.0], [0.3, -0.7], [1.0, 1.0]):
        theta = torch.tensor(point, dtype=torch.float64)
        v = torch.randn(2, dtype=torch.float64)
        torch.testing.assert_close(hvp(problem.J, theta, v), _rosenbrock_hessian(*point) @ v)


def test_hvp_through_diffprogs_ops_is_the_mlps_hessian_from_torch_times_v():
    hidden = 4
    problem = two_spirals_mlp(hidden=hidden, points=10)
    shapes = [(hidden, 2), (hidden,), (hidden, hidden), (hidden,), (2, hidden), (2,)]
    sizes = [math.prod(s) for s in shapes]
    xs, ys = two_spirals(10, seed=0)
    xs = xs.to(torch.float64)

    def torch_twin(theta):  # the same network on torch's own ops
        w1, b1, w2, b2, w3, b3 = (p.view(s) for p, s in zip(theta.split(sizes), shapes))
        h = torch.tanh(F.linear(xs, w1, b1))
        h = torch.tanh(F.linear(h, w2, b2))
        return F.cross_entropy(F.linear(h, w3, b3), ys)

    theta = problem.start + 0.1 * torch.randn_like(problem.start)
    torch.testing.assert_close(problem.J(theta), torch_twin(theta))
    explicit = torch.autograd.functional.hessian(torch_twin, theta)
    for _ in range(3):
        v = torch.randn_like(theta)
        torch.testing.assert_close(hvp(problem.J, theta, v), explicit @ v)


def test_conjugate_gradient_solves_n_equations_in_n_products():
    A = quadratic(condition=30, dim=6).hessian
    b = torch.randn(6, dtype=torch.float64)
    calls = []
    x, model = conjugate_gradient(lambda v: calls.append(1) or A @ v, b, iterations=6, tolerance=0.0)
    torch.testing.assert_close(x, torch.linalg.solve(A, b))
    assert len(calls) <= 6 and model == pytest.approx((0.5 * x @ A @ x - b @ x).item())


def test_newton_solves_a_quadratic_in_one_step():
    problem = quadratic(condition=100, dim=20)
    oracle = Oracle(problem.J)
    theta = next(newton_cg(oracle, problem.start, damping=0.0, cg_iterations=20))
    assert problem.J(theta).item() < 1e-9 * problem.J(problem.start).item()
    assert oracle.counts.gradients == 1 and oracle.counts.hvps <= 20


@pytest.mark.parametrize("name, estimator, per_step", [
    ("ES", antithetic_es(0.01, 5), 10), ("SPSA", spsa(0.01), 2), ("finite differences", finite_differences(), 40)])
def test_each_black_box_method_lowers_the_quadratic_within_its_budget(name, estimator, per_step):
    problem = quadratic(condition=100, dim=20)
    oracle = Oracle(problem.J)
    budget = 400
    iterates = descend(oracle, problem.start, estimator, lr=0.1)
    for theta in iterates:
        if oracle.counts.values >= budget:
            break
    assert oracle.counts.values == budget and oracle.counts.gradients == oracle.counts.hvps == 0
    assert oracle.counts.values % per_step == 0  # charged exactly what each step evaluates
    assert problem.J(theta).item() < 0.5 * problem.J(problem.start).item(), name


def test_a_run_records_start_and_every_iteration_and_stops_at_its_budget():
    make, tuning = LADDER["rosenbrock"]
    problem = make()
    for method in methods(tuning):
        run = run_method(problem, method, budget=60, max_iterations=1000)
        assert run.loss[0] == pytest.approx(24.2) and run.evaluations[0] == 0 and run.seconds[0] == 0
        assert len(run.loss) == len(run.evaluations) == len(run.seconds) >= 2
        assert run.evaluations == sorted(run.evaluations) and run.seconds == sorted(run.seconds)
        assert run.evaluations[-2] < 60 <= run.evaluations[-1] or run.loss[-1] <= 1e-12 * run.loss[0], method.name
        assert sum(run.counts.values()) == run.evaluations[-1]


def test_the_command_writes_a_figure_per_problem_and_the_runs(tmp_path, run_tool):
    code, out, _ = run_tool("compare-optimizers", "--problems", "quadratic", "rosenbrock", "--budget", "40",
                            "--seed", "7", "--out", str(tmp_path / "c"))
    assert code == 0, out
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["quadratic.png", "rosenbrock.png", "runs.json"]
    record = json.loads((tmp_path / "c" / "runs.json").read_text())
    assert record["seed"] == 7 and record["budget"] == 40
    families = {run["family"] for run in record["problems"]["quadratic"]["runs"]}
    assert families == {"black box", "first order", "second order"}
