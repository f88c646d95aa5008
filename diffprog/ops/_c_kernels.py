"""Hand-written C kernels for the CPU, compiled on first use with the machine's C compiler.

A kernel here schedules a backward formula that torch.compile cannot fuse into one pass (see the
source files in `kernels/`); the formula itself stays written out in Python and is what runs when a
graph is recorded, on other dtypes and devices, and wherever the kernel cannot be built. Built
libraries are cached by the hash of their source and flags in $DIFFPROG_CACHE (default
~/.cache/diffprog/kernels). The compiler is $CC, else `cc`; if it is missing or fails, a warning is
given once and the Python formula is used from then on.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import math
import os
import platform
import subprocess
import tempfile
import warnings
from pathlib import Path

import torch

from ._fusion import _should_fuse

SOURCES = Path(__file__).parent / "kernels"
FLAGS = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC")


def cache_dir() -> Path:
    return Path(os.environ.get("DIFFPROG_CACHE", Path.home() / ".cache" / "diffprog")) / "kernels"


def _cpu_identity() -> str:
    """What -march=native compiles for: the CPU's flags where Linux lists them (a shared cache stays safe)."""
    try:
        return next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def build(name: str) -> Path:
    """Compile kernels/<name>.c into a shared library (cached; written atomically) and return its path."""
    source = (SOURCES / f"{name}.c").read_bytes()
    compiler = os.environ.get("CC", "cc")
    key = hashlib.sha256(source + " ".join((compiler, *FLAGS, _cpu_identity())).encode()).hexdigest()[:16]
    target = cache_dir() / f"{name}-{key}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        done = subprocess.run([compiler, *FLAGS, str(SOURCES / f"{name}.c"), "-o", tmp],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{compiler} exited with {done.returncode}: {done.stderr.strip()[:300]}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@functools.cache
def load(name: str) -> ctypes.CDLL | None:
    """The compiled kernel library, or None (after one warning) when it cannot be built."""
    try:
        return ctypes.CDLL(str(build(name)))
    except (OSError, RuntimeError) as exc:
        warnings.warn(f"diffprog: building the C kernel {name} failed ({type(exc).__name__}: "
                      f"{str(exc).splitlines()[0][:200]}); using its Python formula instead. Set CC to a "
                      f"C compiler with OpenMP to get it back.", stacklevel=3)
        return None


@functools.cache
def _layer_norm_kernel():
    """layer_norm_backward_f32 of the built library, with its C signature declared (once)."""
    fn = load("layer_norm_backward").layer_norm_backward_f32
    fn.argtypes = [ctypes.c_void_p] * 8 + [ctypes.c_int64, ctypes.c_int64, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def layer_norm_applies(g_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor | None,
                       mean: torch.Tensor, inv_std: torch.Tensor) -> bool:
    """Whether layer_norm_backward can take these: float32 contiguous CPU tensors, no graph recorded,
    fusion on (set_fusion / DIFFPROG_FUSION; 'auto' needs a large enough input)."""
    if not _should_fuse((g_out, x)):  # first: it also says no while torch.compile traces
        return False
    tensors = [t for t in (g_out, x, weight, mean, inv_std) if t is not None]
    return (all(t.device.type == "cpu" and t.dtype == torch.float32 and t.is_contiguous() for t in tensors)
            and load("layer_norm_backward") is not None)


def layer_norm_backward(g_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor | None, mean: torch.Tensor,
                        inv_std: torch.Tensor, normalized_shape: tuple[int, ...]):
    """(∂J/∂x, ∂J/∂γ, ∂J/∂β) of layer norm over x's trailing normalized_shape, in one pass."""
    fn = _layer_norm_kernel()
    features = math.prod(normalized_shape)
    rows = x.numel() // features
    gamma = weight if weight is not None else torch.ones(features)
    grad_x, grad_w, grad_b = torch.empty_like(x), torch.empty(features), torch.empty(features)
    status = fn(g_out.data_ptr(), x.data_ptr(), gamma.data_ptr(), mean.data_ptr(), inv_std.data_ptr(),
                grad_x.data_ptr(), grad_w.data_ptr(), grad_b.data_ptr(), rows, features,
                max(1, min(torch.get_num_threads(), rows)))
    if status != 0:
        raise MemoryError(f"layer_norm backward kernel could not allocate {torch.get_num_threads()} × 2 × "
                          f"{features} floats for its partial sums")
    return grad_x, grad_w.reshape(normalized_shape), grad_b.reshape(normalized_shape)
