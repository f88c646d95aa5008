"""A small generator for the CLIP+GAN pattern: the decoder of a variational autoencoder trained on
the procedural captioned scenes (diffprog.training.scene_decoder), mapping a latent z ∈ ℝ^d
(prior N(0, I)) to a 64 px scene. Only the decoder G is kept (assets/scene_decoder.pt): CLIP
guidance optimizes z so that G(z) matches a prompt.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from ..data.captioned_scenes import IMAGE_SIZE
from .errors import ModelError
from .registry import ASSETS
from .weights import read_state_dict

DECODER_WEIGHTS = ASSETS / "scene_decoder.pt"
LATENT_DIM = 32


class SceneDecoder(nn.Module):
    """z (B, latent_dim) → images (B, 3, 64, 64) in [0, 1]: a linear map to 4×4, then four
    (upsample ×2, 3×3 conv, ReLU) stages and a sigmoid."""

    def __init__(self, latent_dim: int = LATENT_DIM, width: int = 16):
        super().__init__()
        self.latent_dim, self.width = latent_dim, width
        self.project = nn.Linear(latent_dim, 8 * width * 16)
        stages, channels = [], 8 * width
        for out in (4 * width, 2 * width, width, width):
            stages += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels, out, 3, padding=1), nn.ReLU()]
            channels = out
        self.body = nn.Sequential(*stages, nn.Conv2d(channels, 3, 3, padding=1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.project(z)).view(-1, 8 * self.width, 4, 4)
        return torch.sigmoid(self.body(x))


def load_scene_decoder(path: str | Path | None = None) -> SceneDecoder:
    """The embedded decoder (assets/scene_decoder.pt, written by scripts/train_generator.py) or one
    at `path`, in eval mode."""
    if path is None and not DECODER_WEIGHTS.is_file():
        raise ModelError(f"the embedded generator weights {str(DECODER_WEIGHTS)!r} are missing: "
                         "train them with python scripts/train_generator.py")
    path = Path(path) if path is not None else DECODER_WEIGHTS
    state = read_state_dict(path, "generator weights")
    card = path.with_suffix(".json")
    meta = json.loads(card.read_text()) if card.is_file() else {}
    decoder = SceneDecoder(meta.get("latent_dim", LATENT_DIM), meta.get("width", 16))
    try:
        decoder.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError as error:
        raise ModelError(f"generator weights {str(path)!r} do not fit the scene decoder: "
                         f"{str(error).splitlines()[-1].strip()}") from None
    return decoder.eval()


assert IMAGE_SIZE == 64, "SceneDecoder draws 64 px scenes"
