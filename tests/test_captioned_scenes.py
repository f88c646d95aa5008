"""diffprog.data.captioned_scenes: the embedded CLIP's procedural image–text pairs."""
from __future__ import annotations

import pytest
import torch

from diffprog.data.captioned_scenes import (COLOURS, HELD_OUT, SHAPES, Thing, caption, make_captioned_scenes,
                                            object_caption, plural, single_object_captions)


def test_scenes_are_reproducible_from_the_seed_and_differ_across_seeds():
    a, caps_a, _ = make_captioned_scenes(16, seed=3)
    b, caps_b, _ = make_captioned_scenes(16, seed=3)
    c, _, _ = make_captioned_scenes(16, seed=4)
    assert torch.equal(a, b) and caps_a == caps_b
    assert not torch.equal(a, c)
    assert a.shape == (16, 3, 64, 64) and a.min() >= 0 and a.max() <= 1


def test_training_scenes_never_show_a_held_out_pair_and_evaluation_scenes_only_those():
    _, _, train = make_captioned_scenes(300, seed=0, held_out="exclude")
    _, _, test = make_captioned_scenes(100, seed=0, held_out="only")
    assert all((t.colour, t.shape) not in HELD_OUT for s in train for t in s)
    assert all((t.colour, t.shape) in HELD_OUT for s in test for t in s)
    with pytest.raises(ValueError, match="held_out"):
        make_captioned_scenes(2, held_out="some")


def test_every_caption_names_the_colour_and_shape_of_what_is_drawn():
    _, captions, scenes = make_captioned_scenes(200, seed=1)
    for text, things in zip(captions, scenes):
        for t in things:
            assert t.colour in text and (t.shape in text or plural(t.shape) in text), (text, things)
    assert any(text.startswith(("two ", "three ")) for text in captions)
    assert any(" and " in text or " next to " in text for text in captions)
    assert any(" in the " in text for text in captions)


def test_captions_use_the_right_article_and_plural():
    assert caption([Thing("circle", "orange", "small", "center")], 0) == "an orange circle"
    assert caption([Thing("cross", "red", "small", "center")], 2) == "a red cross in the center"
    two = [Thing("cross", "blue", "small", p) for p in ("top left", "bottom right")]
    assert caption(two, 0) == "two blue crosses"
    assert object_caption("orange", "ring", "top left") == "an orange ring in the top left"


def test_a_drawn_object_has_its_colour_where_it_was_placed():
    images, _, scenes = make_captioned_scenes(40, seed=5)
    singles = [(i, s[0]) for i, s in enumerate(scenes) if len(s) == 1 and s[0].size == "large"]
    assert singles
    for i, thing in singles:
        quadrant = {"top left": (slice(0, 32), slice(0, 32)), "top right": (slice(0, 32), slice(32, 64)),
                    "bottom left": (slice(32, 64), slice(0, 32)), "bottom right": (slice(32, 64), slice(32, 64)),
                    "center": (slice(16, 48), slice(16, 48))}[thing.position]
        target = torch.tensor(COLOURS[thing.colour]).view(3, 1, 1)
        distance = (images[i] - target).norm(dim=0)
        assert distance[quadrant].min() < 0.3, (thing, distance[quadrant].min())


def test_zero_shot_candidates_are_every_colour_shape_pair():
    captions = single_object_captions()
    assert len(captions) == len(COLOURS) * len(SHAPES) == len(set(captions))
    assert "an orange ring" in captions and "a red star" in captions


def test_scene_batches_drawn_by_worker_processes_train_the_same_clip():
    from diffprog.training.clip import train_scenes_clip

    runs = [train_scenes_clip(seed=2, steps=3, batch=8, warmup=1, progress=False, workers=w) for w in (0, 2)]
    assert runs[0].losses == runs[1].losses
    for a, b in zip(runs[0].clip.model.parameters(), runs[1].clip.model.parameters()):
        assert torch.equal(a, b)
