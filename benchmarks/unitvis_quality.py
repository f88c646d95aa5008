"""Quality of class visualizations: images rendered for each class by one network, classified by an
independently trained second network (agreement rate; aim ≥ 90%).

    python benchmarks/unitvis_quality.py            # CIFAR ResNet-20 → ResNet-32, embedded seed 0 → seed 1,
                                                    # and (with ../shared) ImageNet MobileNetV2 torchvision → Google
    python benchmarks/unitvis_quality.py --only imagenet --seeds 2 --steps 128   # the ImageNet row (~50 min on 2 CPU cores)

The ImageNet row renders class images with diffprog's defaults for the network (visualize_unit.py's:
128 px, 1/f exponent 1.25) and the same classes, seeds and steps with torch-lucent at its defaults
(128 px; `pip install --no-deps torch-lucent==0.1.8 kornia==0.4.1`; its row is left out without
it), and judges both with Google's network: top-1, top-5 and clipped pixels. Its classes are every
(1000 / N)-th ImageNet class.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from diffprog.models import load_model
from diffprog.models.registry import ASSETS
from diffprog.optvis import Fourier, RunSettings
from diffprog.optvis.param import DECAY
from diffprog.optvis.quality import class_transfer, judge_classes
from diffprog.optvis.units import LARGE_INPUT_DECAY, default_decay, default_size
from measure import lucent_optvis


def shared_weights(root: Path = Path(__file__).resolve().parents[1]) -> Path:
    """../shared/weights beside the checkout, else shared/weights inside it (where the device tool
    carries the files it needs for a GPU run)."""
    beside = root.parent / "shared" / "weights"
    return beside if beside.is_dir() else root / "shared" / "weights"


SHARED = shared_weights()


def default_param(input_size: int, decay: float | None) -> Fourier:
    """visualize_unit.py's Fourier images for a network that reads input_size px (its decay unless given)."""
    return Fourier(default_size(input_size), decay=default_decay(input_size) if decay is None else decay)


def lucent_class_images(model: torch.nn.Module, classes: list[int], seed: int, steps: int, size: int,
                        device: str) -> torch.Tensor:
    """Lucent's defaults (decorrelated Fourier image through a sigmoid, standard transforms, Adam
    0.05, ImageNet normalization) maximizing each class logit: (len(classes), 3, size, size) in [0, 1]."""
    objectives, param, render = lucent_optvis()
    torch.manual_seed(seed)
    np.random.seed(seed)  # Lucent's jitter, scale and rotation draw from NumPy's global generator
    model = model.to(device).eval()
    objective = sum(objectives.channel("classifier_1", c, batch=i) for i, c in enumerate(classes))
    images = render.render_vis(model, objective, param_f=lambda: param.image(size, batch=len(classes)),
                               thresholds=(steps,), show_image=False, progress=False)[-1]
    return torch.from_numpy(images).permute(0, 3, 1, 2).float()


def imagenet_rows(args) -> list[str]:
    folder = SHARED / "imagenet"
    source, spec = load_model("mobilenet_v2", folder / "mobilenet_v2_torchvision.pth")
    judge, _ = load_model("mobilenet_v2", folder / "mobilenet_v2_google.pth")
    classes = list(range(0, 1000, 1000 // args.imagenet_classes))[:args.imagenet_classes]
    run = RunSettings(steps=args.steps, lr=0.05, device=args.device, progress=False)
    name = "ImageNet MobileNetV2 torchvision → Google"
    shape = f"{len(classes)} × {args.seeds}, {args.steps} steps"
    param = default_param(spec.input_size, args.decay)
    ours = class_transfer(source, judge, classes, range(args.seeds), input_spec=spec.input, param=param, run=run)
    rows = [f"| {name}: diffprog ({param.size} px, decay {param.decay}, class transforms) | {shape} | {ours.rate:.1%} | {ours.top5_rate:.1%} | "
            f"{ours.clipped:.2%} |"]
    if lucent_optvis() is not None:
        images = [lucent_class_images(source, classes, seed, args.steps, args.lucent_size, args.device)
                  for seed in range(args.seeds)]
        theirs = judge_classes(judge, images, classes, input_spec=spec.input, device=args.device)
        rows.append(f"| {name}: torch-lucent ({args.lucent_size} px) | {shape} | {theirs.rate:.1%} | "
                    f"{theirs.top5_rate:.1%} | {theirs.clipped:.2%} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--decay", type=float, help=f"Fourier 1/f exponent (default: visualize_unit.py's for the "
                        f"network, {DECAY} for the small ones, {LARGE_INPUT_DECAY} for ImageNet's)")
    parser.add_argument("--lucent-size", type=int, default=128, help="Lucent's image size (default 128, its own)")
    parser.add_argument("--imagenet-classes", type=int, default=50, help="ImageNet classes in its row (default 50)")
    parser.add_argument("--only", choices=["small", "imagenet"], help="run only these rows: the CIFAR and embedded "
                        "pairs, or ImageNet's")
    args = parser.parse_args()
    pairs = []
    if args.only != "imagenet" and (SHARED / "cifar10-resnet" / "resnet20.th").exists():
        cifar = SHARED / "cifar10-resnet"
        pairs.append(("CIFAR ResNet-20 → ResNet-32", load_model("cifar10-resnet20", cifar / "resnet20.th"),
                      load_model("cifar10-resnet32", cifar / "resnet32.th")[0]))
    if args.only != "imagenet":
        pairs.append(("embedded seed 0 → seed 1", load_model("shapes-cnn"),
                      load_model("shapes-cnn", ASSETS / "shapes_cnn_seed1.pt")[0]))
    if pairs:
        print("| source → judge | classes × seeds | agreement | per class |\n|---|---|---:|---|")
    for name, (source, spec), judge in pairs:
        report = class_transfer(source, judge, range(len(spec.classes)), range(args.seeds), input_spec=spec.input,
                                param=default_param(spec.input_size, args.decay),
                                run=RunSettings(steps=args.steps, lr=0.05, device=args.device, progress=False))
        per_class = ", ".join(f"{c}: {r:.0%}" for c, r in zip(spec.classes, report.per_class))
        print(f"| {name} | {len(spec.classes)} × {args.seeds} | {report.rate:.1%} | {per_class} |")
    if args.only != "small" and (SHARED / "imagenet" / "mobilenet_v2_google.pth").exists():
        print("\n| source → judge: tool | classes × seeds | top-1 | top-5 | clipped pixels |\n|---|---|---:|---:|---:|")
        for row in imagenet_rows(args):
            print(row)


if __name__ == "__main__":
    main()
