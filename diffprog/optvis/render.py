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

from ..devices import as_device
from ..imaging import InputSpec
from ..optim import SGD, Adam
from ..steps import StepLoop
from .fold import folded_batchnorm
from .layers import LayerError, LayerInfo, list_layers, resolve
from .objectives import Objective
from .param import Fourier, Parameterization
from .settings import RunSettings, SettingsError
from .transforms import PerImageRandom, standard_transforms
from .truncate import LayerForward


#: From this input size on, channels-last is faster on the CPU too (2 cores, fold on: MobileNetV2 at 224
#: px 1.4× at batch 1, 1.1× at 16; resnet18 to layer3 1.35× at batch 1), and slower below (the
#: embedded 32-px model: 0.95×).
NHWC_FROM = 128


@dataclass
class RenderResult:
    images: torch.Tensor  # (B, 3, H, W) in [0, 1], on the CPU
    history: list[list[float]]  # objective per image, per step
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)  # step → images
    interrupted: bool = False
    facts: list[dict] = field(default_factory=list)  # per image, what the parameterization records

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
    return SGD(params, lr=lr, momentum=0.9 if kind == "momentum" else 0.0)


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


def render(model: nn.Module, objective: Objective, param: Parameterization | None = None, *,
           seeds: Sequence[int] = (0,), input_spec: InputSpec | None = None, transforms: list | None = None,
           run: RunSettings = RunSettings()) -> RenderResult:
    """Optimize len(seeds) images made by `param` (default Fourier(64)) to maximize `objective`
    (one score per image).

    The network reads the images as `input_spec` says (default: at the parameterization's size, not
    normalized). Image b starts from seed seeds[b] and draws its random transforms from that seed,
    so it does not depend on what else is in the batch. `transforms` (default: the standard
    robustness set for the image size) run before the resize to the network's input. Model weights
    are frozen for the run (and restored after). Ctrl-C stops early and returns the current images
    (interrupted=True).

    run (RunSettings): steps, lr (default param.lr), optimizer, device, and how the network runs:
    amp runs it under bfloat16 autocast (default: on CUDA), the image, its gradient and the
    objective's reductions staying float32 (the loop keeps the objective on the device and reads
    it back only every few steps for the progress bar); nhwc runs it in channels-last layout
    (default: on CUDA, and where the network sees ≥ NHWC_FROM px; same values up to rounding,
    faster convolutions); compile runs the model, traced and cut
    after the last needed layer, compiled by torch.compile in that mode ('default',
    'reduce-overhead' = with CUDA graphs, 'max-autotune'), where None (default) runs it eagerly with
    hooks; where tracing or compiling fails, a warning says so and the eager path runs; fold folds
    each eval-mode BatchNorm into the convolution before it (`fold.folded_batchnorm`; eager float32
    runs only: under bfloat16 the folded weights round differently, and the embedded model's bf16
    objective then moved 18% from float32's, against 1% unfolded).
    """
    param = Fourier() if param is None else param
    if not seeds:
        raise SettingsError("seeds is empty: give one seed per image, e.g. seeds=[0]")
    input_spec = input_spec or InputSpec(param.size)
    device = as_device(run.device)
    amp = device.type == "cuda" if run.amp is None else run.amp
    nhwc = (device.type == "cuda" or input_spec.size >= NHWC_FROM) if run.nhwc is None else run.nhwc
    layout = torch.channels_last if nhwc else torch.contiguous_format
    model = model.to(device).eval()
    with frozen(model), channels_last(model, nhwc), \
            folded_batchnorm(model, objective.layers, enabled=run.fold and run.compile is None and not amp):
        infos = layer_infos(model, input_spec.size, device)
        for layer in objective.layers:
            resolve(model, layer)
        validate_objective(objective, infos)
        calls = {i.name: i.calls for i in infos}
        network = LayerForward(model, objective.layers, calls, run.compile)
        images_param = param(seeds).to(device)
        pipeline = standard_transforms(param.size) if transforms is None else list(transforms)
        rng = PerImageRandom(seeds, device)
        opt = _make_optimizer(run.optimizer, [p for p in images_param.parameters() if p.requires_grad],
                              run.lr_for(param))
        scores_per_step: list[torch.Tensor] = []
        snapshots: dict[int, torch.Tensor] = {}

        def ascend() -> tuple[torch.Tensor, torch.Tensor]:
            """One step's forward and backward: (images, objective per image); the gradient is left in .grad."""
            images = images_param()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                x = images
                for t in pipeline:
                    x = t(x, rng)
                x = input_spec.prepare(x)
                scores = objective(network(x.contiguous(memory_format=layout)), images).float()
            opt.zero_grad(set_to_none=True)
            (-scores.sum()).backward()
            return images, scores

        with StepLoop(run.steps, "render", run.progress) as loop:
            for step in loop:
                if step == 0 and network.is_compiled:
                    images, scores = _first_compiled_step(ascend, network, rng)
                else:
                    images, scores = ascend()
                opt.step()
                scores_per_step.append(scores.detach())
                if run.progress and (step % 16 == 0 or step == run.steps - 1):
                    loop.show(objective=f"{scores.mean().item():.3f}")
                if run.snapshot_every and step % run.snapshot_every == 0:
                    snapshots[step] = images.detach().cpu()
        history = torch.stack(scores_per_step).cpu().tolist() if scores_per_step else []
        return RenderResult(images_param.final(), history, snapshots, loop.interrupted, images_param.facts())
