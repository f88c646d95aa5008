"""Many processes (torchrun: GPUs or machines) visualizing the units of one layer together: the
units are dealt round-robin to the ranks, each renders its share, and rank 0 gathers every image.
Because unit u's image is seeded by (seed, u), the result equals a single-process run."""
from __future__ import annotations

import os
from collections.abc import Sequence

import torch
import torch.distributed as dist

from .render import RenderResult


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def start(device_type: str) -> tuple[int, int, torch.device]:
    """Join the process group (NCCL on GPUs, gloo on CPUs); returns (rank, world size, this rank's device)."""
    backend = "nccl" if device_type == "cuda" else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if device_type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def share(units: Sequence[int], rank: int, world: int) -> list[int]:
    """This rank's units: every world-th one, starting at rank."""
    return list(units[rank::world])


def gather(result: RenderResult, mine: Sequence[int], units: Sequence[int], rank: int) -> RenderResult | None:
    """On rank 0: one RenderResult with the images and histories of all ranks, in `units` order."""
    payload = (list(mine), result.images, result.history, result.snapshots, result.interrupted, result.facts)
    collected = [None] * dist.get_world_size() if rank == 0 else None
    dist.gather_object(payload, collected, dst=0)
    if rank != 0:
        return None
    where = {}
    for r, (unit_list, *_rest) in enumerate(collected):
        for i, unit in enumerate(unit_list):
            where[unit] = (r, i)
    order = [where[u] for u in units]
    steps = min(len(c[2]) for c in collected if c[0])
    history = [[collected[r][2][s][i] for r, i in order] for s in range(steps)]
    common = set.intersection(*(set(c[3]) for c in collected if c[0]))
    snapshots = {s: torch.stack([collected[r][3][s][i] for r, i in order]) for s in sorted(common)}
    images = torch.stack([collected[r][1][i] for r, i in order])
    facts = [collected[r][5][i] for r, i in order]
    return RenderResult(images, history, snapshots, any(c[4] for c in collected), facts)


def finish() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
