"""The image's 2-D spectrum as the parameter: each frequency f scaled by 1/f^decay, so that
gradient steps change all frequencies at a natural-image rate instead of favouring
high-frequency noise (Olah et al., "Feature Visualization", 2017)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .base import ImageParam, fit_init, seeded_noise
from .colour import SquashedImages, from_rgb, to_rgb

#: The Fourier spectrum's default 1/f exponent. Lucid uses 1.0; 1.5 is smoother and keeps detail;
#: 2.0 makes larger, more saturated blobs that transfer better between the two embedded shapes
#: networks (benchmarks/unitvis_quality.py: 69% at 1.5, 83% at 2.0; CIFAR ResNets 100% at both).
DECAY = 1.5


def _frequencies(h: int, w: int) -> torch.Tensor:
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :]
    return torch.sqrt(fx * fx + fy * fy)


class FourierImage(ImageParam):
    """image = σ(C · irfft2(s ⊙ spectrum) / 4) with s_f = 1 / max(f, 1/max(H, W))^decay and the
    unitary (norm="ortho") inverse transform, as in Lucid (whose irfft2d divides by HW and whose
    scale carries √(HW)): the initial image is a faint 1/f texture around grey at every size, not
    a saturated one."""

    def __init__(self, size: tuple[int, int], seeds: Sequence[int], decorrelate: bool = True, sd: float = 0.01,
                 decay: float = DECAY, init: torch.Tensor | None = None):
        super().__init__(len(seeds))
        h, w = size
        self.size, self.decorrelate = (h, w), decorrelate
        scale = 1.0 / torch.clamp(_frequencies(h, w), min=1.0 / max(h, w)) ** decay
        self.register_buffer("scale", scale)
        if init is not None:
            init = fit_init(init, (h, w), len(seeds))
            spectrum = torch.fft.rfft2(from_rgb(init, decorrelate) * 4, norm="ortho") / scale
            raw = torch.view_as_real(spectrum)
        else:
            raw = seeded_noise((3, h, w // 2 + 1, 2), seeds, sd)
        self.spectrum = nn.Parameter(raw)

    def forward(self) -> torch.Tensor:
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        t = torch.fft.irfft2(spectrum, s=self.size, norm="ortho") / 4
        return to_rgb(t, self.decorrelate)


@dataclass(frozen=True, eq=False)
class Fourier(SquashedImages):
    """Images from their spectrum (see FourierImage; SquashedImages for the other settings), the
    spectrum's 1/f exponent `decay`."""
    decay: float = DECAY

    def __call__(self, seeds: Sequence[int]) -> FourierImage:
        return FourierImage((self.size, self.size), seeds, self.decorrelate, self.sd, self.decay, self.init)
