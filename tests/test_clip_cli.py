"""scripts/clip_optimize.py: outputs, the generator path, and errors that write nothing."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PIL import Image

from .conftest import ROOT


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/clip_optimize.py", *args], capture_output=True, text=True,
                          cwd=ROOT, check=check)


def test_a_prompt_run_writes_images_settings_curve_and_gif_into_a_fresh_folder(tmp_path):
    out = tmp_path / "clip"
    _run("--prompt", "a red star", "--prompt", "a blue circle:-0.5", "--steps", "4", "--cutouts", "4",
         "--size", "64", "--images", "2", "--seed", "5", "--gif", "--out", str(out))
    assert sorted(p.name for p in out.glob("image_*.png")) == ["image_00.png", "image_01.png"]
    meta = json.loads((out / "image_01.json").read_text())
    assert meta["seed"] == 6 and meta["prompts"] == ["a red star", "a blue circle"] and meta["weights"] == [1.0, -0.5]
    assert set(meta["similarity"]) == {"a red star", "a blue circle"} and "torch" in meta["versions"]
    with Image.open(out / "image_00.png") as image:
        assert image.size == (64, 64)
    with Image.open(out / "optimization.gif") as gif:
        assert gif.n_frames > 2
    assert (out / "contact_sheet.png").exists() and (out / "objective.png").exists()
    assert json.loads((out / "run.json").read_text())["seeds"] == [5, 6]
    _run("--prompt", "a red star", "--steps", "1", "--cutouts", "2", "--size", "64", "--out", str(out))
    assert (tmp_path / "clip-2" / "image_00.png").exists(), "an existing output folder was reused"


def test_several_models_guide_as_an_ensemble(tmp_path):
    out = tmp_path / "ensemble"
    done = _run("--prompt", "a red star", "--model", "scenes-clip,scenes-clip-seed1", "--steps", "2", "--cutouts", "2",
                "--size", "64", "--out", str(out))
    assert "similarity a red star" in done.stdout
    assert json.loads((out / "run.json").read_text())["model"] == "scenes-clip,scenes-clip-seed1"


def test_contrast_pushes_away_from_the_embedded_family_or_the_given_captions(tmp_path):
    _run("--prompt", "a red star", "--contrast", "2", "--steps", "1", "--cutouts", "2", "--size", "64",
         "--out", str(tmp_path / "family"))
    meta = json.loads((tmp_path / "family" / "run.json").read_text())
    assert meta["contrast"] == 2.0 and meta["prompts"][0] == "a red star" and len(meta["prompts"]) == 36
    assert meta["weights"][0] == 1.0 and meta["weights"][1:] == pytest.approx([-2 / 35] * 35)
    _run("--prompt", "a red star", "--contrast", "1", "--against", "a red cross", "--against", "a red star",
         "--steps", "1", "--cutouts", "2", "--size", "64", "--out", str(tmp_path / "given"))
    meta = json.loads((tmp_path / "given" / "run.json").read_text())
    assert meta["prompts"] == ["a red star", "a red cross"] and meta["weights"] == [1.0, -1.0]


def test_a_shapes_run_records_each_images_shapes_and_its_restarts(tmp_path):
    out = tmp_path / "shapes"
    _run("--prompt", "two red stars", "--param", "shapes", "--objects", "2", "--restarts", "2", "--images", "2",
         "--steps", "2", "--cutouts", "2", "--size", "64", "--out", str(out))
    meta = json.loads((out / "image_01.json").read_text())
    assert meta["param"] == "shapes" and meta["objects"] == 2 and meta["restarts"] == 2
    assert len(meta["shapes"]) == 2 and len(meta["restart_objectives"]) == 2
    assert meta["final_objective"] is not None


def test_generator_run_makes_images_of_the_generators_size(tmp_path):
    out = tmp_path / "gen"
    _run("--prompt", "a green cross", "--param", "generator", "--steps", "3", "--cutouts", "4", "--out", str(out))
    with Image.open(out / "image_00.png") as image:
        assert image.size == (64, 64)
    assert json.loads((out / "run.json").read_text())["param"] == "generator"


@pytest.mark.parametrize("args, message", [
    ((), "no prompts"),
    (("--prompt", ""), "empty prompt"),
    (("--prompt", "a red star:lots"), "'lots' of text 'a red star:lots' is not a number"),
    (("--prompt", "a red star", "--model", "ViT-B-23", "--pretrained", "openai"), "Close names"),
    (("--prompt", "a red star", "--image-prompt", "missing.png"), "missing.png"),
    (("--prompt", "a red star", "--init", "missing.png"), "missing.png"),
    (("--prompt", "a red star", "--device", "gpu"), "unknown device"),
    (("--prompt", "a red star", "--model", "scenes-clip,scenes-clip-seed1", "--pretrained", "openai"),
     "1 comma-separated entries for 2 --model names"),
    (("--prompt", "a red star", "--against", "a red cross"), "--against has no effect without --contrast"),
    (("--prompt", "a red star", "--param", "shapes", "--objects", "0"), "--objects: must be a whole number in [1, 16], got 0"),
    (("--prompt", "a red star", "--restarts", "0"), "--restarts: must be a whole number in [1, 64], got 0"),
    (("--prompt", "a red star", "--images", "0"), "--images: must be a whole number in [1, 256], got 0"),
    (("--prompt", "a red star", "--objects", "2"), "--objects sets the shapes of --param shapes"),
    (("--prompt", "a red star", "--param", "shapes", "--init", "assets/sample_landscape.png"),
     "init image starts a fourier or pixel image"),
    (("--prompt", "a lighthouse", "--model", "ViT-B-32", "--contrast", "1"), "give them with --against"),
    (("--prompt", "a red star", "--cutout-min", "2"), "--cutout-min: must be a number in (0, 1], got 2"),
])
def test_bad_input_gets_a_clear_error_and_writes_nothing(tmp_path, args, message, run_tool, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, _, err = run_tool("clip", *args, "--steps", "1", "--out", str(tmp_path / "x"))
    assert code == 2 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "x").exists()
