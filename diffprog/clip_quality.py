"""Are CLIP-guided images what the prompt says, or adversarial to one network? Optimize images
for prompts with one CLIP and ask an independently trained second CLIP which caption of the
prompt's family (e.g. all 36 'a {colour} {shape}') each image shows."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .clip import Prompt, clip_optimize, contrast_with, cosines, prompt_embeddings
from .data.captioned_scenes import POSITIONS, SHAPES, SIZES, Thing, render_scenes
from .models.clip_models import Clip


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
    arguments go to clip_optimize; `contrast` as in diffprog.clip.contrast_with, against the rest
    of `family`) and count how often `judge` ranks the prompt first in `family`."""
    judged, images = {}, {}
    for prompt in prompts:
        guidance = contrast_with([Prompt(text=prompt)], family, contrast)
        result = clip_optimize(source, guidance, seeds=seeds, progress=False, **optimize)
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
