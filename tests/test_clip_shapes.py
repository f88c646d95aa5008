"""The drawing parameterization (diffprog.optvis.param.drawing, --param shapes) and best-of-R restarts
in clip_optimize."""
from __future__ import annotations

import pytest
import torch

from diffprog.data.captioned_scenes import SHAPES
from diffprog.models.clip_models import load_clip
from diffprog.optvis import Drawing, RunSettings
from diffprog.optvis.clip import Prompt, clip_optimize, cosines, prompt_embeddings, restart_seeds
from diffprog.optvis.cutouts import CutoutSpec
from diffprog.optvis.param import DrawingImage, parameterization


@pytest.fixture(scope="module")
def scenes():
    return load_clip()


def test_shapes_images_are_seeded_in_range_and_every_parameter_gets_a_gradient():
    a, b = DrawingImage(32, [0, 1], objects=2), DrawingImage(32, [0, 1], objects=2)
    images = a()
    assert images.shape == (2, 3, 32, 32) and images.min() >= 0 and images.max() <= 1
    assert torch.equal(images, b()) and not torch.equal(images[0], images[1])
    (images * torch.randn_like(images)).sum().backward()
    for name, p in a.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_in_eval_mode_each_object_is_one_shape_the_argmax_of_its_blend():
    param = DrawingImage(48, [3, 4, 5], objects=2)
    with torch.no_grad():
        param.shape_logits.normal_()
    drawn = param.eval()()
    assert torch.equal(param.shape_weights().sum(-1), torch.ones(3, 2))
    with torch.no_grad():
        param.shape_logits.mul_(1e4)  # softmax → one-hot: the blend becomes the single shape
    assert torch.allclose(param.train()(), drawn, atol=1e-5)
    blend = DrawingImage(48, [3, 4, 5], objects=2)
    with torch.no_grad():
        blend.shape_logits.copy_(param.shape_logits / 1e4)
    assert not torch.allclose(blend(), drawn, atol=1e-2), "a blend of shapes should differ from one shape"
    assert all(len(row) == 2 and set(row) <= set(SHAPES) for row in param.shapes())
    assert [f["shapes"] for f in param.facts()] == param.shapes()
    with pytest.raises(ValueError, match="objects"):
        Drawing(32, objects=0)


def test_a_drawings_final_images_are_its_eval_mode_drawing_and_it_stays_in_training_mode():
    param = DrawingImage(32, [0, 1], objects=2)
    with torch.no_grad():
        param.shape_logits.normal_()
    final = param.final()
    assert param.training and torch.equal(final, param.eval()().detach())


def test_restart_seeds_are_distinct_and_one_restart_keeps_the_image_seed():
    assert restart_seeds([0, 1], 3) == [0, 1, 2, 3, 4, 5]
    assert restart_seeds([7, 2], 1) == [7, 2]


def test_restarts_keep_the_candidate_the_guiding_clip_scores_highest(scenes):
    prompts = [Prompt(text="a red star"), Prompt(text="a blue circle", weight=-0.5)]
    result = clip_optimize(scenes, prompts, param=Drawing(64), seeds=[0, 1], restarts=3, cutouts=CutoutSpec(2),
                           run=RunSettings(steps=3, progress=False))
    assert result.images.shape == (2, 3, 64, 64) and len(result.history[0]) == 2
    assert len(result.restart_objectives) == 2 and all(len(r) == 3 for r in result.restart_objectives)
    assert len({round(v, 6) for v in result.restart_objectives[0]}) > 1, "the candidates should differ"
    table = cosines(scenes, result.images, prompt_embeddings(scenes, prompts, torch.device("cpu")))
    kept = [(table[i, 0] - 0.5 * table[i, 1]).item() for i in range(2)]
    assert kept == pytest.approx([max(r) for r in result.restart_objectives], abs=1e-5)
    assert [len(f["shapes"]) for f in result.facts] == [1, 1]


def test_guiding_a_drawing_raises_the_prompts_similarity(scenes):
    result = clip_optimize(scenes, [Prompt(text="a green circle")], param=Drawing(64), seeds=[0, 1],
                           cutouts=CutoutSpec(4), run=RunSettings(steps=30, progress=False))
    start = sum(result.history[0]) / 2
    assert sum(result.history[-1]) / 2 > start + 0.05, (start, result.history[-1])


def test_an_init_image_is_refused_where_it_cannot_be_used(scenes):
    with pytest.raises(ValueError, match="init image starts a fourier or pixel image"):
        parameterization("shapes", 64, init=torch.rand(1, 3, 64, 64))
    with pytest.raises(ValueError, match="restarts"):
        clip_optimize(scenes, [Prompt(text="a red star")], restarts=0, run=RunSettings(steps=1, progress=False))
