"""Why do Lucent's ImageNet class images transfer better than diffprog's? One factor at a time.

    python benchmarks/imagenet_ablation.py                        # every variant and Lucent, 24 classes × 1 seed, 128 steps
    python benchmarks/imagenet_ablation.py --variants decay-1 lucent-transforms --classes 16
    python benchmarks/imagenet_ablation.py --classes 50 --first 10 --variants now-strong now-flip --lucent-sizes 128

(--first 10: classes none of which is in unitvis_quality.py's row, to choose defaults that row then tests.)

Class images of the torchvision MobileNetV2 (../shared/weights/imagenet), judged by Google's
independently trained MobileNetV2 (top-1, top-5, the judge's mean probability of the class), with
the share of clipped pixels (0 or 255 once saved as 8-bit PNG). Every variant changes one setting
of diffprog's from the row above it; torch-lucent (`pip install --no-deps torch-lucent==0.1.8
kornia==0.4.1`) renders the same classes, seeds and steps in the same run. Writes a markdown table
to stdout and `ablation.png` (the first classes of each variant, side by side) to --out.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from diffprog.imaging import resize
from diffprog.io import contact_sheet, save_image
from diffprog.models import load_model
from diffprog.optvis import Fourier, RunSettings
from diffprog.optvis.quality import TransferReport, judge_classes
from diffprog.optvis.transforms import Pad, RandomAffine, class_transforms, standard_transforms
from diffprog.optvis.units import visualize_units
from measure import lucent_optvis
from unitvis_quality import SHARED, lucent_class_images


def lucent_transforms() -> list:
    """Lucent's standard_transforms in diffprog's transforms: pad 12 (grey), jitter 8, scale
    0.9–1.1, rotate ±10°, jitter 4."""
    return [Pad(12), RandomAffine(translate=8), RandomAffine(scale=(0.9, 1.1), degrees=10), RandomAffine(translate=4)]


def strong_transforms(size: int) -> list:
    """diffprog's standard set with a wider zoom (0.8–1.2) and ±15°."""
    return standard_transforms(size, scale=(0.8, 1.2), degrees=15)


def flip_transforms(size: int) -> list:
    """diffprog's standard set with a horizontal flip half the time."""
    return standard_transforms(size, flip=0.5)


class PixelNoise:
    """Gaussian noise of std `std` (in [0, 1] pixel units) added to every pixel at every step."""

    def __init__(self, std: float):
        self.std = std

    def __call__(self, images: torch.Tensor, rng) -> torch.Tensor:
        noise = torch.stack([torch.randn(images.shape[1:], generator=g) for g in rng.generators])
        return images + self.std * noise.to(images.device, images.dtype)


@dataclass(frozen=True)
class Variant:
    label: str
    size: int = 224
    decay: float = 1.5
    transforms: str = "standard"  # standard | lucent | strong | flip | class
    lr: float = 0.05
    kind: str = "logit"  # the objective: logit | log-prob
    noise: float = 0.0

    def pipeline(self) -> list:
        chosen = {"standard": standard_transforms, "lucent": lambda s: lucent_transforms(),
                  "strong": strong_transforms, "flip": flip_transforms,
                  "class": class_transforms}[self.transforms](self.size)
        return chosen + [PixelNoise(self.noise)] if self.noise else chosen


