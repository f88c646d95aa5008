"""Parameterizations: how a batch of images (B, 3, H, W) in [0, 1] is made from the tensors the
optimizer actually changes.

- pixel: one free value per pixel and channel.
- fourier: the image's 2-D spectrum, each frequency f scaled by 1/f^decay, so that gradient steps
  change all frequencies at a natural-image rate instead of favouring high-frequency noise
  (Olah et al., "Feature Visualization", 2017).
Both decorrelate colour by default (optimize in a decorrelated colour basis, map back with the
square root of natural images' colour covariance) and squash with a sigmoid into [0, 1].
Every image of the batch draws its initial noise from its own seed, so an image is the same
whether it is rendered alone or in a batch.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

#: √ of the colour covariance of natural images (Lucid's `color_correlation_svd_sqrt`).
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOR = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()
#: The Fourier spectrum's default 1/f exponent. Lucid uses 1.0; 1.5 is smoother and keeps detail;
#: 2.0 makes larger, more saturated blobs that transfer better between the two embedded shapes
#: networks (benchmarks/unitvis_quality.py: 69% at 1.5, 83% at 2.0; CIFAR ResNets 100% at both).
DECAY = 1.5


def _to_rgb(t: torch.Tensor, decorrelate: bool) -> torch.Tensor:
    if decorrelate:
        t = torch.einsum("bchw,dc->bdhw", t, _COLOR.to(t.device, t.dtype))
    return torch.sigmoid(t)


def _from_rgb(images: torch.Tensor, decorrelate: bool) -> torch.Tensor:
    t = torch.logit(images.clamp(1e-3, 1 - 1e-3))
    if decorrelate:
        t = torch.einsum("bchw,dc->bdhw", t, torch.linalg.inv(_COLOR).to(t.device, t.dtype))
    return t


def _noise(shape: Sequence[int], seeds: Sequence[int], sd: float) -> torch.Tensor:
    """Initial noise, one seeded draw per image."""
    return torch.stack([torch.randn(*shape, generator=torch.Generator().manual_seed(s)) * sd for s in seeds])


class PixelImage(nn.Module):
    def __init__(self, size: tuple[int, int], seeds: Sequence[int], decorrelate: bool = True, sd: float = 0.01,
                 init: torch.Tensor | None = None):
        super().__init__()
        self.decorrelate = decorrelate
        raw = _from_rgb(init, decorrelate) if init is not None else _noise((3, *size), seeds, sd)
        self.raw = nn.Parameter(raw)

    def forward(self) -> torch.Tensor:
        return _to_rgb(self.raw, self.decorrelate)


def _frequencies(h: int, w: int) -> torch.Tensor:
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :]
    return torch.sqrt(fx * fx + fy * fy)


class FourierImage(nn.Module):
    """image = σ(C · irfft2(s ⊙ spectrum) / 4) with s_f = 1 / max(f, 1/max(H, W))^decay and the
    unitary (norm="ortho") inverse transform, as in Lucid (whose irfft2d divides by HW and whose
    scale carries √(HW)): the initial image is a faint 1/f texture around grey at every size, not
    a saturated one."""

    def __init__(self, size: tuple[int, int], seeds: Sequence[int], decorrelate: bool = True, sd: float = 0.01,
                 decay: float = DECAY, init: torch.Tensor | None = None):
        super().__init__()
        h, w = size
        self.size, self.decorrelate = (h, w), decorrelate
        scale = 1.0 / torch.clamp(_frequencies(h, w), min=1.0 / max(h, w)) ** decay
        self.register_buffer("scale", scale)
        if init is not None:
            spectrum = torch.fft.rfft2(_from_rgb(init, decorrelate) * 4, norm="ortho") / scale
            raw = torch.view_as_real(spectrum)
        else:
            raw = _noise((3, h, w // 2 + 1, 2), seeds, sd)
        self.spectrum = nn.Parameter(raw)

    def forward(self) -> torch.Tensor:
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        t = torch.fft.irfft2(spectrum, s=self.size, norm="ortho") / 4
        return _to_rgb(t, self.decorrelate)


PARAMETERIZATIONS = ("fourier", "pixel")


def image_param(kind: str, size: int | tuple[int, int], seeds: Sequence[int], decorrelate: bool = True,
                init: torch.Tensor | None = None, decay: float = DECAY, sd: float = 0.01) -> nn.Module:
    """A parameterization module whose forward() returns (len(seeds), 3, H, W) in [0, 1].

    init: start from these images (B, 3, H, W) in [0, 1] instead of noise. decay: the Fourier
    spectrum's 1/f exponent (see DECAY). sd: standard deviation of the initial noise (of
    the spectrum or the pixels, before the sigmoid)."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if init is not None and init.shape[-2:] != size:
        init = torch.nn.functional.interpolate(init, size=size, mode="bilinear", antialias=True,
                                               align_corners=False).clamp(0, 1)
    if init is not None and init.shape[0] != len(seeds):
        init = init.expand(len(seeds), -1, -1, -1)
    if kind == "fourier":
        return FourierImage(size, seeds, decorrelate, sd=sd, decay=decay, init=init)
    if kind == "pixel":
        return PixelImage(size, seeds, decorrelate, sd=sd, init=init)
    raise ValueError(f"unknown parameterization {kind!r}: choose one of {', '.join(PARAMETERIZATIONS)}")


class GeneratorImage(nn.Module):
    """Images made by a frozen generator from optimized latents (the CLIP+GAN pattern):

        image = G(√d · z / ‖z‖),   z ∈ ℝ^d one per image, seeded,

    the latent kept on the sphere where a standard normal prior puts almost all its mass, so the
    generator is never asked for latents it was not trained on. G maps (B, d) to (B, 3, H, W) in [0, 1]."""

    def __init__(self, generator: nn.Module, latent_dim: int, seeds: Sequence[int]):
        super().__init__()
        self.generator = generator.eval().requires_grad_(False)
        self.latent_dim = latent_dim
        self.latent = nn.Parameter(_noise((latent_dim,), seeds, 1.0))

    def forward(self) -> torch.Tensor:
        z = nn.functional.normalize(self.latent, dim=1) * math.sqrt(self.latent_dim)
        return self.generator(z)
