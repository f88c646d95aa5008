"""Computation graphs: tracing records each op once with its values; backward fills every edge's share
of the gradient; a shared parameter's gradient is the sum of its shares; pictures and the command."""
from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from diffprog import nn as dnn
from diffprog import ops
from diffprog.lecture import (backprop_example, draw_graph, shared_weight_inputs, shared_weight_network, slide_inputs,
                              slide_network, trace)


def test_the_worked_example_graph_carries_the_slides_values_and_gradients():
    graph = trace(slide_network, **slide_inputs()).backward()
    assert [n.label for n in graph.nodes] == ["x0", "W0", "linear", "tanh", "W1", "linear", "y", "euclidean_loss"]
    assert [n.kind for n in graph.nodes] == ["constant", "input", "op", "op", "input", "op", "constant", "op"]
    ours = backprop_example()["diffprog"]
    x1, x2, x3, loss = (graph.nodes[i] for i in (2, 3, 5, 7))
    assert x1.value.tolist() == pytest.approx(ours["x1"]) and x1.grad.tolist() == pytest.approx(ours["dL/dx1"])
    assert x2.value.tolist() == pytest.approx(ours["x2"]) and x2.grad.tolist() == pytest.approx(ours["dL/dx2"])
    assert x3.value.item() == pytest.approx(ours["x3"]) and x3.grad.item() == pytest.approx(ours["dL/dx3"])
    assert loss.value.item() == pytest.approx(ours["L"]) and graph.output == 7
    w0 = graph.nodes[1]
    assert w0.grad.t().tolist() == [pytest.approx(row) for row in ours["dL/dW0"]]


def test_a_shared_parameters_gradient_is_the_sum_of_its_edges_shares():
    inputs = shared_weight_inputs()
    graph = trace(shared_weight_network, **inputs).backward()
    (w,) = [i for i, n in enumerate(graph.nodes) if n.label == "W"]
    shares = [e.grad for e in graph.out_edges(w)]
    assert len(shares) == 2 and not torch.allclose(shares[0], shares[1])
    torch.testing.assert_close(shares[0] + shares[1], graph.nodes[w].grad)
    fresh = {k: v.detach().clone().requires_grad_(v.requires_grad) for k, v in inputs.items()}
    shared_weight_network(**fresh).backward()  # the same network without tracing
    torch.testing.assert_close(graph.nodes[w].grad, fresh["W"].grad)


def test_one_tensor_used_twice_by_one_op_is_two_edges():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    graph = trace(lambda x: (x * x).sum(), x).backward()
    square = [e for e in graph.edges if graph.nodes[e.target].label == "×"]
    assert len(square) == 2 and all(e.grad.tolist() == [1.0, 2.0] for e in square)  # ∂(x·x)/∂(each use) = the other
    assert graph.nodes[0].grad.tolist() == [2.0, 4.0]


def test_each_diffprog_op_is_one_node_and_module_parameters_keep_their_names():
    model = torch.nn.Sequential(dnn.Linear(3, 4), dnn.Tanh(), dnn.Linear(4, 2))
    graph = trace(lambda x: ops.cross_entropy(model(x), torch.tensor([0, 1])), torch.randn(2, 3))
    assert [n.label for n in graph.nodes if n.kind == "op"] == ["linear", "tanh", "linear", "cross_entropy"]
    named = trace(model, torch.randn(2, 3))
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= {n.label for n in named.nodes}


def test_backward_needs_a_scalar_output_that_depends_on_a_gradient():
    with pytest.raises(ValueError, match=r"scalar output J.*shape \(2,\)"):
        trace(ops.tanh, torch.randn(2, requires_grad=True)).backward()
    with pytest.raises(ValueError, match="requires_grad=True"):
        trace(lambda x: ops.tanh(x).sum(), torch.randn(2)).backward()


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_the_picture_is_written_as_png_or_svg(suffix, tmp_path):
    path = tmp_path / f"graph{suffix}"
    draw_graph(trace(slide_network, **slide_inputs()).backward(), path, "worked example")
    if suffix == ".png":
        with Image.open(path) as image:
            assert image.width > 600 and image.height > 200
    else:
        text = path.read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_the_command_draws_both_graphs_into_a_fresh_folder(tmp_path, run_tool):
    code, out, _ = run_tool("backprop", "--graph", "--out", str(tmp_path / "g"))
    assert code == 0
    names = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert names == ["graph.json", "parameter_sharing_graph.png", "parameter_sharing_graph.svg",
                     "worked_example_graph.png", "worked_example_graph.svg"]
    record = json.loads((tmp_path / "g" / "graph.json").read_text())
    assert record["seed"] == 0
    loss = record["graphs"]["worked_example"]["nodes"][-1]
    assert loss["label"] == "euclidean_loss" and loss["value"] == pytest.approx(backprop_example()["diffprog"]["L"])
    code, _, _ = run_tool("backprop", "--graph", "--out", str(tmp_path / "g"))
    assert code == 0 and (tmp_path / "g-2" / "graph.json").exists()  # never overwrites


def test_the_command_draws_a_users_function_and_names_what_is_wrong(tmp_path, run_tool):
    source = tmp_path / "my_net.py"
    source.write_text("import torch\nfrom diffprog import ops\n\n"
                      "def loss(x=torch.randn(4, 3), W=torch.randn(2, 3, requires_grad=True)):\n"
                      "    return ops.relu(ops.linear(x, W)).sum()\n")
    code, _, _ = run_tool("backprop", "--graph", "--function", f"{source}:loss", "--seed", "3", "--out", str(tmp_path / "g"))
    assert code == 0
    record = json.loads((tmp_path / "g" / "graph.json").read_text())
    assert record["seed"] == 3 and [n["label"] for n in record["graphs"]["loss"]["nodes"]] == \
        ["x", "W", "linear", "relu", "sum"]
    for spec, message in [(f"{source}:los", "defines no function 'los'; it defines loss"),
                          (f"{tmp_path}/none.py:f", "does not exist"), ("loss", "give FILE.py:NAME")]:
        code, _, err = run_tool("backprop", "--graph", "--function", spec, "--out", str(tmp_path / "bad"))
        assert code == 2 and message in err, err
    assert not (tmp_path / "bad").exists()


def test_torch_fx_traces_each_diffprog_op_as_one_call():
    from torch import fx

    def f(x, w):
        return ops.tanh(ops.linear(x, w)).sum()

    called = [n.target for n in fx.symbolic_trace(f).graph.nodes if n.op == "call_function"]
    assert called[:2] == [ops.linear, ops.tanh]
