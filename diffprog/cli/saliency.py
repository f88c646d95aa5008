"""Saliency: ∂y/∂x of one class score on an image, shown beside the image — the plain gradient,
gradient × input, SmoothGrad and integrated gradients (whose attributions sum to f(x) − f(black);
the gap is printed and recorded).

    python scripts/saliency.py                                   # a drawn star, the embedded classifier
    python scripts/saliency.py --image photo.png --class star
    python scripts/saliency.py --model mobilenet_v2 --weights ../shared/weights/imagenet/mobilenet_v2_torchvision.pth \\
        --image ../shared/photos/cat.png --class tabby          # about a minute on 2 CPU cores

Writes into a fresh folder (default outputs/saliency): saliency.png and saliency.json (the class,
its score and probability, the completeness gap, every setting and the seed).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from diffprog.cli.device import add_device_option, pick_device
from diffprog.cli.options import add_seed_option, real, whole
from diffprog.cli.outputs import add_out_folder, command_line, parse_checked, write_failed
from diffprog.cli.units import unit_of_name
from diffprog.data.shapes import CLASSES, make_shapes
from diffprog.io import ImageReadError, fresh_dir, load_image, versions, write_json
from diffprog.models import DEFAULT_MODEL, ModelError, load_model
from diffprog.optvis.saliency import METHODS, plot_saliency, saliency


def _target(text: str | None, classes: tuple[str, ...], logits: torch.Tensor) -> int:
    """--class as an index or a name; by default the class the model gives the image."""
    if text is None:
        return int(logits.argmax())
    if text.strip().isdigit():
        return int(text)
    if not classes:
        raise ValueError(f"--class {text!r}: this model has no class names, give an index")
    return unit_of_name(text.strip(), classes)


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", help="the image (default: a star drawn by diffprog.data.shapes)")
    parser.add_argument("--class", dest="target", metavar="CLASS",
                        help="the class: index or name (default: the model's top class for the image)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    parser.add_argument("--weights", help="weights file (default: the model's own)")
    parser.add_argument("--samples", type=whole(1, 4096), default=32, help="SmoothGrad's noisy copies (default 32)")
    parser.add_argument("--noise", type=real(0, 1, low_open=True), default=0.1,
                        help="SmoothGrad's σ in pixel units of [0, 1] (default 0.1)")
    parser.add_argument("--steps", type=whole(1, 4096), default=64, help="integrated gradients' intervals (default 64)")
    parser.add_argument("--batch", type=whole(1, 1024), default=16, help="images per forward pass (default 16)")
    add_device_option(parser)
    add_seed_option(parser, "seed of SmoothGrad's noise (and of the drawn default image) (default 0)")
    add_out_folder(parser, "outputs/saliency")
    args = parse_checked(parser, argv)
    try:
        model, spec = load_model(args.model, args.weights)
        device = pick_device(args.device)
        model = model.to(device)
        if args.image:
            image, _ = load_image(args.image)
        else:
            image = make_shapes(1, size=spec.input_size, seed=args.seed, classes=(CLASSES.index("star"),))[0][0]
        image = image.to(device)
        with torch.no_grad():
            logits = model(spec.input.prepare(image[None]))[0]
        target = _target(args.target, spec.classes, logits)
        result = saliency(model, spec.input, image, target, args.samples, args.noise, args.steps, args.batch, args.seed)
    except (ModelError, ImageReadError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    name = spec.classes[target] if target < len(spec.classes) else f"class {target}"
    probability = logits.softmax(0)[target].item()
    try:
        out = fresh_dir(args.out)
        plot_saliency(image.cpu(), result, name, out / "saliency.png")
        write_json(out / "saliency.json", {
            "image": args.image, "model": args.model, "weights": args.weights, "class": target, "class_name": name,
            "score": result.score, "probability": probability, "methods": list(METHODS),
            "integrated_gradients_completeness_gap": result.completeness_gap, "samples": args.samples,
            "noise": args.noise, "steps": args.steps, "seed": args.seed, "device": str(device),
            "command": command_line(), "versions": versions(),
        })
    except OSError as error:
        return write_failed(Path(args.out), error)
    print(f"class {target} ({name}): score {result.score:.3f}, probability {probability:.1%}; integrated gradients "
          f"complete within {result.completeness_gap:.2%} → {out}/saliency.png")
    return 0
