"""Under autocast, every op computes in the dtype its torch twin computes in, forward and backward."""
from __future__ import annotations

import pytest
import torch

from diffprog.check.builtin import SPECS
from diffprog.check.checker import _differentiable, _float_outputs, _map_tensors


def _run(fn, c, seed):
    fresh = _map_tensors(c, lambda t: t.detach().clone().requires_grad_(t.requires_grad))
    torch.manual_seed(seed)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        outs = _float_outputs(fn(*fresh.args, **fresh.kwargs))
    inputs = [t for _, t in _differentiable(fresh)]
    grads = torch.autograd.grad(sum(o.float().sum() for o in outs), inputs) if outs[0].requires_grad else ()
    return outs, grads


@pytest.mark.parametrize("name", list(SPECS))
def test_op_under_cpu_autocast_matches_its_twin(name):
    spec = SPECS[name]
    for case, factory in spec.cases.items():
        c = factory(torch.float32, torch.device("cpu"))
        (ours, our_grads), (theirs, their_grads) = _run(spec.function, c, spec.seed or 0), \
            _run(spec.reference, c, spec.seed or 0)
        for a, b in zip(ours + list(our_grads), theirs + list(their_grads)):
            assert a.dtype == b.dtype, f"{name} / {case}: {a.dtype} vs torch's {b.dtype}"
            torch.testing.assert_close(a.float(), b.float(), rtol=2e-2, atol=2e-2, msg=f"{name} / {case}")
