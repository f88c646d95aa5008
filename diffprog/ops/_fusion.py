"""Fused backward formulas.

Each backward formula is written once, as a plain function of tensors. When autograd records
no graph (a plain `.backward()`, the common case) the formula runs compiled by torch.compile,
which fuses its elementwise ops and reductions into a few kernels; when a graph is recorded
(`create_graph=True`, double backward) or fusion does not pay, the very same function runs
eagerly, op by op. The compiled and eager paths compute the same expression.

Modes (`set_fusion`, or the DIFFPROG_FUSION environment variable):
  "auto" (default) fuse when the largest tensor has at least FUSE_MIN_NUMEL elements,
  "on"   always fuse when no graph is recorded,   "off"  never fuse.
Each formula compiles for the shapes it meets first and turns symbolic only when a shape changes
(torch.compile's default), with the CPU thread count picked at run time so symbolic kernels run in
parallel too. If compiling fails (e.g. no C++ compiler for the CPU backend), a warning is given once and the
formula runs eagerly from then on.
"""
from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Callable

import torch

MODES = ("auto", "on", "off")
FUSE_MIN_NUMEL = 1 << 16
# Inductor's CPU backend leaves kernels with symbolic sizes serial unless the thread count is chosen at run time.
_COMPILE_OPTIONS = {"cpp.dynamic_threads": True}
_state = {"mode": os.environ.get("DIFFPROG_FUSION", "auto")}
if not torch.cuda.is_available():
    # compiling imports torch.utils.cpp_extension, which warns "No CUDA runtime is found" on every
    # machine without a GPU where a CUDA toolkit is installed: nothing a CPU user can act on
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
if _state["mode"] not in MODES:
    raise ValueError(f"DIFFPROG_FUSION must be one of {MODES}, got {_state['mode']!r}")


def set_fusion(mode: str) -> None:
    """Choose when backward formulas run compiled: 'auto', 'on' or 'off'."""
    if mode not in MODES:
        raise ValueError(f"fusion mode must be one of {MODES}, got {mode!r}")
    _state["mode"] = mode


def get_fusion() -> str:
    return _state["mode"]


def _should_fuse(args: tuple) -> bool:
    mode = _state["mode"]
    if mode == "off" or torch.is_grad_enabled() or torch.compiler.is_compiling():
        return False
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if not tensors or any(type(t) is not torch.Tensor for t in tensors):  # fake/functional tensors: tracing
        return False
    return mode == "on" or max(t.numel() for t in tensors) >= FUSE_MIN_NUMEL


def fusable(formula: Callable) -> Callable:
    """Decorate a formula so that it runs compiled when no graph is being recorded."""
    compiled: list[Callable] = []
    broken: list[bool] = []

    @functools.wraps(formula)
    def run(*args):
        if broken or not _should_fuse(args):
            return formula(*args)
        if not compiled:
            compiled.append(torch.compile(formula, dynamic=None, options=_COMPILE_OPTIONS))
        try:
            return compiled[0](*args)
        except Exception as exc:  # compiler missing or backend failure: keep working, eagerly
            broken.append(True)
            warnings.warn(f"diffprog: fusing {formula.__name__} failed ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:120]}); running it unfused from now on", stacklevel=2)
            return formula(*args)

    run.eager = formula
    return run
