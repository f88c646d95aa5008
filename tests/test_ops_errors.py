"""Bad input raises an error that names the op and the shapes, before any kernel runs."""
from __future__ import annotations

import pytest
import torch

from diffprog import ops
from diffprog.ops import OpInputError, conv, dense, losses, norm


@pytest.fixture
def no_kernel(monkeypatch):
    """Make every Function used below fail loudly if it is reached."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel ran before the input was validated")
    for fn in (dense.LinearFunction, conv.Conv2dFunction, norm.BatchNormFunction, norm.LayerNormFunction,
               losses.SquaredErrorFunction, losses.IndexCrossEntropyFunction, losses.ProbCrossEntropyFunction):
        monkeypatch.setattr(fn, "apply", forbidden)


CASES = [
    ("linear", lambda: ops.linear(torch.randn(4, 5), torch.randn(3, 6)), ["linear", "(4, 5)", "(3, 6)"]),
    ("linear dtype", lambda: ops.linear(torch.randn(4, 5), torch.randn(3, 5, dtype=torch.float64)),
     ["linear", "float32", "float64"]),
    ("linear bias", lambda: ops.linear(torch.randn(4, 5), torch.randn(3, 5), torch.randn(4)), ["bias", "(4,)"]),
    ("conv channels", lambda: ops.conv2d(torch.randn(1, 3, 8, 8), torch.randn(4, 2, 3, 3)),
     ["conv2d", "3", "(1, 3, 8, 8)", "(4, 2, 3, 3)"]),
    ("conv small", lambda: ops.conv2d(torch.randn(1, 3, 2, 2), torch.randn(4, 3, 3, 3)), ["conv2d", "smaller"]),
    ("conv same stride", lambda: ops.conv2d(torch.randn(1, 3, 8, 8), torch.randn(4, 3, 3, 3), stride=2,
                                            padding="same"), ["conv2d", "stride"]),
    ("mse shapes", lambda: ops.mse_loss(torch.randn(4, 5), torch.randn(3, 5)), ["mse_loss", "(4, 5)", "(3, 5)"]),
    ("ce target shape", lambda: ops.cross_entropy(torch.randn(4, 5), torch.randint(0, 5, (3,))),
     ["cross_entropy", "(4, 5)", "(3,)"]),
    ("ce class range", lambda: ops.cross_entropy(torch.randn(4, 5), torch.tensor([0, 1, 7, 2])),
     ["cross_entropy", "7", "5 classes"]),
    ("ce probs shape", lambda: ops.cross_entropy(torch.randn(4, 5), torch.rand(4, 4)), ["cross_entropy", "(4, 4)"]),
    ("bn channels", lambda: ops.batch_norm(torch.randn(4, 3, 2, 2), torch.zeros(4), torch.ones(4)),
     ["batch_norm", "running_mean", "3"]),
    ("ln shape", lambda: ops.layer_norm(torch.randn(4, 6), (5,)), ["layer_norm", "(5,)", "(4, 6)"]),
    ("embedding range", lambda: ops.embedding(torch.tensor([1, 12]), torch.randn(10, 3)), ["embedding", "12", "10"]),
    ("pool dims", lambda: ops.max_pool2d(torch.randn(4, 5), 2), ["max_pool2d", "(4, 5)"]),
    ("integer input", lambda: ops.tanh(torch.arange(3)), ["tanh", "floating"]),
    ("softmax dim", lambda: ops.softmax(torch.randn(3, 4), dim=2), ["softmax", "dim=2"]),
]


@pytest.mark.parametrize("name,make,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_op_and_the_problem(no_kernel, name, make, expected):
    with pytest.raises(OpInputError) as info:
        make()
    for fragment in expected:
        assert fragment in str(info.value), f"{fragment!r} not in {info.value}"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_device_mismatch_is_reported(no_kernel):
    with pytest.raises(OpInputError, match="different devices"):
        ops.linear(torch.randn(4, 5), torch.randn(3, 5, device="cuda"))


def test_device_mismatch_is_reported_with_meta_tensors(no_kernel):
    with pytest.raises(OpInputError, match="different devices.*meta"):
        ops.linear(torch.randn(4, 5), torch.randn(3, 5, device="meta"))
