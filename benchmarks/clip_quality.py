"""Quality of CLIP-guided images: for colour × shape prompts, optimize images with the embedded CLIP
(seed 0) and ask the second embedded CLIP (seed 1) which of the 36 'a {colour} {shape}' captions
each shows (aim ≥ 80% first). Held-out prompts name pairs no training scene of either CLIP
contained; seen prompts name pairs they did.

    python benchmarks/clip_quality.py                      # held-out and seen prompts, fourier and generator
    python benchmarks/clip_quality.py --grid docs/images/clip/quality.png
    python benchmarks/clip_quality.py --contrast 0   # the prompt alone, no push from the other captions
    python benchmarks/clip_quality.py --source scenes-clip,OTHER   # guided by an ensemble (OTHER: a third CLIP)
    python benchmarks/clip_quality.py --scene-optimum   # where the objective peaks among real scenes; no images
    python benchmarks/clip_quality.py --params shapes --contrast 0 --restarts 6   # drawings of shapes, best of 6
    python benchmarks/clip_quality.py --params shapes --contrast 0 --restarts 6 --first-seed 3   # a fresh set

Prints one row per prompt set and parameterization: rate, per-prompt rate, and the judge's picks when wrong.
"""
from __future__ import annotations

import argparse

import torch

from diffprog.data.captioned_scenes import HELD_OUT, SIZES, Thing, object_caption, render_scenes, single_object_captions
from diffprog.optvis import RunSettings
from diffprog.optvis.clip import INIT_SD, Prompt, contrast_with
from diffprog.optvis.cutouts import CutoutSpec
from diffprog.optvis.param import parameterization
from diffprog.optvis.quality import objective_over_scenes, prompt_transfer, rank_first

#: Colour × shape pairs the training scenes did show, one per colour and one per shape.
SEEN = (("red", "circle"), ("green", "triangle"), ("blue", "square"), ("yellow", "star"), ("purple", "ring"),
        ("orange", "cross"))
from diffprog.io import contact_sheet, save_image
from diffprog.models.clip_ensemble import ensemble
from diffprog.models.clip_models import load_clip
from diffprog.models.scene_decoder import load_scene_decoder


def scene_optimum(source, judge, family: list[str], prompts: list[tuple[str, str, str]], contrast: float) -> None:
    """Per prompt: the real centred scene (shape × size) where the source's guidance objective peaks,
    the best scene of another shape, and how often the judge reads centred scenes of the prompt right."""
    print("| prompts | prompt | objective's best scene | best other shape | judge right on large / small scenes |\n"
          "|---|---|---|---|---:|")
    for kind, colour, shape in prompts:
        prompt = object_caption(colour, shape)
        table = objective_over_scenes(source, contrast_with([Prompt(text=prompt)], family, contrast), colour)
        best = max(table, key=table.get)
        other = max((k for k in table if k[0] != shape), key=table.get)
        read = []
        for size in SIZES:
            images = render_scenes([[Thing(shape, colour, size, "center")]] * 20, judge.input_size, seed=1)
            read.append(sum(p == prompt for p in rank_first(judge, images, family)) / 20)
        print(f"| {kind} | {prompt} | {best[1]} {best[0]} ({table[best]:.3f}) | {other[1]} {other[0]} "
              f"({table[other]:.3f}) | {read[1]:.0%} / {read[0]:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="images per prompt (default 3)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="their seeds are FIRST … FIRST+SEEDS−1 (default 0; e.g. 3 for a second, fresh set)")
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
    parser.add_argument("--restarts", type=int, default=1, metavar="R",
                        help="optimize R candidates per image, keep the one the source scores highest (default 1)")
    parser.add_argument("--grid", help="write the images as a labelled grid PNG here")
    parser.add_argument("--scene-optimum", action="store_true",
                        help="instead: where the source's objective peaks among real scenes, and how well the "
                        "judge reads those scenes (no optimization)")
    args = parser.parse_args()
    source = ensemble([load_clip(name, device=args.device) for name in args.source.split(",")])
    judge = load_clip("scenes-clip-seed1", device=args.device)
    family = single_object_captions()
    pairs = {"held-out": HELD_OUT, "seen": SEEN}
    if args.scene_optimum:
        scene_optimum(source, judge, family, [(kind, c, s) for kind in args.prompts.split(",") for c, s in pairs[kind]],
                      args.contrast)
        return
    prompt_sets = {kind: [object_caption(c, s) for c, s in combos] for kind, combos in pairs.items()}
    print("| prompts | parameterization | prompts × seeds | judge ranks the prompt first | per prompt | "
          "judge's picks when wrong |\n|---|---|---|---:|---|---|")
    sheets, labels = [], []
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for kind, param in [(k, p) for k in args.prompts.split(",") for p in args.params.split(",")]:
        prompts = prompt_sets[kind]
        recipe = parameterization(param, 128, sd=INIT_SD,
                                  generator=load_scene_decoder() if param == "generator" else None)
        run = RunSettings(steps=args.steps, device=args.device, progress=False,
                          lr=0.05 if param == "generator" else None)
        report = prompt_transfer(source, judge, prompts, family, seeds, contrast=args.contrast, param=recipe,
                                 cutouts=CutoutSpec(args.cutouts), restarts=args.restarts, run=run)
        per_prompt = ", ".join(f"{p}: {r:.0%}" for p, r in report.per_prompt.items())
        wrong = "; ".join(f"{p} → {j}" for p, picks in report.judged.items() for j in picks if j != p)
        print(f"| {kind} | {param} | {len(prompts)} × {args.seeds} | {report.rate:.1%} | {per_prompt} "
              f"| {wrong or '–'} |")
        for p in prompts:
            for img, pick in zip(report.images[p], report.judged[p]):
                sheets.append(torch.nn.functional.interpolate(img[None], size=128, mode="bilinear", antialias=True)[0])
                labels.append(f"{p}" + (" ok" if pick == p else f" -> {pick.split(' ', 1)[1]}"))
    if args.grid:
        save_image(contact_sheet(torch.stack(sheets), labels, columns=args.seeds * 2, scale=1,
                                 title=f"CLIP-guided images ({source.name}), judged by scenes-clip-seed1"), args.grid)


if __name__ == "__main__":
    main()
