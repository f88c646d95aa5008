"""Are optimized images real features, or adversarial to the one network that made them? Make
images with one network and ask an independently trained second one what they show.

- class_transfer: class visualizations of a classifier, classified by a second classifier.
- prompt_transfer: CLIP-guided images, captioned by a second CLIP among the prompt's family
  (e.g. all 36 'a {colour} {shape}').
- objective_over_scenes: where the CLIP guidance objective peaks among real scenes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..data.captioned_scenes import POSITIONS, SHAPES, SIZES, Thing, render_scenes
from ..devices import as_device
from ..imaging import InputSpec
from ..models.clip_models import Clip
from .clip import Prompt, clip_optimize, contrast_with, cosines, prompt_embeddings
from .param import Parameterization
from .settings import RunSettings
from .units import visualize_units


@dataclass
class TransferReport:
    rate: float  # fraction of images the judge assigns to their class (top-1)
    per_class: list[float]
    predictions: list[list[int]]  # [seed][class]
    top5_rate: float  # fraction whose class is among the judge's five most likely
    clipped: float  # share of channel values an 8-bit PNG stores as 0 or 255 (see clipped_share)
    probability: float  # the judge's mean probability of each image's class


def clipped_share(images: torch.Tensor) -> float:
    """Share of the channel values of images in [0, 1] that an 8-bit PNG stores as 0 or 255:
    saturated colours, where the gradient through the sigmoid has died."""
    q = (images.clamp(0, 1) * 255).round()
    return ((q == 0) | (q == 255)).float().mean().item()


@torch.no_grad()
def judge_classes(judge: nn.Module, images: Sequence[torch.Tensor], classes: Sequence[int], *,
                  input_spec: InputSpec, device: torch.device | str = "cpu") -> TransferReport:
    """How `judge` reads class images: `images[seed]` is (len(classes), 3, H, W) in [0, 1], image i
    made for classes[i] (by any tool)."""
    judge = judge.eval().to(device)
    predictions, top5, probabilities = [], [], []
    for batch in images:
        logits = judge(input_spec.prepare(batch.to(device)))
        predictions.append(logits.argmax(1).cpu().tolist())
        probabilities.append(logits.softmax(1)[torch.arange(len(classes)), list(classes)].mean().item())
        ranked = logits.topk(min(5, logits.shape[1]), dim=1).indices.cpu()
        top5.append([c in row.tolist() for c, row in zip(classes, ranked)])
    hits = [[p == c for p, c in zip(row, classes)] for row in predictions]
    per_class = [sum(h[i] for h in hits) / len(hits) for i in range(len(classes))]
    total = len(hits) * len(classes)
    return TransferReport(sum(map(sum, hits)) / total, per_class, predictions, sum(map(sum, top5)) / total,
                          clipped_share(torch.cat([b.cpu() for b in images])), sum(probabilities) / len(probabilities))


def class_transfer(source: nn.Module, judge: nn.Module, classes: Sequence[int], seeds: Sequence[int], *,
                   input_spec: InputSpec, param: Parameterization, run: RunSettings) -> TransferReport:
    """For each seed, visualize every class of `source` (render's param and run settings); report
    how often `judge`, which reads images as `input_spec` says too, agrees."""
    images = [visualize_units(source, "output", list(classes), seed=seed, param=param, input_spec=input_spec,
                              run=run).images for seed in seeds]
    return judge_classes(judge, images, classes, input_spec=input_spec, device=as_device(run.device))


@dataclass
class PromptTransferReport:
    rate: float  # fraction of images whose prompt the judge ranks first in the family
    per_prompt: dict[str, float]
    judged: dict[str, list[str]]  # prompt → the judge's top caption per image
    images: dict[str, torch.Tensor]  # prompt → (seeds, 3, H, W)


@torch.no_grad()
def rank_first(judge: Clip, images: torch.Tensor, family: Sequence[str]) -> list[str]:
    """The judge's best caption in `family` for each image (B, 3, H, W) in [0, 1]."""
    text = judge.text_features(list(family))
    device = text.device
    scores = judge.image_features(images.to(device)) @ text.T
    return [family[i] for i in scores.argmax(1).tolist()]


def prompt_transfer(source: Clip, judge: Clip, prompts: Sequence[str], family: Sequence[str], seeds: Sequence[int],
                    contrast: float = 0.0, **optimize) -> PromptTransferReport:
    """For each prompt (a member of `family`), optimize len(seeds) images with `source` (keyword
    arguments go to clip_optimize; `contrast` as in diffprog.optvis.clip.contrast_with, against the
    rest of `family`) and count how often `judge` ranks the prompt first in `family`."""
    judged, images = {}, {}
    for prompt in prompts:
        guidance = contrast_with([Prompt(text=prompt)], family, contrast)
        result = clip_optimize(source, guidance, seeds=seeds, **optimize)
        images[prompt] = result.images
        judged[prompt] = rank_first(judge, result.images, family)
    per_prompt = {p: sum(j == p for j in judged[p]) / len(seeds) for p in prompts}
    return PromptTransferReport(sum(per_prompt.values()) / len(prompts), per_prompt, judged, images)


@torch.no_grad()
def objective_over_scenes(clip: Clip, prompts: Sequence[Prompt], colour: str, position: str = "center",
                          renders: int = 10, seed: int = 0) -> dict[tuple[str, str], float]:
    """Where the guidance objective Σ_p w_p cos(CLIP(x), t_p) peaks among *real* scenes: its mean
    over `renders` scenes of one `colour` object at `position`, for every shape × size. If the
    prompt's own shape comes first, the objective is right and an optimizer that stayed among
    scenes would draw it; guided images that the judge misreads then found optima elsewhere."""
    if position not in POSITIONS:
        raise ValueError(f"unknown position {position!r}: choose one of {', '.join(POSITIONS)}")
    targets = prompt_embeddings(clip, prompts, next(clip.model.parameters()).device)
    weights = torch.tensor([p.weight for p in prompts])
    table = {}
    for shape in SHAPES:
        for size in SIZES:
            images = render_scenes([[Thing(shape, colour, size, position)]] * renders, clip.input_size, seed)
            table[shape, size] = (cosines(clip, images, targets) @ weights).mean().item()
    return table