VARIANTS = {
    "diffprog": Variant("diffprog before (decay 1.5, own transforms, 224 px)"),
    "decay-1": Variant("decay 1.0 (Lucent's)", decay=1.0),
    "lucent-transforms": Variant("Lucent's transforms", transforms="lucent"),
    "decay-1-lucent-transforms": Variant("decay 1.0 + Lucent's transforms", decay=1.0, transforms="lucent"),
    "size-128": Variant("128 px, upsampled to 224", size=128),
    "decay-1-size-128": Variant("decay 1.0, 128 px", decay=1.0, size=128),
    "strong": Variant("wider zoom 0.8–1.2, ±15°", transforms="strong"),
    "decay-1-strong": Variant("decay 1.0 + wider zoom 0.8–1.2, ±15°", decay=1.0, transforms="strong"),
    "size-128-strong": Variant("128 px + wider zoom", size=128, transforms="strong"),
    "decay-1-size-128-strong": Variant("decay 1.0, 128 px + wider zoom", decay=1.0, size=128, transforms="strong"),
    "decay-1.25-size-128": Variant("decay 1.25, 128 px", decay=1.25, size=128),
    "size-96": Variant("96 px, upsampled to 224", size=96),
    # one change from the defaults this issue chose (128 px, decay 1.25)
    "now-size-112": Variant("112 px", size=112, decay=1.25),
    "now-size-160": Variant("160 px", size=160, decay=1.25),
    "now-decay-1.35": Variant("128 px, decay 1.35", size=128, decay=1.35),
    "now-decay-1.15": Variant("128 px, decay 1.15", size=128, decay=1.15),
    "now-lr-0.1": Variant("128 px, decay 1.25, Adam 0.1", size=128, decay=1.25, lr=0.1),
    "now-log-prob": Variant("128 px, decay 1.25, log p(class)", size=128, decay=1.25, kind="log-prob"),
    "now-strong": Variant("128 px, decay 1.25, wider zoom", size=128, decay=1.25, transforms="strong"),
    "now-flip": Variant("128 px, decay 1.25, flips", size=128, decay=1.25, transforms="flip"),
    "now-strong-flip": Variant("128 px, decay 1.25, wider zoom + flips", size=128, decay=1.25, transforms="class"),
    "now-lr-0.03": Variant("128 px, decay 1.25, Adam 0.03", size=128, decay=1.25, lr=0.03),
    "now-noise-0.05": Variant("128 px, decay 1.25, pixel noise σ 0.05", size=128, decay=1.25, noise=0.05),
    "now-noise-0.1": Variant("128 px, decay 1.25, pixel noise σ 0.1", size=128, decay=1.25, noise=0.1),
}


def row(label: str, report: TransferReport) -> str:
    return f"| {label} | {report.rate:.1%} | {report.top5_rate:.1%} | {report.probability:.3f} | {report.clipped:.2%} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--classes", type=int, default=24, help="every (1000/N)-th ImageNet class (default 24)")
    parser.add_argument("--first", type=int, default=0,
                        help="the first class (default 0; e.g. 10 for classes disjoint from unitvis_quality's row)")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--lucent-sizes", type=int, nargs="*", default=[128, 224],
                        help="Lucent's image sizes (its default is 128, upsampled to 224)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="outputs/imagenet_ablation")
    args = parser.parse_args()
    folder = SHARED / "imagenet"
    source, spec = load_model("mobilenet_v2", folder / "mobilenet_v2_torchvision.pth")
    judge, _ = load_model("mobilenet_v2", folder / "mobilenet_v2_google.pth")
    judge.eval()
    classes = list(range(args.first, 1000, 1000 // args.classes))[:args.classes]
    print(f"{len(classes)} classes (from {args.first}, every {1000 // args.classes}) × {args.seeds} seeds, "
          f"{args.steps} steps; judge: Google's MobileNetV2\n")
    print("| variant | top-1 | top-5 | judge's p(class) | clipped pixels |\n|---|---:|---:|---:|---:|", flush=True)
    sheets, labels = [], []
    for key in args.variants:
        v = VARIANTS[key]
        run = RunSettings(steps=args.steps, lr=v.lr, device=args.device, progress=False)
        images = [visualize_units(source, "output", classes, kind=v.kind, seed=seed, param=Fourier(v.size, decay=v.decay),
                                  input_spec=spec.input, transforms=v.pipeline(), run=run).images
                  for seed in range(args.seeds)]
        report = judge_classes(judge, images, classes, input_spec=spec.input, device=args.device)
        print(row(v.label, report), flush=True)
        sheets.append(resize(images[0][:8], 224))
        labels += [f"{v.label[:22]}: {c}" for c in classes[:8]]
    if lucent_optvis() is not None:
        for size in args.lucent_sizes:
            images = [lucent_class_images(source, classes, seed, args.steps, size, args.device)
                      for seed in range(args.seeds)]
            report = judge_classes(judge, images, classes, input_spec=spec.input, device=args.device)
            print(row(f"torch-lucent, {size} px", report), flush=True)
            sheets.append(resize(images[0][:8], 224))
            labels += [f"lucent {size}: {c}" for c in classes[:8]]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sheet = contact_sheet(torch.cat([s.clamp(0, 1) for s in sheets]), labels, columns=8, scale=1)
    print(f"\npictures: {save_image(sheet, out / 'ablation.png')}")


if __name__ == "__main__":
    main()
