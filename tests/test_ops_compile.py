"""Ops work under torch.compile: same values and gradients as eager."""
from __future__ import annotations

import pytest
import torch

from diffprog import ops
from diffprog.check.builtin import SPECS
from diffprog.check.checker import _differentiable, _float_outputs, _map_tensors


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _eager_and_compiled(fn, c, seed):
    results = []
    for f in (fn, torch.compile(fn, backend="aot_eager", fullgraph=True)):
        fresh = _map_tensors(c, lambda t: t.detach().clone().requires_grad_(t.requires_grad))
        torch.manual_seed(seed)
        outs = _float_outputs(f(*fresh.args, **fresh.kwargs))
        inputs = [t for _, t in _differentiable(fresh)]
        grads = torch.autograd.grad(sum(o.sum() for o in outs), inputs) if inputs and outs[0].requires_grad else ()
        results.append((outs, grads))
    return results


@pytest.mark.parametrize("name", list(SPECS))
def test_op_under_torch_compile_matches_eager(name):
    spec = SPECS[name]
    for case, factory in spec.cases.items():
        torch._dynamo.reset()  # each case is a new program, not a recompilation
        c = factory(torch.float32, torch.device("cpu"))
        (eager_out, eager_grad), (comp_out, comp_grad) = _eager_and_compiled(spec.function, c, spec.seed or 0)
        for a, b in zip(eager_out + list(eager_grad), comp_out + list(comp_grad)):
            torch.testing.assert_close(b, a, msg=f"{name} / {case}")


@pytest.mark.slow
def test_small_network_compiled_with_inductor_matches_eager():
    x, t = torch.randn(16, 8), torch.randint(0, 4, (16,))
    w1 = torch.randn(8, 8, requires_grad=True)
    w2 = torch.randn(4, 8, requires_grad=True)

    def loss(x, w1, w2):
        return ops.cross_entropy(ops.linear(ops.gelu(ops.layer_norm(ops.linear(x, w1), (8,))), w2), t)

    eager = loss(x, w1, w2)
    eager_grads = torch.autograd.grad(eager, [w1, w2])
    compiled = torch.compile(loss, fullgraph=True)(x, w1, w2)
    compiled_grads = torch.autograd.grad(compiled, [w1, w2])
    torch.testing.assert_close(compiled, eager)
    for a, b in zip(compiled_grads, eager_grads):
        torch.testing.assert_close(a, b)
