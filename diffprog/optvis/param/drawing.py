"""A drawing as the parameterization (`--param shapes`): K solid shapes on a plain background,
each with its own kind, colour, position, size and rotation — the CLIPDraw idea with the embedded world's shapes
instead of strokes. The image can only ever be a clean drawing, so whatever an objective makes of
it, it is a scene of shapes and not an adversarial texture.

Object k (painted in order over the background b) is

    x ← x + m_k ⊙ (c_k − x),    m_k(p) = Σ_i π_ki · mask_i(R(−θ_k)(p − μ_k) / s_k),

with mask_i the antialiased masks of SHAPES (`diffprog.data.shapes`), π_k = softmax(ℓ_k) while
optimizing (a blend, so the choice of shape gets a gradient) and the one-hot argmax in eval mode
(the final drawing shows one shape per object), μ_k = 0.7 tanh(a_k), s_k = s₀ + (s₁ − s₀) σ(r_k),
c_k = σ(γ_k) and b = σ(β) per channel. Initial colours are saturated and random (seeded): near grey
a small CLIP's gradient for colour is weak, and a drawn object there tends to shrink away.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from ...data.captioned_scenes import SHAPES
from ...data.shapes import CLASSES, shape_mask
from ..settings import at_least
from .base import ImageParam, check_size, seeded_noise

#: Object size range (the shape's scale, in half-image units): from small to most of the image.
SCALE_RANGE = (0.13, 0.45)
#: Standard deviation of the initial colour logits: saturated colours, seeded.
COLOUR_SD = 1.5
_LABELS = [CLASSES.index(s) for s in SHAPES]  # SHAPES as labels of diffprog.data.shapes' masks


class DrawingImage(ImageParam):
    """`objects` shapes per image on a plain background; forward() returns (B, 3, size, size) in
    [0, 1], a blend of shape kinds in training mode and one kind per object in eval mode (`final`)."""

    def __init__(self, size: int, seeds: Sequence[int], objects: int = 1):
        super().__init__(len(seeds))
        self.size = size
        noise = seeded_noise((objects, 13), seeds)  # (B, K, 13)
        spread = 0.1 if objects == 1 else 0.6
        self.shape_logits = nn.Parameter(0.01 * noise[..., :6])
        self.centre = nn.Parameter(spread * noise[..., 6:8])
        self.scale = nn.Parameter(0.1 * noise[..., 8])
        self.angle = nn.Parameter(noise[..., 9])
        self.colour = nn.Parameter(COLOUR_SD * noise[..., 10:13])
        self.background = nn.Parameter(torch.zeros(len(seeds), 3))

    def shape_weights(self) -> torch.Tensor:
        """π (B, K, len(SHAPES)): softmax of the logits in training mode, one-hot argmax in eval mode."""
        soft = torch.softmax(self.shape_logits, dim=-1)
        if self.training:
            return soft
        return nn.functional.one_hot(soft.argmax(-1), len(SHAPES)).to(soft.dtype)

    def shapes(self) -> list[list[str]]:
        """The shape each object shows in eval mode, per image."""
        return [[SHAPES[i] for i in row] for row in self.shape_logits.argmax(-1).tolist()]

    def forward(self) -> torch.Tensor:
        s, device = self.size, self.centre.device
        axis = (torch.arange(s, device=device) + 0.5) / s * 2 - 1
        y, x = torch.meshgrid(axis, axis, indexing="ij")
        image = torch.sigmoid(self.background)[:, :, None, None].expand(-1, 3, s, s)
        weights = self.shape_weights()
        lo, hi = SCALE_RANGE
        for k in range(self.centre.shape[1]):
            centre = 0.7 * torch.tanh(self.centre[:, k])
            scale = (lo + (hi - lo) * torch.sigmoid(self.scale[:, k]))[:, None, None]
            dx, dy = x - centre[:, 0, None, None], y - centre[:, 1, None, None]
            cos, sin = torch.cos(self.angle[:, k])[:, None, None], torch.sin(self.angle[:, k])[:, None, None]
            u, v = (cos * dx + sin * dy) / scale, (-sin * dx + cos * dy) / scale
            masks = torch.stack([shape_mask(label, u, v, None, s) for label in _LABELS], dim=1)
            mask = (weights[:, k, :, None, None] * masks).sum(1, keepdim=True)
            image = image + mask * (torch.sigmoid(self.colour[:, k])[:, :, None, None] - image)
        return image

    @torch.no_grad()
    def final(self) -> torch.Tensor:
        """The drawing with one shape per object (eval mode), on the CPU."""
        training = self.training
        images = self.eval()().detach().cpu()
        self.train(training)
        return images

    def facts(self) -> list[dict]:
        return [{"shapes": row} for row in self.shapes()]


@dataclass(frozen=True, eq=False)
class Drawing:
    """Drawings of `objects` solid shapes on a plain background, size × size px."""
    size: int = 128
    objects: int = 1
    #: a few numbers per object (place, size, colour) take larger steps than pixels
    lr: ClassVar[float] = 0.1

    def __post_init__(self) -> None:
        check_size(self.size)
        at_least("objects", self.objects)

    def __call__(self, seeds: Sequence[int]) -> DrawingImage:
        return DrawingImage(self.size, seeds, self.objects)
