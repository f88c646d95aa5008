"""The public checker catches wrong backward passes in users' own Functions."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from diffprog.check import Report, call, check_function, command
from diffprog.check.builtin import SPECS, OpSpec


class Cube(torch.autograd.Function):
    """y = x³, y' = 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class CubeWithWrongBackward(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x  # forgot a factor x


class CubeWithoutDoubleBackward(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * (x * x).detach()  # second derivative lost


def _cases():
    return {"(5,)": lambda dt, dv: call(torch.randn(5, dtype=dt, device=dv, requires_grad=True)),
            "(2, 3)": lambda dt, dv: call(torch.randn(2, 3, dtype=dt, device=dv, requires_grad=True))}


def test_a_correct_function_passes_every_check():
    report = check_function(Cube.apply, lambda x: x ** 3, _cases(), name="cube",
                            dtypes=[torch.float64, torch.float32, torch.bfloat16])
    assert report.passed, report.table()
    assert len(report.results) == 6
    assert all(r.gradcheck and r.gradgradcheck for r in report.results if r.dtype == "float64")


def test_a_wrong_backward_is_caught_with_per_input_errors():
    report = check_function(CubeWithWrongBackward.apply, lambda x: x ** 3, _cases(), name="cube")
    assert not report.passed
    failed = report.failures()[0]
    grad = next(i for i in failed.inputs if i.name == "grad arg0")
    assert not grad.passed and grad.max_abs_error > 0.1 and grad.max_rel_error > 0.1
    assert "FAIL" in report.table() and "cube" in report.table()


def test_a_backward_that_breaks_double_backward_is_caught_by_gradgradcheck():
    report = check_function(CubeWithoutDoubleBackward.apply, lambda x: x ** 3, _cases(), name="cube",
                            dtypes=[torch.float64])
    assert all(r.gradcheck for r in report.results)
    assert not any(r.gradgradcheck for r in report.results)
    assert not report.passed


def test_command_line_checks_ops_and_exits_zero():
    done = subprocess.run([sys.executable, "-m", "diffprog.check", "--ops", "tanh", "linear", "--dtypes", "float64"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tanh" in done.stdout and "linear" in done.stdout and "passed" in done.stdout


def test_command_line_exits_non_zero_when_an_op_fails(monkeypatch, capsys):
    monkeypatch.setitem(SPECS, "cube", OpSpec("cube", CubeWithWrongBackward.apply, lambda x: x ** 3, _cases()))
    assert command.main(["--ops", "cube", "--dtypes", "float64"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_a_check_of_nothing_does_not_pass():
    with pytest.raises(ValueError, match="at least one case"):
        check_function(torch.tanh, torch.tanh, {})
    with pytest.raises(ValueError, match="not torch.int64"):
        check_function(torch.tanh, torch.tanh, _cases(), dtypes=[torch.int64])
    assert not Report([]).passed
