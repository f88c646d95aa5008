"""The render loop: gradient ascent on the pixels (or their spectrum),

    x^{k+1} = x^k + η ∂(h_lj(x) + λR(x))/∂x |_{x = x^k}

as in the lecture, with random transforms for robustness and Adam (or the lecture's SGD/momentum)
taking the steps. Data flows one way: parameterization → images → transforms → model (stopped
after the last needed layer) → activations → objective → optimizer → parameterization.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from ..optim import SGD, Adam
from .layers import LayerError, LayerInfo, list_layers, resolve
from .objectives import Objective
from .param import DECAY, image_param
from .truncate import LayerForward
from .transforms import Normalize, PerImageRandom, Resize, standard_transforms

OPTIMIZERS = ("adam", "sgd", "momentum")


@dataclass
class RenderResult:
    images: torch.Tensor  # (B, 3, H, W) in [0, 1], on the CPU
    history: list[list[float]]  # objective per image, per step
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)  # step → images
    interrupted: bool = False

    @property
    def final_objective(self) -> list[float]:
        return self.history[-1] if self.history else []


@contextmanager
def frozen(model: nn.Module) -> Iterator[nn.Module]:
    """The model with every parameter's requires_grad off (no weight gradients are computed),
    restored on exit, also on error."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    for p in trainable:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p in trainable:
            p.requires_grad_(True)


@contextmanager
def channels_last(model: nn.Module, enabled: bool) -> Iterator[nn.Module]:
    """The model with its 4-D weights in channels-last (NHWC) layout, which tensor-core convolutions
    prefer, restored to the standard layout on exit (also on error). A model that is already in
    another layout is left alone."""
    weights = [p for p in list(model.parameters()) + list(model.buffers()) if p.dim() == 4]
    enabled = enabled and all(w.is_contiguous() for w in weights)
    if enabled:
        model.to(memory_format=torch.channels_last)
    try:
        yield model
    finally:
        if enabled:
            model.to(memory_format=torch.contiguous_format)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pick_device(name: str | None) -> torch.device:
    """The device a user asked for by name (None: CUDA when available), checked before any work."""
    if name is None:
        return default_device()
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}: use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available on this machine: use --device cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {name!r} asked for, but this machine has {torch.cuda.device_count()} GPU(s)")
    return device


def validate_objective(objective: Objective, infos: Sequence[LayerInfo]) -> None:
    """Raise LayerError for units the layers do not have (layer names were resolved already)."""
    by_name = {i.name: i for i in infos}
    for layer, units in objective.units.items():
        info = by_name.get(layer)
        if info is None:
            continue
        bad = [u for u in units if not 0 <= u < info.channels]
        if bad:
            raise LayerError(f"unit {bad[0]} is out of range: layer {layer!r} has {info.channels} channels "
                             f"(units 0–{info.channels - 1}), output shape {info.shape}")


def _make_optimizer(kind: str, params, lr: float):
    if kind == "adam":
        return Adam(params, lr=lr)
    if kind == "sgd":
        return SGD(params, lr=lr)
    if kind == "momentum":
        return SGD(params, lr=lr, momentum=0.9)
    raise ValueError(f"unknown optimizer {kind!r}: choose one of {', '.join(OPTIMIZERS)}")


def _first_compiled_step(ascend, network: LayerForward, rng: PerImageRandom):
    """The first step, where torch.compile builds the graphs: if that fails, fall back to the eager
    network and redo the step with the same per-image random numbers (a transform's own generator,
    like the cutouts' noise, moves on)."""
    state = rng.state()
    try:
        return ascend()
    except Exception as exc:
        network.fail(exc)
        rng.restore(state)
        return ascend()


@torch.no_grad()
def layer_infos(model: nn.Module, input_size: int, device: torch.device) -> list[LayerInfo]:
    return list_layers(model, torch.zeros(1, 3, input_size, input_size, device=device))


