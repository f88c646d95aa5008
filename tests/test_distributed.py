"""torchrun splits units across processes (gloo on CPU) and gathers one contact sheet that equals a
single-process run."""
from __future__ import annotations

import json
import os
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from diffprog.optvis.distributed import share

from .conftest import ROOT


def test_units_are_dealt_round_robin_and_cover_every_unit_once():
    units = list(range(10))
    shares = [share(units, r, 3) for r in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert sorted(sum(shares, [])) == units
    assert share([0, 1], 2, 3) == []


@pytest.mark.slow
def test_two_gloo_processes_make_the_same_images_as_one(tmp_path):
    common = ["scripts/visualize_unit.py", "--layer", "block2.conv2", "--units", "0-4", "--steps", "6",
              "--device", "cpu"]
    env = {**os.environ, "DIFFPROG_FUSION": "off"}  # what is tested is the split and gather, not compiling
    for command, out in (([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"], "two"),
                         ([sys.executable], "one")):
        done = subprocess.run([*command, *common, "--out", str(tmp_path / out)], capture_output=True, text=True,
                              cwd=ROOT, timeout=240, env=env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    run = json.loads((tmp_path / "two" / "run.json").read_text())
    assert run["processes"] == 2 and run["units"] == [0, 1, 2, 3, 4]
    assert (tmp_path / "two" / "contact_sheet.png").exists()
    for unit in range(5):
        name = f"unit_{unit:04d}.png"
        a = torch.from_numpy(np.asarray(Image.open(tmp_path / "two" / name), dtype="float32")) / 255
        b = torch.from_numpy(np.asarray(Image.open(tmp_path / "one" / name), dtype="float32")) / 255
        mse = (a - b).pow(2).mean().item()
        assert mse == 0 or 10 * math.log10(1 / mse) >= 40, name
