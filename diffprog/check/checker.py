"""Verify a hand-written backward: against autograd on a reference implementation, and against
finite differences (torch.autograd.gradcheck / gradgradcheck), across dtypes, devices and shapes.

    from diffprog.check import check_function, call
    report = check_function(MyFunction.apply, reference=torch.sin,
                            cases={"vector": lambda dtype, device: call(torch.randn(5, dtype=dtype,
                                                                        device=device, requires_grad=True))})
    print(report.table()); assert report.passed

How a comparison passes, per dtype: inputs are drawn once in float64 and rounded to the dtype; the
"truth" is the reference run in float64 on those rounded values. Our op passes when its error
(max |ours − truth| / max |truth|, on the output and on the gradient of every input that requires
grad) is at most twice the reference's own error in that dtype plus a small floor, i.e. it is no
less accurate than the op it replaces. In float64 we also run gradcheck (first derivatives against
central finite differences) and gradgradcheck (second derivatives), on every device.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch

#: Relative-error floor per dtype, added to twice the reference's own error.
ERROR_FLOOR = {torch.float64: 1e-10, torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1e-2}
DTYPES = {"float64": torch.float64, "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclass(frozen=True)
class Call:
    """The arguments of one call; tensors with requires_grad=True are the ones differentiated."""

    args: tuple
    kwargs: dict = field(default_factory=dict)


def call(*args, **kwargs) -> Call:
    return Call(args, kwargs)


Factory = Callable[[torch.dtype, torch.device], Call]


@dataclass
class InputResult:
    """Error of one quantity (the output, or the gradient of one input) against the float64 truth."""

    name: str
    max_abs_error: float
    max_rel_error: float
    reference_rel_error: float
    passed: bool


@dataclass
class CaseResult:
    op: str
    case: str
    dtype: str
    device: str
    inputs: list[InputResult] = field(default_factory=list)
    gradcheck: bool | None = None
    gradgradcheck: bool | None = None
    note: str = ""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.inputs) and self.gradcheck is not False and self.gradgradcheck is not False


@dataclass
class Report:
    results: list[CaseResult]

    @property
    def passed(self) -> bool:
        """True when something was checked and every check passed (an empty report has not passed)."""
        return bool(self.results) and all(r.passed for r in self.results)

    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def table(self) -> str:
        """One row per (op, case, dtype, device): worst error and which checks ran."""
        header = f"{'op':<20} {'case':<30} {'dtype':<9} {'device':<6} {'worst rel err':>13} {'(torch)':>9}  " \
                 f"{'gradcheck':<9} {'gradgrad':<9} result"
        lines = [header, "-" * len(header)]
        flag = {None: "-", True: "ok", False: "FAIL"}
        for r in self.results:
            worst = max(r.inputs, key=lambda i: i.max_rel_error - i.reference_rel_error, default=None)
            err = f"{worst.max_rel_error:13.2e} {worst.reference_rel_error:9.1e}" if worst else f"{'':13} {'':9}"
            verdict = "PASS" if r.passed else "FAIL"
            if r.note:
                verdict += f" ({r.note})"
            lines.append(f"{r.op:<20} {r.case:<30} {r.dtype:<9} {r.device:<6} {err}  "
                         f"{flag[r.gradcheck]:<9} {flag[r.gradgradcheck]:<9} {verdict}")
        total, failed = len(self.results), len(self.failures())
        lines.append(f"{total - failed}/{total} passed")
        return "\n".join(lines)

    def __add__(self, other: Report) -> Report:
        return Report(self.results + other.results)


def _map_tensors(value, fn):
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, Call):
        return Call(_map_tensors(value.args, fn), _map_tensors(value.kwargs, fn))
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    return value


def _to(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A fresh leaf copy, cast to dtype if floating, keeping requires_grad."""
    out = t.detach().to(dtype if t.is_floating_point() else t.dtype).clone()
    return out.requires_grad_(t.requires_grad)


def _differentiable(c: Call) -> list[tuple[str, torch.Tensor]]:
    found = [(f"arg{i}", a) for i, a in enumerate(c.args) if isinstance(a, torch.Tensor) and a.requires_grad]
    found += [(k, v) for k, v in c.kwargs.items() if isinstance(v, torch.Tensor) and v.requires_grad]
    return found


def _float_outputs(out) -> list[torch.Tensor]:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, torch.Tensor) and o.is_floating_point()]


def _run(fn: Callable, c: Call, cotangents: list[torch.Tensor] | None, seed: int | None):
    """Outputs and input gradients of fn on a fresh copy of the call."""
    if seed is not None:
        torch.manual_seed(seed)
    outs = _float_outputs(fn(*c.args, **c.kwargs))
    inputs = [t for _, t in _differentiable(c)]
    if cotangents is None:
        return outs, []
    pairs = [(o, v.to(o.dtype)) for o, v in zip(outs, cotangents) if o.requires_grad]
    if not pairs or not inputs:
        return outs, [None] * len(inputs)
    objective = sum((o.float() * v.float()).sum() for o, v in pairs)
    grads = torch.autograd.grad(objective, inputs, allow_unused=True)
    return outs, list(grads)


def _errors(name: str, ours, ref, truth, dtype: torch.dtype) -> InputResult:
    if truth is None or ours is None:
        missing = truth is not None or ref is not None
        return InputResult(name, math.inf if missing else 0.0, math.inf if missing else 0.0, 0.0, not missing)
    if ours.is_sparse:
        ours = ours.to_dense()
    if ref is not None and ref.is_sparse:
        ref = ref.to_dense()
    if truth.is_sparse:
        truth = truth.to_dense()
    truth = truth.double()
    scale = max(truth.abs().max().item() if truth.numel() else 0.0, 1e-12)
    abs_err = (ours.double() - truth).abs().max().item() if truth.numel() else 0.0
    ref_err = (ref.double() - truth).abs().max().item() / scale if ref is not None and truth.numel() else 0.0
    rel = abs_err / scale
    ok = math.isfinite(rel) and rel <= 2 * ref_err + ERROR_FLOOR[dtype]
    return InputResult(name, abs_err, rel, ref_err, ok)


