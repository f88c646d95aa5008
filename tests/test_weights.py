"""Weights files are read without running code from them: weights_only unpickling, safetensors, and a
clear refusal naming the file when a pickle asks for more than tensors."""
from __future__ import annotations

import os
import pickle

import pytest
import torch

from diffprog.models import ModelError, load_model
from diffprog.models.scene_decoder import load_scene_decoder
from diffprog.models.weights import read_state_dict

from .conftest import SHARED


class _RunsACommand:
    """Unpickling this calls os.system (here a harmless touch of a marker file)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def booby_trapped(tmp_path):
    marker = tmp_path / "code_ran"
    path = tmp_path / "checkpoint.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "payload": _RunsACommand(marker)}, path)
    return path, marker


def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(booby_trapped):
    path, marker = booby_trapped
    with pytest.raises(ModelError, match=r"refusing to load weights .*checkpoint.pt.*posix.system.*run code"):
        load_model("shapes-cnn", path)
    with pytest.raises(ModelError, match="refusing to load generator weights"):
        load_scene_decoder(path)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # what torch itself does with weights_only (the default)
        torch.load(path)
    assert not marker.exists()


def test_an_open_clip_checkpoint_that_would_run_code_is_refused(booby_trapped):
    from diffprog.models.clip_models import load_clip

    path, marker = booby_trapped
    with pytest.raises(ModelError, match="refusing to load CLIP checkpoint"):
        load_clip("RN50", str(path))
    assert not marker.exists()


def test_safetensors_weights_load_as_the_same_model(tmp_path):
    from safetensors.torch import save_file

    model, _ = load_model("shapes-cnn")
    path = tmp_path / "shapes_cnn.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    again, _ = load_model("shapes-cnn", path)
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(again(x), model(x))


def test_a_state_dict_saved_from_data_parallel_loads(tmp_path):
    model, _ = load_model("shapes-cnn")
    path = tmp_path / "wrapped.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}, "epoch": 3}, path)
    assert read_state_dict(path).keys() == model.state_dict().keys()


@pytest.mark.skipif(not (SHARED / "weights" / "cifar10-resnet" / "resnet20.th").exists(), reason="needs ../shared")
def test_the_cifar_checkpoints_load_without_unpickling_code():
    state = read_state_dict(SHARED / "weights" / "cifar10-resnet" / "resnet20.th")
    assert "linear.weight" in state and not any(k.startswith("module.") for k in state)


def test_a_folder_or_an_unknown_name_as_torchvision_weights_gets_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="is a folder"):
        load_model("mobilenet_v2", tmp_path)
    with pytest.raises(ModelError, match="no pretrained weights 'IMAGENET1K_V9'.*IMAGENET1K_V1"):
        load_model("mobilenet_v2", "IMAGENET1K_V9")
