"""Adversarial training images: the robust-training step shared by the embedded models' trainers."""
from __future__ import annotations

from collections.abc import Callable

import torch


def adversarial_images(loss_of: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor,
                       eps: float) -> torch.Tensor:
    """Images pushed up loss_of within an L∞ ball of radius eps (pixels in [0, 1]): FGSM from a
    random start (Wong, Rice & Kolter 2020, "Fast is better than free"),

        δ₀ ~ U[−ε, ε],   δ = clip_[−ε, ε](δ₀ + α sign ∇_x J(x + δ₀)),   α = 1.25 ε,   x' = clip_[0, 1](x + δ).

    A network trained on x' has gradients that look like the data (Santurkar et al. 2019, "Image
    synthesis with a single robust classifier"), so the images that maximize its units, or match
    its embedding of a caption, look like the data rather than high-frequency patterns."""
    start = (images + torch.empty_like(images).uniform_(-eps, eps)).clamp(0, 1).requires_grad_(True)
    (slope,) = torch.autograd.grad(loss_of(start), start)
    step = (start.detach() - images + 1.25 * eps * slope.sign()).clamp(-eps, eps)
    return (images + step).clamp(0, 1)
