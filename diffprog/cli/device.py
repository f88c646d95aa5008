"""The device named by --device, checked before any work (None: the default device rule)."""
from __future__ import annotations

import argparse

import torch

from ..devices import default_device


def pick_device(name: str | None) -> torch.device:
    """The device a user asked for by name (None: CUDA when available); ValueError with the fix."""
    if name is None:
        return default_device()
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}: use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available on this machine: use --device cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {name!r} asked for, but this machine has {torch.cuda.device_count()} GPU(s)")
    return device


def device_name(name: str) -> str:
    """An argparse type for device names: `name` once pick_device accepts it, else exit 2 with its fix."""
    try:
        pick_device(name)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """--device, checked when parsed (unknown or unavailable devices exit 2 with the fix)."""
    parser.add_argument("--device", type=device_name, default=None, help="cpu or cuda (default: cuda when available)")
