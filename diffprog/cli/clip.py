"""CLIP-guided image optimization: make an image (or a generator's latent) whose CLIP embedding
matches text and image prompts, maximizing Σ_p w_p · cos(CLIP(cutouts(x)), t_p).

    python scripts/clip_optimize.py --prompt "a red star"                         # embedded CLIP, offline
    python scripts/clip_optimize.py --prompt "a yellow circle" --prompt "a blue square:-0.5"
    python scripts/clip_optimize.py --prompt "a green cross" --param generator     # CLIP+GAN: optimize z
    python scripts/clip_optimize.py --prompt "a red star" --param shapes --restarts 6   # a drawing, best of 6
    python scripts/clip_optimize.py --model ViT-B-32 --pretrained laion2b_s34b_b79k --prompt "a lighthouse"
    python scripts/clip_optimize.py --model ViT-B-32 --pretrained open_clip_pytorch_model.bin --prompt "a lighthouse"
    python scripts/clip_optimize.py --model scenes-clip,scenes-clip-seed1 --prompt "a red star"   # an ensemble
    python scripts/clip_optimize.py --prompt "a red star" --contrast 1   # minus the mean of the other 35 captions

A prompt is TEXT or TEXT:WEIGHT (negative weights push away); an image prompt PATH or PATH:WEIGHT.
Writes to a fresh folder: image_XX.png with image_XX.json (every setting, seed, final similarity
per prompt), contact_sheet.png, objective.png (the objective per step), optimization.gif with
--gif, run.json. Ctrl-C stops and still writes the current images.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffprog.cli.device import pick_device
from diffprog.cli.options import add_run_options, add_seed_option, add_step_options, real, run_settings, whole
from diffprog.cli.outputs import command_line, writable, write_clip_outputs, write_failed
from diffprog.data.captioned_scenes import single_object_captions
from diffprog.io import ImageReadError, fresh_dir, load_image
from diffprog.models import ModelError
from diffprog.models.clip_ensemble import ensemble
from diffprog.models.clip_models import DEFAULT_CLIP, EMBEDDED_CLIPS, load_clip
from diffprog.models.scene_decoder import load_scene_decoder
from diffprog.optvis import cutouts as crops
from diffprog.optvis.clip import (INIT_SD, SIZE, STEPS, PromptError, SettingsError, clip_optimize, contrast_with,
                                  parse_image_prompt, parse_prompt)
from diffprog.optvis.param import PARAMETERIZATIONS, Drawing, Fourier, Generator, parameterization
from diffprog.steps import exit_code


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prompt", action="append", default=[], metavar="TEXT[:WEIGHT]",
                   help="text to match (repeatable); ':WEIGHT' sets its weight (default 1), negative pushes away")
    p.add_argument("--image-prompt", action="append", default=[], metavar="PATH[:WEIGHT]",
                   help="image whose CLIP embedding to match (repeatable), with an optional weight")
    p.add_argument("--contrast", type=real(0, 100), default=0.0, metavar="W",
                   help="also push away from the --against captions, total weight W (default 0: off); rewards "
                   "what tells the prompt apart from its neighbours, e.g. the shape rather than the colour alone")
    p.add_argument("--against", action="append", default=[], metavar="TEXT",
                   help="a caption --contrast pushes away from (repeatable; default with an embedded CLIP: its 36 "
                   "'a {colour} {shape}' captions)")
    p.add_argument("--init", metavar="IMG", help="start from this image instead of noise (fourier/pixel)")
    p.add_argument("--model", default=DEFAULT_CLIP,
                   help=f"{DEFAULT_CLIP} (embedded, offline; also {', '.join(EMBEDDED_CLIPS)}) or an open_clip "
                   f"architecture name; several, comma-separated, guide as an ensemble (the mean of their "
                   f"similarities; same input size and tokenizer) (default {DEFAULT_CLIP})")
    p.add_argument("--pretrained", metavar="TAG|PATH",
                   help="open_clip pretrained tag (downloads and caches) or a local checkpoint file; with several "
                   "--model names, one per name, comma-separated, empty for an embedded one")
    p.add_argument("--param", default="fourier", choices=PARAMETERIZATIONS,
                   help="what is optimized: the image's spectrum (default), its pixels, solid shapes on a plain "
                   "background (kind, colour, place, size, rotation each), or a generator's latent")
    p.add_argument("--objects", type=whole(1, 16), default=1, help="shapes per image with --param shapes (default 1)")
    p.add_argument("--restarts", type=whole(1, 64), default=1, metavar="R",
                   help="optimize R candidates per image and keep the one CLIP scores highest (default 1)")
    p.add_argument("--generator", metavar="PATH",
                   help="generator weights for --param generator (default: the embedded scene decoder)")
    p.add_argument("--cutouts", type=whole(1, 512), default=crops.COUNT,
                   help=f"random crops per image and step (default {crops.COUNT})")
    p.add_argument("--cutout-min", type=real(0, 1, low_open=True), default=crops.MIN_FRACTION,
                   help=f"smallest crop side as a fraction of the image side (default {crops.MIN_FRACTION})")
    p.add_argument("--size", type=whole(8, 2048), default=SIZE, help=f"image size in pixels (default {SIZE}; "
                   "the generator's own size with --param generator)")
    add_step_options(p, steps=STEPS, lr_help=f"default {Fourier.lr}; {Drawing.lr} for --param shapes, "
                     f"{Generator.lr} for --param generator")
    p.add_argument("--tv", type=real(0, 100), default=0.0, help="weight of the total-variation penalty (default 0)")
    p.add_argument("--images", type=whole(1, 256), default=1, help="images to make, seeds SEED, SEED+1, … (default 1)")
    add_seed_option(p, "seed of the first image (default 0)")
    add_run_options(p, network="CLIP", compiled="CLIP's image tower")
    p.add_argument("--out", default="outputs/clip_optimize",
                   help="output folder (default outputs/clip_optimize; a numbered sibling if not empty)")
    return p


def model_tags(models: str, pretrained: str | None) -> list[tuple[str, str | None]]:
    """'a,b' and 'x,' → [('a', 'x'), ('b', None)]: each --model name with its --pretrained entry."""
    names = models.split(",")
    tags = pretrained.split(",") if pretrained is not None else [""] * len(names)
    if len(tags) != len(names):
        raise ValueError(f"--pretrained has {len(tags)} comma-separated entries for {len(names)} --model names: "
                         f"give one per name (empty for an embedded model), e.g. --pretrained ,openai")
    return [(name.strip(), tag.strip() or None) for name, tag in zip(names, tags)]


def contrast_captions(args: argparse.Namespace, models: list[tuple[str, str | None]]) -> list[str]:
    """The captions --contrast pushes away from: --against, or the embedded CLIPs' own family."""
    if args.against and not args.contrast:
        raise ValueError("--against has no effect without --contrast W (e.g. --contrast 1)")
    if not args.contrast or args.against:
        return args.against
    if all(name in EMBEDDED_CLIPS for name, _ in models):
        return single_object_captions()
    raise ValueError("--contrast needs captions to push away from: give them with --against TEXT (repeatable), "
                     "e.g. the other classes of your prompt's family ('a photo of a cat', 'a photo of a horse', …)")


