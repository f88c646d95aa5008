"""The optimizer-step loop the embedded generative models train with: progress bar, learning-rate
schedule, and Ctrl-C that stops early but keeps what was learned."""
from __future__ import annotations

import time
from collections.abc import Callable

import torch
from tqdm.auto import tqdm


def run_steps(steps: int, loss_at: Callable[[int], torch.Tensor], optimizer: torch.optim.Optimizer,
              schedule: torch.optim.lr_scheduler.LRScheduler, desc: str, progress: bool = True,
              after_step: Callable[[], None] | None = None) -> tuple[list[float], float, bool]:
    """For step in range(steps): loss = loss_at(step), backward, optimizer and schedule step, then
    after_step() (e.g. clamp a parameter). Returns (loss per step, seconds, interrupted by Ctrl-C)."""
    losses, start, interrupted = [], time.time(), False
    bar = tqdm(range(steps), desc=desc, disable=not progress)
    try:
        for step in bar:
            loss = loss_at(step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if after_step is not None:
                after_step()
            losses.append(loss.item())
            if step % 20 == 0:
                bar.set_postfix(loss=f"{losses[-1]:.4g}")
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    return losses, time.time() - start, interrupted
