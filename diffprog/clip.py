"""CLIP guidance: optimize an image (or a generator's latent) so that CLIP's image embedding
matches text and image prompts — the lecture's "CLIP" and "CLIP+GAN".

It is the unit-visualization engine with three parts swapped in: the network is CLIP's image
tower (its output embedding is the "layer"), the objective is the weighted cosine similarity to
the prompts' embeddings (`objectives.embedding_similarity`), and the transforms are random cutouts.

    clip = load_clip()                                          # embedded, offline
    result = clip_optimize(clip, [parse_prompt("a red star"), parse_prompt("a blue circle:-0.5")])
"""
from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .io import load_image, save_png, versions, write_json
from .models.clip_models import Clip
from .optvis import objectives
from .optvis.cutouts import Cutouts
from .optvis.layers import OUTPUT
from .optvis.param import DECAY, GeneratorImage
from .optvis.param import image_param as make_image_param
from .optvis.render import default_device, render
from .optvis.shapes import ShapesImage
from .run_pictures import write_run_pictures


#: Defaults shared by clip_optimize and scripts/clip_optimize.py.
SIZE, STEPS, LR, CUTOUTS = 128, 300, 0.05, 32
#: Learning rate of a generator's latent (on the sphere of radius √d, so steps are relative to √d).
GENERATOR_LR = 0.2
#: Smallest cutout side, as a fraction of the image side. Large crops, because the embedded CLIP
#: saw whole scenes only and its embedding encodes where things are ("in the top left"): small
#: crops move an object around and pull the image in conflicting directions. CLIPs trained on
#: random crops (the open_clip models) take smaller ones (--cutout-min 0.3).
CUTOUT_MIN = 0.8
#: Initial noise of the image parameterizations: a visible texture, not the faint one of unit
#: visualization. A uniform grey image can sit where every ReLU of a small CLIP is off (the scenes
#: CLIP's input normalization maps grey to exactly 0), and there the gradient is exactly zero.
INIT_SD = 0.05


#: Learning rate of the shapes parameterization (positions, sizes, colours: a few numbers each).
SHAPES_LR = 0.1


def default_lr(param: str) -> float:
    """The learning rate clip_optimize uses when none is given: GENERATOR_LR for a latent, SHAPES_LR
    for shapes, else LR."""
    return {"generator": GENERATOR_LR, "shapes": SHAPES_LR}.get(param, LR)


class PromptError(ValueError):
    """A prompt that cannot be used: empty text, weight not a number, unreadable image."""


class SettingsError(ValueError):
    """Settings of clip_optimize that cannot work together; raised before any work is done."""


@dataclass(frozen=True)
class Prompt:
    """A text or an image (path) to move the image towards (weight > 0) or away from (weight < 0)."""
    text: str | None = None
    image: str | None = None
    weight: float = 1.0

    @property
    def label(self) -> str:
        return self.text if self.text is not None else f"image:{self.image}"


def _split_weight(spec: str, what: str) -> tuple[str, float]:
    body, sep, tail = spec.rpartition(":")
    if not sep:
        return spec, 1.0
    try:
        weight = float(tail)
    except ValueError:
        raise PromptError(f"the weight {tail!r} of {what} {spec!r} is not a number: write {what.upper()}:WEIGHT, "
                          f"e.g. 'a red star:2' or 'a blue circle:-0.5' (the weight defaults to 1)") from None
    if not math.isfinite(weight):
        raise PromptError(f"the weight of {what} {spec!r} must be a finite number, got {tail!r}")
    return body, weight


def parse_prompt(spec: str) -> Prompt:
    """'a red star' → weight 1; 'a red star:2' → weight 2; 'a blue circle:-0.5' pushes away."""
    text, weight = _split_weight(spec, "text")
    if not text.strip():
        raise PromptError(f"empty prompt {spec!r}: give some text, e.g. --prompt 'a red star'")
    return Prompt(text=text.strip(), weight=weight)


def parse_image_prompt(spec: str) -> Prompt:
    """'photo.png' or 'photo.png:0.5': match that image's CLIP embedding."""
    path, weight = _split_weight(spec, "image")
    if not path.strip():
        raise PromptError(f"empty image prompt {spec!r}: give the path of an image")
    return Prompt(image=path.strip(), weight=weight)


def contrast_with(prompts: Sequence[Prompt], against: Sequence[str], contrast: float) -> list[Prompt]:
    """The prompts and, for contrast W > 0, every caption of `against` that is not already a text
    prompt, with weight −W/n each (n such captions): the objective gains −W · mean_{t'} cos(x, t'),
    which rewards what tells the prompts apart from those neighbours rather than what they all share
    (for the embedded CLIPs: the plain grey scene, the colour alone)."""
    taken = {p.text for p in prompts}
    others = [c for c in dict.fromkeys(against) if c not in taken] if contrast else []
    return list(prompts) + [Prompt(text=c, weight=-contrast / len(others)) for c in others]


