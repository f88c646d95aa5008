"""Train the embedded scene generator: a variational autoencoder on the procedural captioned scenes,
of which only the decoder is kept (diffprog.models.scene_decoder).

VAE (Kingma & Welling 2014): the encoder gives q(z|x) = N(μ(x), diag σ²(x)); with
z = μ + σ ⊙ ε, ε ~ N(0, I) (the reparameterization that lets gradients reach μ, σ), training
minimizes per image

    J = ‖x − G(z)‖² / (2 s²) + ½ Σ_i (μ_i² + σ_i² − log σ_i² − 1),

reconstruction plus KL(q(z|x) ‖ N(0, I)); s is the pixel noise scale.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..data.captioned_scenes import make_captioned_scenes
from ..models.scene_decoder import LATENT_DIM, SceneDecoder
from ..optim import Adam
from .loop import run_steps

PIXEL_SCALE = 0.03  # s: the reconstruction term's noise scale (small: small objects keep their colour)


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
    optimizer = Adam(params, lr=lr)
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