def render(model: nn.Module, objective: Objective, *, seeds: Sequence[int] = (0,), size: int = 64,
           input_size: int | None = None, mean: Sequence[float] = (0.0, 0.0, 0.0),
           std: Sequence[float] = (1.0, 1.0, 1.0), param: str | nn.Module = "fourier", decorrelate: bool = True,
           decay: float = DECAY,
           init: torch.Tensor | None = None, transforms: list | None = None, steps: int = 256,
           lr: float = 0.05, optimizer: str = "adam", device: str | torch.device | None = None,
           snapshot_every: int = 0, progress: bool = True, amp: bool | None = None,
           nhwc: bool | None = None, compile: str | None = None) -> RenderResult:
    """Optimize len(seeds) images of `size` px to maximize `objective` (one score per image).

    The network sees `input_size` px (default: `size`), normalized with mean/std. Image b starts from
    seed seeds[b] and draws its random transforms from that seed, so it does not depend on what else
    is in the batch. Model weights are frozen for the run (and restored after). Ctrl-C stops early
    and returns the current images (interrupted=True).

    param: 'fourier', 'pixel', or a module whose forward() returns the images (B, 3, H, W) in
    [0, 1] (e.g. `GeneratorImage`); only its parameters with requires_grad are optimized.
    amp: run the network under bfloat16 autocast (default: on CUDA); the image, its gradient and
    the objective's reductions stay float32. The loop keeps the objective on the device and reads it
    back only every few steps for the progress bar.
    nhwc: run the network in channels-last layout (default: on CUDA); same values, faster convolutions.
    compile: run the model, traced and cut after the last needed layer, compiled by torch.compile in
    this mode ('default', 'reduce-overhead' = with CUDA graphs, 'max-autotune'); None (default) runs
    it eagerly with hooks. Where tracing or compiling fails, a warning says so and the eager path runs.
    """
    device = torch.device(device) if device is not None else default_device()
    amp = device.type == "cuda" if amp is None else amp
    nhwc = device.type == "cuda" if nhwc is None else nhwc
    layout = torch.channels_last if nhwc else torch.contiguous_format
    input_size = input_size or size
    model = model.to(device).eval()
    with frozen(model), channels_last(model, nhwc):
        infos = layer_infos(model, input_size, device)
        for layer in objective.layers:
            resolve(model, layer)
        validate_objective(objective, infos)
        calls = {i.name: i.calls for i in infos}
        network = LayerForward(model, objective.layers, calls, compile)
        images_param = (param if isinstance(param, nn.Module) else
                        image_param(param, size, seeds, decorrelate, init, decay)).to(device)
        pipeline = (standard_transforms(size) if transforms is None else list(transforms)) + \
            [Resize(input_size), Normalize(mean, std)]
        rng = PerImageRandom(seeds, device)
        opt = _make_optimizer(optimizer, [p for p in images_param.parameters() if p.requires_grad], lr)
        scores_per_step: list[torch.Tensor] = []
        snapshots: dict[int, torch.Tensor] = {}
        interrupted = False
        bar = tqdm(range(steps), desc="render", disable=not progress, leave=False)

        def ascend() -> tuple[torch.Tensor, torch.Tensor]:
            """One step's forward and backward: (images, objective per image); the gradient is left in .grad."""
            images = images_param()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                x = images
                for t in pipeline:
                    x = t(x, rng)
                scores = objective(network(x.contiguous(memory_format=layout)), images).float()
            opt.zero_grad(set_to_none=True)
            (-scores.sum()).backward()
            return images, scores

        try:
            for step in bar:
                if step == 0 and network.is_compiled:
                    images, scores = _first_compiled_step(ascend, network, rng)
                else:
                    images, scores = ascend()
                opt.step()
                scores_per_step.append(scores.detach())
                if progress and (step % 16 == 0 or step == steps - 1):
                    bar.set_postfix(objective=f"{scores.mean().item():.3f}", refresh=False)
                if snapshot_every and step % snapshot_every == 0:
                    snapshots[step] = images.detach().cpu()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        with torch.no_grad():
            final = images_param().detach().cpu()
        history = torch.stack(scores_per_step).cpu().tolist() if scores_per_step else []
        return RenderResult(final, history, snapshots, interrupted)
