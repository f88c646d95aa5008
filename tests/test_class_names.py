"""Classes by name: --units and --class take class names (case-insensitive, did-you-mean), and an
ImageNet network loaded from a local file gets torchvision's category names."""
from __future__ import annotations

import json

import pytest
import torch

from diffprog.cli.units import parse_units, unit_of_name
from diffprog.data.shapes import CLASSES

from .conftest import SHARED

IMAGENET = SHARED / "weights" / "imagenet" / "mobilenet_v2_torchvision.pth"


def test_units_mix_names_and_numbers_case_insensitively():
    assert parse_units("Star, horizontal STRIPES, 0-1", len(CLASSES), "output", CLASSES) == [4, 6, 0, 1]


def test_a_misspelt_class_gets_the_close_names():
    with pytest.raises(ValueError, match=r"no class named 'chekerboard': did you mean 'checkerboard'\?"):
        unit_of_name("chekerboard", CLASSES)
    with pytest.raises(ValueError, match="or class names"):
        parse_units("3,,4", len(CLASSES), "output", CLASSES)


def test_names_are_refused_where_units_have_none():
    with pytest.raises(ValueError, match="cannot read units 'star'"):
        parse_units("star", 48, "block2.conv2")


def test_visualize_takes_class_names_and_labels_them(tmp_path, run_tool):
    code, _, err = run_tool("visualize", "--units", "star, Spiral", "--steps", "2", "--size", "32", "--out",
                            str(tmp_path / "v"))
    assert code == 0, err
    assert json.loads((tmp_path / "v" / "unit_0004.json").read_text())["label"] == "4 star"
    assert (tmp_path / "v" / "unit_0011.png").exists()
    code, _, err = run_tool("visualize", "--units", "sprial", "--out", str(tmp_path / "w"))
    assert code == 2 and "did you mean 'spiral'?" in err and not (tmp_path / "w").exists()


def test_dream_takes_a_class_name(tmp_path, run_tool):
    code, _, err = run_tool("dream", "--class", "strr", "--out", str(tmp_path / "d.png"))
    assert code == 2 and "did you mean 'star'" in err
    code, _, err = run_tool("dream", "--class", "Star", "--octaves", "1", "--steps", "1", "--out", str(tmp_path / "d.png"))
    assert code == 0, err


@pytest.mark.skipif(not IMAGENET.exists(), reason="needs ../shared/weights/imagenet")
def test_imagenet_weights_from_a_local_file_get_torchvisions_category_names():
    from diffprog.models import load_model

    model, spec = load_model("mobilenet_v2", IMAGENET)
    assert len(spec.classes) == 1000 and spec.classes[47] == "African chameleon" and spec.classes[281] == "tabby"
    assert parse_units("tabby, african chameleon", 1000, "output", spec.classes) == [281, 47]
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)
