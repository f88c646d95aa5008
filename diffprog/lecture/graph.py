"""Computation graphs you can see (slides "Computation Graphs"): "a graph of functional
transformations, nodes, that when strung together perform some useful computation".

`trace(fn, *args)` runs fn once and records every op it calls — diffprog's ops (each one node:
they take part in `__torch_function__`, see ops/_dispatch.py) and any torch function or tensor
method (`@`, `+`, `.sum()`). Nodes are the ops and the leaves (inputs, parameters, constants);
an edge carries a value from the node that made it to an op that uses it. After
`graph.backward()` every value has its gradient ∂J/∂x (J: the traced output) and every edge its
share of it. A value used twice — parameter sharing — has two out-edges; backprop sums their
shares into the value's gradient ("Parameter sharing → sum gradients"): each edge's consumer gets
its own copy of the value (a clone), whose .grad is that edge's share.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

#: Tensor methods shown by their operator, as a student writes them.
OPERATORS = {"add": "+", "sub": "−", "rsub": "−", "mul": "×", "div": "÷", "truediv": "÷", "rtruediv": "÷",
             "matmul": "@", "rmatmul": "@", "pow": "**", "neg": "−", "radd": "+", "rmul": "×"}


@dataclass
class Node:
    """An op (`kind` "op"), or a leaf: "input" (a tensor that requires grad, e.g. a weight) or
    "constant" (data, targets). `value` is its forward result."""

    label: str
    kind: str
    value: torch.Tensor
    inputs: list[int] = field(default_factory=list)  # indices of the edges into this node

    @property
    def grad(self) -> torch.Tensor | None:
        """∂J/∂(this node's value) after Graph.backward() (None for constants)."""
        return self.value.grad if self.value.requires_grad else None


@dataclass
class Edge:
    """The value of node `source` as the op `target` received it (argument `position`)."""

    source: int
    target: int
    position: int
    use: torch.Tensor

    @property
    def grad(self) -> torch.Tensor | None:
        """This edge's share of ∂J/∂(source's value) after Graph.backward()."""
        return self.use.grad if self.use.requires_grad else None


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    output: int  # index of the node whose value fn returned

    @property
    def result(self) -> torch.Tensor:
        return self.nodes[self.output].value

    def backward(self) -> Graph:
        """Backprop from the (scalar) output: fills every value's and every edge's gradient."""
        if self.result.numel() != 1:
            raise ValueError(f"backward needs a scalar output J, the traced function returned shape "
                             f"{tuple(self.result.shape)}: return a loss (e.g. .sum())")
        if not self.result.requires_grad:
            raise ValueError("the traced output does not depend on any tensor that requires grad: give an input "
                             "requires_grad=True to see gradients")
        self.result.backward()
        return self

    def out_edges(self, node: int) -> list[Edge]:
        return [e for e in self.edges if e.source == node]

    def to_dict(self) -> dict:
        """Nodes and edges with their values and gradients as nested lists (for JSON)."""
        def plain(t):
            return None if t is None else t.detach().cpu().tolist()
        return {
            "output": self.output,
            "nodes": [{"label": n.label, "kind": n.kind, "shape": list(n.value.shape), "value": plain(n.value),
                       "grad": plain(n.grad)} for n in self.nodes],
            "edges": [{"from": e.source, "to": e.target, "grad": plain(e.grad)} for e in self.edges],
        }


def _label(func) -> str:
    name = getattr(func, "__name__", str(func)).strip("_")
    return OPERATORS.get(name, name)


def _tensors_in(value) -> Iterator[torch.Tensor]:
    """The tensors among an argument (a tensor, or a list/tuple of them as torch.cat takes)."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            if isinstance(v, torch.Tensor):
                yield v


class _Recorder(TorchFunctionMode):
    """Records each top-level call that takes tensors and returns new ones (calls made inside a
    recorded call run with the mode off, so an op is one node, however it is built)."""

    def __init__(self, names: dict[int, str]):
        super().__init__()
        self.names = names
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.made_by: dict[int, int] = {}  # id(tensor) → the node that made it
        self.keep: list[torch.Tensor] = []  # keeps ids stable while tracing

    def _source(self, t: torch.Tensor) -> int:
        if id(t) not in self.made_by:
            kind = "input" if t.requires_grad else "constant"
            self.nodes.append(Node(self.names.get(id(t), kind), kind, t))
            self.made_by[id(t)] = len(self.nodes) - 1
            self.keep.append(t)
        return self.made_by[id(t)]

    def _own_copy(self, t: torch.Tensor) -> torch.Tensor:
        """What the op receives: a clone when t requires grad (its .grad is this edge's share)."""
        if not t.requires_grad:
            return t
        copy = t.clone()
        copy.retain_grad()
        return copy

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") in ("__get__", "__set__", "retain_grad", "requires_grad_"):
            return func(*args, **kwargs)
        inputs = [t for a in (*args, *kwargs.values()) for t in _tensors_in(a)]
        if not inputs:
            return func(*args, **kwargs)
        copies = iter([self._own_copy(t) for t in inputs])  # one per use, in argument order: x * x is two edges
        used = []

        def swap(value):
            if isinstance(value, torch.Tensor):
                used.append(next(copies))
                return used[-1]
            if isinstance(value, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in value):
                return type(value)(swap(v) if isinstance(v, torch.Tensor) else v for v in value)
            return value

        result = func(*(swap(a) for a in args), **{k: swap(v) for k, v in kwargs.items()})
        outputs = list(_tensors_in(result))
        if not outputs or any(o is t for o in outputs for t in (*inputs, *used)):
            return result  # a query (x.dim()) or an in-place op returning its input: not a new value
        sources = [self._source(t) for t in inputs]
        node = len(self.nodes)
        self.nodes.append(Node(_label(func), "op", outputs[0]))
        for position, (source, use) in enumerate(zip(sources, used)):
            self.edges.append(Edge(source, node, position, use))
            self.nodes[node].inputs.append(len(self.edges) - 1)
        for o in outputs:
            if o.requires_grad:
                o.retain_grad()
            self.made_by[id(o)] = node
            self.keep.append(o)
        return result


def _argument_names(fn: Callable, args: tuple, kwargs: dict) -> dict[int, str]:
    """id(tensor) → a name a person knows it by: fn's parameter names (defaults included) and, for
    an nn.Module, its parameters' dotted names."""
    names: dict[int, str] = {}
    if isinstance(fn, nn.Module):
        names.update({id(p): name for name, p in fn.named_parameters()})
        fn_for_signature = fn.forward
    else:
        fn_for_signature = fn
    try:
        bound = inspect.signature(fn_for_signature).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return names
    bound.apply_defaults()
    for name, value in bound.arguments.items():
        if isinstance(value, torch.Tensor):
            names[id(value)] = name
    return names


def trace(fn: Callable[..., torch.Tensor], *args, **kwargs) -> Graph:
    """Run fn(*args, **kwargs) and return its computation graph. Leaves are named after fn's
    parameters (so `def f(x0, W0): …` gives nodes "x0", "W0"). Call `.backward()` on the result
    to see the gradients."""
    names = _argument_names(fn, args, kwargs)
    recorder = _Recorder(names)
    with recorder:
        result = fn(*args, **kwargs)
    if not isinstance(result, torch.Tensor):
        raise TypeError(f"trace: the function must return a tensor, it returned {type(result).__name__}")
    output = recorder._source(result)
    return Graph(recorder.nodes, recorder.edges, output)
