"""Train the embedded shapes classifier on fresh procedural data every epoch (no overfitting to a
fixed set) and measure it on a held-out set drawn with a separate seed."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import ops
from ..data.shapes import CLASSES, make_shapes
from ..optim import AdamW
from .adversarial import adversarial_images
from .shapes_cnn import shapes_cnn

INPUT_SIZE = 32
MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)
TEST_SEED_OFFSET = 1_000_000  # test images come from seeds no training epoch uses
ROBUST_EPS = 0.0314  # ≈ 8/255: the L∞ radius the shipped classifiers were adversarially trained with


@dataclass
class TrainResult:
    model: nn.Module
    test_accuracy: float
    per_class_accuracy: dict[str, float]
    losses: list[float]
    seconds: float
    interrupted: bool


def normalize(images: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=images.device).view(1, 3, 1, 1)
    return (images - mean) / std


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000):
    model.eval()
    predicted = torch.cat([model(normalize(images[i:i + batch])).argmax(1) for i in range(0, len(images), batch)])
    correct = predicted == labels
    per_class = {name: correct[labels == c].float().mean().item() for c, name in enumerate(CLASSES)}
    return correct.float().mean().item(), per_class


def train_shapes_classifier(seed: int = 0, epochs: int = 12, per_epoch: int = 16384, batch: int = 128,
                            lr: float = 4e-3, width: int = 24, test_size: int = 5200,
                            device: str | torch.device = "cpu", adversarial_eps: float = 0.0,
                            progress: bool = True) -> TrainResult:
    """Train shapes_cnn with AdamW and a cosine learning-rate schedule, on adversarial images
    (`adversarial.adversarial_images`) when adversarial_eps > 0. Reproducible from `seed` on a given device.
    Ctrl-C stops early and still returns the model (interrupted=True)."""
    device = torch.device(device)
    torch.manual_seed(seed)
    model = shapes_cnn(len(CLASSES), width).to(device)
    optimizer = AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    steps = epochs * (per_epoch // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    losses, start, interrupted = [], time.time(), False
    bar = tqdm(total=steps, desc=f"train seed {seed}", disable=not progress)
    try:
        for epoch in range(epochs):
            images, labels = make_shapes(per_epoch, INPUT_SIZE, seed=seed * 1000 + epoch, device=device)
            model.train()
            for i in range(0, per_epoch - batch + 1, batch):
                x, y = images[i:i + batch], labels[i:i + batch]
                if adversarial_eps > 0:
                    x = adversarial_images(lambda v: ops.cross_entropy(model(normalize(v)), y), x, adversarial_eps)
                loss = ops.cross_entropy(model(normalize(x)), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                losses.append(loss.item())
                bar.update()
                bar.set_postfix(epoch=epoch, loss=f"{losses[-1]:.3f}", refresh=False)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    test_images, test_labels = make_shapes(test_size, INPUT_SIZE, seed=TEST_SEED_OFFSET + seed, device=device)
    accuracy, per_class = evaluate(model, test_images, test_labels)
    return TrainResult(model.cpu().eval(), accuracy, per_class, losses, time.time() - start, interrupted)
