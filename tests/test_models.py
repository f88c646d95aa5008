"""Procedural data, the model registry, the embedded default and the real CIFAR ResNets."""
from __future__ import annotations

import hashlib
import json

import pytest
import torch
import torchvision

from diffprog.data import SHAPE_CLASSES, make_shapes
from diffprog.models import ModelError, load_model
from diffprog.models.registry import ASSETS
from diffprog.training.adversarial import adversarial_images
from diffprog.training.classifier import INPUT, TEST_SEED_OFFSET, evaluate

from .conftest import SHARED

CIFAR = SHARED / "weights" / "cifar10-resnet"
needs_cifar = pytest.mark.skipif(not (CIFAR / "resnet20.th").exists(), reason="needs ../shared/weights/cifar10-resnet")


def test_shapes_are_reproducible_and_cover_every_class():
    a, la = make_shapes(260, seed=3)
    b, lb = make_shapes(260, seed=3)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert len(SHAPE_CLASSES) >= 12 and set(la.tolist()) == set(range(len(SHAPE_CLASSES)))
    assert a.shape == (260, 3, 32, 32) and a.min() >= 0 and a.max() <= 1
    c, _ = make_shapes(260, seed=4)
    assert not torch.equal(a, c)


def test_embedded_model_card_matches_its_weights_and_reports_97_percent():
    card = json.loads((ASSETS / "shapes_cnn.json").read_text())
    weights = ASSETS / "shapes_cnn.pt"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == card["sha256"]
    assert card["classes"] == list(SHAPE_CLASSES) and card["held_out_accuracy"] >= 0.97
    assert weights.stat().st_size < 5 * 2**20
    for key in ("input_size", "normalization", "seed", "command"):
        assert key in card


def test_embedded_model_classifies_fresh_held_out_shapes():
    model, spec = load_model("shapes-cnn")
    images, labels = make_shapes(1300, spec.input_size, seed=TEST_SEED_OFFSET + 99)
    accuracy, _ = evaluate(model, images, labels)
    assert accuracy >= 0.97


def test_adversarial_images_stay_in_the_ball_and_raise_the_loss():
    torch.manual_seed(0)
    model, _ = load_model("shapes-cnn")
    images, labels = make_shapes(64, 32, seed=5)
    eps = 0.03
    attacked = adversarial_images(lambda x: torch.nn.functional.cross_entropy(model(INPUT.normalize(x)), labels), images, eps)
    assert (attacked - images).abs().max() <= eps + 1e-6
    assert attacked.min() >= 0 and attacked.max() <= 1 and not attacked.requires_grad
    with torch.no_grad():
        clean = torch.nn.functional.cross_entropy(model(INPUT.normalize(images)), labels)
        noisy = torch.nn.functional.cross_entropy(
            model(INPUT.normalize((images + torch.empty_like(images).uniform_(-eps, eps)).clamp(0, 1))), labels)
        adversarial = torch.nn.functional.cross_entropy(model(INPUT.normalize(attacked)), labels)
    assert adversarial > 2 * max(clean, noisy)


def test_unknown_model_name_suggests_close_names():
    with pytest.raises(ModelError, match="resnet18"):
        load_model("resnet19")


def test_missing_and_unreadable_weights_say_which_file_and_why(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model("cifar10-resnet20", tmp_path / "nope.th")
    junk = tmp_path / "junk.th"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="cannot read weights .*junk.th"):
        load_model("cifar10-resnet20", junk)
    wrong = tmp_path / "wrong.pt"
    torch.save(torchvision.models.resnet18().state_dict(), wrong)
    with pytest.raises(ModelError, match="do not fit model 'cifar10-resnet20'"):
        load_model("cifar10-resnet20", wrong)


def test_torchvision_model_loads_a_local_state_dict(tmp_path):
    reference = torchvision.models.resnet18()
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    model, spec = load_model("resnet18", path)
    torch.testing.assert_close(model.fc.weight, reference.fc.weight)
    assert spec.input_size == 224


def test_torchvision_download_failure_says_how_to_pass_local_weights(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("Temporary failure in name resolution")
    monkeypatch.setattr(torchvision.models, "get_model", offline)
    with pytest.raises(ModelError, match="--weights PATH"):
        load_model("resnet18")


@needs_cifar
def test_cifar_resnets_load_the_real_weights():
    for depth in (20, 32):
        model, spec = load_model(f"cifar10-resnet{depth}", CIFAR / f"resnet{depth}.th")
        assert spec.classes[0] == "airplane" and sum(p.numel() for p in model.parameters()) > 2e5
