"""Real ImageNet networks: DeepDream has a default layer for them and dreams a real photo with the
real MobileNetV2 (skips without ../shared); unit visualization has image defaults of their own."""
from __future__ import annotations

import json

import pytest
import torch
import torchvision
from PIL import Image

from diffprog.imaging import InputSpec
from diffprog.models.registry import default_dream_layer
from diffprog.optvis import Fourier
from diffprog.optvis.transforms import PerImageRandom, RandomAffine
from diffprog.optvis.units import default_transforms

from .conftest import SHARED

PHOTO = SHARED / "photos" / "cat.png"
IMAGENET = SHARED / "weights" / "imagenet" / "mobilenet_v2_torchvision.pth"


@pytest.mark.parametrize("name, layer", [("mobilenet_v2", "features.14"), ("resnet18", "layer3"),
                                         ("vgg11", "features.15")])
def test_every_family_gets_a_dream_layer_three_quarters_deep(name, layer):
    assert default_dream_layer(torchvision.models.get_model(name, weights=None)) == layer


@pytest.mark.skipif(not (IMAGENET.exists() and PHOTO.exists()), reason="needs ../shared weights and photos")
def test_mobilenet_dreams_a_real_photo_at_its_size_with_the_default_layer(tmp_path, run_tool):
    out = tmp_path / "dream.png"
    code, _, err = run_tool("dream", "--model", "mobilenet_v2", "--weights", str(IMAGENET), "--image", str(PHOTO),
                            "--octaves", "2", "--steps", "2", "--out", str(out))
    assert code == 0, err
    with Image.open(out) as dreamed, Image.open(PHOTO) as photo:
        assert dreamed.size == photo.size
    record = json.loads(out.with_suffix(".json").read_text())
    assert "features.14" in json.dumps(record)


def test_imagenet_sized_networks_get_their_own_image_defaults(tmp_path, run_tool):
    """A network that reads 224 px gets 128-px images with 1/f exponent 1.25 (what transfers best,
    benchmarks/imagenet_ablation.py); the small embedded one keeps 64 px and 1.5."""
    weights = tmp_path / "mobilenet_v2.pth"
    torch.manual_seed(0)
    torch.save(torchvision.models.mobilenet_v2().state_dict(), weights)
    code, _, err = run_tool("visualize", "--model", "mobilenet_v2", "--weights", str(weights), "--units", "3",
                            "--steps", "1", "--out", str(tmp_path / "v"))
    assert code == 0, err
    record = json.loads((tmp_path / "v" / "unit_0003.json").read_text())
    assert (record["size"], record["decay"], record["input_size"]) == (128, 1.25, 224)
    assert record["transforms"] == "class_transforms"
    with Image.open(tmp_path / "v" / "unit_0003.png") as image:
        assert image.size == (128, 128)
    code, _, err = run_tool("visualize", "--units", "0", "--steps", "1", "--out", str(tmp_path / "e"))
    assert code == 0, err
    record = json.loads((tmp_path / "e" / "unit_0000.json").read_text())
    assert (record["size"], record["decay"], record["transforms"]) == (64, 1.5, "standard_transforms")


def test_class_images_of_imagenet_networks_get_wider_zoom_and_mirroring_and_nothing_else_does():
    """Mirroring is right for a class (it looks the same mirrored) but not for a channel, which may
    be tuned to one orientation; the small networks keep the standard set they were measured with."""
    imagenet, small, param = InputSpec(224), InputSpec(32), Fourier(128)
    for kind, layer in [("auto", "output"), ("logit", "output"), ("log-prob", "classifier.1")]:
        pad, affine, jitter = default_transforms(kind, layer, param, imagenet)
        assert (pad.pixels, affine.translate, affine.scale, affine.degrees, affine.flip) == (8, 8, (0.8, 1.2), 15, 0.5)
        assert jitter.flip == 0
    assert default_transforms("auto", "features.10", param, imagenet) is None
    assert default_transforms("logit", "output", param, small) is None
    assert default_transforms("auto", "output", param, None) is None


def test_a_certain_mirror_flips_the_image_left_to_right_exactly():
    images = torch.rand(2, 3, 8, 8)
    mirrored = RandomAffine(flip=1.0)(images, PerImageRandom([0, 1], torch.device("cpu")))
    torch.testing.assert_close(mirrored, images.flip(-1), rtol=0, atol=1e-6)
