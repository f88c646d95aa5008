"""Which functions have useful gradients: the survey measures what torch does (and could find
otherwise), and the binarized MLP trains only through the straight-through surrogate."""
from __future__ import annotations

import json

import pytest
import torch

from diffprog.lecture.differentiability import binarized_demo, descent_progress, survey


@pytest.fixture(scope="module")
def findings():
    return {f.name: f for f in survey()}


def test_piecewise_constant_functions_have_a_zero_gradient_and_gradient_descent_stalls(findings):
    for name in ("round(x)", "floor(x)", "quantize(x, 1/4)", "sign(x)"):
        assert findings[name].torch_gradient == "{0}" and findings[name].progress == 0.0, name
        assert findings[name].verdict.startswith("hard")


def test_functions_without_any_torch_gradient_say_why(findings):
    assert findings["step(x) (heaviside)"].torch_gradient == "none: torch implements no derivative"
    assert findings["argmax(x)"].torch_gradient == "none: output not connected to x"
    assert findings["argmax(x)"].progress == 0.0


def test_functions_differentiable_almost_everywhere_train_and_torchs_conventions_at_kinks(findings):
    assert findings["abs(x)"].torch_gradient == "{-1, 1}" and findings["abs(x)"].progress > 0.95
    assert findings["relu(x)"].at_kink.startswith("∂/∂x₁ = 0 at x = (0")       # relu'(0) := 0
    assert findings["max(x)"].at_kink.startswith("∂/∂x₁ = 0.5 at x = (1, 1)")  # a tie splits the gradient
    assert findings["max(x)"].verdict.startswith("sparse")
    assert findings["sort(x).values"].torch_gradient == "{1}"                  # a permutation


def test_descent_progress_measures_what_the_gradient_achieves():
    start = torch.randn(16, dtype=torch.float64)
    assert descent_progress(lambda x: 3 * x, start) > 0.999
    assert descent_progress(torch.round, start) == 0.0


def test_through_torch_sign_only_the_last_layer_learns_and_sign_ste_trains_them_all():
    _, _, runs = binarized_demo(steps=150, points=60, progress=False)
    hard, ste = runs.values()
    assert hard.moved[:-1] == [0.0, 0.0, 0.0] and hard.moved[-1] > 0
    assert all(m > 0.05 for m in ste.moved)
    assert ste.history.loss[-1] < hard.history.loss[-1]


def test_the_command_writes_the_table_the_demo_and_the_numbers(tmp_path, run_tool):
    code, out, _ = run_tool("differentiability", "--steps", "30", "--seed", "2", "--out", str(tmp_path / "d"))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["binarized_loss.png", "binarized_mlp.png",
                                                                    "differentiability.json", "table.png"]
    record = json.loads((tmp_path / "d" / "differentiability.json").read_text())
    assert record["seed"] == 2 and len(record["table"]) == 12 and len(record["binarized_mlp"]) == 2
