"""The benchmarks run end to end at toy sizes on the CPU and print every row they promise, so a GPU
session (rare and short) does not find a broken benchmark. A tool that fails inside a benchmark is
reported and its row left out, so the tests check the rows, not only the exit status."""
from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _rows(table: str) -> list[str]:
    """The first cell of each data row of a markdown table."""
    return [line.split("|")[1].strip() for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| tool") and not line.startswith("| op ")]


def test_ops_benchmark_times_the_ops_it_is_asked_for():
    out = _run("benchmarks/ops.py", "--device", "cpu", "--ops", "relu", "layer_norm", "--rounds", "1",
               "--min-time", "0.01")
    assert _rows(out) == ["relu", "layer_norm"]


# The compiled rows (--compile MODE) are left to the GPU runbook: compiling costs a minute on 2 CPU
# cores, and the compiled render itself is tested in test_truncate.py and test_clip.py.
def test_unitvis_benchmark_prints_diffprog_and_plain_rows():
    out = _run("benchmarks/unitvis.py", "--batches", "1", "--steps", "2")
    assert {"diffprog", "plain PyTorch"} <= set(_rows(out)), out


def test_clip_benchmark_prints_diffprog_and_plain_rows():
    out = _run("benchmarks/clip.py", "--steps", "2", "--cutouts", "2", "--size", "64")
    assert set(_rows(out)) == {"diffprog clip_optimize", "plain VQGAN-CLIP-style loop"}


def test_clip_quality_benchmark_judges_drawings_and_finds_the_objectives_best_scene():
    out = _run("benchmarks/clip_quality.py", "--params", "shapes", "--prompts", "held-out", "--seeds", "1",
               "--first-seed", "3", "--restarts", "2", "--steps", "2", "--cutouts", "2", "--contrast", "0")
    assert _rows(out) == ["prompts", "held-out"]  # the header, then one row
    table = _run("benchmarks/clip_quality.py", "--scene-optimum", "--prompts", "held-out")
    lines = [line for line in table.splitlines() if line.startswith("| held-out")]
    assert len(lines) == 6
    for line in lines:  # the embedded source CLIP's objective peaks at the prompt's own shape
        prompt, best = line.split("|")[2].strip(), line.split("|")[3].strip()
        assert best.split(" (")[0].split()[-1] == prompt.split()[-1], line


@pytest.mark.slow
def test_dream_benchmark_prints_tiled_untiled_and_plain_rows():
    rows = _rows(_run("benchmarks/dream.py", "--size", "64"))
    assert len(rows) == 3 and any(r.startswith("plain") for r in rows), rows


needs_imagenet = pytest.mark.skipif(
    not (ROOT.parent / "shared" / "weights" / "imagenet" / "mobilenet_v2_google.pth").exists(),
    reason="needs ../shared/weights/imagenet")


@needs_imagenet
def test_unitvis_quality_benchmark_prints_the_imagenet_row_with_top1_top5_and_clipping():
    out = _run("benchmarks/unitvis_quality.py", "--only", "imagenet", "--imagenet-classes", "2", "--seeds", "1",
               "--steps", "2")
    rows = [line for line in out.splitlines() if line.startswith("| ImageNet")]
    assert rows and rows[0].startswith("| ImageNet MobileNetV2 torchvision → Google: diffprog (128 px, decay 1.25, class "
                                       "transforms) | 2 × 1, 2 steps |")
    assert all(line.count("%") == 3 for line in rows)  # top-1, top-5, clipped (and Lucent's row when installed)


@needs_imagenet
def test_imagenet_ablation_prints_a_row_per_variant_and_its_pictures(tmp_path):
    out = _run("benchmarks/imagenet_ablation.py", "--variants", "diffprog", "decay-1.25-size-128", "now-strong-flip",
               "now-noise-0.05", "now-log-prob", "--classes", "1", "--first", "10", "--steps", "1",
               "--lucent-sizes", "--out", str(tmp_path))
    assert "1 classes (from 10, every 1000)" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "%" in line]
    assert [r.split("|")[1].strip() for r in rows] == [
        "diffprog before (decay 1.5, own transforms, 224 px)", "decay 1.25, 128 px",
        "128 px, decay 1.25, wider zoom + flips", "128 px, decay 1.25, pixel noise σ 0.05",
        "128 px, decay 1.25, log p(class)"]
    assert (tmp_path / "ablation.png").exists()


@needs_imagenet
def test_unitvis_benchmark_runs_the_real_mobilenet_on_class_logits():
    out = _run("benchmarks/unitvis.py", "--model", "mobilenet_v2", "--batches", "1", "--steps", "2")
    assert {"diffprog", "plain PyTorch"} <= set(_rows(out)), out


def test_gpu_runbook_is_valid_bash():
    done = subprocess.run(["bash", "-n", "benchmarks/gpu_session.sh"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_quality_benchmarks_find_shared_weights_beside_the_checkout_or_carried_inside_it(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from unitvis_quality import shared_weights
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    assert shared_weights(checkout) == checkout / "shared" / "weights"  # the device machine: no ../shared
    (tmp_path / "shared" / "weights").mkdir(parents=True)
    assert shared_weights(checkout) == tmp_path / "shared" / "weights"
