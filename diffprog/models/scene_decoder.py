"""A small generator for the CLIP+GAN pattern: the decoder of a variational autoencoder trained on
the procedural captioned scenes, mapping a latent z ∈ ℝ^d (prior N(0, I)) to a 64 px scene.

VAE (Kingma & Welling 2014): the encoder gives q(z|x) = N(μ(x), diag σ²(x)); with
z = μ + σ ⊙ ε, ε ~ N(0, I) (the reparameterization that lets gradients reach μ, σ), training
minimizes per image

    J = ‖x − G(z)‖² / (2 s²) + ½ Σ_i (μ_i² + σ_i² − log σ_i² − 1),

reconstruction plus KL(q(z|x) ‖ N(0, I)); s is the pixel noise scale. Only the decoder G is kept
(assets/scene_decoder.pt): CLIP guidance optimizes z so that G(z) matches a prompt.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..data.captioned_scenes import IMAGE_SIZE, make_captioned_scenes
from .registry import ASSETS, ModelError
from .step_loop import run_steps

DECODER_WEIGHTS = ASSETS / "scene_decoder.pt"
LATENT_DIM = 32
PIXEL_SCALE = 0.03  # s: the reconstruction term's noise scale (small: small objects keep their colour)


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


class SceneEncoder(nn.Module):
    """images (B, 3, 64, 64) in [0, 1] → μ, log σ² (B, latent_dim each)."""

    def __init__(self, latent_dim: int = LATENT_DIM, width: int = 16):
        super().__init__()
        layers, channels = [], 3
        for out in (width, 2 * width, 4 * width, 8 * width):
            layers += [nn.Conv2d(channels, out, 4, stride=2, padding=1), nn.ReLU()]
            channels = out
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(channels * 16, 2 * latent_dim)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.head(self.body(images * 2 - 1)).chunk(2, dim=1)
        return mu, log_var.clamp(-10, 10)


@dataclass
class DecoderTrainResult:
    decoder: SceneDecoder
    losses: list[float]
    reconstruction_mse: float  # on held-out scenes, decoding μ
    seconds: float
    interrupted: bool


def vae_loss(images: torch.Tensor, recon: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ‖x − G(z)‖²/(2s²) + KL(N(μ, σ²) ‖ N(0, I))."""
    reconstruction = (images - recon).pow(2).flatten(1).sum(1) / (2 * PIXEL_SCALE ** 2)
    kl = 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum(1)
    return (reconstruction + kl).mean()


def train_scene_decoder(seed: int = 0, steps: int = 1500, batch: int = 128, lr: float = 2e-3,
                        device: str | torch.device = "cpu", progress: bool = True) -> DecoderTrainResult:
    """Train the VAE on fresh scenes every step (Adam, cosine decay); reproducible from `seed` on a
    given device. Ctrl-C stops early and returns the decoder (interrupted=True)."""
    device = torch.device(device)
    torch.manual_seed(seed)
    encoder, decoder = SceneEncoder().to(device), SceneDecoder().to(device)
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))

    def loss_at(step: int) -> torch.Tensor:
        images = make_captioned_scenes(batch, seed=seed * 10_000_000 + step, held_out="any")[0].to(device)
        mu, log_var = encoder(images)
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
        return vae_loss(images, decoder(z), mu, log_var)

    losses, seconds, interrupted = run_steps(steps, loss_at, optimizer, schedule, "train decoder", progress)
    with torch.no_grad():
        test = make_captioned_scenes(512, seed=999_999_999, held_out="any")[0].to(device)
        mse = (decoder(encoder(test)[0]) - test).pow(2).mean().item()
    return DecoderTrainResult(decoder.eval(), losses, mse, seconds, interrupted)


def load_scene_decoder(path: str | Path | None = None) -> SceneDecoder:
    """The embedded decoder (assets/scene_decoder.pt, written by scripts/train_generator.py) or one
    at `path`, in eval mode."""
    path = Path(path) if path is not None else DECODER_WEIGHTS
    if not path.is_file():
        raise ModelError(f"generator weights {str(path)!r} not found: "
                         "train them with python scripts/train_generator.py")
    card = path.with_suffix(".json")
    meta = json.loads(card.read_text()) if card.exists() else {}
    decoder = SceneDecoder(meta.get("latent_dim", LATENT_DIM), meta.get("width", 16))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        decoder.load_state_dict({k: v.float() for k, v in state.items()})
    except Exception as error:
        raise ModelError(f"cannot load generator weights {str(path)!r}: {error}") from error
    return decoder.eval()


assert IMAGE_SIZE == 64, "SceneDecoder draws 64 px scenes"