def prompt_embeddings(clip: Clip, prompts: Sequence[Prompt], device: torch.device) -> torch.Tensor:
    """Unit-norm CLIP embeddings (P, D) of the prompts: text through the text tower, image prompts
    (read with diffprog.io.load_image, resized to the model's input) through the image tower."""
    if not prompts:
        raise PromptError("no prompts: give at least one --prompt TEXT or --image-prompt PATH")
    rows = []
    with torch.no_grad():
        for p in prompts:
            if p.text is not None:
                rows.append(clip.text_features([p.text])[0].to(device))
            else:
                try:
                    image, _ = load_image(p.image)
                except Exception as error:  # ImageReadError names the file and the reason
                    raise PromptError(f"image prompt: {error}") from error
                rows.append(clip.image_features(image[None].to(device))[0])
    return torch.stack(rows)


class ImageTower(nn.Module):
    """CLIP's image encoder as the network render() runs: normalized images (B, 3, S, S) → (B, D)."""

    def __init__(self, clip: Clip):
        super().__init__()
        self.model = clip.model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(images)


_TOWERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def image_tower(clip: Clip) -> ImageTower:
    """One ImageTower per CLIP model, so a compiled tower is reused by later optimizations."""
    if clip.model not in _TOWERS:
        _TOWERS[clip.model] = ImageTower(clip)
    return _TOWERS[clip.model]


@dataclass
class ClipResult:
    images: torch.Tensor  # (B, 3, H, W) in [0, 1], on the CPU
    history: list[list[float]]  # weighted similarity per image, per step
    similarity: dict[str, list[float]]  # prompt label → final cosine similarity per image
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    interrupted: bool = False
    restart_objectives: list[list[float]] | None = None  # per image, each restart's final objective
    shapes: list[list[str]] | None = None  # param='shapes': the shape each object shows, per image