def main(argv=None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        prompts = [parse_prompt(s) for s in args.prompt] + [parse_image_prompt(s) for s in args.image_prompt]
        if not prompts:
            raise PromptError("no prompts: give at least one --prompt TEXT (e.g. --prompt 'a red star') "
                              "or --image-prompt PATH")
        device = pick_device(args.device)
        init = load_image(args.init)[0][None] if args.init else None
        generator = load_scene_decoder(args.generator) if args.param == "generator" else None
        param = parameterization(args.param, args.size, sd=INIT_SD, init=init, objects=args.objects,
                                 generator=generator)
        cutouts = crops.CutoutSpec(args.cutouts, args.cutout_min)
        run = run_settings(args, device)
        models = model_tags(args.model, args.pretrained)
        prompts = contrast_with(prompts, contrast_captions(args, models), args.contrast)
        clip = ensemble([load_clip(name, tag, device) for name, tag in models])
        writable(args.out)
    except (PromptError, ModelError, ImageReadError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seeds = list(range(args.seed, args.seed + args.images))
    try:
        result = clip_optimize(clip, prompts, param=param, seeds=seeds, restarts=args.restarts, tv=args.tv,
                               cutouts=cutouts, run=run)
    except (PromptError, SettingsError) as exc:  # raised before any work
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = {"model": args.model, "pretrained": args.pretrained, "prompts": [p.label for p in prompts],
                "weights": [p.weight for p in prompts], "contrast": args.contrast, "init": args.init,
                "param": args.param, "objects": args.objects, "restarts": args.restarts,
                "generator": args.generator, "cutouts": args.cutouts, "cutout_min": args.cutout_min,
                "size": int(result.images.shape[-1]),
                "steps": args.steps, "lr": run.lr_for(param),
                "tv": args.tv, "optimizer": args.optimizer, "device": str(device), "amp": args.amp,
                "compile": args.compile, "command": command_line()}
    try:
        out = fresh_dir(args.out)
        write_clip_outputs(out, result, prompts, seeds, settings, gif=args.gif)
    except OSError as error:
        return write_failed(Path(args.out), error)
    status = "interrupted; wrote the current images" if result.interrupted else "done"
    best = ", ".join(f"{k}: {sum(v) / len(v):.3f}" for k, v in result.similarity.items())
    print(f"{status}: similarity {best} → {out}/contact_sheet.png")
    return exit_code(result.interrupted)
