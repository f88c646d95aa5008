"""diffprog installs as a library: a wheel that carries the embedded models, and a `diffprog`
command that runs the main job from any folder."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_the_wheel_carries_the_models_and_its_command_runs_the_main_job_from_another_folder(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("diffprog-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "diffprog/assets/shapes_cnn.pt" in names and "diffprog/assets/scenes_clip/open_clip_model.safetensors" in names
    assert "diffprog/ops/kernels/layer_norm_backward.c" in names
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing but the wheel provides diffprog
    venv = tmp_path / "venv"  # torch and the other dependencies come from this interpreter's site-packages
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True,
                   capture_output=True, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import diffprog; print(diffprog.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, check=True, env=env).stdout
    assert str(venv) in where, f"diffprog was imported from {where}, not from the installed wheel"
    listing = subprocess.run([str(venv / "bin" / "diffprog"), "--help"], capture_output=True, text=True, check=True,
                             env=env)
    assert all(tool in listing.stdout for tool in ("visualize", "dream", "clip", "check", "backprop"))
    run = subprocess.run([str(venv / "bin" / "diffprog"), "visualize", "--steps", "2", "--units", "0-1", "--out", "out"],
                         cwd=elsewhere, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "out" / "contact_sheet.png").exists()
    assert "site-packages/diffprog/assets/shapes_cnn.pt" in (elsewhere / "out" / "run.json").read_text()
