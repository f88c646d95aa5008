"""Ctrl-C and SIGTERM stop a long run the same way: the current result is kept and written, and the
command exits 130 (Ctrl-C) or 143 (SIGTERM)."""
from __future__ import annotations

import json
import signal

import pytest

from diffprog.cli import visualize
from diffprog.models import load_model
from diffprog.optvis import Fourier, RunSettings, objectives, render
from diffprog.steps import exit_code


def test_sigterm_stops_a_render_and_keeps_the_images(terminate_at):
    model, _ = load_model("shapes-cnn")
    terminate_at(4)
    result = render(model, objectives.channel("block2.conv2", 1), Fourier(32),
                    run=RunSettings(steps=50, progress=False, device="cpu"))
    assert result.interrupted and len(result.history) == 3 and result.images.shape == (1, 3, 32, 32)
    assert exit_code(result.interrupted) == 143
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "the loop's SIGTERM handler was not restored"


@pytest.mark.parametrize("stop, code", [("sigterm", 143), ("ctrl-c", 130)])
def test_the_command_writes_the_current_images_and_exits_with_the_signals_code(tmp_path, terminate_at, interrupt_at,
                                                                                stop, code):
    (terminate_at if stop == "sigterm" else interrupt_at)(3)
    out = tmp_path / "run"
    assert visualize.main(["--units", "0-1", "--steps", "40", "--device", "cpu", "--out", str(out)]) == code
    assert (out / "contact_sheet.png").exists()
    assert json.loads((out / "run.json").read_text())["interrupted"] is True


def test_json_outputs_are_valid_json_with_null_for_numbers_json_does_not_have(tmp_path):
    from diffprog.io import write_json

    path = write_json(tmp_path / "x.json", {"objective": [1.0, float("nan"), float("-inf")], "nested": {"a": float("inf")}})
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"objective": [1.0, None, None], "nested": {"a": None}}
