"""Quality of class visualizations: images rendered for each class by one network, classified by an
independently trained second network (agreement rate; aim ≥ 90%).

    python benchmarks/unitvis_quality.py            # CIFAR ResNet-20 → ResNet-32, and embedded seed 0 → seed 1
"""
from __future__ import annotations

import argparse
from pathlib import Path

from diffprog.models import load_model
from diffprog.models.registry import ASSETS
from diffprog.optvis import Fourier, RunSettings
from diffprog.optvis.param import DECAY
from diffprog.optvis.quality import class_transfer

SHARED = Path(__file__).resolve().parents[2] / "shared" / "weights" / "cifar10-resnet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--decay", type=float, default=DECAY, help=f"Fourier 1/f exponent (default {DECAY})")
    args = parser.parse_args()
    pairs = []
    if (SHARED / "resnet20.th").exists():
        pairs.append(("CIFAR ResNet-20 → ResNet-32", load_model("cifar10-resnet20", SHARED / "resnet20.th"),
                      load_model("cifar10-resnet32", SHARED / "resnet32.th")[0]))
    pairs.append(("embedded seed 0 → seed 1", load_model("shapes-cnn"),
                  load_model("shapes-cnn", ASSETS / "shapes_cnn_seed1.pt")[0]))
    print("| source → judge | classes × seeds | agreement | per class |\n|---|---|---:|---|")
    for name, (source, spec), judge in pairs:
        report = class_transfer(source, judge, range(len(spec.classes)), range(args.seeds), input_spec=spec.input,
                                param=Fourier(2 * spec.input_size, decay=args.decay),
                                run=RunSettings(steps=args.steps, lr=0.05, device=args.device, progress=False))
        per_class = ", ".join(f"{c}: {r:.0%}" for c, r in zip(spec.classes, report.per_class))
        print(f"| {name} | {len(spec.classes)} × {args.seeds} | {report.rate:.1%} | {per_class} |")


if __name__ == "__main__":
    main()
