"""Every built-in op agrees with its torch twin and with finite differences, in every dtype."""
from __future__ import annotations

import ast
import inspect

import pytest
import torch
import torch.nn.functional as F

from diffprog import ops
from diffprog.check import DTYPES
from diffprog.check.builtin import SPECS

from .conftest import requires_cuda


def test_every_op_has_a_check_in_the_registry():
    assert set(ops.OPS) == set(SPECS), "ops without a check: " + str(set(ops.OPS) - set(SPECS))


@pytest.mark.parametrize("name", list(SPECS))
def test_op_matches_autograd_and_finite_differences_on_cpu(name):
    report = SPECS[name].check(dtypes=list(DTYPES.values()), devices=["cpu"])
    assert report.passed, "\n" + report.table()
    assert any(r.gradcheck for r in report.results), "gradcheck never ran"
    assert any(r.gradgradcheck for r in report.results), "gradgradcheck never ran"


@requires_cuda
@pytest.mark.parametrize("name", list(SPECS))
def test_op_matches_autograd_and_finite_differences_on_cuda(name):
    report = SPECS[name].check(dtypes=list(DTYPES.values()), devices=["cuda"])
    assert report.passed, "\n" + report.table()


def _twin_parameters(fn) -> list[tuple[str, str]]:
    """(name, default repr) of a torch.nn.functional function, from its signature or its doc."""
    try:
        params = inspect.signature(fn).parameters.values()
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            raise ValueError
        return [(p.name, repr(p.default) if p.default is not p.empty else "") for p in params]
    except ValueError:
        first = next(line.strip() for line in fn.__doc__.splitlines() if line.strip())
        head = first.split("->")[0].strip()
        tree = ast.parse(f"def {head}: pass").body[0].args
        defaults = [""] * (len(tree.args) - len(tree.defaults)) + [ast.unparse(d) for d in tree.defaults]
        return [(a.arg, d) for a, d in zip(tree.args, defaults)]


@pytest.mark.parametrize("name", [n for n in ops.OPS if n != "euclidean_loss"])
def test_op_has_the_name_and_signature_of_its_torch_twin(name):
    ours = [(p.name, repr(p.default) if p.default is not p.empty else "")
            for p in inspect.signature(getattr(ops, name)).parameters.values()]
    theirs = _twin_parameters(getattr(F, name))
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    for (n, ours_default), (_, their_default) in zip(ours, theirs):
        if their_default not in ("", "None") or ours_default not in ("", "None"):
            assert ast.literal_eval(ours_default) == ast.literal_eval(their_default), n


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_softmax_family_is_finite_for_logits_of_1e4(dtype):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype, requires_grad=True)
    target = torch.tensor([1, 0])
    for fn in (lambda x: ops.log_softmax(x, 1), lambda x: ops.softmax(x, 1), lambda x: ops.cross_entropy(x, target)):
        out = fn(logits)
        (grad,) = torch.autograd.grad(out.sum(), logits)
        assert torch.isfinite(out).all() and torch.isfinite(grad).all()
    loss = ops.cross_entropy(logits.double(), target)
    assert loss.item() == pytest.approx(F.cross_entropy(logits.double(), target).item())


