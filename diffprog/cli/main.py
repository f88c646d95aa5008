"""The `diffprog` command: every tool of the project as a subcommand, each the very program its
script in scripts/ runs (`diffprog visualize …` = `python scripts/visualize_unit.py …`).

    diffprog --help                 # the tools
    diffprog visualize --help       # one tool's options
    diffprog visualize --model cifar10-resnet20 --weights resnet20.th
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__

#: subcommand → (module with main(argv, prog), what it does)
TOOLS = {
    "visualize": ("diffprog.cli.visualize", "images that maximize units of a network (scripts/visualize_unit.py)"),
    "dream": ("diffprog.cli.dream", "DeepDream on a photo (scripts/deep_dream.py)"),
    "clip": ("diffprog.cli.clip", "CLIP-guided images from text and image prompts (scripts/clip_optimize.py)"),
    "saliency": ("diffprog.cli.saliency", "∂y/∂x of a class on an image: gradient, SmoothGrad, integrated gradients "
                 "(scripts/saliency.py)"),
    "check": ("diffprog.check.command", "check every built-in op against autograd and finite differences"),
    "backprop": ("diffprog.cli.backprop", "the lecture's worked backprop example (scripts/backprop_example.py)"),
    "compare-optimizers": ("diffprog.cli.compare_optimizers",
                           "black-box, first- and second-order optimization side by side (scripts/compare_optimizers.py)"),
    "momentum": ("diffprog.cli.momentum", "why momentum really works: rates, stable steps, oscillations (scripts/momentum.py)"),
    "differentiability": ("diffprog.cli.differentiability",
                          "which functions have useful gradients; surrogates that train (scripts/differentiability.py)"),
    "train-mlp": ("diffprog.cli.train_mlp", "an MLP on two spirals with three optimizers (scripts/train_mlp.py)"),
    "train-classifier": ("diffprog.cli.train_classifier", "train the embedded shapes classifier"),
    "train-clip": ("diffprog.cli.train_clip", "train the embedded scenes CLIP"),
    "train-generator": ("diffprog.cli.train_generator", "train the embedded scene generator"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diffprog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"diffprog {__version__}")
    tools = parser.add_subparsers(dest="tool", metavar="TOOL", title="tools")
    for name, (_, summary) in TOOLS.items():
        tools.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0].startswith("-"):
        parser.parse_args(argv or ["--help"])  # --help / --version exit here
        parser.error(f"give a tool first: {', '.join(TOOLS)}")
    if argv[0] not in TOOLS:
        parser.parse_args(argv[:1])  # argparse names the choices and exits 2
    module, _ = TOOLS[argv[0]]
    return importlib.import_module(module).main(argv[1:], prog=f"diffprog {argv[0]}") or 0
