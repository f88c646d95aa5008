"""Procedural captioned scenes: the image–text pairs the embedded CLIP learns from.

A scene is 1–3 shapes (shape × colour × size × position) on a softly lit, slightly cluttered
background, with a caption drawn from varied templates ("a red star in the top left",
"two small blue circles", "a green ring and a yellow cross"). Some colour × shape combinations are
never drawn in training (`HELD_OUT`), so zero-shot retrieval on them measures whether a model
composes colour and shape rather than memorizing pairs.

Drawing is vectorized tensor math on a coordinate grid, like `diffprog.data.shapes`, whose shape
masks it reuses.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .shapes import CLASSES as SHAPE_CLASSES
from .shapes import shape_mask, soft_edge

SHAPES = ("circle", "ring", "square", "triangle", "star", "cross")
PLURALS = {"cross": "crosses"}
COLOURS = {"red": (0.86, 0.12, 0.10), "green": (0.12, 0.70, 0.20), "blue": (0.13, 0.28, 0.92),
           "yellow": (0.95, 0.85, 0.10), "purple": (0.58, 0.18, 0.75), "orange": (0.98, 0.52, 0.06)}
SIZES = {"small": (0.13, 0.17), "large": (0.27, 0.32)}  # shape scale range, in half-image units
POSITIONS = {"top left": (-0.5, -0.5), "top right": (0.5, -0.5), "center": (0.0, 0.0),
             "bottom left": (-0.5, 0.5), "bottom right": (0.5, 0.5)}  # (x, y) in [-1, 1], y down
COUNT_WORDS = {2: "two", 3: "three"}
#: Colour × shape pairs no training scene contains: one per colour and one per shape.
HELD_OUT = (("red", "star"), ("green", "circle"), ("blue", "triangle"), ("yellow", "cross"),
            ("purple", "square"), ("orange", "ring"))
IMAGE_SIZE = 64


@dataclass(frozen=True)
class Thing:
    shape: str
    colour: str
    size: str
    position: str


def plural(shape: str) -> str:
    return PLURALS.get(shape, shape + "s")


def _a(word: str) -> str:
    """'a red', 'an orange'."""
    return ("an " if word[0] in "aeiou" else "a ") + word


def _where(position: str) -> str:
    return "in the center" if position == "center" else f"in the {position}"


def caption(things: list[Thing], template: int) -> str:
    """A caption for the scene, template chosen by `template` (any int; taken modulo the count)."""
    first = things[0]
    if len(things) > 1 and all((t.shape, t.colour, t.size) == (first.shape, first.colour, first.size) for t in things):
        options = [f"{COUNT_WORDS[len(things)]} {first.colour} {plural(first.shape)}",
                   f"{COUNT_WORDS[len(things)]} {first.size} {first.colour} {plural(first.shape)}"]
        return options[template % len(options)]
    if len(things) == 1:
        t = first
        options = [object_caption(t.colour, t.shape), f"a {t.size} {t.colour} {t.shape}",
                   object_caption(t.colour, t.shape, t.position), f"a {t.size} {t.colour} {t.shape} {_where(t.position)}",
                   f"a picture of {_a(t.colour)} {t.shape}", f"one {t.colour} {t.shape}"]
        return options[template % len(options)]
    parts = [object_caption(t.colour, t.shape) for t in things]
    placed = [object_caption(t.colour, t.shape, t.position) for t in things]
    options = [" and ".join(parts), " and ".join(placed), ", ".join(parts[:-1]) + " next to " + parts[-1]]
    return options[template % len(options)]


def object_caption(colour: str, shape: str, position: str | None = None) -> str:
    """'a red circle', 'an orange ring in the top left': one object, as the captions name it."""
    return f"{_a(colour)} {shape}" + (f" {_where(position)}" if position else "")


def single_object_captions() -> list[str]:
    """'a red circle' … for every colour × shape (colour-major): the candidates of zero-shot retrieval."""
    return [object_caption(c, s) for c in COLOURS for s in SHAPES]


def _draw_things(g: torch.Generator, n: int, held_out: str) -> list[list[Thing]]:
    """Per scene: 1 object (half the scenes), 2 different ones, or 2–3 identical ones, in distinct
    positions. held_out: 'exclude' (training), 'only' (every object a held-out pair), 'any'."""
    combos = [(c, s) for c in COLOURS for s in SHAPES]
    if held_out == "exclude":
        combos = [p for p in combos if p not in HELD_OUT]
    elif held_out == "only":
        combos = list(HELD_OUT)
    pick = lambda k: int(torch.randint(k, (1,), generator=g))  # noqa: E731
    scenes = []
    for _ in range(n):
        kind = torch.rand(1, generator=g).item()
        count = 1 if kind < 0.5 else 2 if kind < 0.75 else 2 + pick(2)
        places = torch.randperm(len(POSITIONS), generator=g)[:count].tolist()
        names = list(POSITIONS)
        if kind >= 0.75:  # identical objects
            colour, shape = combos[pick(len(combos))]
            size = list(SIZES)[pick(2)]
            things = [Thing(shape, colour, size, names[p]) for p in places]
        else:
            things = []
            for p in places:
                colour, shape = combos[pick(len(combos))]
                things.append(Thing(shape, colour, list(SIZES)[pick(2)], names[p]))
        scenes.append(things)
    return scenes


def render_scenes(scenes: list[list[Thing]], size: int = IMAGE_SIZE, seed: int = 0) -> torch.Tensor:
    """Images (n, 3, size, size) in [0, 1] of the given scenes; background, jitter and noise from `seed`."""
    n = len(scenes)
    g = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731
    axis = (torch.arange(size) + 0.5) / size * 2 - 1
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    # background: a grey level with a faint tint and a light gradient, kept apart from the colours
    level = 0.25 + 0.5 * rand(n, 1)
    background = (level + 0.06 * (rand(n, 3) - 0.5))[:, :, None, None].expand(n, 3, size, size)
    direction = rand(n, 2) * 2 - 1
    background = background + 0.1 * (direction[:, 0, None, None] * x + direction[:, 1, None, None] * y)[:, None]
    image = background.clone()
    slots = max(len(s) for s in scenes)
    for k in range(slots):
        rows = [i for i, s in enumerate(scenes) if len(s) > k]
        things = [scenes[i][k] for i in rows]
        m = len(rows)
        centre = torch.tensor([POSITIONS[t.position] for t in things]) + (rand(m, 2) - 0.5) * 0.12
        scale = torch.tensor([SIZES[t.size][0] for t in things]) + \
            rand(m) * torch.tensor([SIZES[t.size][1] - SIZES[t.size][0] for t in things])
        angle = rand(m) * 2 * math.pi
        dx, dy = x - centre[:, 0, None, None], y - centre[:, 1, None, None]
        cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
        u = (cos * dx + sin * dy) / scale[:, None, None]
        v = (-sin * dx + cos * dy) / scale[:, None, None]
        labels = torch.tensor([SHAPE_CLASSES.index(t.shape) for t in things])
        mask = torch.zeros(m, size, size)
        for label in labels.unique().tolist():
            chosen = labels == label
            mask[chosen] = shape_mask(label, u[chosen], v[chosen], torch.zeros(int(chosen.sum())), size)
        colour = torch.tensor([COLOURS[t.colour] for t in things]) * (0.85 + 0.3 * rand(m, 1))
        colour = colour.clamp(0, 1)[:, :, None, None]
        image[rows] = image[rows] + mask[:, None] * (colour - image[rows])
    spot = rand(n, 2) * 2 - 1  # one faint distractor blob
    blob = soft_edge(0.12 - torch.sqrt((x - spot[:, 0, None, None]) ** 2 + (y - spot[:, 1, None, None]) ** 2), size)
    image = image + 0.08 * blob[:, None] * (rand(n, 3)[:, :, None, None] - image)
    image = image + 0.03 * torch.randn(n, 3, size, size, generator=g)
    return image.clamp(0, 1)


def make_captioned_scenes(n: int, size: int = IMAGE_SIZE, seed: int = 0, held_out: str = "exclude"
                          ) -> tuple[torch.Tensor, list[str], list[list[Thing]]]:
    """n scenes from `seed`: images (n, 3, size, size) in [0, 1], one caption each, and the objects.

    held_out: 'exclude' draws no HELD_OUT colour × shape pair (training data), 'only' draws only
    those pairs (evaluation of composition), 'any' draws every pair."""
    if held_out not in ("exclude", "only", "any"):
        raise ValueError(f"held_out must be 'exclude', 'only' or 'any', not {held_out!r}")
    g = torch.Generator().manual_seed(seed)
    scenes = _draw_things(g, n, held_out)
    templates = torch.randint(1 << 16, (n,), generator=g).tolist()
    captions = [caption(s, t) for s, t in zip(scenes, templates)]
    return render_scenes(scenes, size, seed + 1), captions, scenes
