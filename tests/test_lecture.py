"""The lecture's claims, proven on diffprog ops."""
from __future__ import annotations

import pytest
import torch

from diffprog import ops
from diffprog.lecture import SLIDE, backprop_example, matches_slide


@pytest.fixture(scope="module")
def example():
    return backprop_example()


@pytest.mark.parametrize("term", list(SLIDE))
def test_worked_example_reproduces_the_slide(example, term):
    assert matches_slide(example["diffprog"][term], SLIDE[term]), (term, example["diffprog"][term], SLIDE[term])


def test_worked_example_updated_weights_at_slide_precision(example):
    w0, w1 = example["diffprog"]["W0 updated"], example["diffprog"]["W1 updated"]
    assert [[round(v, 2) for v in row] for row in w0] == [[1.02, -3.0], [0.17, 1.0]]
    assert [round(w1[0], 2), round(w1[1], 3)] == [1.02, -0.989]
    assert example["diffprog"]["dL/dx3"] == pytest.approx(-0.1869, abs=1e-4)


def test_worked_example_equals_torch_autograd(example):
    for term, value in example["diffprog"].items():
        torch.testing.assert_close(torch.tensor(value), torch.tensor(example["torch"][term]), rtol=1e-12, atol=1e-12)


def test_a_wrong_number_does_not_match_the_slide():
    assert not matches_slide(-0.1186 * 1.05, "-0.1186")
    assert not matches_slide([1.02, -0.95], ["1.02", "-0.989"])


def test_parameter_sharing_sums_the_gradients_of_each_use():
    w = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(3, dtype=torch.float64)
    h1 = ops.linear(x, w)
    h2 = ops.linear(ops.tanh(h1), w)  # the same W used twice
    loss = ops.euclidean_loss(h2, torch.zeros(3, dtype=torch.float64))
    (shared,) = torch.autograd.grad(loss, w)
    w_a = w.detach().clone().requires_grad_()
    w_b = w.detach().clone().requires_grad_()
    loss_untied = ops.euclidean_loss(ops.linear(ops.tanh(ops.linear(x, w_a)), w_b), torch.zeros(3, dtype=torch.float64))
    g_a, g_b = torch.autograd.grad(loss_untied, [w_a, w_b])
    torch.testing.assert_close(shared, g_a + g_b)


def test_fan_out_in_a_dag_sums_the_gradients_of_each_branch():
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    branch_1, branch_2 = ops.tanh(x), ops.sigmoid(x)  # x feeds two nodes
    loss = ops.euclidean_loss(branch_1 * branch_2, torch.ones(4, dtype=torch.float64))
    (total,) = torch.autograd.grad(loss, x)
    # chain rule by hand along each path, then summed
    t, s = torch.tanh(x.detach()), torch.sigmoid(x.detach())
    g = t * s - 1
    expected = g * s * (1 - t * t) + g * t * s * (1 - s)
    torch.testing.assert_close(total, expected)


def test_backprop_equals_the_product_of_layer_jacobians():
    """For x_l = f_l(x_{l−1}): ∂J/∂x_0 = ∂J/∂x_L · ∂x_L/∂x_{L−1} ⋯ ∂x_1/∂x_0."""
    torch.manual_seed(1)
    w1, w2, w3 = (torch.randn(n, m, dtype=torch.float64) for n, m in ((5, 4), (3, 5), (2, 3)))
    layers = [lambda v: ops.linear(v, w1), ops.tanh, lambda v: ops.linear(v, w2), ops.sigmoid,
              lambda v: ops.linear(v, w3)]
    x0 = torch.randn(4, dtype=torch.float64)
    y = torch.randn(2, dtype=torch.float64)
    activations, jacobians = [x0], []
    for f in layers:
        jacobians.append(torch.autograd.functional.jacobian(f, activations[-1]))
        activations.append(f(activations[-1]))
    product = (activations[-1] - y).unsqueeze(0)  # ∂J/∂x_L for J = ½‖x_L − y‖², a row vector
    for jac in reversed(jacobians):
        product = product @ jac
    x = x0.clone().requires_grad_()
    out = x
    for f in layers:
        out = f(out)
    (backprop,) = torch.autograd.grad(ops.euclidean_loss(out, y), x)
    torch.testing.assert_close(backprop, product.squeeze(0))
