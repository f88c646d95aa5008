"""The trainers of the embedded models run end to end at toy sizes (plain and adversarial) and
write weights that load, with a model card that records the settings and the weights' hash."""
from __future__ import annotations

import hashlib
import json

import open_clip
import pytest

from diffprog.models import load_model

from .conftest import run_script as _run


@pytest.mark.slow
def test_train_classifier_writes_loadable_weights_and_a_card(tmp_path):
    _run("scripts/train_classifier.py", "--epochs", "1", "--per-epoch", "256", "--adversarial", "0.03",
         "--out", str(tmp_path), "--name", "toy")
    card = json.loads((tmp_path / "toy.json").read_text())
    weights = tmp_path / "toy.pt"
    assert card["adversarial_eps"] == 0.03 and card["epochs"] == 1 and "--adversarial 0.03" in card["command"]
    assert card["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert 0 <= card["held_out_accuracy"] <= 1 and (tmp_path / "toy_loss.png").exists()
    load_model("shapes-cnn", weights)


@pytest.mark.slow
def test_train_clip_writes_an_open_clip_folder_and_a_card(tmp_path):
    _run("scripts/train_clip.py", "--steps", "2", "--batch", "16", "--adversarial", "0.03",
         "--out", str(tmp_path), "--name", "toy")
    folder = tmp_path / "toy"
    card = json.loads((folder / "model_card.json").read_text())
    assert card["adversarial_eps"] == 0.03 and card["steps"] == 2
    assert card["sha256"] == hashlib.sha256((folder / "open_clip_model.safetensors").read_bytes()).hexdigest()
    assert set(card["zero_shot"]) >= {"held_out_colour_shape_accuracy", "seen_colour_shape_accuracy"}
    assert (folder / "loss.png").exists()
    open_clip.create_model_and_transforms(f"local-dir:{folder}")  # the format open_clip loads
