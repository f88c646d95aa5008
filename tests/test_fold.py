"""BatchNorm folded into the convolution before it (diffprog.optvis.fold): the same outputs, the
model given back as it was, and only the pairs where folding cannot be seen."""
import pytest
import torch
import torchvision
from torch import nn

from diffprog import ops
from diffprog.models.cifar_resnet import cifar_resnet
from diffprog.optvis import RunSettings, objectives, render
from diffprog.optvis.fold import conv_bn_pairs, folded_batchnorm
from diffprog.optvis.param import Fourier


def with_running_stats(model: nn.Module, seed: int = 0) -> nn.Module:
    """The model in eval mode with random BatchNorm statistics and affine parameters (a fresh
    model's μ = 0, σ² = 1 would make folding look right for free)."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return model.eval()


def state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("make, pairs", [(lambda: torchvision.models.mobilenet_v2(), 52),
                                         (lambda: torchvision.models.resnet18(), 20),
                                         (lambda: cifar_resnet(20), 19)])
def test_folded_model_computes_the_same_and_is_given_back(make, pairs):
    torch.manual_seed(0)
    model = with_running_stats(make())
    size = 32 if isinstance(model, type(cifar_resnet(20))) else 96
    x = torch.rand(2, 3, size, size)
    before = state(model)
    with torch.no_grad():
        expected = model(x)
        with folded_batchnorm(model) as folded:
            got = model(x)
    assert folded == pairs  # every BatchNorm of these networks follows a convolution
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    after = state(model)
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before)
    assert not any("forward" in vars(m) for m in model.modules())
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected, rtol=0, atol=0)


class TwoReaders(nn.Module):
    """conv1's output is read by its BatchNorm and by the sum: not foldable. conv2 → bn2 is."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.conv2, self.bn2 = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)

    def forward(self, x):
        h = self.conv1(x)
        h = ops.relu(self.bn1(h) + h)
        return self.bn2(self.conv2(h))


class Untraceable(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)

    def forward(self, x):
        if x.sum() > 0:  # control flow on a value: torch.fx cannot trace it
            return self.bn(self.conv(x))
        return self.conv(x)


def test_only_a_convolution_read_by_its_batchnorm_alone_is_folded():
    model = with_running_stats(TwoReaders())
    assert conv_bn_pairs(model) == [("conv2", "bn2")]
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        expected = model(x)
        with folded_batchnorm(model) as folded:
            torch.testing.assert_close(model(x), expected)
    assert folded == 1
    assert model.conv2.bias is None  # a convolution without bias gets one only while folded


def test_a_convolution_an_objective_reads_keeps_its_own_output():
    model = with_running_stats(TwoReaders())
    x = torch.rand(1, 3, 8, 8)
    seen = {}
    model.conv2.register_forward_hook(lambda m, i, o: seen.__setitem__("conv2", o))
    with torch.no_grad():
        model(x)
        expected = seen["conv2"]
        with folded_batchnorm(model, keep=["conv2"]) as folded:
            model(x)
    assert folded == 0
    torch.testing.assert_close(seen["conv2"], expected, rtol=0, atol=0)


def test_untraceable_training_or_disabled_models_are_left_alone():
    x = torch.rand(1, 3, 8, 8)
    assert conv_bn_pairs(Untraceable()) == []
    with folded_batchnorm(with_running_stats(Untraceable())) as folded:
        assert folded == 0
    training = with_running_stats(TwoReaders()).train()
    with folded_batchnorm(training) as folded:
        assert folded == 0
        training(x)
    with folded_batchnorm(with_running_stats(TwoReaders()), enabled=False) as folded:
        assert folded == 0


def test_the_model_is_given_back_after_an_error():
    model = with_running_stats(TwoReaders())
    before = state(model)
    with pytest.raises(RuntimeError, match="inside"):
        with folded_batchnorm(model):
            raise RuntimeError("inside")
    after = state(model)
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert "forward" not in vars(model.bn2)


def test_render_with_and_without_folding_makes_the_same_images():
    torch.manual_seed(0)
    model = with_running_stats(torchvision.models.mobilenet_v2(num_classes=10))
    images = [render(model, objectives.class_logit([1, 2]), Fourier(64), seeds=[0, 1],
                     run=RunSettings(steps=3, progress=False, fold=fold)).images for fold in (True, False)]
    torch.testing.assert_close(images[0], images[1], rtol=1e-4, atol=1e-4)