def test_double_backward_gives_the_same_hessian_vector_product_as_torch():
    x = torch.randn(6, 4, dtype=torch.float64)
    target = torch.randint(0, 3, (6,))
    w1, w2 = torch.randn(5, 4, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    v = [torch.randn_like(w1), torch.randn_like(w2)]

    def hvp(linear, tanh, ce):
        params = [w1.clone().requires_grad_(), w2.clone().requires_grad_()]
        loss = ce(linear(tanh(linear(x, params[0])), params[1]), target)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        return torch.autograd.grad(sum((g * u).sum() for g, u in zip(grads, v)), params)

    ours = hvp(ops.linear, ops.tanh, ops.cross_entropy)
    theirs = hvp(F.linear, torch.tanh, F.cross_entropy)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


def test_im2col_reference_agrees_with_the_fast_conv2d():
    x = torch.randn(2, 4, 9, 8, dtype=torch.float64)
    w = torch.randn(6, 2, 3, 3, dtype=torch.float64)
    torch.testing.assert_close(ops.conv2d_im2col(x, w, None, 2, 1, 1, 2), ops.conv2d(x, w, None, 2, 1, 1, 2))


def test_dropout_draws_the_same_mask_as_torch_on_cpu():
    x = torch.randn(100, 10)
    torch.manual_seed(3)
    ours = ops.dropout(x, 0.4)
    torch.manual_seed(3)
    assert torch.equal(ours, F.dropout(x, 0.4))
    assert ops.dropout(x, 0.4, training=False) is x


@pytest.fixture
def cuda_dropout_on_cpu(monkeypatch):
    """Dropout draws its byte mask (its CUDA path) on the CPU too, in the op and in its checker reference."""
    from diffprog.ops import pointwise

    monkeypatch.setattr(pointwise, "TORCH_MASK_DEVICES", ())


def test_dropout_byte_mask_path_passes_the_checker(cuda_dropout_on_cpu):
    report = SPECS["dropout"].check(dtypes=list(DTYPES.values()), devices=["cpu"])
    assert report.passed, "\n" + report.table()
    assert any(r.gradgradcheck for r in report.results)


@pytest.mark.parametrize("fusion", ["off", "on"])
def test_dropout_byte_mask_keeps_1_minus_p_and_backprops_through_the_same_mask(cuda_dropout_on_cpu, fusion):
    from diffprog.ops import set_fusion

    set_fusion(fusion)
    try:
        x = (torch.rand(400, 300) + 0.5).requires_grad_()  # no zeros: y = 0 exactly where dropped
        y = ops.dropout(x, 0.3)
        g = torch.randn_like(y)
        y.backward(g)
    finally:
        set_fusion("auto")
    kept = y.detach() != 0
    n = x.numel()
    assert abs(kept.float().mean().item() - 0.7) < 5 * (0.3 * 0.7 / n) ** 0.5  # 5 sigma of a binomial
    torch.testing.assert_close(y.detach(), x.detach() * kept / 0.7)
    torch.testing.assert_close(x.grad, g * kept / 0.7)


def test_inplace_relu_and_dropout_modify_the_input_and_backprop():
    for fn, ref in ((lambda t: ops.relu(t, inplace=True), lambda t: F.relu(t)),
                    (lambda t: ops.leaky_relu(t, 0.1, inplace=True), lambda t: F.leaky_relu(t, 0.1))):
        leaf = torch.randn(10, requires_grad=True)
        hidden = leaf * 2
        out = fn(hidden)
        assert out is hidden
        (grad,) = torch.autograd.grad(out.sum(), leaf)
        leaf2 = leaf.detach().clone().requires_grad_()
        (expected,) = torch.autograd.grad(ref(leaf2 * 2).sum(), leaf2)
        torch.testing.assert_close(grad, expected)


def test_batch_norm_updates_running_statistics_like_torch():
    x = torch.randn(8, 3, 4, 4)
    ours = (torch.zeros(3), torch.ones(3))
    theirs = (torch.zeros(3), torch.ones(3))
    ops.batch_norm(x, *ours, training=True, momentum=0.3)
    F.batch_norm(x, *theirs, training=True, momentum=0.3)
    torch.testing.assert_close(ours, theirs)


def test_embedding_sorted_row_sums_equal_the_atomic_ones():
    """CUDA's sorted sum (index_put_ with accumulate) and the CPU's index_add_ give one gradient."""
    from diffprog.ops.dense import sum_rows_by_index

    index = torch.tensor([3, 0, 3, 7, 3, 0, 9])
    rows = torch.randn(7, 5, dtype=torch.float64)
    shape = torch.Size((10, 5))
    by_sort = sum_rows_by_index(rows, index, shape, sort=True)
    torch.testing.assert_close(by_sort, sum_rows_by_index(rows, index, shape, sort=False))
    torch.testing.assert_close(by_sort[3], rows[0] + rows[2] + rows[4])
    assert not by_sort[[1, 2, 4, 5, 6, 8]].any()


def test_embedding_sparse_gradient_equals_torch():
    idx = torch.tensor([[0, 2, 2], [1, 0, 3]])
    w1 = torch.randn(5, 3, requires_grad=True)
    w2 = w1.detach().clone().requires_grad_()
    ops.embedding(idx, w1, sparse=True).pow(2).sum().backward()
    F.embedding(idx, w2, sparse=True).pow(2).sum().backward()
    assert w1.grad.is_sparse
    torch.testing.assert_close(w1.grad.to_dense(), w2.grad.to_dense())
