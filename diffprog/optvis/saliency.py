"""Saliency (slides: "∂y_j/∂x — how much the 'chameleon' score is increased or decreased by changing
the image pixels"): attributions of one class score y_c = f_c(x) to the pixels of an image x in
[0, 1], each (3, H, W) like the image, through the network's own resize and normalization.

- gradient:              A = ∂y_c/∂x                                  (Simonyan et al., 2014)
- gradient × input:      A = x ⊙ ∂y_c/∂x
- SmoothGrad:            A = 1/N Σ_i ∂y_c/∂x |_{x + ε_i},  ε_i ~ N(0, σ²)   (Smilkov et al., 2017)
- integrated gradients:  A = (x − x̄) ⊙ ∫_0^1 ∂y_c/∂x |_{x̄ + t (x − x̄)} dt   (Sundararajan et al., 2017)
  with baseline x̄ (black by default), the integral by the trapezoid rule over `steps` intervals.
  Completeness: Σ A = f_c(x) − f_c(x̄) up to the quadrature error, which `completeness_gap` reports.

All take `batch` images per forward pass, so SmoothGrad's samples and the integral's points cost
N / batch passes, not N.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..imaging import InputSpec
from ..plots import plt, save_figure

METHODS = ("gradient", "gradient × input", "SmoothGrad", "integrated gradients")


def _check(image: torch.Tensor) -> None:
    if image.dim() != 3 or image.shape[0] != 3:
        raise ValueError(f"saliency takes one RGB image (3, H, W), got shape {tuple(image.shape)}")
    if not torch.isfinite(image).all():
        raise ValueError("the image holds NaN or inf pixels")


def class_score(model: nn.Module, spec: InputSpec, target: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """x (B, 3, H, W) in [0, 1] → y_c (B,), the class logit the network gives each image."""
    def score(images: torch.Tensor) -> torch.Tensor:
        return model(spec.prepare(images))[:, target]
    return score


def _gradients(score, points: torch.Tensor, batch: int) -> torch.Tensor:
    """∂score/∂x at each of `points` (N, 3, H, W), `batch` at a time."""
    grads = []
    for chunk in points.split(batch):
        chunk = chunk.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(score(chunk).sum(), chunk)
        grads.append(grad)
    return torch.cat(grads)


def gradient(score, image: torch.Tensor) -> torch.Tensor:
    return _gradients(score, image[None], 1)[0]


def gradient_x_input(score, image: torch.Tensor) -> torch.Tensor:
    return image * gradient(score, image)


def smoothgrad(score, image: torch.Tensor, samples: int = 32, noise: float = 0.1, batch: int = 16,
               seed: int = 0) -> torch.Tensor:
    """The mean gradient over `samples` noisy copies (σ = `noise`, in pixel units of [0, 1])."""
    generator = torch.Generator(device=image.device).manual_seed(seed)
    eps = torch.randn((samples, *image.shape), generator=generator, device=image.device, dtype=image.dtype)
    return _gradients(score, image[None] + noise * eps, batch).mean(0)


def integrated_gradients(score, image: torch.Tensor, baseline: torch.Tensor | None = None, steps: int = 64,
                         batch: int = 16) -> torch.Tensor:
    """(x − x̄) ⊙ the trapezoid-rule mean of ∂y/∂x on the straight path from x̄ (default black) to x."""
    baseline = torch.zeros_like(image) if baseline is None else baseline
    t = torch.linspace(0, 1, steps + 1, device=image.device, dtype=image.dtype).view(-1, 1, 1, 1)
    grads = _gradients(score, baseline[None] + t * (image - baseline)[None], batch)
    weights = torch.full((steps + 1,), 1.0 / steps, device=image.device, dtype=image.dtype)
    weights[0] = weights[-1] = 0.5 / steps
    return (image - baseline) * (weights.view(-1, 1, 1, 1) * grads).sum(0)


def completeness_gap(score, image: torch.Tensor, attribution: torch.Tensor,
                     baseline: torch.Tensor | None = None) -> float:
    """|Σ A − (f(x) − f(x̄))| / |f(x) − f(x̄)|: how far integrated gradients are from complete."""
    baseline = torch.zeros_like(image) if baseline is None else baseline
    with torch.no_grad():
        change = (score(image[None]) - score(baseline[None])).item()
    return abs(attribution.sum().item() - change) / max(abs(change), 1e-12)


@dataclass
class Saliency:
    target: int
    score: float                       # y_c(x)
    maps: dict[str, torch.Tensor]      # method → (3, H, W) attribution
    completeness_gap: float            # of integrated gradients


def saliency(model: nn.Module, spec: InputSpec, image: torch.Tensor, target: int, samples: int = 32,
             noise: float = 0.1, steps: int = 64, batch: int = 16, seed: int = 0) -> Saliency:
    """Every method of METHODS for class `target` of `image` (3, H, W) in [0, 1]; model in eval mode."""
    _check(image)
    with torch.no_grad():
        logits = model.eval()(spec.prepare(image[None]))[0]
    if not 0 <= target < len(logits):
        raise ValueError(f"class {target} is out of range: the model has {len(logits)} classes (0–{len(logits) - 1})")
    score = class_score(model, spec, target)
    value = logits[target].item()
    ig = integrated_gradients(score, image, steps=steps, batch=batch)
    maps = {"gradient": gradient(score, image), "gradient × input": gradient_x_input(score, image),
            "SmoothGrad": smoothgrad(score, image, samples, noise, batch, seed), "integrated gradients": ig}
    return Saliency(target, value, maps, completeness_gap(score, image, ig))


def heat(attribution: torch.Tensor) -> torch.Tensor:
    """(H, W) in [0, 1]: |A| summed over colour, scaled by its 99th percentile (then clipped), so a
    few extreme pixels do not wash the map out."""
    magnitude = attribution.abs().sum(0)
    top = torch.quantile(magnitude.flatten().float(), 0.99).clamp(min=1e-12)
    return (magnitude / top).clamp(0, 1)


def plot_saliency(image: torch.Tensor, result: Saliency, label: str, path) -> None:
    """The image beside each method's map (|A| summed over colour, hot = large)."""
    fig, axes = plt.subplots(1, 1 + len(result.maps), figsize=(3.2 * (1 + len(result.maps)), 3.6))
    axes[0].imshow(image.permute(1, 2, 0).clamp(0, 1).cpu().numpy())
    axes[0].set_title(f"{label}\nscore y = {result.score:.3g}", fontsize=9)
    for ax, (name, attribution) in zip(axes[1:], result.maps.items()):
        ax.imshow(heat(attribution).cpu().numpy(), cmap="inferno", vmin=0, vmax=1)
        note = f"\nΣA = f(x) − f(black) within {result.completeness_gap:.1%}" if name == "integrated gradients" else ""
        ax.set_title(name + note, fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(f"∂y/∂x: how much the '{label}' score changes with each pixel", fontsize=11)
    save_figure(fig, path)
