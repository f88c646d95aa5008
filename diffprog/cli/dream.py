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

from diffprog.cli.device import add_device_option, pick_device
from diffprog.cli.options import add_seed_option, real, whole
from diffprog.cli.outputs import IMAGE_SUFFIXES, command_line, writable, write_failed
from diffprog.cli.units import parse_units, unit_of_name
from diffprog.io import ImageReadError, fresh_file, load_image, save_gif, save_like, to_pil, versions, write_json
from diffprog.models import DEFAULT_MODEL, ModelError, load_model
from diffprog.models.registry import ASSETS
from diffprog.optvis import OUTPUT, LayerError, SettingsError, objectives as obj, resolve
from diffprog.optvis.dream import dream, guide_objective, zoom_frames
from diffprog.optvis.units import layer_channels
from diffprog.steps import exit_code

SAMPLE = ASSETS / "sample_landscape.png"


def parse_layers(specs: list[str]) -> list[tuple[str, float]]:
    """--layer LAYER or LAYER:WEIGHT, each → (layer, weight)."""
    return [obj.split_weight(spec, "layer", "block3.conv:0.5") for spec in specs]


def class_index(model, spec, args) -> int:
    """--class as an index checked against the model's classes, or a class name (did-you-mean)."""
    classes = layer_channels(model, OUTPUT, spec.input_size, next(model.parameters()).device)
    if not args.class_index.strip().isdigit():
        return unit_of_name(args.class_index.strip(), spec.classes) if spec.classes else \
            parse_units(args.class_index, classes, OUTPUT)[0]
    index = int(args.class_index)
    if index >= classes:
        raise LayerError(f"--class {index} is out of range: model {args.model!r} has {classes} classes (0–{classes - 1})")
    return index


def build_objective(model, spec, args) -> obj.Objective:
    layers = parse_layers(args.layer or ([spec.dream_layer] if spec.dream_layer else []))
    if args.class_index is not None:
        return obj.class_log_prob(class_index(model, spec, args))
    if not layers:
        raise LayerError(f"model {args.model!r} has no default DeepDream layer: pass --layer (see "
                         f"scripts/visualize_unit.py --model {args.model} --list-layers)")
    for name, _ in layers:
        resolve(model, name)
    if args.guide:
        return guide_objective(model, load_image(args.guide)[0], layers, spec.input)
    if args.channels:
        device = next(model.parameters()).device
        units = {n: parse_units(args.channels, layer_channels(model, n, spec.input_size, device), n) for n, _ in layers}
        return sum(w * sum(obj.channel(n, u) for u in units[n]) for n, w in layers)
    return sum(w * obj.layer_l2(n) for n, w in layers)


def main(argv=None, prog: str | None = None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", default=str(SAMPLE), help="input image, any format Pillow reads (default: the sample landscape)")
    p.add_argument("--out", default="outputs/deep_dream.png", help="output image, .png or .jpg (default outputs/deep_dream.png)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"model name (default {DEFAULT_MODEL})")
    p.add_argument("--weights", help="weights file for the model")
    p.add_argument("--layer", action="append", help="LAYER or LAYER:WEIGHT, repeatable (default: the model's dream layer)")
    p.add_argument("--channels", help="maximize only these channels of the layer(s), e.g. 3,7")
    p.add_argument("--class", dest="class_index", metavar="CLASS",
                   help="dream toward this class (log-probability): its index or its name, e.g. 'tabby'")
    p.add_argument("--guide", help="guide image: dream toward its features at the layer(s)")
    p.add_argument("--octaves", type=whole(1, 12), default=4, help="number of octaves (default 4)")
    p.add_argument("--octave-scale", type=real(1, 4, low_open=True), default=1.4, help="size ratio between octaves (default 1.4)")
    p.add_argument("--steps", type=whole(1, 10_000), default=10, help="gradient steps per octave (default 10)")
    p.add_argument("--lr", type=real(0, 1, low_open=True), default=0.02, help="step size in [0, 1] pixel units (default 0.02)")
    p.add_argument("--tile", type=whole(16, 8192), default=512, help="tile size for large images (default 512)")
    p.add_argument("--margin", type=whole(0, 1024), default=64, help="context around each tile (default 64)")
    add_seed_option(p, "seed of the random jitter (default 0)")
    add_device_option(p)
    p.add_argument("--zoom-frames", type=whole(0, 1000), default=0, help="write an N-frame infinite-zoom GIF instead")
    args = p.parse_args(argv)
    try:
        image, facts = load_image(args.image)
        model, spec = load_model(args.model, args.weights)
        device = pick_device(args.device)
        model = model.to(device)
        objective = build_objective(model, spec, args)
        writable(args.out, suffixes=None if args.zoom_frames else IMAGE_SUFFIXES)
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
    target = fresh_file(out.with_suffix(".gif") if args.zoom_frames else out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if args.zoom_frames:
            save_gif([to_pil(f) for f in frames], target)
            write_json(target.with_suffix(".json"), {**record, "frames": len(frames)})
        else:
            save_like(result.image, target, facts)
            write_json(target.with_suffix(".json"), {**record, "objective_per_octave": result.history,
                                                     "interrupted": result.interrupted})
    except OSError as error:
        target.unlink(missing_ok=True)  # the image without its JSON would be an output nobody can reproduce
        return write_failed(target, error)
    if args.zoom_frames:
        print(f"wrote {target} ({len(frames)} frames)")
        return 0
    print(("interrupted; wrote the current dream to " if result.interrupted else "wrote ") + str(target))
    return exit_code(result.interrupted)
