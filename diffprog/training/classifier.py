"""Train the embedded shapes classifier on fresh procedural data every epoch (no overfitting to a
fixed set) and measure it on a held-out set drawn with a separate seed."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .. import ops
from ..data.shapes import CLASSES, make_shapes
from ..imaging import InputSpec
from ..models.shapes_cnn import shapes_cnn
from ..optim import AdamW
from .adversarial import adversarial_images
from .loop import run_steps

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


#: What the classifier reads: 32 px images, normalized with MEAN and STD.
INPUT = InputSpec(INPUT_SIZE, MEAN, STD)


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000):
    model.eval()
    predicted = torch.cat([model(INPUT.normalize(images[i:i + batch])).argmax(1) for i in range(0, len(images), batch)])
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
    per_step = per_epoch // batch
    steps = epochs * per_step
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    epoch_data: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def loss_at(step: int) -> torch.Tensor:
        epoch, i = divmod(step, per_step)
        if epoch not in epoch_data:  # fresh procedural data every epoch
            epoch_data.clear()
            epoch_data[epoch] = make_shapes(per_epoch, INPUT_SIZE, seed=seed * 1000 + epoch, device=device)
            model.train()
        images, labels = epoch_data[epoch]
        x, y = images[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch]
        if adversarial_eps > 0:
            x = adversarial_images(lambda v: ops.cross_entropy(model(INPUT.normalize(v)), y), x, adversarial_eps)
        return ops.cross_entropy(model(INPUT.normalize(x)), y)

    losses, seconds, interrupted = run_steps(steps, loss_at, optimizer, schedule, f"train seed {seed}", progress)
    test_images, test_labels = make_shapes(test_size, INPUT_SIZE, seed=TEST_SEED_OFFSET + seed, device=device)
    accuracy, per_class = evaluate(model, test_images, test_labels)
    return TrainResult(model.cpu().eval(), accuracy, per_class, losses, seconds, interrupted)
