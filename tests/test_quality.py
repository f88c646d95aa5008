"""Class visualizations of real pretrained weights are features, not adversarial noise: made with
ResNet-20, they are recognized by the independently trained ResNet-32."""
from __future__ import annotations

import pytest
import torch

from diffprog.models import load_model
from diffprog.optvis import Fourier, RunSettings
from diffprog.optvis.quality import class_transfer, clipped_share

from .conftest import SHARED

CIFAR = SHARED / "weights" / "cifar10-resnet"


@pytest.mark.slow
@pytest.mark.skipif(not (CIFAR / "resnet20.th").exists(), reason="needs ../shared/weights/cifar10-resnet")
def test_resnet20_class_visualizations_are_recognized_by_resnet32():
    source, spec = load_model("cifar10-resnet20", CIFAR / "resnet20.th")
    judge, _ = load_model("cifar10-resnet32", CIFAR / "resnet32.th")
    report = class_transfer(source, judge, range(10), [0], input_spec=spec.input, param=Fourier(64),
                            run=RunSettings(steps=256, progress=False, device="cpu"))
    assert report.rate >= 0.9, report.predictions


def test_clipped_share_counts_what_an_8_bit_png_stores_as_0_or_255():
    images = torch.full((1, 3, 2, 2), 0.5)
    assert clipped_share(images) == 0
    images[0, 0, 0, 0], images[0, 1, 0, 0], images[0, 2, 0, 0] = 0.999, 0.001, 0.996  # 255, 0, and 254
    assert clipped_share(images) == pytest.approx(2 / 12)
