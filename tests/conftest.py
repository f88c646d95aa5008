from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # One core per worker, for this process and the scripts it starts: two workers with two
    # threads each would oversubscribe the cores and run many times slower, not faster.
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"

import torch

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

def run_script(*args: str) -> subprocess.CompletedProcess:
    """Run `python ARGS` from the project root; raises if it exits non-zero."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, check=True)


@pytest.fixture
def run_tool(capsys):
    """run_tool(TOOL, *ARGS) → (exit code, stdout, stderr) of `diffprog TOOL ARGS`, run in this process
    (argparse's SystemExit gives the code, as it would for the command). For errors caught before
    any work, where starting a Python process would cost more than the check itself."""
    from diffprog.cli.main import TOOLS

    def run(tool: str, *args: str) -> tuple[int, str, str]:
        module = importlib.import_module(TOOLS[tool][0])
        try:
            code = module.main(list(args), prog=f"diffprog {tool}")
        except SystemExit as exited:
            code = exited.code
        captured = capsys.readouterr()
        return code or 0, captured.out, captured.err
    return run


requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)
    yield


def _at_objective_call(monkeypatch, stop):
    """arm(n): the n-th objective evaluation calls stop() first."""
    from diffprog.optvis.objectives import Objective

    def arm(n: int) -> None:
        calls = {"n": 0}
        original = Objective.__call__

        def call(self, acts, images):
            calls["n"] += 1
            if calls["n"] == n:
                stop()
            return original(self, acts, images)

        monkeypatch.setattr(Objective, "__call__", call)
    return arm


def _ctrl_c():
    raise KeyboardInterrupt


@pytest.fixture
def interrupt_at(monkeypatch):
    """arm(n): the n-th objective evaluation raises KeyboardInterrupt, as a user's Ctrl-C would."""
    return _at_objective_call(monkeypatch, _ctrl_c)


@pytest.fixture
def terminate_at(monkeypatch):
    """arm(n): the n-th objective evaluation sends this process SIGTERM, as a job scheduler would."""
    return _at_objective_call(monkeypatch, lambda: signal.raise_signal(signal.SIGTERM))


@pytest.fixture
def relu_used_twice() -> torch.nn.Sequential:
    """lin → act → lin2 → act again, where both activations are one ReLU object (it runs twice)."""
    relu = torch.nn.ReLU()
    model = torch.nn.Sequential()
    model.add_module("lin", torch.nn.Linear(4, 4))
    model.add_module("act", relu)
    model.add_module("lin2", torch.nn.Linear(4, 4))
    model.add_module("act_again", relu)
    return model
