"""Input checks shared by the ops: every message names the op and the shapes, and runs before any kernel."""
from __future__ import annotations

from collections.abc import Sequence

import torch

_REDUCTIONS = ("none", "mean", "sum")


class OpInputError(ValueError, RuntimeError):
    """Raised when an op gets tensors it cannot combine (shape, dtype or device mismatch) or arguments
    it cannot use, before any kernel runs. It is a RuntimeError as well as a ValueError, so code that
    catches the RuntimeError torch raises for the same input catches it too."""


def describe(**tensors: torch.Tensor | None) -> str:
    """`input (2, 3) float32 cpu, weight (4, 3) float32 cpu` for the tensors that are given."""
    parts = []
    for name, t in tensors.items():
        if t is not None:
            dtype = str(t.dtype).removeprefix("torch.")
            parts.append(f"{name} {tuple(t.shape)} {dtype} {t.device}")
    return ", ".join(parts)


def fail(op: str, problem: str, fix: str = "", **tensors: torch.Tensor | None) -> None:
    message = f"diffprog.ops.{op}: {problem}"
    if tensors:
        message += f" (got {describe(**tensors)})"
    if fix:
        message += f". {fix}"
    raise OpInputError(message)


def expect_tensor(op: str, name: str, value: object) -> None:
    if not isinstance(value, torch.Tensor):
        fail(op, f"{name} must be a torch.Tensor, not {type(value).__name__}")


def expect_floating(op: str, **tensors: torch.Tensor | None) -> None:
    for name, t in tensors.items():
        if t is None:
            continue
        expect_tensor(op, name, t)
        if not t.is_floating_point():
            fail(op, f"{name} must be a floating-point tensor", "Convert it with .float()", **{name: t})


def expect_same_device_dtype(op: str, **tensors: torch.Tensor | None) -> None:
    """All given tensors share one device and one floating dtype."""
    given = {k: v for k, v in tensors.items() if v is not None}
    expect_floating(op, **given)
    devices = {t.device for t in given.values()}
    if len(devices) > 1:
        fail(op, "tensors are on different devices", "Move them with .to(input.device)", **given)
    dtypes = {t.dtype for t in given.values()}
    if len(dtypes) > 1:
        fail(op, "tensors have different dtypes", "Cast them with .to(input.dtype)", **given)


def expect_same_device(op: str, **tensors: torch.Tensor | None) -> None:
    given = {k: v for k, v in tensors.items() if v is not None}
    if len({t.device for t in given.values()}) > 1:
        fail(op, "tensors are on different devices", "Move them with .to(input.device)", **given)


def expect_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        fail(op, f"reduction must be one of {_REDUCTIONS}, not {reduction!r}")


def pair(op: str, name: str, value: int | Sequence[int]) -> tuple[int, int]:
    """Normalize an int or a 1/2-sequence to a (height, width) pair of ints."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) == 1:
        return (int(value[0]), int(value[0]))
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        fail(op, f"{name} must be an int or a pair of ints, not {value!r}")
    return value  # type: ignore[return-value]


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """Map torch's deprecated size_average/reduce flags onto `reduction`, as torch does."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"