def _finite_difference_checks(fn: Callable, c: Call, seed: int | None, second_order: bool) -> tuple[bool, bool | None, str]:
    names_and_inputs = _differentiable(c)
    if not names_and_inputs:
        return True, None, ""
    names = [n for n, _ in names_and_inputs]

    def wrapped(*tensors):
        args = list(c.args)
        kwargs = dict(c.kwargs)
        for name, t in zip(names, tensors):
            if name.startswith("arg"):
                args[int(name[3:])] = t
            else:
                kwargs[name] = t
        if seed is not None:
            torch.manual_seed(seed)
        return tuple(_float_outputs(fn(*args, **kwargs)))

    inputs = tuple(t for _, t in names_and_inputs)
    note = ""
    try:
        first = torch.autograd.gradcheck(wrapped, inputs, raise_exception=True)
    except Exception as exc:  # the report carries the reason
        first, note = False, f"gradcheck: {str(exc).splitlines()[0][:80]}"
    second = None
    if second_order and first:
        try:
            second = torch.autograd.gradgradcheck(wrapped, inputs, raise_exception=True)
        except Exception as exc:
            second, note = False, f"gradgradcheck: {str(exc).splitlines()[0][:80]}"
    return first, second, note


def check_function(function: Callable, reference: Callable, cases: Mapping[str, Factory] | Factory, *,
                   name: str | None = None, dtypes: Sequence[torch.dtype] = (torch.float64, torch.float32),
                   devices: Sequence[str | torch.device] = ("cpu",), gradcheck: bool = True,
                   gradgradcheck: bool = True, seed: int | None = None) -> Report:
    """Check `function` (e.g. MyFunction.apply or a functional wrapper) against `reference`.

    cases: name → factory(dtype, device) → Call; tensors created with requires_grad=True are
    differentiated. `seed` reseeds torch before every call (for random ops such as dropout).
    Returns a Report; `report.passed` is False if any comparison or finite-difference check failed.
    """
    if callable(cases) and not isinstance(cases, Mapping):
        cases = {"default": cases}
    if not cases or not dtypes or not devices:
        raise ValueError("check_function needs at least one case, one dtype and one device: a check of nothing "
                         "would pass without checking anything")
    integral = [d for d in dtypes if not d.is_floating_point]
    if integral:
        raise ValueError(f"check_function compares floating-point results and gradients, not {integral[0]}: give "
                         f"dtypes among {', '.join(DTYPES)}")
    op_name = name or getattr(function, "__name__", "function")
    results = []
    for device in devices:
        device = torch.device(device)
        for case_name, factory in cases.items():
            generator_state = torch.random.get_rng_state()
            torch.manual_seed(0)
            base = factory(torch.float64, device)
            torch.random.set_rng_state(generator_state)
            torch.manual_seed(1)
            truth_outs, _ = _run(reference, _map_tensors(base, lambda t: _to(t, torch.float64)), None, seed)
            cotangents = [torch.randn_like(o) for o in truth_outs]
            for dtype in dtypes:
                results.append(_check_dtype(function, reference, base, cotangents, op_name, case_name,
                                            dtype, device, seed, gradcheck, gradgradcheck))
    return Report(results)


def _check_dtype(function, reference, base: Call, cotangents, op_name, case_name, dtype, device, seed,
                 run_gradcheck, run_gradgradcheck) -> CaseResult:
    result = CaseResult(op_name, case_name, str(dtype).removeprefix("torch."), device.type)
    rounded = _map_tensors(base, lambda t: _to(t, dtype))
    try:
        ref_outs, ref_grads = _run(reference, _map_tensors(rounded, lambda t: _to(t, dtype)), cotangents, seed)
    except (RuntimeError, NotImplementedError) as exc:
        result.note = f"skipped: torch has no {result.dtype} kernel ({str(exc).splitlines()[0][:50]})"
        return result
    truth_outs, truth_grads = _run(reference, _map_tensors(rounded, lambda t: _to(t, torch.float64)), cotangents, seed)
    try:
        our_outs, our_grads = _run(function, _map_tensors(rounded, lambda t: _to(t, dtype)), cotangents, seed)
    except Exception as exc:
        result.inputs.append(InputResult("call", math.inf, math.inf, 0.0, False))
        result.note = f"raised {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
        return result
    if len(our_outs) != len(truth_outs):
        result.inputs.append(InputResult("outputs", math.inf, math.inf, 0.0, False))
        result.note = f"{len(our_outs)} outputs, reference has {len(truth_outs)}"
        return result
    for i, (o, r, t) in enumerate(zip(our_outs, ref_outs, truth_outs)):
        result.inputs.append(_errors(f"output{i}", o, r, t, dtype))
    names = [n for n, _ in _differentiable(rounded)]
    for n, o, r, t in zip(names, our_grads, ref_grads, truth_grads):
        result.inputs.append(_errors(f"grad {n}", o, r, t, dtype))
    if dtype == torch.float64 and run_gradcheck:
        fd_call = _map_tensors(rounded, lambda t: _to(t, torch.float64))
        result.gradcheck, result.gradgradcheck, result.note = _finite_difference_checks(
            function, fd_call, seed, run_gradgradcheck)
    failing = [i.name for i in result.inputs if not i.passed]
    if failing and not result.note:
        result.note = "worse than torch on " + ", ".join(failing)
    return result
