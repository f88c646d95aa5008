"""scripts/visualize_unit.py: the default run, outputs, listing and errors."""
from __future__ import annotations

import json
import subprocess
import sys

from PIL import Image

from diffprog.data import SHAPE_CLASSES

from .conftest import ROOT


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/visualize_unit.py", *args], capture_output=True, text=True,
                          cwd=ROOT, check=check)


def test_default_run_visualizes_every_class_into_a_fresh_folder(tmp_path):
    out = tmp_path / "vis"
    _run("--steps", "6", "--out", str(out), "--gif")
    n = len(SHAPE_CLASSES)
    assert len(list(out.glob("unit_*.png"))) == n and len(list(out.glob("unit_*.json"))) == n
    meta = json.loads((out / "unit_0004.json").read_text())
    assert meta["label"] == f"4 {SHAPE_CLASSES[4]}" and meta["seed"] == 0 and meta["steps"] == 6
    assert "torch" in meta["versions"] and meta["final_objective"] is not None
    with Image.open(out / "contact_sheet.png") as sheet:
        assert sheet.width > 400
    with Image.open(out / "optimization.gif") as gif:
        assert gif.n_frames > 2
    assert (out / "objective.png").exists() and json.loads((out / "run.json").read_text())["units"] == list(range(n))
    _run("--steps", "2", "--units", "0", "--out", str(out))
    assert (tmp_path / "vis-2" / "unit_0000.png").exists(), "an existing output folder was reused"


def test_layer_units_run_writes_one_image_per_unit(tmp_path):
    _run("--layer", "block2.conv2", "--units", "0-2", "--steps", "4", "--out", str(tmp_path / "o"))
    assert sorted(p.name for p in (tmp_path / "o").glob("unit_*.png")) == ["unit_0000.png", "unit_0001.png",
                                                                           "unit_0002.png"]


def test_list_layers_prints_names_and_shapes():
    out = _run("--list-layers").stdout
    assert "block2.conv2" in out and "(48, 16, 16)" in out and "output" in out


def test_bad_layer_and_unit_give_clear_errors_and_write_nothing(tmp_path, run_tool):
    code, _, err = run_tool("visualize", "--layer", "block2.conv3", "--out", str(tmp_path / "x"))
    assert code == 2 and "block2.conv2" in err
    code, _, err = run_tool("visualize", "--layer", "block2.conv2", "--units", "50", "--out", str(tmp_path / "x"))
    assert code == 2 and "48 channels" in err
    assert not (tmp_path / "x").exists()


def test_unavailable_or_unknown_device_is_refused_before_any_work(tmp_path, run_tool):
    import torch

    code, _, err = run_tool("visualize", "--device", "gpu", "--out", str(tmp_path / "x"))
    assert code == 2 and "unknown device 'gpu'" in err
    if not torch.cuda.is_available():
        code, _, err = run_tool("visualize", "--device", "cuda", "--out", str(tmp_path / "x"))
        assert code == 2 and "CUDA is not available" in err
    assert not (tmp_path / "x").exists()