@torch.no_grad()
def cosines(clip: Clip, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(B, P) cosine similarity of each whole image (resized to the model's input) to each target
    embedding (unit rows, as prompt_embeddings makes them), on the CPU."""
    return (clip.image_features(images.to(targets.device)) @ targets.T).cpu()


def similarities(clip: Clip, images: torch.Tensor, prompts: Sequence[Prompt],
                 targets: torch.Tensor) -> dict[str, list[float]]:
    """Cosine similarity of each whole image to each prompt, by prompt label."""
    table = cosines(clip, images, targets)
    return {p.label: table[:, i].tolist() for i, p in enumerate(prompts)}


def restart_seeds(seeds: Sequence[int], restarts: int) -> list[int]:
    """The seeds of the candidates: image seed s runs s·R, s·R + 1, …, s·R + R − 1 (R = restarts), so
    with one restart every image keeps its own seed and candidates of different images never share one."""
    return [s * restarts + r for s in seeds for r in range(restarts)]


def _check_settings(param: str, size: int, objects: int, restarts: int, has_generator: bool,
                    init: torch.Tensor | None, cutouts: int, cutout_min: float, steps: int, lr: float | None) -> None:
    """Raise SettingsError, naming the setting and the fix, for settings clip_optimize cannot run."""
    if param not in ("fourier", "pixel", "shapes", "generator"):
        raise SettingsError(f"unknown parameterization {param!r}: choose fourier, pixel, shapes or generator")
    if param == "generator" and not has_generator:
        raise SettingsError("param='generator' needs a generator module and its latent_dim")
    if init is not None and param not in ("fourier", "pixel"):
        raise SettingsError(f"an init image starts a fourier or pixel image, not param={param!r}: drop it or "
                            f"choose --param fourier")
    for name, value in (("size", size), ("objects", objects), ("restarts", restarts), ("cutouts", cutouts),
                        ("steps", steps)):
        if value < 1:
            raise SettingsError(f"{name} must be at least 1, got {value}")
    if not 0 < cutout_min <= 1:
        raise SettingsError(f"cutout_min is the smallest crop side as a fraction of the image side: "
                            f"give one in (0, 1], got {cutout_min}")
    if lr is not None and not lr > 0:
        raise SettingsError(f"the learning rate must be positive, got {lr}")


def clip_optimize(clip: Clip, prompts: Sequence[Prompt], *, seeds: Sequence[int] = (0,), size: int = SIZE,
                  param: str = "fourier", decay: float = DECAY, tv: float = 0.0, generator: nn.Module | None = None,
                  latent_dim: int | None = None, objects: int = 1, restarts: int = 1,
                  init: torch.Tensor | None = None, cutouts: int = CUTOUTS,
                  cutout_min: float = CUTOUT_MIN, cutout_noise: float = 0.05, steps: int = STEPS,
                  lr: float | None = None, optimizer: str = "adam", device: str | torch.device | None = None,
                  amp: bool | None = None, compile: str | None = None, snapshot_every: int = 0,
                  progress: bool = True) -> ClipResult:
    """Maximize Σ_p w_p cos(CLIP(cutouts(x)), t_p) over len(seeds) images of `size` px.

    param: 'fourier' or 'pixel' (the engine's parameterizations, starting from `init` (B or 1, 3, H, W)
    in [0, 1] when given), 'shapes' (`objects` solid shapes on a plain background,
    `optvis.shapes.ShapesImage`), or 'generator': x = generator(z) with z optimized (latent_dim
    inputs; the image size is then the generator's). lr: default LR for images, GENERATOR_LR for
    latents, SHAPES_LR for shapes.
    restarts: optimize R candidates per image (seeds from `restart_seeds`, all in one batch) and keep
    the one whose final whole image scores highest, Σ_p w_p cos(CLIP(x), t_p) — best of R, judged
    by the guiding CLIP alone.
    decay: the Fourier spectrum's 1/f exponent. tv: weight of the total-variation penalty λR(x)
    subtracted from the objective. cutouts: crops per image and step, their side uniform in
    [cutout_min, 1] of the image side. compile: run the image tower compiled in this mode (see
    render). Ctrl-C returns the current images (interrupted=True).
    """
    _check_settings(param, size, objects, restarts, generator is not None and latent_dim is not None, init,
                    cutouts, cutout_min, steps, lr)
    device = torch.device(device) if device is not None else default_device()
    targets = prompt_embeddings(clip, prompts, device)
    objective = objectives.embedding_similarity(targets, [p.weight for p in prompts], OUTPUT)
    if tv:
        objective = objective + tv * objectives.total_variation()
    candidates = restart_seeds(seeds, restarts)
    if param == "generator":
        image_param: nn.Module = GeneratorImage(generator, latent_dim, candidates)
    elif param == "shapes":
        image_param = ShapesImage(size, candidates, objects)
    else:
        image_param = make_image_param(param, size, candidates, init=init, decay=decay, sd=INIT_SD)
    lr = lr if lr is not None else default_lr(param)
    crops = Cutouts(cutouts, clip.input_size, min_fraction=cutout_min, noise=cutout_noise, seed=seeds[0])
    result = render(image_tower(clip), objective, seeds=candidates, size=size, input_size=clip.input_size,
                    mean=clip.mean, std=clip.std, param=image_param, transforms=[crops], steps=steps,
                    lr=lr, optimizer=optimizer, device=device, snapshot_every=snapshot_every, progress=progress,
                    amp=amp, compile=compile)
    images = result.images
    if param == "shapes":  # the final drawing: one shape per object
        with torch.no_grad():
            images = image_param.eval()().detach().cpu()
    table = cosines(clip, images, targets)
    final = table @ torch.tensor([p.weight for p in prompts])  # whole-image objective per candidate
    keep = final.view(len(seeds), restarts).argmax(1) + torch.arange(len(seeds)) * restarts
    kept = keep.tolist()
    shapes = None
    if param == "shapes":
        drawn = image_param.shapes()
        shapes = [drawn[i] for i in kept]
    return ClipResult(images[keep], [[row[i] for i in kept] for row in result.history],
                      {p.label: table[keep, i].tolist() for i, p in enumerate(prompts)},
                      {step: shot[keep] for step, shot in result.snapshots.items()}, result.interrupted,
                      final.view(len(seeds), restarts).tolist() if restarts > 1 else None, shapes)


def write_clip_outputs(out: Path, result: ClipResult, prompts: Sequence[Prompt], seeds: Sequence[int],
                       settings: dict, scale: int = 1, gif: bool = False) -> list[Path]:
    """image_XX.png + .json per image (settings, seed, final similarity per prompt, each restart's
    objective with restarts, the objects' shapes with param='shapes'), contact_sheet.png
    labelled with the first prompt's similarity, objective.png (weighted similarity per step),
    optional optimization.gif, run.json. Every file is written atomically."""
    written = []
    first = prompts[0].label
    labels = [f"seed {s}: {result.similarity[first][i]:.3f}" for i, s in enumerate(seeds)]
    for i, seed in enumerate(seeds):
        stem = out / f"image_{i:02d}"
        written.append(save_png(result.images[i], stem.with_suffix(".png"), scale))
        write_json(stem.with_suffix(".json"), {
            **settings, "seed": seed, "similarity": {k: v[i] for k, v in result.similarity.items()},
            "final_objective": result.history[-1][i] if result.history else None,
            **({"restart_objectives": result.restart_objectives[i]} if result.restart_objectives else {}),
            **({"shapes": result.shapes[i]} if result.shapes else {}),
            "interrupted": result.interrupted, "versions": versions()})
    written += write_run_pictures(out, result.images, labels, result.history, result.snapshots,
                                  scale=max(scale, 128 // result.images.shape[-1]),
                                  title=" · ".join(f"{p.label} ({p.weight:+g})" for p in prompts)[:120],
                                  curve_labels=[f"seed {s}" for s in seeds], ylabel="weighted similarity",
                                  curve_title="Σ w·cos(CLIP(cutouts), prompt) per step (higher is better)", gif=gif)
    written.append(write_json(out / "run.json", {
        **settings, "seeds": list(seeds), "similarity": result.similarity,
        "final_objective": result.history[-1] if result.history else None,
        "interrupted": result.interrupted, "versions": versions()}))
    return written
