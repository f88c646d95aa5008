"""CLIP guidance: optimize an image (or a generator's latent) so that CLIP's image embedding
matches text and image prompts — the lecture's "CLIP" and "CLIP+GAN".

It is the unit-visualization engine with three parts swapped in: the network is CLIP's image
tower (its output embedding is the "layer"), the objective is the weighted cosine similarity to
the prompts' embeddings (`objectives.embedding_similarity`), and the transforms are random cutouts.

    clip = load_clip()                                          # embedded, offline
    result = clip_optimize(clip, [parse_prompt("a red star"), parse_prompt("a blue circle:-0.5")])
    result = clip_optimize(clip, [parse_prompt("a red star")], param=Drawing(128), restarts=6)
"""
from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ..devices import as_device
from ..io import load_image
from ..models.clip_models import Clip
from . import objectives
from .cutouts import CutoutSpec
from .layers import OUTPUT
from .param import Fourier, Parameterization
from .render import render
from .settings import RunSettings, SettingsError, at_least

#: Defaults shared by clip_optimize and scripts/clip_optimize.py.
SIZE, STEPS = 128, 300
#: Initial noise of the image parameterizations: a visible texture, not the faint one of unit
#: visualization. A uniform grey image can sit where every ReLU of a small CLIP is off (the scenes
#: CLIP's input normalization maps grey to exactly 0), and there the gradient is exactly zero.
INIT_SD = 0.05


class PromptError(ValueError):
    """A prompt that cannot be used: empty text, weight not a number, unreadable image."""


@dataclass(frozen=True)
class Prompt:
    """A text or an image (path) to move the image towards (weight > 0) or away from (weight < 0)."""
    text: str | None = None
    image: str | None = None
    weight: float = 1.0

    @property
    def label(self) -> str:
        return self.text if self.text is not None else f"image:{self.image}"


def _weighted(spec: str, what: str) -> tuple[str, float]:
    try:
        return objectives.split_weight(spec, what, "'a red star:2' or 'a blue circle:-0.5'")
    except ValueError as error:
        raise PromptError(str(error)) from None


def parse_prompt(spec: str) -> Prompt:
    """'a red star' → weight 1; 'a red star:2' → weight 2; 'a blue circle:-0.5' pushes away."""
    text, weight = _weighted(spec, "text")
    if not text.strip():
        raise PromptError(f"empty prompt {spec!r}: give some text, e.g. --prompt 'a red star'")
    return Prompt(text=text.strip(), weight=weight)


def parse_image_prompt(spec: str) -> Prompt:
    """'photo.png' or 'photo.png:0.5': match that image's CLIP embedding."""
    path, weight = _weighted(spec, "image")
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
    facts: list[dict] = field(default_factory=list)  # per image, what the parameterization records


@torch.no_grad()
def cosines(clip: Clip, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(B, P) cosine similarity of each whole image (resized to the model's input) to each target
    embedding (unit rows, as prompt_embeddings makes them), on the CPU."""
    return (clip.image_features(images.to(targets.device)) @ targets.T).cpu()


def restart_seeds(seeds: Sequence[int], restarts: int) -> list[int]:
    """The seeds of the candidates: image seed s runs s·R, s·R + 1, …, s·R + R − 1 (R = restarts), so
    with one restart every image keeps its own seed and candidates of different images never share one."""
    return [s * restarts + r for s in seeds for r in range(restarts)]


def clip_optimize(clip: Clip, prompts: Sequence[Prompt], *, param: Parameterization | None = None,
                  seeds: Sequence[int] = (0,), restarts: int = 1, tv: float = 0.0, cutouts: CutoutSpec = CutoutSpec(),
                  run: RunSettings = RunSettings(steps=STEPS)) -> ClipResult:
    """Maximize Σ_p w_p cos(CLIP(cutouts(x)), t_p) over len(seeds) images made by `param`
    (default Fourier(SIZE, sd=INIT_SD); any parameterization: Pixels, Drawing, Generator, …).

    restarts: optimize R candidates per image (seeds from `restart_seeds`, all in one batch) and keep
    the one whose final whole image scores highest, Σ_p w_p cos(CLIP(x), t_p) — best of R, judged
    by the guiding CLIP alone. tv: weight of the total-variation penalty λR(x) subtracted from the
    objective. cutouts: the crops every step (CutoutSpec: count, smallest side, noise). run: steps,
    lr (default: the parameterization's), optimizer, device, amp, compile (CLIP's image tower),
    snapshots, progress (see render). Ctrl-C returns the current images (interrupted=True).
    """
    param = Fourier(SIZE, sd=INIT_SD) if param is None else param
    at_least("restarts", restarts)
    if not seeds:
        raise SettingsError("seeds is empty: give one seed per image, e.g. seeds=[0]")
    device = as_device(run.device)
    targets = prompt_embeddings(clip, prompts, device)
    weights = torch.tensor([p.weight for p in prompts])
    objective = objectives.embedding_similarity(targets, weights, OUTPUT)
    if tv:
        objective = objective + tv * objectives.total_variation()
    candidates = restart_seeds(seeds, restarts)
    result = render(image_tower(clip), objective, param, seeds=candidates, input_spec=clip.input,
                    transforms=[cutouts.make(clip.input_size, seed=seeds[0])], run=run)
    table = cosines(clip, result.images, targets)
    final = (table @ weights).view(len(seeds), restarts)  # whole-image objective per candidate
    keep = final.argmax(1) + torch.arange(len(seeds)) * restarts
    kept = keep.tolist()
    return ClipResult(result.images[keep], [[row[i] for i in kept] for row in result.history],
                      {p.label: table[keep, i].tolist() for i, p in enumerate(prompts)},
                      {step: shot[keep] for step, shot in result.snapshots.items()}, result.interrupted,
                      final.tolist() if restarts > 1 else None, [result.facts[i] for i in kept])


__all__ = ["PromptError", "Prompt", "parse_prompt", "parse_image_prompt", "contrast_with", "prompt_embeddings",
           "ImageTower", "image_tower", "ClipResult", "cosines", "restart_seeds", "clip_optimize", "SIZE", "STEPS",
           "INIT_SD", "SettingsError"]
