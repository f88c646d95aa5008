"""What every benchmark measures the same way (run as `python benchmarks/X.py`, so importable as
`measure`)."""
from __future__ import annotations


def peak_mb(device: str) -> float:
    """Peak memory of this process in MiB: CUDA's max allocated on a GPU, max resident set on a CPU."""
    import resource

    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sync(device: str) -> None:
    """Wait for queued GPU work, so a timer reads what ran."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def lucent_optvis():
    """torch-lucent's (objectives, param, render), or None when it is not installed. Lucent imports
    IPython only to show images inline; stand-ins let it load without it."""
    import sys
    import types

    for name in ("IPython", "IPython.display"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["IPython.display"].display = lambda *a, **k: None
    sys.modules["IPython.display"].Image = object
    try:
        from lucent.optvis import objectives, param, render
    except ImportError:
        return None
    return objectives, param, render
