"""Reading weights files without ever running code from them.

A `.pt`/`.pth`/`.th` file is a pickle, and unpickling can call any function the file names: a
checkpoint from the internet could run a command on load. Files are read with
`torch.load(weights_only=True)`, which unpickles tensors, containers and plain numbers only and
refuses anything else; `.safetensors` files hold tensors only by design. A refusal names the file
and says what to do.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import torch

from .errors import ModelError


def read_state_dict(path: str | Path, what: str = "weights") -> dict[str, torch.Tensor]:
    """The tensors of a state_dict file (torch.save of a state_dict, or of {'state_dict': …} as many
    training scripts write; 'module.' prefixes of DataParallel stripped), or of a .safetensors file."""
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"{what} {str(path)!r} is a folder: give the weights file inside it (.pt, .pth or "
                         f".safetensors)")
    if not path.is_file():
        raise ModelError(f"{what} file {str(path)!r} does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not refused_by_weights_only(exc):  # not a pickle at all: damaged, or not a checkpoint
            raise ModelError(f"cannot read {what} {str(path)!r}: not a checkpoint torch can read "
                             f"({_unpickler_text(exc)}). Expected a file written by torch.save(model.state_dict(), "
                             "path) or a .safetensors file") from None
        reason = unpickler_reason(exc)
        raise ModelError(f"refusing to load {what} {str(path)!r}: its pickle asks for more than tensors "
                         f"({reason}), and loading it would run code from the file. Use a file that holds a "
                         f"state_dict (torch.save(model.state_dict(), path)) or a .safetensors file") from None
    except Exception as exc:
        raise ModelError(f"cannot read {what} {str(path)!r}: {type(exc).__name__}: {str(exc).rstrip('.')[:300]}. "
                         "Expected a file written by torch.save(model.state_dict(), path) or a .safetensors file") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"{what} {str(path)!r} do not hold a state_dict (a dict of tensors)")
    return {k.removeprefix("module."): v for k, v in state.items()}


def unpickler_reason(error: Exception) -> str:
    """What torch's weights-only unpickler refused, e.g. 'unsupported GLOBAL posix.system'."""
    for line in str(error).splitlines():
        for mark in ("WeightsUnpickler error:", "Trying to load "):
            if mark in line and "GLOBAL" in line:
                return line.split(mark, 1)[1].split(" was not an allowed")[0].split(" whose module")[0].strip()[:160]
    return _unpickler_text(error)


def _unpickler_text(error: Exception) -> str:
    """The unpickler's own complaint, e.g. 'Unsupported operand 110', without torch's advice around it."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Weights only load failed", "Please file an issue",
                                                             "Check the documentation"))]
    return (useful[0] if useful else type(error).__name__).removeprefix("WeightsUnpickler error:").strip()[:160]


def refused_by_weights_only(error: Exception) -> bool:
    """Whether torch's weights-only unpickler refused something the file asks for (a function or class
    to call: 'unsupported GLOBAL …'), rather than the file not being a checkpoint at all."""
    return "GLOBAL" in str(error)
