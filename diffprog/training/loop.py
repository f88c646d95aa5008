"""The optimizer-step loop every trainer of the embedded models uses: loss, backward, optimizer and
learning-rate schedule step, on diffprog's one step loop (progress bar, Ctrl-C keeps what was learned)."""
from __future__ import annotations

import time
from collections.abc import Callable

import torch

from ..steps import StepLoop


def run_steps(steps: int, loss_at: Callable[[int], torch.Tensor], optimizer: torch.optim.Optimizer,
              schedule: torch.optim.lr_scheduler.LRScheduler, desc: str, progress: bool = True,
              after_step: Callable[[], None] | None = None) -> tuple[list[float], float, bool]:
    """For step in range(steps): loss = loss_at(step), backward, optimizer and schedule step, then
    after_step() (e.g. clamp a parameter). Returns (loss per step, seconds, interrupted by Ctrl-C)."""
    losses, start = [], time.time()
    with StepLoop(steps, desc, progress, leave=True) as loop:
        for step in loop:
            loss = loss_at(step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if after_step is not None:
                after_step()
            losses.append(loss.item())
            if step % 20 == 0:
                loop.show(loss=f"{losses[-1]:.4g}")
    return losses, time.time() - start, loop.interrupted
