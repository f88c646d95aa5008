"""Run diffprog's twins on PyTorch's own OpInfo samples (`op_db`) and say, per sample, what differs.

For one OpInfo entry, one device and one dtype, every `sample_inputs` and `reference_inputs` case
is run three times on fresh copies: through the diffprog twin, through torch's op in that dtype, and
through torch's op in float64 (the truth). The twin passes a quantity (an output, an input left
changed in place such as batch norm's running statistics, the gradient of each input, the second
derivative of each input) when its error against the truth,

    max |ours − truth| / max |truth|,

is at most twice torch's own error in that dtype plus the checker's floor (diffprog.check.ERROR_FLOOR):
no less accurate than the op it replaces. NaN and ±inf must sit where the truth has them. Integer
outputs (pooling indices) must be equal. Gradients use a seeded random cotangent; second
derivatives differentiate Σ_i ⟨∂J/∂x_i, v_i⟩ with seeded random v_i, and a first-order gradient
must carry a graph wherever torch's does. Every `error_inputs` case must be refused by the twin
with its own OpInputError, before any kernel runs.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from diffprog import ops
from diffprog.check import ERROR_FLOOR

TWINS: dict[str, Callable] = {
    "nn.functional.linear": ops.linear,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "nn.functional.relu": ops.relu,
    "nn.functional.leaky_relu": ops.leaky_relu,
    "nn.functional.gelu": ops.gelu,
    "softmax": ops.softmax,
    "log_softmax": ops.log_softmax,
    "nn.functional.mse_loss": ops.mse_loss,
    "nn.functional.cross_entropy": ops.cross_entropy,
    "nn.functional.conv2d": ops.conv2d,
    "nn.functional.max_pool2d": ops.max_pool2d,
    "nn.functional.avg_pool2d": ops.avg_pool2d,
    "nn.functional.adaptive_avg_pool2d": ops.adaptive_avg_pool2d,
    "nn.functional.batch_norm": ops.batch_norm,
    "nn.functional.layer_norm": ops.layer_norm,
    # OpInfo's own wrapper puts the weight first (only `input` is differentiated in its tests)
    "nn.functional.embedding": lambda weight, idx, **kwargs: ops.embedding(idx, weight, **kwargs),
    "nn.functional.dropout": ops.dropout,
}
FULL_DTYPES = (torch.float64, torch.float32)  # value, in-place effects, gradients, second derivatives
FORWARD_DTYPES = (torch.bfloat16, torch.float16)  # value and in-place effects


def entries() -> list:
    """The op_db entries that have a twin and run on the CPU."""
    from torch.testing._internal.common_methods_invocations import op_db

    return [op for op in op_db if op.name in TWINS and op.supported_dtypes("cpu")]


def entry_id(op) -> str:
    return op.name.removeprefix("nn.functional.") + (f"[{op.variant_test_name}]" if op.variant_test_name else "")


@dataclass
class Case:
    """One sample: where it came from and the arguments of the call."""
    label: str  # 'sample 3' or 'reference 17'
    input: object
    args: tuple
    kwargs: dict

    def describe(self) -> str:
        def show(v):
            if isinstance(v, torch.Tensor):
                return f"tensor{tuple(v.shape)}"
            if isinstance(v, (list, tuple)):
                return "[" + ", ".join(show(x) for x in v) + "]"
            return repr(v)
        parts = [show(self.input)] + [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return f"{self.label}: ({', '.join(parts)})"


def cases(op, device: str, dtype: torch.dtype, requires_grad: bool) -> Iterator[Case]:
    """Every sample input, then every reference input when the entry has reference inputs of its own."""
    for i, s in enumerate(op.sample_inputs(device, dtype, requires_grad=requires_grad)):
        yield Case(f"sample {i}", s.input, tuple(s.args), dict(s.kwargs))
    if op.reference_inputs_func is not None:
        for i, s in enumerate(op.reference_inputs(device, dtype, requires_grad=requires_grad)):
            yield Case(f"reference {i}", s.input, tuple(s.args), dict(s.kwargs))


def _copy(value, dtype: torch.dtype | None = None):
    """A fresh leaf copy of every tensor (floating ones cast to dtype when given), keeping requires_grad."""
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        if dtype is not None and out.is_floating_point():
            out = out.to(dtype)
        return out.requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v, dtype) for k, v in value.items()}
    if isinstance(value, torch.dtype) and dtype is not None and value.is_floating_point:
        return dtype  # softmax(dtype=...): the truth computes in float64 too
    return value


def _tensors(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _outputs(out) -> list[torch.Tensor]:
    return [o for o in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(o, torch.Tensor)]


def relative_error(x: torch.Tensor, truth: torch.Tensor) -> float:
    """max |x − truth| / max |truth| over finite entries; inf when NaN or ±inf differ in place, or shapes differ."""
    if x.shape != truth.shape:
        return math.inf
    x, truth = x.detach().double(), truth.detach().double()
    if not torch.equal(torch.isnan(x), torch.isnan(truth)):
        return math.inf
    infinite = torch.isinf(truth)
    if not torch.equal(torch.isinf(x), infinite) or not torch.equal(x[infinite], truth[infinite]):
        return math.inf
    finite = torch.isfinite(truth)
    if not finite.any():
        return 0.0
    scale = max(truth[finite].abs().max().item(), 1e-12)
    return (x[finite] - truth[finite]).abs().max().item() / scale


class Mismatch(AssertionError):
    pass


def _compare(what: str, ours, theirs, truth, dtype: torch.dtype) -> None:
    if truth is None:
        if ours is not None and ours.numel() and ours.abs().max().item() > 0:
            raise Mismatch(f"{what}: torch gives none, ours is non-zero")
        return
    if ours is None:
        ours = torch.zeros_like(truth)
    if theirs is None:
        theirs = torch.zeros_like(truth)
    if not truth.is_floating_point():
        if not torch.equal(ours, theirs):
            raise Mismatch(f"{what}: integer results differ from torch's")
        return
    if ours.dtype != theirs.dtype:
        raise Mismatch(f"{what}: dtype {ours.dtype}, torch's is {theirs.dtype}")
    error, reference = relative_error(ours, truth), relative_error(theirs, truth)
    if not error <= 2 * reference + ERROR_FLOOR[dtype]:
        raise Mismatch(f"{what}: relative error {error:.3g} against the float64 truth, torch's own {reference:.3g}")


def _seeded_like(tensors: list[torch.Tensor], seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(t.shape, generator=g, dtype=torch.float64) for t in tensors]


@dataclass
class Run:
    outputs: list[torch.Tensor]
    after: list[torch.Tensor]  # every tensor argument after the call (in-place effects)
    grads: list[torch.Tensor | None] | None
    second: list[torch.Tensor | None] | None
    graph: list[bool] | None  # whether each first-order gradient carries a graph
    objectives: tuple[float, ...] = ()  # J = Σ ⟨cotangent, output⟩, then Σ_i ⟨∂J/∂x_i, v_i⟩


def run(fn: Callable, case: Case, dtype: torch.dtype | None, order: int, seed: int = 0,
        replace: tuple[int, torch.Tensor] | None = None) -> Run:
    """Call fn on a fresh copy of the case (cast to dtype; with `replace` = (j, values), the j-th input
    that requires grad set to values); with order ≥ 1 also the gradients of every input that
    requires grad, with order 2 the second derivatives."""
    args = _copy((case.input, case.args, case.kwargs), dtype)
    x, a, k = args
    leaves = [t for t in _tensors(args) if t.requires_grad]
    if replace is not None:
        with torch.no_grad():
            leaves[replace[0]].copy_(replace[1])
    out = fn(x, *a, **k)
    outputs = _outputs(out)
    after = [t.detach() for t in _tensors(args)]
    differentiable = [o for o in outputs if o.is_floating_point() and o.requires_grad]
    if order == 0 or not leaves or not differentiable:
        return Run(outputs, after, None, None, None)
    cotangents = _seeded_like(differentiable, seed)
    objective = sum((o * v.to(o.dtype)).sum() for o, v in zip(differentiable, cotangents))
    grads = list(torch.autograd.grad(objective, leaves, allow_unused=True, create_graph=order == 2))
    graph = [g is not None and g.requires_grad for g in grads]
    detached = [None if g is None else g.detach() for g in grads]
    if order == 1 or not any(graph):
        return Run(outputs, after, detached, None, graph, (objective.item(),))
    directions = _seeded_like(leaves, seed + 1)
    second_objective = sum((g * v.to(g.dtype)).sum() for g, v, has in zip(grads, directions, graph) if has)
    second = torch.autograd.grad(second_objective, leaves, allow_unused=True)
    return Run(outputs, after, detached, [None if s is None else s.detach() for s in second], graph,
               (objective.item(), second_objective.item()))


#: Inputs with at most this many elements are settled by finite differences when the twin and torch disagree.
SETTLE_NUMEL = 64


def numerical(reference: Callable, case: Case, leaf: int, order: int, values: torch.Tensor) -> torch.Tensor:
    """Central differences, in float64, of torch's J (order 1) or Σ_i ⟨∂J/∂x_i, v_i⟩ (order 2)
    with respect to input `leaf`, at `values`."""
    grad = torch.zeros_like(values, dtype=torch.float64)
    flat, base = grad.view(-1), values.detach().double()
    for e in range(base.numel()):
        h = 1e-6 * max(1.0, abs(base.view(-1)[e].item()))
        up, down = base.clone(), base.clone()
        up.view(-1)[e] += h
        down.view(-1)[e] -= h
        plus = run(reference, case, torch.float64, order, replace=(leaf, up)).objectives[order - 1]
        minus = run(reference, case, torch.float64, order, replace=(leaf, down)).objectives[order - 1]
        flat[e] = (plus - minus) / (2 * h)
    return grad


def settle(what: str, reference: Callable, case: Case, leaf: int, order: int, ours, theirs, truth) -> str:
    """When the twin is no farther than torch (in its dtype and in float64) from the finite-difference
    derivative, the disagreement is torch's rounding or torch's error, not the twin's: a note saying
    so, with the numbers; otherwise Mismatch."""
    leaves = [t for t in _tensors((case.input, case.args, case.kwargs)) if t.requires_grad]
    if leaves[leaf].numel() > SETTLE_NUMEL:
        raise Mismatch(what)
    fd = numerical(reference, case, leaf, order, leaves[leaf])
    off = {name: (t.double() - fd).abs().max().item() if t is not None else fd.abs().max().item()
           for name, t in (("ours", ours), ("torch", theirs), ("torch float64", truth))}
    if off["ours"] <= off["torch"] and off["ours"] <= off["torch float64"]:
        return (f"{what}; finite differences settle it for the twin: max |· − FD| ours {off['ours']:.3g}, "
                f"torch {off['torch']:.3g}, torch in float64 {off['torch float64']:.3g}")
    raise Mismatch(f"{what}; finite differences do not settle it: max |· − FD| {off}")


def _reference(op, case: Case, our_output: torch.Tensor | None) -> Callable:
    return dropout_reference(case, our_output) if op.name == "nn.functional.dropout" else op.op


def compare_case(op, twin: Callable, case: Case, dtype: torch.dtype) -> list[str]:
    """Raise Mismatch naming what differs (a crash of the twin where torch works is one); return the
    notes of derivatives where finite differences settled a disagreement for the twin.

    The float64 truth is computed only when the twin and torch differ by more than half the floor
    (then the twin is within the criterion whatever the truth); in float64 torch's run is the truth."""
    order = 0 if dtype in FORWARD_DTYPES or not op.supports_autograd else (2 if op.supports_gradgrad else 1)
    if op.name == "nn.functional.dropout":
        torch.manual_seed(0)
    try:
        ours = run(twin, case, None, order)
    except Exception as error:
        try:
            run(_reference(op, case, None), case, None, 0)
        except Exception:
            return []  # torch refuses it too
        raise Mismatch(f"the twin fails where torch works: {type(error).__name__}: {error}") from error
    reference = _reference(op, case, ours.outputs[0] if ours.outputs else None)
    theirs = run(reference, case, None, order)
    truths: list[Run] = []

    def truth() -> Run:
        if not truths:
            truths.append(theirs if dtype == torch.float64 else run(reference, case, torch.float64, order))
        return truths[0]

    def compare(what: str, field: str, i: int) -> None:
        o, t = getattr(ours, field)[i] if getattr(ours, field) is not None else None, getattr(theirs, field)[i]
        if not _close(o, t, dtype):
            _compare(what, o, t, getattr(truth(), field)[i], dtype)

    if len(ours.outputs) != len(theirs.outputs):
        raise Mismatch(f"output: {len(ours.outputs)} tensors, torch gives {len(theirs.outputs)}")
    for i in range(len(theirs.outputs)):
        compare(f"output {i}", "outputs", i)
    for i in range(len(theirs.after)):
        compare(f"argument {i} after the call", "after", i)
    if theirs.grads is None:
        return []
    if ours.grads is None:
        raise Mismatch("no gradient: the twin's output does not require grad")
    notes = []

    def derivative(what: str, field: str, leaf: int, order_: int) -> None:
        try:
            compare(what, field, leaf)
        except Mismatch as error:
            notes.append(settle(str(error), reference, case, leaf, order_, getattr(ours, field)[leaf],
                                getattr(theirs, field)[leaf], getattr(truth(), field)[leaf]))

    for i in range(len(theirs.grads)):
        derivative(f"gradient of input {i}", "grads", i, 1)
    lost = [i for i, (o, t) in enumerate(zip(ours.graph, theirs.graph)) if t and not o]
    if lost:
        raise Mismatch(f"the first-order gradient of input(s) {lost} has no graph where torch's has one: double "
                       "backward written against torch fails on the twin")
    if theirs.second is not None:
        if ours.second is None:
            raise Mismatch("no second derivative: the twin's first-order gradients carry no graph")
        for i in range(len(theirs.second)):
            derivative(f"second derivative of input {i}", "second", i, 2)
    return notes


