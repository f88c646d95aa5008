"""diffprog.optvis.cutouts: CLIP guidance's batched random crops."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from diffprog.optvis.cutouts import Cutouts
from diffprog.optvis.transforms import PerImageRandom


def _rng(seeds):
    return PerImageRandom(seeds, torch.device("cpu"))


def test_cutouts_have_the_network_size_image_major_and_gradients_reach_the_image():
    images = torch.rand(3, 3, 96, 80, requires_grad=True)
    crops = Cutouts(count=5, size=32)(images, _rng([0, 1, 2]))
    assert crops.shape == (15, 3, 32, 32)
    crops[5:10].sum().backward()  # the crops of image 1 only
    assert images.grad[1].abs().sum() > 0
    assert images.grad[0].abs().sum() == 0 and images.grad[2].abs().sum() == 0


def test_a_whole_image_cutout_is_the_area_downsampled_image():
    images = torch.rand(2, 3, 96, 96, dtype=torch.float64)
    crops = Cutouts(count=3, size=32, min_fraction=1.0, max_fraction=1.0, flip=0.0, noise=0.0)(images, _rng([0, 1]))
    expected = F.avg_pool2d(images, 3).repeat_interleave(3, 0)
    assert torch.allclose(crops, expected, atol=1e-12)


def test_flipped_whole_image_cutouts_are_mirror_images():
    images = torch.rand(1, 3, 64, 64, dtype=torch.float64)
    crops = Cutouts(count=4, size=64, min_fraction=1.0, max_fraction=1.0, flip=1.0, noise=0.0)(images, _rng([0]))
    assert torch.allclose(crops, images.flip(-1).expand(4, -1, -1, -1), atol=1e-12)


def test_small_cutouts_are_crops_of_the_image():
    """Each crop of a fraction-0.5 cutout equals some 32×32 window of the image, up to bilinear
    interpolation: check that its mean colour lies within the range of the windows' means."""
    image = torch.linspace(0, 1, 64).view(1, 1, 1, 64).expand(1, 3, 64, 64).contiguous()  # a horizontal ramp
    crops = Cutouts(count=20, size=32, min_fraction=0.5, max_fraction=0.5, flip=0.0, noise=0.0)(image, _rng([7]))
    spans = crops[:, 0, 0, -1] - crops[:, 0, 0, 0]
    assert torch.allclose(spans, torch.full_like(spans, spans[0].item()), atol=1e-5)  # same width each
    assert 0.45 < spans[0] < 0.5  # half the ramp
    starts = crops[:, 0, 0, 0]
    assert starts.min() >= 0 and starts.max() <= 0.5 and starts.std() > 0.05  # at random positions


def test_an_image_gets_the_same_cutouts_alone_or_in_a_batch():
    images = torch.rand(3, 3, 48, 48)
    cut = dict(count=4, size=24, noise=0.0)
    together = Cutouts(**cut)(images, _rng([10, 11, 12]))
    alone = Cutouts(**cut)(images[1:2], _rng([11]))
    assert torch.allclose(together[4:8], alone, atol=1e-6)


def test_noise_is_added_per_cutout_and_reproducibly():
    images = torch.full((1, 3, 32, 32), 0.5)
    a = Cutouts(count=8, size=32, min_fraction=1.0, flip=0.0, noise=0.2, seed=3)(images, _rng([0]))
    b = Cutouts(count=8, size=32, min_fraction=1.0, flip=0.0, noise=0.2, seed=3)(images, _rng([0]))
    assert torch.equal(a, b)
    spread = (a - 0.5).flatten(1).std(1)
    assert spread.max() > 0.02 and spread.max() <= 0.25 and spread.std() > 0.005  # different strengths


def test_bad_cutout_settings_are_refused():
    with pytest.raises(ValueError, match="count"):
        Cutouts(count=0)
    with pytest.raises(ValueError, match="min_fraction"):
        Cutouts(min_fraction=0.8, max_fraction=0.5)
