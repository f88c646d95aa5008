"""Run one iteration of backprop on the lecture's worked example and print every term,
diffprog (hand-written backward) next to torch autograd and the slide.

    python scripts/backprop_example.py          # a table
    python scripts/backprop_example.py --json   # the same numbers as JSON
"""
from __future__ import annotations

import argparse
import json

from diffprog.lecture import backprop_example, matches_slide


def _fmt(value) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return f"{value:.5f}"


def main(argv=None, prog: str | None = None) -> None:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the values as JSON instead of a table")
    args = parser.parse_args(argv)
    result = backprop_example()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    ours, ref, slide = result["diffprog"], result["torch"], result["slide"]
    print("Lecture 2, backpropagation example: x0 = (1.0, 0.1), W0 = [[1, -3], [0.2, 1]], tanh, W1 = (1, -1),")
    print("y = 0.5, L = 1/2 (x3 - y)^2, one step with eta = 0.2\n")
    print(f"{'term':<11} {'diffprog':<40} {'torch autograd':<40} {'slide':<38} match")
    for key in ours:
        shown = slide[key] if not isinstance(slide[key], list) else "(" + ", ".join(map(str, slide[key])) + ")"
        print(f"{key:<11} {_fmt(ours[key]):<40} {_fmt(ref[key]):<40} {str(shown).replace(chr(39), ''):<38} "
              f"{'yes' if matches_slide(ours[key], slide[key]) else 'NO'}")

