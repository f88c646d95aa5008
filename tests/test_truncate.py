"""The traced model cut after the needed layers, and the compiled render step built on it."""
from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from diffprog.models import load_model
from diffprog.optvis import OUTPUT, Fourier, RunSettings, list_layers, objectives as obj, render
from diffprog.optvis.layers import forward_to
from diffprog.optvis.truncate import LayerForward, truncated


@pytest.fixture(scope="module")
def model():
    return load_model("shapes-cnn")[0]


def _quiet(steps: int, device="cpu", **settings) -> RunSettings:
    return RunSettings(steps=steps, progress=False, device=device, **settings)


def _calls(model, size=32):
    return {i.name: i.calls for i in list_layers(model, torch.zeros(1, 3, size, size))}


@pytest.mark.parametrize("layers", [["block2.conv2"], ["block2"], ["block1.relu1", "block3.conv"], [OUTPUT]])
def test_the_cut_graph_gives_what_the_hooks_capture(model, layers):
    images = torch.rand(2, 3, 32, 32)
    graph = truncated(model, layers, _calls(model))
    assert graph is not None
    with torch.no_grad():
        expected = forward_to(model, images, layers, _calls(model))
        got = graph(images)
    assert set(got) == set(layers)
    for layer in layers:
        torch.testing.assert_close(got[layer], expected[layer])


def test_the_cut_graph_computes_nothing_past_the_needed_layer(model):
    graph = truncated(model, ["block2.conv2"], _calls(model))
    called = {node.target for node in graph.graph.nodes if node.op == "call_module"}
    assert "block2.conv2" in called
    assert not called & {"block2.bn2", "block3.conv", "head"}


def test_a_module_used_twice_is_cut_at_its_last_call(relu_used_twice):
    net = relu_used_twice
    x = torch.randn(2, 4)
    graph = truncated(net, ["act"], {i.name: i.calls for i in list_layers(net, x)})
    torch.testing.assert_close(graph(x)["act"], net(x))


def test_an_untraceable_model_gets_none_and_renders_uncompiled_with_a_warning():
    class ValueBranch(nn.Module):  # control flow on a tensor's value: fx cannot trace it
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            return y if y.mean() > 0 else -y

    net = ValueBranch()
    assert truncated(net, [OUTPUT], {}) is None
    with pytest.warns(UserWarning, match="cannot be traced"):
        result = render(net, obj.channel(OUTPUT, 1), Fourier(16), run=_quiet(3, compile="default"))
    assert len(result.history) == 3


def test_unknown_compile_mode_is_rejected(model):
    with pytest.raises(ValueError, match="reduce-overhead"):
        LayerForward(model, ["block2.conv2"], _calls(model), compile="fastest")


def _render(model, device="cpu", **kw):
    return render(model, obj.channel("block2.conv2", 3), Fourier(32), seeds=[0, 1], run=_quiet(10, device=device, **kw))


def test_compiled_render_gives_the_eager_images(model):
    eager = _render(model)
    compiled = _render(model, compile="default")
    torch.testing.assert_close(compiled.images, eager.images, atol=1e-4, rtol=0)
    assert compiled.final_objective == pytest.approx(eager.final_objective, rel=1e-4)


def test_a_failing_compiler_falls_back_to_eager_with_one_warning_and_the_same_images(model, monkeypatch):
    def broken(graph, **kw):
        def run(*args):
            raise RuntimeError("no C++ compiler found")
        return run
    monkeypatch.setattr(torch, "compile", broken)
    net = load_model("shapes-cnn")[0]  # a fresh model: nothing compiled for it yet
    eager = _render(net, fold=False)  # the path it falls back to: eager, without folding (compiled runs never fold)
    with pytest.warns(UserWarning, match="no C\\+\\+ compiler found.*uncompiled"):
        fallen_back = _render(net, compile="default")
    torch.testing.assert_close(fallen_back.images, eager.images)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a later render runs eagerly: no second warning, no second compile
        monkeypatch.setattr(torch, "compile", lambda graph, **kw: pytest.fail("compiled again"))
        again = _render(net, compile="default")
    torch.testing.assert_close(again.images, eager.images)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graphs_render_gives_the_eager_objective(model):
    eager = _render(model, device="cuda")
    graphed = _render(model, device="cuda", compile="reduce-overhead")
    assert graphed.final_objective == pytest.approx(eager.final_objective, rel=0.02)


def test_renders_of_the_same_layers_reuse_one_compiled_graph(model, monkeypatch):
    compiles = []
    real_compile = torch.compile
    monkeypatch.setattr(torch, "compile", lambda graph, **kw: compiles.append(graph) or real_compile(graph, **kw))
    net = load_model("shapes-cnn")[0]  # a fresh model: nothing cached for it yet
    for unit in (1, 2):
        render(net, obj.channel("block1.conv1", unit), Fourier(16), run=_quiet(2, compile="default"))
    render(net, obj.channel("block2.conv1", 0), Fourier(16), run=_quiet(2, compile="default"))
    assert len(compiles) == 2
