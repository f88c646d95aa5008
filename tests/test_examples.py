"""Dataset examples: the photos (and crops) of a folder that excite a unit most, found for the
embedded model and for a real ImageNet network, with unreadable files named and skipped."""
from __future__ import annotations

import json

import pytest

from diffprog.data.shapes import CLASSES, make_shapes
from diffprog.io import save_png
from diffprog.models import load_model
from diffprog.optvis import OUTPUT
from diffprog.optvis.examples import photos_in, top_examples, windows

from .conftest import SHARED

IMAGENET = SHARED / "weights" / "imagenet" / "mobilenet_v2_torchvision.pth"
PHOTOS = SHARED / "photos"


@pytest.fixture
def shapes_folder(tmp_path):
    images, labels = make_shapes(6, size=96, seed=5)
    for i, (image, label) in enumerate(zip(images, labels)):
        save_png(image, tmp_path / f"{i}_{CLASSES[label]}.png")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("not a photo")
    return tmp_path, [CLASSES[label] for label in labels]


def test_windows_are_the_whole_photo_and_nine_halves_inside_it():
    boxes = windows(300, 400)
    assert boxes[0] == (0, 0, 400, 300) and len(boxes) == 10
    assert all(0 <= l < r <= 400 and 0 <= t < b <= 300 and (r - l, b - t) == (200, 150) for l, t, r, b in boxes[1:])


def test_a_class_is_excited_most_by_the_photo_of_that_class(shapes_folder):
    folder, names = shapes_folder
    model, spec = load_model()
    star = CLASSES.index("star")
    assert "star" in names
    examples, skipped = top_examples(model, spec.input, OUTPUT, [star], folder, top=3)
    assert examples[star][0].path.endswith("_star.png") and examples[star][0].box == (0, 0, 96, 96)
    activations = [e.activation for e in examples[star]]
    assert activations == sorted(activations, reverse=True) and len(activations) == 3
    assert len(skipped) == 1 and skipped[0].startswith("broken.png: ") and "not an image" in skipped[0]


def test_a_folder_without_photos_is_refused_with_its_name(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        photos_in(tmp_path / "none")
    with pytest.raises(ValueError, match="holds no photos"):
        photos_in(tmp_path)


def test_visualize_writes_each_units_examples(shapes_folder, tmp_path, run_tool):
    folder, _ = shapes_folder
    out = tmp_path / "v"
    code, _, err = run_tool("visualize", "--units", "star, circle", "--steps", "2", "--size", "32", "--examples",
                            str(folder), "--out", str(out))
    assert code == 0 and "skipped broken.png" in err, err
    record = json.loads((out / "examples.json").read_text())
    assert set(record["units"]) == {"4", "0"} and len(record["units"]["4"]) == 4 and (out / "examples.png").exists()
    code, _, err = run_tool("visualize", "--examples", str(tmp_path / "none"), "--out", str(tmp_path / "w"))
    assert code == 2 and "is not a folder" in err and not (tmp_path / "w").exists()


@pytest.mark.skipif(not (IMAGENET.exists() and PHOTOS.exists()), reason="needs ../shared weights and photos")
def test_the_real_networks_tabby_unit_is_excited_most_by_the_cat_photo():
    model, spec = load_model("mobilenet_v2", IMAGENET)
    tabby = spec.classes.index("tabby")
    examples, _ = top_examples(model, spec.input, OUTPUT, [tabby], PHOTOS, top=3)
    assert examples[tabby][0].path.endswith("cat.png")
