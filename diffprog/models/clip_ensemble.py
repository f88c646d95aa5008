"""Several CLIPs as one. The ensemble embeds an image (or a text) as the concatenation of each of
its M models' unit-norm embeddings, each scaled by 1/√M, which is again unit-norm, so

    cos(e(x), e(t)) = (1/M) Σ_m cos(e_m(x), e_m(t)):

the mean of the models' cosine similarities. Guiding an image by an ensemble ascends that mean, as
CLIP-guidance tools do with CLIPs of different architectures, so that what the image shows is what
they agree on. (Two embedded scenes CLIPs that differ only by seed did not make images that a third
recognizes more often: docs/benchmarks.md.)
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .clip_models import Clip
from .errors import ModelError


class EnsembleModel(nn.Module):
    """open_clip's encode_image / encode_text over several CLIP models, joined as above."""

    def __init__(self, models: Sequence[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(models)

    def _join(self, features: list[torch.Tensor]) -> torch.Tensor:
        unit = [nn.functional.normalize(f.float(), dim=-1) for f in features]
        return torch.cat(unit, dim=-1) / math.sqrt(len(unit))

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return self._join([m.encode_image(images) for m in self.members])

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return self._join([m.encode_text(tokens) for m in self.members])


def _tokens_of(clip: Clip) -> torch.Tensor:
    return clip.tokenizer(["a red star in the top left"])


def ensemble(clips: Sequence[Clip]) -> Clip:
    """One Clip whose similarities are the mean of `clips`' (one CLIP: itself). The models must see
    images alike (input size, normalization) and read text alike (one tokenization)."""
    if not clips:
        raise ModelError("an ensemble needs at least one CLIP")
    if len(clips) == 1:
        return clips[0]
    first = clips[0]
    first_tokens = _tokens_of(first)
    for other in clips[1:]:
        if (other.input_size, other.mean, other.std) != (first.input_size, first.mean, first.std):
            raise ModelError(f"CLIPs {first.name!r} and {other.name!r} see images differently "
                             f"({first.input_size} px, mean {first.mean}, std {first.std} against "
                             f"{other.input_size} px, mean {other.mean}, std {other.std}): an ensemble needs "
                             f"models with one input size and normalization")
        if not torch.equal(_tokens_of(other), first_tokens):
            raise ModelError(f"CLIPs {first.name!r} and {other.name!r} tokenize text differently: an ensemble "
                             f"needs models with one tokenizer and context length")
    return Clip(EnsembleModel([c.model for c in clips]), first.tokenizer, "+".join(c.name for c in clips), None,
                first.input_size, first.mean, first.std)
