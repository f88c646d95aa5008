"""The lecture's scripts run and write what they promise."""
from __future__ import annotations

import json

import torch
from PIL import Image

from diffprog.data import two_spirals
from diffprog.lecture import fit_classifier, mlp
from diffprog.optim import Adam

from .conftest import run_script as _run


def test_backprop_example_script_prints_json_with_both_columns():
    data = json.loads(_run("scripts/backprop_example.py", "--json").stdout)
    assert set(data) == {"diffprog", "torch", "slide"}
    assert abs(data["diffprog"]["dL/dx3"] - (-0.1869)) < 1e-4


def test_backprop_example_script_prints_the_table():
    out = _run("scripts/backprop_example.py").stdout
    assert "dL/dW0" in out and " NO" not in out


def test_mlp_of_diffprog_ops_learns_two_spirals_to_99_percent():
    x, y = two_spirals(200, seed=0)
    torch.manual_seed(0)
    model = mlp([2, 64, 64, 2])
    history = fit_classifier(model, Adam(model.parameters(), lr=0.01), x, y, steps=800, progress=False)
    assert history.accuracy[-1] >= 0.99
    assert history.loss[-1] < history.loss[0] / 10


def test_train_mlp_script_writes_pictures_and_results_without_overwriting(tmp_path):
    out = tmp_path / "mlp"
    for _ in range(2):
        _run("scripts/train_mlp.py", "--steps", "30", "--points", "50", "--out", str(out))
    for folder in (out, tmp_path / "mlp-2"):
        for name in ("decision_boundaries.png", "loss_curves.png"):
            with Image.open(folder / name) as im:
                assert im.format == "PNG" and im.width > 200
        results = json.loads((folder / "results.json").read_text())
        assert len(results["results"]) == 3 and results["settings"]["seed"] == 0
