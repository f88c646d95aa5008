"""diffprog.models.clip_ensemble: several CLIPs guiding as one, and the contrastive prompts of the
quality check."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from diffprog.models import ModelError
from diffprog.models.clip_ensemble import ensemble
from diffprog.models.clip_models import load_clip
from diffprog.optvis import Fourier, RunSettings
from diffprog.optvis.clip import INIT_SD, Prompt, clip_optimize, contrast_with, parse_prompt
from diffprog.optvis.cutouts import CutoutSpec

IMAGE = Fourier(64, sd=INIT_SD)


@pytest.fixture(scope="module")
def pair():
    return load_clip("scenes-clip"), load_clip("scenes-clip-seed1")


def test_ensemble_similarity_is_the_mean_of_its_members(pair):
    both = ensemble(pair)
    images = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    texts = ["a red star", "two small blue circles"]
    with torch.no_grad():
        joint = both.image_features(images) @ both.text_features(texts).T
        members = [c.image_features(images) @ c.text_features(texts).T for c in pair]
    torch.testing.assert_close(joint, (members[0] + members[1]) / 2)
    assert both.name == "scenes-clip+scenes-clip-seed1"
    assert ensemble(pair[:1]) is pair[0]


def test_ensemble_guided_images_raise_both_members_similarity(pair):
    both = ensemble(pair)
    prompts = [parse_prompt("a yellow square")]
    result = clip_optimize(both, prompts, param=IMAGE, seeds=[0], cutouts=CutoutSpec(4),
                           run=RunSettings(steps=12, progress=False))
    start = clip_optimize(both, prompts, param=IMAGE, seeds=[0], cutouts=CutoutSpec(4),
                          run=RunSettings(steps=1, lr=1e-9, progress=False))
    with torch.no_grad():
        text = [c.text_features(["a yellow square"]) for c in pair]
        before = [(c.image_features(start.images) @ t.T).item() for c, t in zip(pair, text)]
        after = [(c.image_features(result.images) @ t.T).item() for c, t in zip(pair, text)]
    assert all(a > b for a, b in zip(after, before)), (before, after)


def test_ensemble_of_models_that_see_images_differently_is_refused(pair):
    other = dataclasses.replace(pair[1], input_size=224)
    with pytest.raises(ModelError, match="input size and normalization"):
        ensemble([pair[0], other])
    with pytest.raises(ModelError, match="one tokenizer"):
        ensemble([pair[0], dataclasses.replace(pair[1], tokenizer=lambda texts: torch.zeros(len(texts), 7))])
    with pytest.raises(ModelError, match="at least one"):
        ensemble([])


def test_contrast_pushes_away_from_every_other_caption_of_the_family():
    family = ["a red star", "a red circle", "a blue star", "a blue circle", "a red circle"]
    prompts = contrast_with([Prompt(text="a red star")], family, 1.5)
    assert [p.text for p in prompts] == family[:4]  # the prompt once, repeated captions once
    assert prompts[0].weight == 1.0 and all(p.weight == pytest.approx(-0.5) for p in prompts[1:])
    assert [p.text for p in contrast_with([Prompt(text="a red star")], family, 0.0)] == ["a red star"]


def test_prompt_transfer_judges_every_contrastively_guided_image(pair):
    from diffprog.optvis.quality import prompt_transfer

    family = ["a red star", "a red circle", "a blue star", "a blue circle"]
    report = prompt_transfer(pair[0], pair[1], family[:2], family, [0, 1], contrast=1.0, param=IMAGE,
                             cutouts=CutoutSpec(2), run=RunSettings(steps=2, progress=False))
    assert set(report.judged) == {"a red star", "a red circle"}
    assert all(len(picks) == 2 and set(picks) <= set(family) for picks in report.judged.values())
    assert report.images["a red star"].shape == (2, 3, 64, 64)
    hits = sum(p == prompt for prompt, picks in report.judged.items() for p in picks)
    assert report.rate == pytest.approx(hits / 4)
