"""Saliency maps keep their promises: on a linear score every method has its closed form, integrated
gradients are complete on a real network, SmoothGrad is reproducible from its seed, and the command
writes the picture and the numbers (also with a real ImageNet network on a real photo)."""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from diffprog.imaging import InputSpec
from diffprog.models import load_model
from diffprog.optvis.saliency import (class_score, completeness_gap, gradient, gradient_x_input,
                                      integrated_gradients, saliency, smoothgrad)

from .conftest import SHARED

PHOTO = SHARED / "photos" / "cat.png"
IMAGENET = SHARED / "weights" / "imagenet" / "mobilenet_v2_torchvision.pth"


class Linear(nn.Module):
    """y = W vec(x): every attribution method has a closed form."""

    def __init__(self, size: int = 8):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(2, 3 * size * size, dtype=torch.float64))

    def forward(self, x):
        return x.flatten(1) @ self.weight.T


@pytest.fixture
def linear():
    torch.manual_seed(0)
    model, image = Linear(), torch.rand(3, 8, 8, dtype=torch.float64)
    return model, class_score(model, InputSpec(8), 1), image, model.weight[1].detach().view(3, 8, 8)


def test_on_a_linear_score_every_method_has_its_closed_form(linear):
    _, score, image, w = linear
    torch.testing.assert_close(gradient(score, image), w)
    torch.testing.assert_close(gradient_x_input(score, image), image * w)
    torch.testing.assert_close(smoothgrad(score, image, samples=5), w)      # noise does not move a constant gradient
    torch.testing.assert_close(integrated_gradients(score, image, steps=4), image * w)


def test_integrated_gradients_are_complete_on_the_embedded_network():
    model, spec = load_model()
    image = torch.rand(3, spec.input_size, spec.input_size)
    score = class_score(model, spec.input, 4)
    coarse = completeness_gap(score, image, integrated_gradients(score, image, steps=8))
    fine = completeness_gap(score, image, integrated_gradients(score, image, steps=128))
    assert fine < 0.01 and fine < coarse  # Σ A → f(x) − f(black) as the quadrature refines


def test_smoothgrad_is_reproducible_from_its_seed():
    model, spec = load_model()
    image = torch.rand(3, spec.input_size, spec.input_size)
    score = class_score(model, spec.input, 2)
    first, again = (smoothgrad(score, image, samples=6, seed=1) for _ in range(2))
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first, smoothgrad(score, image, samples=6, seed=2))


@pytest.mark.parametrize("image, target, message", [
    (torch.rand(1, 32, 32), 0, r"one RGB image \(3, H, W\)"),
    (torch.full((3, 32, 32), float("nan")), 0, "NaN or inf"),
    (torch.rand(3, 32, 32), 13, "class 13 is out of range: the model has 13 classes"),
])
def test_bad_input_is_refused_with_what_is_wrong(image, target, message):
    model, spec = load_model()
    with pytest.raises(ValueError, match=message):
        saliency(model, spec.input, image, target, samples=2, steps=2)


def test_the_command_draws_the_embedded_default_and_takes_classes_by_name(tmp_path, run_tool):
    code, out, err = run_tool("saliency", "--samples", "4", "--steps", "8", "--seed", "3", "--out", str(tmp_path / "s"))
    assert code == 0, err
    record = json.loads((tmp_path / "s" / "saliency.json").read_text())
    assert record["seed"] == 3 and record["class_name"] == "star" and (tmp_path / "s" / "saliency.png").exists()
    code, _, err = run_tool("saliency", "--class", "sprial", "--out", str(tmp_path / "t"))
    assert code == 2 and "did you mean 'spiral'?" in err and not (tmp_path / "t").exists()
    code, _, err = run_tool("saliency", "--image", str(tmp_path / "none.png"), "--out", str(tmp_path / "t"))
    assert code == 2 and "none.png" in err


@pytest.mark.skipif(not (IMAGENET.exists() and PHOTO.exists()), reason="needs ../shared weights and photos")
def test_the_real_network_on_a_real_photo_reads_a_tabby_and_is_complete(tmp_path, run_tool):
    code, _, err = run_tool("saliency", "--model", "mobilenet_v2", "--weights", str(IMAGENET), "--image", str(PHOTO),
                            "--class", "tabby", "--samples", "4", "--steps", "64", "--out", str(tmp_path / "s"))
    assert code == 0, err
    record = json.loads((tmp_path / "s" / "saliency.json").read_text())
    assert record["class"] == 281 and record["probability"] > 0.1
    assert record["integrated_gradients_completeness_gap"] < 0.05
