"""Command-line options shared by the image-optimization scripts: how the optimization steps and
where and how the network runs, turned into the library's RunSettings."""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import torch

from ..optvis.settings import OPTIMIZERS, RunSettings
from ..optvis.truncate import COMPILE_MODES
from .device import add_device_option

AMP_CHOICES = {"auto": None, "on": True, "off": False}  # --amp → RunSettings.amp
#: Seeds a command takes: what every torch generator and the per-unit seed arithmetic accept.
SEED_RANGE = (0, 2 ** 32 - 1)


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high]; anything else is refused with the range
    (argparse then names the flag, exits 2, and nothing has been done)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number in [{low}, {high}], got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number in [{low}, {high}], got {value}")
        return value
    parse.bounds = (low, high)
    return parse


def real(low: float, high: float, low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (in (low, high] with low_open)."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number in {interval}, got {text!r}") from None
        if not (math.isfinite(value) and (low < value if low_open else low <= value) and value <= high):
            raise argparse.ArgumentTypeError(f"must be a number in {interval}, got {text}")
        return value
    parse.bounds = (low, high)
    return parse


def add_seed_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--seed", type=whole(*SEED_RANGE), default=0, help=help)


def add_step_options(parser: argparse.ArgumentParser, steps: int, lr_help: str) -> None:
    """--steps (default `steps`), --lr (default: the parameterization's; `lr_help` says which) and
    --optimizer."""
    parser.add_argument("--steps", type=whole(1, 1_000_000), default=steps, help=f"gradient steps (default {steps})")
    parser.add_argument("--lr", type=real(0, 10, low_open=True), help=f"learning rate ({lr_help})")
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS, help="default adam")


def add_run_options(parser: argparse.ArgumentParser, network: str, compiled: str) -> None:
    """--device, --amp, --compile and --gif; `network` names what runs under autocast ("CLIP"),
    `compiled` what --compile compiles ("CLIP's image tower")."""
    add_device_option(parser)
    parser.add_argument("--amp", choices=list(AMP_CHOICES), default="auto",
                        help=f"bfloat16 autocast for {network} (default auto: on for CUDA)")
    parser.add_argument("--compile", choices=COMPILE_MODES, default=None,
                        help=f"compile {compiled} with torch.compile in this mode (reduce-overhead: CUDA graphs, "
                        "for small batches on a GPU); default off; falls back to eager with a warning")
    parser.add_argument("--gif", action="store_true", help="also write optimization.gif")


def run_settings(args: argparse.Namespace, device: torch.device, progress: bool = True) -> RunSettings:
    """The RunSettings of the options above (with --gif: 16 snapshots over the run)."""
    return RunSettings(steps=args.steps, lr=args.lr, optimizer=args.optimizer, device=device,
                       amp=AMP_CHOICES[args.amp], compile=args.compile, progress=progress,
                       snapshot_every=max(1, args.steps // 16) if args.gif else 0)
