"""Why do Lucent's ImageNet class images transfer better than diffprog's? One factor at a time.

    python benchmarks/imagenet_ablation.py                        # every variant and Lucent, 24 classes × 1 seed, 128 steps
    python benchmarks/imagenet_ablation.py --variants decay-1 lucent-transforms --classes 16

Class images of the torchvision MobileNetV2 (../shared/weights/imagenet), judged by Google's
independently trained MobileNetV2 (top-1, top-5, the judge's mean probability of the class), with
the share of clipped pixels (0 or 255 once saved as 8-bit PNG). Every variant changes one setting
of diffprog's from the row above it; torch-lucent (`pip install --no-deps torch-lucent==0.1.8
kornia==0.4.1`) renders the same classes, seeds and steps in the same run. Writes a markdown table
to stdout and `ablation.png` (the first classes of each variant, side by side) to --out.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import torch

from diffprog.imaging import resize
from diffprog.io import contact_sheet, save_image
from diffprog.models import load_model
from diffprog.optvis import Fourier, RunSettings
from diffprog.optvis.quality import TransferReport, judge_classes
from diffprog.optvis.transforms import Pad, RandomAffine, standard_transforms
from diffprog.optvis.units import visualize_units
from measure import lucent_optvis
from unitvis_quality import SHARED, lucent_class_images


def lucent_transforms() -> list:
    """Lucent's standard_transforms in diffprog's transforms: pad 12 (grey), jitter 8, scale
    0.9–1.1, rotate ±10°, jitter 4."""
    return [Pad(12), RandomAffine(translate=8), RandomAffine(scale=(0.9, 1.1), degrees=10), RandomAffine(translate=4)]


def strong_transforms(size: int) -> list:
    """diffprog's standard set with a wider zoom (0.8–1.2) and ±15°."""
    unit = max(1, size // 32)
    return [Pad(2 * unit), RandomAffine(translate=2 * unit, scale=(0.8, 1.2), degrees=15), RandomAffine(translate=unit)]


@dataclass(frozen=True)
class Variant:
    label: str
    size: int = 224
    decay: float = 1.5
    transforms: str = "standard"  # standard | lucent | strong
    lr: float = 0.05
    extra: dict = field(default_factory=dict)

    def pipeline(self) -> list:
        return {"standard": standard_transforms, "lucent": lambda s: lucent_transforms(),
                "strong": strong_transforms}[self.transforms](self.size)


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
}


def row(label: str, report: TransferReport) -> str:
    return f"| {label} | {report.rate:.1%} | {report.top5_rate:.1%} | {report.probability:.3f} | {report.clipped:.2%} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--classes", type=int, default=24, help="every (1000/N)-th ImageNet class (default 24)")
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
    classes = list(range(0, 1000, 1000 // args.classes))[:args.classes]
    print(f"{len(classes)} classes × {args.seeds} seeds, {args.steps} steps; judge: Google's MobileNetV2\n")
    print("| variant | top-1 | top-5 | judge's p(class) | clipped pixels |\n|---|---:|---:|---:|---:|", flush=True)
    sheets, labels = [], []
    for key in args.variants:
        v = VARIANTS[key]
        run = RunSettings(steps=args.steps, lr=v.lr, device=args.device, progress=False)
        images = [visualize_units(source, "output", classes, seed=seed, param=Fourier(v.size, decay=v.decay),
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
