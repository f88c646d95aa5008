"""Opmath: half-precision inputs are computed in float32, as torch's own kernels do."""
from __future__ import annotations

import torch

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def opmath_dtype(dtype: torch.dtype) -> torch.dtype:
    """float32 for float16/bfloat16, else the dtype itself."""
    return torch.float32 if dtype in _LOW_PRECISION else dtype


def upcast(t: torch.Tensor) -> torch.Tensor:
    """`t` in its opmath dtype (no copy when it already is)."""
    return t.to(opmath_dtype(t.dtype))