def _close(ours: torch.Tensor | None, theirs: torch.Tensor | None, dtype: torch.dtype) -> bool:
    """Within half the floor of torch's result in torch's own scale (so within the criterion whatever
    the truth), with NaN and ±inf where torch has them; integers equal."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if ours.dtype != theirs.dtype or ours.shape != theirs.shape:
        return False
    if not theirs.is_floating_point():
        return torch.equal(ours, theirs)
    return relative_error(ours, theirs) <= ERROR_FLOOR[dtype] / 2


def dropout_reference(case: Case, our_output: torch.Tensor | None = None) -> Callable:
    """torch's dropout with the twin's mask: dropout draws its own random numbers, so the reference
    is the formula x ⊙ m / (1 − p) with m where the twin kept an element (m = 1 where it cannot be told)."""
    def reference(x, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return torch.nn.functional.dropout(x, p, training, inplace)
        if p == 1:
            return x * 0
        kept = torch.ones_like(x, dtype=torch.bool) if our_output is None else (our_output != 0) | (case.input == 0)
        out = x * kept.to(x.dtype) / (1 - p)
        if inplace:
            with torch.no_grad():
                x.copy_(out)
            return x
        return out
    return reference


def error_cases(op, device: str) -> Iterator[tuple[str, Case, type, str]]:
    """(label, case, the error type torch raises, its message pattern) per error input of the entry."""
    if op.error_inputs_func is None:
        return
    for i, e in enumerate(op.error_inputs(device)):
        s = e.sample_input
        yield f"error {i}", Case(f"error {i}", s.input, tuple(s.args), dict(s.kwargs)), e.error_type, e.error_regex
