"""Train the embedded scenes CLIP: open_clip's CLIP class, tokenizer and contrastive loss (ClipLoss)
on procedural captioned scenes drawn fresh every step, and measure zero-shot caption retrieval
on colour × shape pairs no training scene contained.

Contrastive loss (CLIP): for a batch of N image and text embeddings u_i, v_j (unit norm) and the
learned temperature τ, logits z_ij = u_i·v_j / τ and

    J = ½ (CE(z, diag) + CE(zᵀ, diag)),

so each image must pick out its own caption and each caption its own image. Captions repeat in
procedural data ("a red circle"), and a repeated caption would be a false negative, so each batch
keeps one scene per caption.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from ..data.captioned_scenes import (COLOURS, HELD_OUT, POSITIONS, SHAPES, SIZES, Thing, make_captioned_scenes,
                                     object_caption, render_scenes, single_object_captions)
from ..io import atomic_path
from ..models.clip_models import SCENES_CLIP_CONFIG, SCENES_PREPROCESS, Clip
from ..optim import AdamW
from .adversarial import adversarial_images
from .loop import run_steps

EVAL_SEED_OFFSET = 1_000_000  # evaluation scenes come from seeds no training step uses


@dataclass
class ClipTrainResult:
    clip: Clip
    losses: list[float]
    metrics: dict[str, float]
    seconds: float
    interrupted: bool


def new_scenes_clip(seed: int) -> Clip:
    import open_clip
    from open_clip.model import CLIP

    torch.manual_seed(seed)
    model = CLIP(**SCENES_CLIP_CONFIG)
    tokenizer = open_clip.SimpleTokenizer(context_length=SCENES_CLIP_CONFIG["text_cfg"]["context_length"])
    return Clip(model, tokenizer, "scenes-clip", None, SCENES_PREPROCESS["size"],
                tuple(SCENES_PREPROCESS["mean"]), tuple(SCENES_PREPROCESS["std"]))


def _unique_batch(batch: int, seed: int) -> tuple[torch.Tensor, list[str]]:
    images, captions, _ = make_captioned_scenes(batch + batch // 2, seed=seed)
    first = {}
    for i, c in enumerate(captions):
        first.setdefault(c, i)
    keep = list(first.values())[:batch]
    return images[keep], [captions[i] for i in keep]


class SceneBatches(torch.utils.data.Dataset):
    """Item `step`: the training batch (images, caption tokens) of that step, a function of
    (seed, step) alone, so worker processes can draw batches ahead of the optimizer and the run is the same."""

    def __init__(self, batch: int, seed: int, steps: int, tokenizer: Callable[[list[str]], torch.Tensor]):
        self.batch, self.seed, self.steps, self.tokenizer = batch, seed, steps, tokenizer

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        images, captions = _unique_batch(self.batch, self.seed * EVAL_SEED_OFFSET // 10 + step)
        return images, self.tokenizer(captions)


def _single_object_scenes(combos: list[tuple[str, str]], n: int, seed: int) -> list[list[Thing]]:
    g = torch.Generator().manual_seed(seed)
    pick = lambda k: int(torch.randint(k, (1,), generator=g))  # noqa: E731
    scenes = []
    for i in range(n):
        colour, shape = combos[i % len(combos)]
        scenes.append([Thing(shape, colour, list(SIZES)[pick(len(SIZES))], list(POSITIONS)[pick(len(POSITIONS))])])
    return scenes


@torch.no_grad()
def zero_shot_metrics(clip: Clip, n: int = 600, seed: int = EVAL_SEED_OFFSET) -> dict[str, float]:
    """Zero-shot retrieval accuracy on single-object scenes: pick the right one of the 36
    'a {colour} {shape}' captions, for held-out pairs (never seen in training) and for seen pairs;
    and pick the right one of the 5 positions ('a red circle in the top left', …)."""
    clip.model.eval()
    candidates = single_object_captions()
    text = clip.text_features(candidates)
    seen = [(c, s) for c in COLOURS for s in SHAPES if (c, s) not in HELD_OUT]
    metrics = {}
    for label, combos in (("held_out", list(HELD_OUT)), ("seen", seen)):
        scenes = _single_object_scenes(combos, n, seed)
        images = render_scenes(scenes, clip.input_size, seed + 1).to(text.device)
        features = clip.image_features(images)
        predicted = (features @ text.T).argmax(1).cpu()
        truth = torch.tensor([candidates.index(object_caption(s[0].colour, s[0].shape)) for s in scenes])
        metrics[f"{label}_colour_shape_accuracy"] = (predicted == truth).float().mean().item()
        if label == "seen":
            where = list(POSITIONS)
            correct = 0
            for i, s in enumerate(scenes):
                t = s[0]
                options = [object_caption(t.colour, t.shape, p) for p in where]
                scores = features[i:i + 1] @ clip.text_features(options).T
                correct += int(scores.argmax().item() == where.index(t.position))
            metrics["seen_position_accuracy"] = correct / len(scenes)
    return metrics


def train_scenes_clip(seed: int = 0, steps: int = 3600, batch: int = 256, lr: float = 2e-3, warmup: int = 100,
                      device: str | torch.device = "cpu", adversarial_eps: float = 0.0,
                      progress: bool = True, workers: int = 0) -> ClipTrainResult:
    """Train the embedded CLIP with AdamW, linear warm-up then cosine decay, on adversarial images
    (`adversarial.adversarial_images`, pushed up the contrastive loss) when adversarial_eps > 0.
    `workers` processes draw the scenes ahead of the optimizer (0: drawn in this process; the
    result is the same). Reproducible from `seed` on a given device. Ctrl-C stops early and returns
    the model (interrupted=True)."""
    import open_clip

    device = torch.device(device)
    clip = new_scenes_clip(seed)
    model = clip.model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    optimizer = AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                                  lr=lr, betas=(0.9, 0.98), eps=1e-6)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: (s + 1) / warmup if s < warmup else
                                                 0.5 * (1 + math.cos(math.pi * (s - warmup) / (steps - warmup))))
    loss_fn = open_clip.ClipLoss()

    batches = iter(torch.utils.data.DataLoader(SceneBatches(batch, seed, steps, clip.tokenizer), batch_size=None,
                                               num_workers=workers, prefetch_factor=4 if workers else None))

    def loss_at(step: int) -> torch.Tensor:
        images, tokens = (t.to(device) for t in next(batches))

        def contrastive(x: torch.Tensor) -> torch.Tensor:
            return loss_fn(*model(clip.input.normalize(x), tokens))

        if adversarial_eps > 0:
            images = adversarial_images(contrastive, images, adversarial_eps)
        return contrastive(images)

    def clamp_temperature() -> None:
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))

    losses, seconds, interrupted = run_steps(steps, loss_at, optimizer, schedule, "train clip", progress,
                                             clamp_temperature)
    model.eval()
    return ClipTrainResult(clip, losses, zero_shot_metrics(clip), seconds, interrupted)


def save_scenes_clip(clip: Clip, folder: Path) -> Path:
    """Write the model in open_clip's local-dir format (float16 safetensors + open_clip_config.json),
    each file atomically. Returns the weights' path."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in clip.model.state_dict().items()}
    weights = folder / "open_clip_model.safetensors"
    with atomic_path(weights) as tmp:
        save_file(state, str(tmp))
    config = {"model_cfg": SCENES_CLIP_CONFIG, "preprocess_cfg": SCENES_PREPROCESS}
    with atomic_path(folder / "open_clip_config.json") as tmp:
        Path(tmp).write_text(json.dumps(config, indent=2))
    return weights
