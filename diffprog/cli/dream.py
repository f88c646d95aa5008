"""DeepDream: amplify what a layer of a network already sees in a photo, octave by octave.

With no arguments: the embedded shapes classifier dreams into the project's sample landscape
(assets/sample_landscape.png, made by diffprog.data.scene) → outputs/deep_dream.png.

    python scripts/deep_dream.py --image photo.jpg --out dream.jpg
    python scripts/deep_dream.py --layer block2.conv2:0.5 --layer block3.conv:1   # weighted layers
    python scripts/deep_dream.py --channels 3,7 --layer block3.conv               # chosen channels
    python scripts/deep_dream.py --guide guide.png                               # dream toward a guide
    python scripts/deep_dream.py --zoom-frames 20                                # infinite-zoom GIF

Output: the input's size, PNG or JPEG by the extension of --out, with OUT.json beside it (every
setting, the seed, versions, the objective per octave). An existing output is never overwritten:
a numbered name is used. Ctrl-C keeps the current dream.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffprog.cli.device import pick_device
from diffprog.cli.outputs import command_line
from diffprog.io import ImageReadError, fresh_file, load_image, save_gif, save_like, to_pil, versions, write_json
from diffprog.models import DEFAULT_MODEL, ModelError, load_model
from diffprog.models.registry import ASSETS
from diffprog.optvis import LayerError, SettingsError, objectives as obj, resolve
from diffprog.optvis.dream import dream, guide_objective, zoom_frames
from diffprog.steps import exit_code

SAMPLE = ASSETS / "sample_landscape.png"


def parse_layers(specs: list[str]) -> list[tuple[str, float]]:
    """--layer LAYER or LAYER:WEIGHT, each → (layer, weight)."""
    return [obj.split_weight(spec, "layer", "block3.conv:0.5") for spec in specs]


def build_objective(model, spec, args) -> obj.Objective:
    layers = parse_layers(args.layer or ([spec.dream_layer] if spec.dream_layer else []))
    if args.class_index is not None:
        return obj.class_log_prob(args.class_index)
    if not layers:
        raise LayerError(f"model {args.model!r} has no default DeepDream layer: pass --layer (see "
                         f"scripts/visualize_unit.py --model {args.model} --list-layers)")
    for name, _ in layers:
        resolve(model, name)
    if args.guide:
        return guide_objective(model, load_image(args.guide)[0], layers, spec.input)
    if args.channels:
        units = [int(u) for u in args.channels.split(",")]
        return sum(w * sum(obj.channel(n, u) for u in units) for n, w in layers)
    return sum(w * obj.layer_l2(n) for n, w in layers)


def main(argv=None, prog: str | None = None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", default=str(SAMPLE), help="input image, any format Pillow reads (default: the sample landscape)")
    p.add_argument("--out", default="outputs/deep_dream.png", help="output image, .png or .jpg (default outputs/deep_dream.png)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"model name (default {DEFAULT_MODEL})")
    p.add_argument("--weights", help="weights file for the model")
    p.add_argument("--layer", action="append", help="LAYER or LAYER:WEIGHT, repeatable (default: the model's dream layer)")
    p.add_argument("--channels", help="maximize only these channels of the layer(s), e.g. 3,7")
    p.add_argument("--class", dest="class_index", type=int, help="dream toward this class (log-probability)")
    p.add_argument("--guide", help="guide image: dream toward its features at the layer(s)")
    p.add_argument("--octaves", type=int, default=4, help="number of octaves (default 4)")
    p.add_argument("--octave-scale", type=float, default=1.4, help="size ratio between octaves (default 1.4)")
    p.add_argument("--steps", type=int, default=10, help="gradient steps per octave (default 10)")
    p.add_argument("--lr", type=float, default=0.02, help="step size in [0, 1] pixel units (default 0.02)")
    p.add_argument("--tile", type=int, default=512, help="tile size for large images (default 512)")
    p.add_argument("--margin", type=int, default=64, help="context around each tile (default 64)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random jitter (default 0)")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--zoom-frames", type=int, default=0, help="write an N-frame infinite-zoom GIF instead")
    args = p.parse_args(argv)
    try:
        image, facts = load_image(args.image)
        model, spec = load_model(args.model, args.weights)
        device = pick_device(args.device)
        model = model.to(device)
        objective = build_objective(model, spec, args)
    except (ImageReadError, ModelError, LayerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = dict(input_spec=spec.input, octaves=args.octaves, octave_scale=args.octave_scale,
                    steps=args.steps, lr=args.lr, tile=args.tile, margin=args.margin, device=device)
    out = Path(args.out)
    record = {"image": args.image, "model": args.model, "weights": args.weights, "objective": repr(objective),
              "octaves": args.octaves, "octave_scale": args.octave_scale, "steps": args.steps, "lr": args.lr,
              "tile": args.tile, "margin": args.margin, "seed": args.seed, "device": str(device),
              "input_mode": facts["mode"], "size": list(facts["size"]), "command": command_line(),
              "versions": versions()}
    try:
        if args.zoom_frames:
            frames = zoom_frames(model, image, objective, args.zoom_frames, seed=args.seed, **settings)
        else:
            result = dream(model, image, objective, seed=args.seed, **settings)
    except SettingsError as exc:  # raised before any work
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.zoom_frames:
        target = fresh_file(out.with_suffix(".gif"))
        save_gif([to_pil(f) for f in frames], target)
        write_json(target.with_suffix(".json"), {**record, "frames": len(frames)})
        print(f"wrote {target} ({len(frames)} frames)")
        return 0
    target = fresh_file(out)
    save_like(result.image, target, facts)
    write_json(target.with_suffix(".json"), {**record, "objective_per_octave": result.history,
                                             "interrupted": result.interrupted})
    print(("interrupted; wrote the current dream to " if result.interrupted else "wrote ") + str(target))
    return exit_code(result.interrupted)
