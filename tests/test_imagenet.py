"""Real ImageNet networks: DeepDream has a default layer for them, and dreams a real photo with the
real MobileNetV2 (skips without ../shared)."""
from __future__ import annotations

import json

import pytest
import torchvision
from PIL import Image

from diffprog.models.registry import default_dream_layer

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
