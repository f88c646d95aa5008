"""Module wrappers load torch state_dicts unchanged; to_diffprog runs a torchvision model on our ops."""
from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from diffprog import nn as dnn
from diffprog.ops import dense


def test_every_twin_loads_the_torch_state_dict_unchanged():
    pairs = [(nn.Linear(4, 3), dnn.Linear(4, 3)), (nn.Conv2d(3, 5, 3), dnn.Conv2d(3, 5, 3)),
             (nn.BatchNorm2d(4), dnn.BatchNorm2d(4)), (nn.LayerNorm(6), dnn.LayerNorm(6)),
             (nn.Embedding(7, 2), dnn.Embedding(7, 2))]
    for theirs, ours in pairs:
        ours.load_state_dict(theirs.state_dict())  # strict: same keys and shapes
        assert ours.state_dict().keys() == theirs.state_dict().keys()


def test_twins_map_every_torch_layer_to_a_subclass_of_it():
    for torch_cls, ours in dnn.TWINS.items():
        assert issubclass(ours, torch_cls)
        assert ours.forward is not torch_cls.forward


@pytest.mark.parametrize("train", [False, True])
def test_torchvision_resnet_on_diffprog_ops_gives_identical_outputs_and_gradients(train):
    model = torchvision.models.resnet18(num_classes=10).train(train)
    ours = dnn.to_diffprog(model).train(train)
    swapped = dnn.swapped_layers(ours)
    assert "conv1" in swapped and "layer4.1.bn2" in swapped and "fc" in swapped and "maxpool" in swapped
    assert not any(type(m) in dnn.TWINS for m in ours.modules()), "a torch layer was left unswapped"
    x = torch.randn(2, 3, 64, 64)
    out_theirs, out_ours = model(x), ours(x)
    torch.testing.assert_close(out_ours, out_theirs)
    out_theirs.square().sum().backward()
    out_ours.square().sum().backward()
    for (name, p), q in zip(model.named_parameters(), ours.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-5, msg=name)
    if train:
        torch.testing.assert_close(ours.bn1.running_mean, model.bn1.running_mean)


def test_to_diffprog_uses_the_hand_written_backward(monkeypatch):
    calls = []
    original = dense.LinearFunction.backward

    def spy(ctx, g):
        calls.append(g.shape)
        return original(ctx, g)

    monkeypatch.setattr(dense.LinearFunction, "backward", staticmethod(spy))
    model = dnn.to_diffprog(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    model(torch.randn(5, 3)).sum().backward()
    assert len(calls) == 2


def test_to_diffprog_copies_unless_inplace():
    model = nn.Sequential(nn.Linear(3, 4))
    assert type(dnn.to_diffprog(model)[0]) is dnn.Linear and type(model[0]) is nn.Linear
    assert dnn.to_diffprog(model, inplace=True) is model and type(model[0]) is dnn.Linear


def test_batchnorm_with_cumulative_average_matches_torch():
    theirs, ours = nn.BatchNorm1d(3, momentum=None), dnn.BatchNorm1d(3, momentum=None)
    for _ in range(3):
        x = torch.randn(8, 3)
        torch.testing.assert_close(ours(x), theirs(x))
    torch.testing.assert_close(ours.running_var, theirs.running_var)
    assert int(ours.num_batches_tracked) == 3


def test_losses_and_activations_modules_match_torch():
    x, t = torch.randn(4, 5), torch.randint(0, 5, (4,))
    torch.testing.assert_close(dnn.CrossEntropyLoss(label_smoothing=0.1)(x, t),
                               nn.CrossEntropyLoss(label_smoothing=0.1)(x, t))
    torch.testing.assert_close(dnn.MSELoss(reduction="sum")(x, x.flip(0)), nn.MSELoss(reduction="sum")(x, x.flip(0)))
    torch.testing.assert_close(dnn.EuclideanLoss()(x, x.flip(0)), 0.5 * nn.MSELoss(reduction="sum")(x, x.flip(0)))
    for theirs, ours in ((nn.GELU("tanh"), dnn.GELU("tanh")), (nn.LogSoftmax(1), dnn.LogSoftmax(1)),
                         (nn.LeakyReLU(0.2), dnn.LeakyReLU(0.2)), (nn.Sigmoid(), dnn.Sigmoid())):
        torch.testing.assert_close(ours(x), theirs(x))
