"""Every twin against its torch op on PyTorch's own OpInfo samples (torch.testing's op_db): values,
in-place effects, gradients and second derivatives on every sample and reference input in float64
and float32, values in bfloat16 and float16, and every error input refused with diffprog's own
error. The comparison is tests/opinfo_twins.py."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from diffprog import ops
from diffprog.ops import OpInputError

from .conftest import requires_cuda
from .opinfo_twins import FORWARD_DTYPES, FULL_DTYPES, TWINS, Mismatch, cases, compare_case, entries, entry_id, error_cases

ENTRIES = entries()


def mismatches(op, device: str) -> tuple[list[str], list[str], int]:
    """Every case of `op` on `device` whose twin differs from torch, as 'op case dtype: what'; the
    cases where finite differences showed torch to be off; and the count of cases."""
    problems, torch_off, count = [], [], 0
    supported = op.supported_dtypes(device)
    for dtype in [d for d in FULL_DTYPES + FORWARD_DTYPES if d in supported]:
        with_grad = list(cases(op, device, dtype, requires_grad=dtype in FULL_DTYPES))
        without = [dataclasses.replace(c, label=f"{c.label} (no grad)")
                   for c in cases(op, device, dtype, requires_grad=False)] if dtype in FULL_DTYPES else []
        # some entries give more samples when nothing is differentiated (embedding's max_norm, padding_idx):
        # those are compared too, values and in-place effects
        for case in with_grad + (without if len(without) > len(with_grad) else []):
            count += 1
            where = f"{entry_id(op)} {case.label} {str(dtype).removeprefix('torch.')}"
            try:
                torch_off += [f"{where}: {note}" for note in compare_case(op, TWINS[op.name], case, dtype)]
            except Mismatch as error:
                problems.append(f"{entry_id(op)} {case.describe()} {dtype}: {error}")
    return problems, torch_off, count


def refusals(op, device: str) -> tuple[list[str], int]:
    """Every error input of `op` the twin does not refuse with OpInputError (of the type torch raises)."""
    problems, count = [], 0
    for label, case, error_type, _ in error_cases(op, device):
        count += 1
        try:
            TWINS[op.name](case.input, *case.args, **case.kwargs)
        except OpInputError as error:
            if not isinstance(error, error_type):
                problems.append(f"{entry_id(op)} {case.describe()}: OpInputError is not a {error_type.__name__} "
                                f"as torch's error is: {error}")
        except Exception as error:
            problems.append(f"{entry_id(op)} {case.describe()}: {type(error).__name__} from torch, not diffprog's "
                            f"own check: {str(error).splitlines()[0][:160]}")
        else:
            problems.append(f"{entry_id(op)} {case.describe()}: accepted; torch raises {error_type.__name__}")
    return problems, count


#: Cases where the twin and torch's float64 result disagree beyond the floor and float64 finite
#: differences settle it for the twin (tests/opinfo_twins.settle), each '<op> <case> <dtype>' with why.
SETTLED_BY_FINITE_DIFFERENCES = {
    # torch is off. layer_norm over one feature: x − μ = 0 exactly, so y = β and ∂J/∂x = ∂J/∂γ = 0
    # (finite differences: 0; the twin: 0); torch gives rounding noise, 4.5e-13 and 2.3e-15:
    #   x = torch.tensor([-0.6047], dtype=torch.float64, requires_grad=True)
    #   y = F.layer_norm(x, (1,), torch.tensor([-4.8270]).double(), torch.tensor([-7.5824]).double())
    #   torch.autograd.grad(y.sum(), x)   # (tensor([4.5475e-13]),), exactly 0 in truth
    "layer_norm sample 2 float64",
    # a tie. layer_norm over two features: x̂ = ±d/√(d² + ε) whatever x is, so ∂J/∂x ∝ ε is what is left
    # after cancelling terms of size 1; torch and the twin are both 6.4e-11 from finite differences and
    # differ from each other by 1.6e-10 of that rounding-dominated result.
    "layer_norm sample 5 float64",
}


DEVICES = ["cpu", pytest.param("cuda", marks=requires_cuda)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", ENTRIES, ids=entry_id)
def test_twin_matches_torch_on_every_opinfo_sample(op, device):
    problems, torch_off, count = mismatches(op, device)
    assert count > 0
    assert not problems, f"{len(problems)} of {count} cases differ:\n" + "\n".join(problems[:40])
    unexpected = [note for note in torch_off if note.split(":")[0] not in SETTLED_BY_FINITE_DIFFERENCES]
    assert not unexpected, ("settled by finite differences where nobody has looked yet (look, then record it in "
                            "SETTLED_BY_FINITE_DIFFERENCES):\n" + "\n".join(unexpected))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", ENTRIES, ids=entry_id)
def test_twin_refuses_every_opinfo_error_input_itself(op, device):
    problems, _ = refusals(op, device)
    assert not problems, "\n".join(problems)


def test_every_twin_with_a_torch_op_is_covered():
    assert {op.name for op in ENTRIES} == set(TWINS)
    assert torch.float64 in FULL_DTYPES


def _tanh_with_a_constant_slope(x):
    """tanh's value and first derivative, the derivative a constant of the graph (no second derivative)."""
    y = torch.tanh(x.detach())
    return y + (x - x.detach()) * (1 - y * y)


@pytest.mark.parametrize("twin, message", [
    (lambda x: torch.tanh(x) * (1 + 1e-6), "output 0: relative error"),
    (lambda x: ops.tanh(x) + 1e-3 * (x - x.detach()), "gradient of input 0: relative error"),
    (_tanh_with_a_constant_slope, "has no graph where torch's has one"),
    (lambda x: torch.tanh(x.reshape(-1)), "the twin fails where torch works|output 0"),
])
def test_the_comparison_catches_a_wrong_value_a_wrong_gradient_and_a_lost_graph(twin, message):
    op = next(o for o in ENTRIES if o.name == "tanh")
    case = next(c for c in cases(op, "cpu", torch.float64, requires_grad=True) if c.input.dim() == 2)
    with pytest.raises(Mismatch, match=message):
        compare_case(op, twin, case, torch.float64)
