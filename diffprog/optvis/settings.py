"""How an image optimization runs, as one object (`RunSettings`), checked when it is made: a setting
that cannot work raises `SettingsError` naming it and the fix, before any work is done."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .truncate import COMPILE_MODES

OPTIMIZERS = ("adam", "sgd", "momentum")


class SettingsError(ValueError):
    """Settings of an image optimization that cannot work; raised before any work is done."""


def at_least(name: str, value: int, low: int = 1) -> None:
    """Raise SettingsError unless the whole number `value` ≥ `low`."""
    if value < low:
        raise SettingsError(f"{name} must be at least {low}, got {value}")


@dataclass(frozen=True)
class RunSettings:
    """steps: gradient steps. lr: the step size (None: the parameterization's own default, `param.lr`).
    optimizer: 'adam', or the lecture's 'sgd' / 'momentum' (α = 0.9). device: None for CUDA when
    available. amp: bfloat16 autocast for the network (None: on CUDA). nhwc: channels-last layout
    (None: on CUDA, and for networks that see ≥ 128 px). compile: a torch.compile mode for the
    cut model (None: eager, with hooks). fold: fold eval-mode BatchNorms into the convolutions
    before them (eager float32 runs; same values up to rounding, faster).
    snapshot_every: keep the images every N steps (0: none). progress: show a progress bar."""
    steps: int = 256
    lr: float | None = None
    optimizer: str = "adam"
    device: str | torch.device | None = None
    amp: bool | None = None
    nhwc: bool | None = None
    compile: str | None = None
    fold: bool = True
    snapshot_every: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        at_least("steps", self.steps)
        at_least("snapshot_every", self.snapshot_every, 0)
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise SettingsError(f"the learning rate must be positive and finite, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise SettingsError(f"unknown optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if self.compile is not None and self.compile not in COMPILE_MODES:
            raise SettingsError(f"unknown compile mode {self.compile!r}: choose one of {', '.join(COMPILE_MODES)}")

    def lr_for(self, param) -> float:
        """The step size a run of `param` takes: lr, or the parameterization's own default."""
        return param.lr if self.lr is None else self.lr
