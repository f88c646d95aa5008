"""diffprog.optvis.clip and diffprog.models.clip_models: prompts, loading, and CLIP-guided optimization."""
from __future__ import annotations

import json

import pytest
import torch

from diffprog.models import ModelError
from diffprog.models.clip_models import load_clip
from diffprog.optvis import Fourier, Generator, RunSettings, objectives
from diffprog.optvis.clip import (INIT_SD, Prompt, PromptError, SettingsError, clip_optimize, cosines,
                                  parse_image_prompt, parse_prompt, prompt_embeddings)
from diffprog.optvis.cutouts import CutoutSpec
from diffprog.optvis.param import parameterization

TINY = {"embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """A tiny open_clip architecture registered under a new name, and a checkpoint file of it."""
    import open_clip

    folder = tmp_path_factory.mktemp("tiny_clip")
    (folder / "diffprog-tiny-test.json").write_text(json.dumps(TINY))
    open_clip.add_model_config(folder / "diffprog-tiny-test.json")
    torch.manual_seed(1)
    model = open_clip.create_model("diffprog-tiny-test")
    path = folder / "tiny.pt"
    torch.save(model.state_dict(), path)
    return "diffprog-tiny-test", path, model


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    name, path, _ = tiny_checkpoint
    return load_clip(name, str(path))


@pytest.fixture(scope="module")
def scenes():
    """The embedded scenes CLIP (assets/scenes_clip)."""
    return load_clip()


def test_prompt_weights_are_parsed_and_default_to_one():
    assert parse_prompt("a red star") == Prompt(text="a red star", weight=1.0)
    assert parse_prompt("a red star:2") == Prompt(text="a red star", weight=2.0)
    assert parse_prompt("a blue circle:-0.5") == Prompt(text="a blue circle", weight=-0.5)
    assert parse_image_prompt("photo.png:0.25") == Prompt(image="photo.png", weight=0.25)


@pytest.mark.parametrize("spec, message", [("", "empty prompt"), ("   :2", "empty prompt"),
                                           ("a red star:two", "'two' of text 'a red star:two' is not a number"),
                                           ("a red star:inf", "finite")])
def test_bad_prompts_are_refused_with_the_reason(spec, message):
    with pytest.raises(PromptError, match=message):
        parse_prompt(spec)


def test_a_local_checkpoint_loads_through_the_pretrained_code_path(tiny_checkpoint, tiny):
    _, _, original = tiny_checkpoint
    assert tiny.input_size == 32 and tiny.pretrained.endswith("tiny.pt")
    for (name, a), b in zip(original.state_dict().items(), tiny.model.state_dict().values()):
        assert torch.equal(a, b), name
    features = tiny.text_features(["a red star", "a blue circle"])
    assert features.shape == (2, 32) and torch.allclose(features.norm(dim=1), torch.ones(2))


def test_unknown_models_tags_and_files_get_actionable_errors(tiny_checkpoint):
    name, _, _ = tiny_checkpoint
    with pytest.raises(ModelError, match="Close names: .*ViT-B-32"):
        load_clip("ViT-B-23", "openai")
    with pytest.raises(ModelError, match="known tags are .*openai"):
        load_clip("ViT-B-32", "openia")
    with pytest.raises(ModelError, match="needs --pretrained"):
        load_clip("ViT-B-32")
    with pytest.raises(ModelError, match="does not exist"):
        load_clip(name, "missing/weights.pt")
    with pytest.raises(ModelError, match="leave out --pretrained"):
        load_clip("scenes-clip", "openai")


def test_offline_download_failure_says_how_to_pass_a_local_checkpoint(monkeypatch):
    import open_clip.factory

    def offline(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load this file")
    monkeypatch.setattr(open_clip.factory, "download_pretrained", offline)
    with pytest.raises(ModelError, match=r"--pretrained PATH/open_clip_pytorch_model.bin.*--model scenes-clip"):
        load_clip("RN50", "openai")


def test_embedding_similarity_is_the_weighted_mean_cosine_over_each_images_cutouts():
    targets = torch.randn(2, 8)
    weights = [1.0, -0.5]
    embeddings = torch.randn(3 * 4, 8)  # 3 images × 4 cutouts, image-major
    score = objectives.embedding_similarity(targets, weights)({"output": embeddings}, torch.zeros(3, 3, 8, 8))
    cos = torch.nn.functional.cosine_similarity(embeddings[:, None], targets[None], dim=-1)  # (12, 2)
    expected = (cos.view(3, 4, 2).mean(1) * torch.tensor(weights)).sum(1)
    assert torch.allclose(score, expected, atol=1e-6)


def test_an_unreadable_image_prompt_names_the_file(tiny, tmp_path):
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    with pytest.raises(PromptError, match="not_an_image.png"):
        prompt_embeddings(tiny, [Prompt(image=str(bad))], torch.device("cpu"))
    with pytest.raises(PromptError, match="no prompts"):
        prompt_embeddings(tiny, [], torch.device("cpu"))


def _quiet(steps: int, **settings) -> RunSettings:
    return RunSettings(steps=steps, progress=False, **settings)


def _image(size: int = 64) -> Fourier:
    return Fourier(size, sd=INIT_SD)


def test_similarity_to_the_prompt_rises(scenes):
    prompts = [parse_prompt("a red star")]
    result = clip_optimize(scenes, prompts, param=_image(), seeds=[0, 1], cutouts=CutoutSpec(8), run=_quiet(30))
    grey = torch.full((1, 3, 64, 64), 0.5)
    start = cosines(scenes, grey, prompt_embeddings(scenes, prompts, torch.device("cpu")))
    assert result.images.shape == (2, 3, 64, 64)
    for i in range(2):
        assert result.history[-1][i] > result.history[0][i] + 0.1
        assert result.similarity["a red star"][i] > start[0, 0].item() + 0.1


def test_a_compiled_image_tower_follows_the_eager_objective(tiny):
    # The compiled tower computes each step's objective, so that is what is compared. Images, and the
    # final similarity the eager tower measures on each run's own images, are not: Adam's m/√v turns
    # rounding-level differences in near-zero gradients into full-size steps, so equal objectives can
    # come with different pixels.
    prompts = [parse_prompt("a red star")]
    run = dict(param=_image(), seeds=[0, 1], cutouts=CutoutSpec(4))
    eager = clip_optimize(tiny, prompts, run=_quiet(12, device="cpu"), **run)
    compiled = clip_optimize(tiny, prompts, run=_quiet(12, device="cpu", compile="default"), **run)
    assert len(compiled.history) == len(eager.history) == 12
    for step_eager, step_compiled in zip(eager.history, compiled.history):
        assert step_compiled == pytest.approx(step_eager, abs=0.01)


@pytest.mark.parametrize("make, message", [
    (lambda: Fourier(0), "size must be at least 1, got 0"), (lambda: RunSettings(steps=0), "steps must be at least 1"),
    (lambda: CutoutSpec(min_fraction=0.0), r"give one in \(0, 1\], got 0.0"),
    (lambda: CutoutSpec(count=0), "cutouts must be at least 1, got 0"),
    (lambda: RunSettings(lr=-1.0), "must be positive and finite, got -1.0"),
    (lambda: RunSettings(lr=float("nan")), "must be positive and finite, got nan"),
    (lambda: RunSettings(optimizer="adagrad"), "choose one of adam, sgd, momentum"),
    (lambda: parameterization("vector", 64), "choose one of fourier, pixel, shapes, generator"),
    (lambda: parameterization("generator", 64), "needs a generator module"),
    (lambda: parameterization("shapes", 64, init=torch.rand(1, 3, 64, 64)), "starts a fourier or pixel image"),
    (lambda: parameterization("fourier", 64, objects=2), "--objects sets the shapes of --param shapes"),
])
def test_settings_that_cannot_work_are_refused_when_made(make, message):
    with pytest.raises(SettingsError, match=message):
        make()


@pytest.mark.parametrize("settings, message", [(dict(restarts=0), "restarts must be at least 1, got 0"),
                                               (dict(seeds=[]), "seeds is empty")])
def test_clip_optimize_refuses_what_cannot_work_before_any_work(scenes, settings, message):
    with pytest.raises(SettingsError, match=message):
        clip_optimize(scenes, [parse_prompt("a red star")], run=_quiet(1), **settings)


def test_a_negative_prompt_lowers_its_similarity(scenes):
    toward, away = parse_prompt("a red star"), parse_prompt("a red circle:-1")
    run = dict(param=_image(), seeds=[0], cutouts=CutoutSpec(8), run=_quiet(30))
    both = clip_optimize(scenes, [toward, away], **run)
    alone = clip_optimize(scenes, [toward], **run)
    circle = prompt_embeddings(scenes, [away], torch.device("cpu"))
    alone_to_circle = cosines(scenes, alone.images, circle)[0, 0].item()
    assert both.similarity["a red circle"][0] < alone_to_circle - 0.1


def test_an_image_prompt_pulls_the_image_towards_that_images_embedding(scenes, tmp_path):
    from diffprog.data.captioned_scenes import Thing, render_scenes
    from diffprog.io import save_png

    save_png(render_scenes([[Thing("ring", "blue", "large", "center")]])[0], tmp_path / "target.png")
    prompt = parse_image_prompt(str(tmp_path / "target.png"))
    # whole-image views: the target's embedding encodes where its ring is, which crops would move
    result = clip_optimize(scenes, [prompt], param=_image(), seeds=[0], cutouts=CutoutSpec(8, 1.0, noise=0.0),
                           run=_quiet(40))
    assert result.history[-1][0] > result.history[0][0] + 0.1


def test_generator_latents_are_optimized_and_the_generator_stays_fixed(scenes):
    from diffprog.models.scene_decoder import load_scene_decoder

    generator = load_scene_decoder()
    before = [p.clone() for p in generator.parameters()]
    result = clip_optimize(scenes, [parse_prompt("a yellow square")], param=Generator(generator), seeds=[0],
                           cutouts=CutoutSpec(8), run=_quiet(30))
    assert result.images.shape == (1, 3, 64, 64)
    assert all(torch.equal(a, b) for a, b in zip(before, generator.parameters()))
    assert result.history[-1][0] > result.history[0][0] + 0.1


def test_bfloat16_autocast_gives_the_fp32_objective_within_two_percent(scenes):
    prompts = [parse_prompt("a red star")]
    runs = [clip_optimize(scenes, prompts, param=_image(), seeds=[0], cutouts=CutoutSpec(8), run=_quiet(1, amp=amp))
            for amp in (False, True)]
    assert runs[1].history[0][0] == pytest.approx(runs[0].history[0][0], rel=0.02, abs=0.01)


def test_ctrl_c_keeps_the_current_image(tiny, interrupt_at):
    interrupt_at(6)
    result = clip_optimize(tiny, [parse_prompt("a red star")], param=_image(32), seeds=[0], cutouts=CutoutSpec(4),
                           run=_quiet(50))
    assert result.interrupted and len(result.history) == 5 and result.images.shape == (1, 3, 32, 32)


@pytest.mark.parametrize("name, folder", [("scenes-clip", "scenes_clip"), ("scenes-clip-seed1", "scenes_clip_seed1")])
def test_embedded_clips_match_their_model_cards_and_compose_unseen_pairs(name, folder):
    import hashlib

    from diffprog.models.clip_models import EMBEDDED_CLIPS
    from diffprog.training.clip import zero_shot_metrics

    card = json.loads((EMBEDDED_CLIPS[name] / "model_card.json").read_text())
    weights = (EMBEDDED_CLIPS[name] / "open_clip_model.safetensors").read_bytes()
    assert hashlib.sha256(weights).hexdigest() == card["sha256"] and EMBEDDED_CLIPS[name].name == folder
    metrics = zero_shot_metrics(load_clip(name), n=120)
    assert metrics["seen_colour_shape_accuracy"] > 0.9 and metrics["seen_position_accuracy"] > 0.9
    assert metrics["held_out_colour_shape_accuracy"] > 0.4  # chance: 1/36


def test_offline_a_pretrained_tag_fails_at_once_quietly_and_whole(monkeypatch, capfd):
    import diffprog.models.clip_models as clip_models

    monkeypatch.setattr(clip_models, "_hub_reachable", lambda *a, **k: False)
    with pytest.raises(ModelError) as refused:
        load_clip("RN50", "openai")
    message = str(refused.value)
    assert "huggingface.co cannot be reached" in message and message.endswith("--model scenes-clip")
    err = capfd.readouterr().err
    assert "Retrying" not in err and "Failed to download" not in err, err
