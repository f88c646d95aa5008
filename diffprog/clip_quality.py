"""Are CLIP-guided images what the prompt says, or adversarial to one network? Optimize images
for prompts with one CLIP and ask an independently trained second CLIP which caption of the
prompt's family (e.g. all 36 'a {colour} {shape}') each image shows."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .clip import Prompt, clip_optimize
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


def contrastive_prompts(prompt: str, family: Sequence[str], contrast: float) -> list[Prompt]:
    """The prompt with weight 1 and, for contrast W > 0, every other caption of its family with
    weight −W/(n−1): the objective cos(x, t) − W · mean_{t' ≠ t} cos(x, t') rewards what tells the
    prompt apart from its neighbours rather than what all captions share."""
    others = [c for c in family if c != prompt] if contrast else []
    return [Prompt(text=prompt)] + [Prompt(text=c, weight=-contrast / len(others)) for c in others]


def prompt_transfer(source: Clip, judge: Clip, prompts: Sequence[str], family: Sequence[str], seeds: Sequence[int],
                    contrast: float = 0.0, **optimize) -> PromptTransferReport:
    """For each prompt (a member of `family`), optimize len(seeds) images with `source` (keyword
    arguments go to clip_optimize; `contrast` as in contrastive_prompts) and count how often `judge`
    ranks the prompt first in `family`."""
    judged, images = {}, {}
    for prompt in prompts:
        result = clip_optimize(source, contrastive_prompts(prompt, family, contrast), seeds=seeds, progress=False,
                               **optimize)
        images[prompt] = result.images
        judged[prompt] = rank_first(judge, result.images, family)
    per_prompt = {p: sum(j == p for j in judged[p]) / len(seeds) for p in prompts}
    return PromptTransferReport(sum(per_prompt.values()) / len(prompts), per_prompt, judged, images)
