"""The registry of built-in ops and how to check each: cases (shapes, options) and the torch twin
used as reference. The test suite fails when an op in diffprog.ops.OPS has no entry here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import ops
from ..ops import pointwise
from .checker import Factory, Report, call, check_function


@dataclass(frozen=True)
class OpSpec:
    name: str
    function: Callable
    reference: Callable
    cases: dict[str, Factory]
    seed: int | None = None
    #: cases whose gradient is, by design (as in torch), not the derivative of the output
    #: (embedding's padding_idx / scale_grad_by_freq): compared with torch only, no finite differences.
    not_derivative: frozenset[str] = frozenset()

    def check(self, dtypes, devices) -> Report:
        true = {k: v for k, v in self.cases.items() if k not in self.not_derivative}
        by_design = {k: v for k, v in self.cases.items() if k in self.not_derivative}
        report = check_function(self.function, self.reference, true, name=self.name, dtypes=dtypes,
                                devices=devices, seed=self.seed)
        if by_design:
            report = report + check_function(self.function, self.reference, by_design, name=self.name,
                                             dtypes=dtypes, devices=devices, seed=self.seed, gradcheck=False)
        return report


def _randn(*shape, dtype, device, grad=True, away_from_zero=False):
    t = torch.randn(shape, dtype=dtype, device=device)
    if away_from_zero:  # keep kinks (relu at 0) out of finite-difference reach
        t = t + 0.1 * torch.sign(t)
    return t.requires_grad_(grad)


def _pointwise(extra=None, away=False) -> dict[str, Factory]:
    extra = extra or {}
    return {
        "(3, 4, 5)": lambda dt, dv: call(_randn(3, 4, 5, dtype=dt, device=dv, away_from_zero=away), **extra),
        "scalar": lambda dt, dv: call(_randn(dtype=dt, device=dv, away_from_zero=away), **extra),
        "(2, 3, 0)": lambda dt, dv: call(_randn(2, 3, 0, dtype=dt, device=dv), **extra),
    }


def _bn_case(shape, training, affine=True):
    def make(dt, dv):
        c = shape[1]
        stats = (torch.randn(c, dtype=dt, device=dv) * 0.1, torch.rand(c, dtype=dt, device=dv) + 0.5)
        w = _randn(c, dtype=dt, device=dv) if affine else None
        b = _randn(c, dtype=dt, device=dv) if affine else None
        return call(_randn(*shape, dtype=dt, device=dv), *stats, w, b, training)
    return make


def _ce_index_case(shape, **kw):
    def make(dt, dv):
        target = torch.randint(0, shape[1], shape[:1] + shape[2:], device=dv)
        if kw.get("ignore"):
            target.view(-1)[0] = -100
        extra = {k: v for k, v in kw.items() if k != "ignore"}
        if extra.pop("weighted", False):
            extra["weight"] = torch.rand(shape[1], dtype=dt, device=dv) + 0.5
        return call(_randn(*shape, dtype=dt, device=dv), target, **extra)
    return make


def _ce_prob_case(shape, **kw):
    def make(dt, dv):
        target = torch.softmax(torch.randn(*shape, dtype=dt, device=dv), 1).requires_grad_()
        return call(_randn(*shape, dtype=dt, device=dv), target, **kw)
    return make


def _dropout_reference(x, p=0.5, training=True, inplace=False):
    """F.dropout on the CPU (same random stream as ours). On CUDA torch uses a fused kernel with
    another random stream, so the reference there is the formula x ⊙ b / (1 − p) with our mask
    b = [u ≥ p], u ~ U[0, 1), differentiated by autograd."""
    if x.device.type in pointwise.TORCH_MASK_DEVICES or not training:
        return F.dropout(x, p, training, inplace)
    return x * (torch.rand_like(x, dtype=torch.float32) >= p) * (1.0 / (1.0 - p))


SPECS: dict[str, OpSpec] = {s.name: s for s in [
    OpSpec("linear", ops.linear, F.linear, {
        "batch (4, 5)->3": lambda dt, dv: call(_randn(4, 5, dtype=dt, device=dv), _randn(3, 5, dtype=dt, device=dv),
                                               _randn(3, dtype=dt, device=dv)),
        "leading (2, 3, 5), no bias": lambda dt, dv: call(_randn(2, 3, 5, dtype=dt, device=dv),
                                                          _randn(4, 5, dtype=dt, device=dv)),
        "vector (5,)": lambda dt, dv: call(_randn(5, dtype=dt, device=dv), _randn(2, 5, dtype=dt, device=dv)),
    }),
    OpSpec("tanh", ops.tanh, torch.tanh, _pointwise()),
    OpSpec("sigmoid", ops.sigmoid, torch.sigmoid, _pointwise()),
    OpSpec("relu", ops.relu, F.relu, _pointwise(away=True)),
    OpSpec("leaky_relu", ops.leaky_relu, F.leaky_relu, _pointwise({"negative_slope": 0.2}, away=True)),
    OpSpec("gelu", ops.gelu, F.gelu, {**_pointwise(), "tanh approx": lambda dt, dv: call(
        _randn(3, 4, dtype=dt, device=dv), approximate="tanh")}),
    OpSpec("softmax", ops.softmax, F.softmax, {
        "(3, 7) dim 1": lambda dt, dv: call(_randn(3, 7, dtype=dt, device=dv), dim=1),
        "(2, 3, 4) dim 0": lambda dt, dv: call(_randn(2, 3, 4, dtype=dt, device=dv), dim=0),
        "logits ±1e4": lambda dt, dv: call((torch.tensor([[1e4, -1e4, 0.0, 1e4 - 1]], dtype=torch.float64)
                                            .to(dt).to(dv).requires_grad_()), dim=-1),
    }),
    OpSpec("log_softmax", ops.log_softmax, F.log_softmax, {
        "(3, 7) dim 1": lambda dt, dv: call(_randn(3, 7, dtype=dt, device=dv), dim=1),
        "(2, 3, 4) dim -1": lambda dt, dv: call(_randn(2, 3, 4, dtype=dt, device=dv), dim=-1),
        "logits ±1e4": lambda dt, dv: call((torch.tensor([[1e4, -1e4, 0.0, 1e4 - 1]], dtype=torch.float64)
                                            .to(dt).to(dv).requires_grad_()), dim=-1),
    }),
    OpSpec("mse_loss", ops.mse_loss, F.mse_loss, {
        "mean (4, 5)": lambda dt, dv: call(_randn(4, 5, dtype=dt, device=dv), _randn(4, 5, dtype=dt, device=dv)),
        "sum": lambda dt, dv: call(_randn(4, 5, dtype=dt, device=dv), _randn(4, 5, dtype=dt, device=dv),
                                   reduction="sum"),
        "none": lambda dt, dv: call(_randn(4, 5, dtype=dt, device=dv), _randn(4, 5, dtype=dt, device=dv),
                                    reduction="none"),
        "weighted mean": lambda dt, dv: call(_randn(4, 5, dtype=dt, device=dv), _randn(4, 5, dtype=dt, device=dv),
                                             weight=torch.rand(4, 5, dtype=dt, device=dv).add(0.5).requires_grad_()),
    }),
    OpSpec("euclidean_loss", ops.euclidean_loss,
           lambda x, y, reduction="sum": 0.5 * F.mse_loss(x, y, reduction=reduction), {
               "sum (3,)": lambda dt, dv: call(_randn(3, dtype=dt, device=dv), _randn(3, dtype=dt, device=dv)),
               "mean (4, 2)": lambda dt, dv: call(_randn(4, 2, dtype=dt, device=dv), _randn(4, 2, dtype=dt, device=dv),
                                                  reduction="mean"),
           }),
    OpSpec("cross_entropy", ops.cross_entropy, F.cross_entropy, {
        "index (6, 5)": _ce_index_case((6, 5)),
        "index spatial, ignore": _ce_index_case((3, 4, 2, 2), ignore=True),
        "index weighted smooth": _ce_index_case((6, 5), weighted=True, label_smoothing=0.1, ignore=True),
        "index sum": _ce_index_case((6, 5), reduction="sum"),
        "index none smooth": _ce_index_case((6, 5), reduction="none", label_smoothing=0.2),
        "index unbatched (5,)": lambda dt, dv: call(_randn(5, dtype=dt, device=dv), torch.tensor(2, device=dv)),
        "probs (4, 3)": _ce_prob_case((4, 3)),
        "probs smooth weighted": lambda dt, dv: call(
            _randn(4, 3, 2, dtype=dt, device=dv), torch.softmax(torch.randn(4, 3, 2, dtype=dt, device=dv), 1)
            .requires_grad_(), weight=torch.rand(3, dtype=dt, device=dv) + 0.5, label_smoothing=0.1,
            reduction="none"),
        "logits ±1e4": lambda dt, dv: call(torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dt, device=dv)
                                           .requires_grad_(), torch.tensor([1, 0], device=dv)),
    }),
    OpSpec("conv2d", ops.conv2d, F.conv2d, {
        "3x3 pad 1 bias": lambda dt, dv: call(_randn(2, 3, 7, 6, dtype=dt, device=dv),
                                              _randn(4, 3, 3, 3, dtype=dt, device=dv), _randn(4, dtype=dt, device=dv),
                                              padding=1),
        "stride 2 dilation 2 groups 2": lambda dt, dv: call(_randn(2, 4, 9, 9, dtype=dt, device=dv),
                                                            _randn(6, 2, 3, 2, dtype=dt, device=dv), stride=2,
                                                            dilation=(2, 1), groups=2),
        "same, even kernel": lambda dt, dv: call(_randn(1, 2, 6, 5, dtype=dt, device=dv),
                                                 _randn(3, 2, 4, 2, dtype=dt, device=dv), padding="same"),
        "unbatched valid": lambda dt, dv: call(_randn(2, 5, 5, dtype=dt, device=dv),
                                               _randn(3, 2, 3, 3, dtype=dt, device=dv), padding="valid"),
    }),
    OpSpec("max_pool2d", ops.max_pool2d, F.max_pool2d, {
        "2x2": lambda dt, dv: call(_randn(2, 3, 6, 6, dtype=dt, device=dv), 2),
        "3x3 s2 p1 ceil": lambda dt, dv: call(_randn(2, 2, 7, 8, dtype=dt, device=dv), 3, 2, 1, ceil_mode=True),
        "dilated, indices": lambda dt, dv: call(_randn(1, 2, 7, 7, dtype=dt, device=dv), 2, 1, 0, 2,
                                                return_indices=True),
    }),
    OpSpec("avg_pool2d", ops.avg_pool2d, F.avg_pool2d, {
        "2x2": lambda dt, dv: call(_randn(2, 3, 6, 6, dtype=dt, device=dv), 2),
        "3x3 s2 p1 ceil, no pad count": lambda dt, dv: call(_randn(2, 2, 7, 8, dtype=dt, device=dv), 3, 2, 1,
                                                            ceil_mode=True, count_include_pad=False),
        "divisor override": lambda dt, dv: call(_randn(3, 5, 5, dtype=dt, device=dv), (2, 3), 1,
                                                divisor_override=4),
    }),
    OpSpec("adaptive_avg_pool2d", ops.adaptive_avg_pool2d, F.adaptive_avg_pool2d, {
        "7x5 -> 3x2": lambda dt, dv: call(_randn(2, 3, 7, 5, dtype=dt, device=dv), (3, 2)),
        "global": lambda dt, dv: call(_randn(2, 3, 4, 4, dtype=dt, device=dv), 1),
    }),
    OpSpec("batch_norm", ops.batch_norm, F.batch_norm, {
        "train (4, 3, 5, 5)": _bn_case((4, 3, 5, 5), True),
        "eval (4, 3, 5, 5)": _bn_case((4, 3, 5, 5), False),
        "train (8, 4) no affine": _bn_case((8, 4), True, affine=False),
    }),
    OpSpec("layer_norm", ops.layer_norm, F.layer_norm, {
        "(3, 4, 6) over 6": lambda dt, dv: call(_randn(3, 4, 6, dtype=dt, device=dv), (6,),
                                                _randn(6, dtype=dt, device=dv), _randn(6, dtype=dt, device=dv)),
        "(2, 3, 4) over (3, 4)": lambda dt, dv: call(_randn(2, 3, 4, dtype=dt, device=dv), (3, 4),
                                                     _randn(3, 4, dtype=dt, device=dv)),
        "(96, 5) over 5: rows in blocks": lambda dt, dv: call(_randn(96, 5, dtype=dt, device=dv), (5,),
                                                              _randn(5, dtype=dt, device=dv),
                                                              _randn(5, dtype=dt, device=dv)),
    }),
    OpSpec("dropout", ops.dropout, _dropout_reference, {
        "p=0.3 (4, 6)": lambda dt, dv: call(_randn(4, 6, dtype=dt, device=dv), 0.3),
        "eval": lambda dt, dv: call(_randn(4, 6, dtype=dt, device=dv), 0.3, training=False),
    }, seed=0),
    OpSpec("embedding", ops.embedding, F.embedding, {
        "(3, 4) of 10x5": lambda dt, dv: call(torch.randint(0, 10, (3, 4), device=dv),
                                              _randn(10, 5, dtype=dt, device=dv)),
        "padding_idx, by freq": lambda dt, dv: call(torch.tensor([[1, 2, 2], [0, 2, 1]], device=dv),
                                                    _randn(4, 3, dtype=dt, device=dv), padding_idx=2,
                                                    scale_grad_by_freq=True),
    }, not_derivative=frozenset({"padding_idx, by freq"})),
]}
