"""Quality of CLIP-guided images: for colour × shape prompts, optimize images with the embedded CLIP
(seed 0) and ask the second embedded CLIP (seed 1) which of the 36 'a {colour} {shape}' captions
each shows (aim ≥ 80% first). Held-out prompts name pairs no training scene of either CLIP
contained; seen prompts name pairs they did.

    python benchmarks/clip_quality.py                      # held-out and seen prompts, fourier and generator
    python benchmarks/clip_quality.py --grid docs/images/clip/quality.png
    python benchmarks/clip_quality.py --contrast 0   # the prompt alone, no push from the other captions
    python benchmarks/clip_quality.py --source scenes-clip,OTHER   # guided by an ensemble (OTHER: a third CLIP)

Prints one row per prompt set and parameterization: rate, per-prompt rate, and the judge's picks when wrong.
"""
from __future__ import annotations

import argparse

import torch

from diffprog.clip_quality import prompt_transfer
from diffprog.data.captioned_scenes import HELD_OUT, object_caption, single_object_captions

#: Colour × shape pairs the training scenes did show, one per colour and one per shape.
SEEN = (("red", "circle"), ("green", "triangle"), ("blue", "square"), ("yellow", "star"), ("purple", "ring"),
        ("orange", "cross"))
from diffprog.io import contact_sheet, save_image
from diffprog.models.clip_ensemble import ensemble
from diffprog.models.clip_models import load_clip
from diffprog.models.scene_decoder import load_scene_decoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--cutouts", type=int, default=16)
    parser.add_argument("--params", default="fourier,generator")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--prompts", default="held-out,seen",
                        help="held-out: the 6 colour × shape pairs no training scene showed; seen: 6 pairs it did")
    parser.add_argument("--source", default="scenes-clip",
                        help="the CLIP(s) that guide, comma-separated for an ensemble (default scenes-clip)")
    parser.add_argument("--contrast", type=float, default=1.0, metavar="W",
                        help="also push away from the family's other captions, total weight W (default 1; 0: off)")
    parser.add_argument("--grid", help="write the images as a labelled grid PNG here")
    args = parser.parse_args()
    source = ensemble([load_clip(name, device=args.device) for name in args.source.split(",")])
    judge = load_clip("scenes-clip-seed1", device=args.device)
    family = single_object_captions()
    prompt_sets = {"held-out": [object_caption(c, s) for c, s in HELD_OUT],
                   "seen": [object_caption(c, s) for c, s in SEEN]}
    print("| prompts | parameterization | prompts × seeds | judge ranks the prompt first | per prompt | "
          "judge's picks when wrong |\n|---|---|---|---:|---|---|")
    sheets, labels = [], []
    for kind, param in [(k, p) for k in args.prompts.split(",") for p in args.params.split(",")]:
        prompts = prompt_sets[kind]
        extra = {"generator": load_scene_decoder(), "latent_dim": load_scene_decoder().latent_dim,
                 "lr": 0.05} if param == "generator" else {"size": 128}
        report = prompt_transfer(source, judge, prompts, family, range(args.seeds), contrast=args.contrast,
                                 param=param, steps=args.steps, cutouts=args.cutouts, device=args.device, **extra)
        per_prompt = ", ".join(f"{p}: {r:.0%}" for p, r in report.per_prompt.items())
        wrong = "; ".join(f"{p} → {j}" for p, picks in report.judged.items() for j in picks if j != p)
        print(f"| {kind} | {param} | {len(prompts)} × {args.seeds} | {report.rate:.1%} | {per_prompt} | {wrong or '–'} |")
        for p in prompts:
            for img, pick in zip(report.images[p], report.judged[p]):
                sheets.append(torch.nn.functional.interpolate(img[None], size=128, mode="bilinear", antialias=True)[0])
                labels.append(f"{p}" + (" ok" if pick == p else f" -> {pick.split(' ', 1)[1]}"))
    if args.grid:
        save_image(contact_sheet(torch.stack(sheets), labels, columns=args.seeds * 2, scale=1,
                                 title=f"CLIP-guided images ({source.name}), judged by scenes-clip-seed1"), args.grid)


if __name__ == "__main__":
    main()
