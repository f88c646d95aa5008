"""Run one iteration of backprop on the lecture's worked example and print every term,
diffprog (hand-written backward) next to torch autograd and the slide; or draw computation graphs.

    python scripts/backprop_example.py          # a table
    python scripts/backprop_example.py --json   # the same numbers as JSON
    python scripts/backprop_example.py --graph  # the example's graph and a parameter-sharing graph,
                                                # each edge with its value and gradient (PNG + SVG)
    python scripts/backprop_example.py --graph --function my_net.py:loss
        # the graph of your own function: loss(x=torch.tensor(…), W=torch.randn(…, requires_grad=True), …)
        # takes its tensors as defaults and returns a scalar built from diffprog or torch ops

--graph writes into a fresh folder (default outputs/backprop_example): NAME_graph.png, NAME_graph.svg
and graph.json (every node's and edge's value and gradient, the seed).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import torch

from diffprog.cli.options import add_seed_option
from diffprog.cli.outputs import command_line, writable, write_failed
from diffprog.io import fresh_dir, versions, write_json
from diffprog.lecture import (backprop_example, draw_graph, matches_slide, shared_weight_inputs, shared_weight_network,
                              slide_inputs, slide_network, trace)


def _fmt(value) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return f"{value:.5f}"


def load_function(spec: str):
    """FILE.py:NAME → the function NAME defined in FILE.py; ValueError naming what is wrong."""
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise ValueError(f"--function {spec!r}: give FILE.py:NAME, e.g. my_net.py:loss")
    if not Path(path).is_file():
        raise ValueError(f"--function {spec!r}: file {path!r} does not exist")
    module_spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        raise ValueError(f"--function {spec!r}: running {path!r} failed: {type(error).__name__}: {error}") from None
    function = getattr(module, name, None)
    if not callable(function):
        found = sorted(n for n, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == module.__name__)
        raise ValueError(f"--function {spec!r}: {path!r} defines no function {name!r}"
                         + (f"; it defines {', '.join(found)}" if found else ""))
    return function


def _graphs(args) -> dict[str, tuple[str, object]]:
    """name → (title, traced graph after backward)."""
    if args.function:
        torch.manual_seed(args.seed)  # before the file runs: its default tensors may be random
        function = load_function(args.function)
        try:
            graph = trace(function).backward()
        except Exception as error:
            raise ValueError(f"--function {args.function!r}: {type(error).__name__}: {error}") from None
        return {function.__name__: (f"{args.function}", graph)}
    return {
        "worked_example": ("The slides' worked example: L = ½ (W1 tanh(W0 x0) − y)²",
                           trace(slide_network, **slide_inputs()).backward()),
        "parameter_sharing": ("Parameter sharing: one W used twice, L = ½ ‖W tanh(W x0) − y‖²; ∂L/∂W sums the shares",
                              trace(shared_weight_network, **shared_weight_inputs()).backward()),
    }


def _write_graphs(args) -> int:
    try:
        writable(args.out)
        graphs = _graphs(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        out = fresh_dir(args.out)
        for name, (title, graph) in graphs.items():
            for suffix in (".png", ".svg"):
                draw_graph(graph, out / f"{name}_graph{suffix}", title)
        write_json(out / "graph.json", {"seed": args.seed, "command": command_line(), "versions": versions(),
                                        "graphs": {name: graph.to_dict() for name, (_, graph) in graphs.items()}})
    except OSError as error:
        return write_failed(Path(args.out), error)
    print(f"wrote {', '.join(f'{n}_graph.png' for n in graphs)} (and .svg), graph.json → {out}")
    return 0


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the values as JSON instead of a table")
    parser.add_argument("--graph", action="store_true", help="draw computation graphs instead (PNG, SVG, JSON)")
    parser.add_argument("--function", metavar="FILE.py:NAME", help="with --graph: draw your own function's graph")
    add_seed_option(parser, "with --function: seed torch before loading and calling it (default 0)")
    parser.add_argument("--out", default="outputs/backprop_example",
                        help="with --graph: output folder (default outputs/backprop_example; a numbered sibling if "
                             "it is not empty)")
    args = parser.parse_args(argv)
    if args.function and not args.graph:
        parser.error("--function draws a graph: add --graph")
    if args.graph:
        return _write_graphs(args)
    result = backprop_example()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    ours, ref, slide = result["diffprog"], result["torch"], result["slide"]
    print("Lecture 2, backpropagation example: x0 = (1.0, 0.1), W0 = [[1, -3], [0.2, 1]], tanh, W1 = (1, -1),")
    print("y = 0.5, L = 1/2 (x3 - y)^2, one step with eta = 0.2\n")
    print(f"{'term':<11} {'diffprog':<40} {'torch autograd':<40} {'slide':<38} match")
    for key in ours:
        shown = slide[key] if not isinstance(slide[key], list) else "(" + ", ".join(map(str, slide[key])) + ")"
        print(f"{key:<11} {_fmt(ours[key]):<40} {_fmt(ref[key]):<40} {str(shown).replace(chr(39), ''):<38} "
              f"{'yes' if matches_slide(ours[key], slide[key]) else 'NO'}")
    return 0
