"""A minimal full-batch training loop on diffprog ops, with progress and a clean Ctrl-C."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .. import ops
from ..steps import StepLoop


@dataclass
class History:
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    interrupted: bool = False


def fit_classifier(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                   steps: int, desc: str = "train", progress: bool = True) -> History:
    """Minimize cross_entropy(model(x), y) for `steps` full-batch steps; returns loss and accuracy
    per step. Ctrl-C stops early and keeps what was learned (History.interrupted is set)."""
    history = History()
    with StepLoop(steps, desc, progress) as loop:
        for _ in loop:
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = ops.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            history.loss.append(loss.item())
            history.accuracy.append((logits.argmax(1) == y).float().mean().item())
            loop.show(loss=f"{history.loss[-1]:.4f}", acc=f"{history.accuracy[-1]:.3f}")
    history.interrupted = loop.interrupted
    return history
