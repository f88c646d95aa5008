"""The command `python -m diffprog.check`: check every built-in op, print the table, exit non-zero on a failure."""
from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch

from ..cli.device import device_name
from .builtin import SPECS
from .checker import DTYPES, Report


def available_devices() -> list[str]:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def main(argv: Sequence[str] | None = None, prog: str = "python -m diffprog.check") -> int:
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Check every built-in op's backward against autograd and finite differences.")
    parser.add_argument("--ops", nargs="*", default=None, metavar="OP", help="only these ops (default: all)")
    parser.add_argument("--dtypes", nargs="*", default=list(DTYPES), choices=list(DTYPES),
                        help="dtypes to compare (gradcheck runs in float64); default: all four")
    parser.add_argument("--devices", nargs="*", type=device_name, default=available_devices(),
                        help="devices (default: cpu, and cuda when available)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.ops or ()) - set(SPECS))
    if unknown:
        parser.error(f"unknown op(s) {unknown}; known: {', '.join(SPECS)}")
    report = Report([])
    for op in args.ops or SPECS:
        report = report + SPECS[op].check(dtypes=[DTYPES[d] for d in args.dtypes], devices=args.devices)
    print(report.table())
    return 0 if report.passed else 1
