"""Make images that maximize units of a network: argmax_x h_lj(x) + λR(x) by gradient ascent.

With no arguments: every class of the embedded shapes classifier, as a labelled contact sheet.

    python scripts/visualize_unit.py
    python scripts/visualize_unit.py --layer block2.conv2 --units 0-15
    python scripts/visualize_unit.py --model cifar10-resnet20 --weights ../shared/weights/cifar10-resnet/resnet20.th
    python scripts/visualize_unit.py --list-layers
    torchrun --nproc_per_node=4 scripts/visualize_unit.py --layer block2.conv2 --units all   # 4 GPUs/processes

Writes to a fresh folder: unit_XXXX.png with unit_XXXX.json (every setting, seed, versions, final
objective), contact_sheet.png, objective.png (objective per step), optimization.gif with --gif,
run.json. Ctrl-C stops and still writes the current images.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from diffprog.cli.device import pick_device
from diffprog.cli.options import add_run_options, add_seed_option, add_step_options, real, run_settings, whole
from diffprog.cli.outputs import command_line, writable, write_failed, write_unit_outputs
from diffprog.cli.units import parse_units
from diffprog.io import fresh_dir, write_json
from diffprog.models import DEFAULT_MODEL, ModelError, load_model
from diffprog.optvis import OUTPUT, LayerError, distributed, list_layers
from diffprog.optvis.examples import photos_in, plot_examples, top_examples
from diffprog.optvis.param import DECAY, PARAMETERIZATIONS, parameterization
from diffprog.optvis.units import (KINDS, LARGE_INPUT_DECAY, default_decay, default_size, default_transforms,
                                   layer_channels, visualize_units)
from diffprog.steps import exit_code


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"shapes-cnn (embedded), cifar10-resnet20/32, or a torchvision name (default {DEFAULT_MODEL})")
    p.add_argument("--weights", help="weights file (state_dict); torchvision models default to their DEFAULT weights")
    p.add_argument("--layer", default=OUTPUT, help=f"dotted layer path, or '{OUTPUT}' for the classes (default)")
    p.add_argument("--units", "--unit", default="all", help="'all' (default), '7', '0-63' or '1,3,5-7'; for the output layer also class "
                   "names: 'tabby, African chameleon' (case-insensitive)")
    p.add_argument("--objective", default="auto", choices=KINDS,
                   help="auto (default): logit for the output, channel mean for other layers")
    p.add_argument("--size", type=whole(8, 2048), help="image size in pixels (default: twice the model's input size, "
                   "at most 128: 128 for ImageNet networks); the network sees its own input size")
    add_step_options(p, steps=256, lr_help="default 0.05")
    p.add_argument("--param", default="fourier", choices=[k for k in PARAMETERIZATIONS if k != "generator"],
                   help="the image's spectrum (default), its pixels, or a drawing of solid shapes")
    p.add_argument("--decay", type=real(0, 4),
                   help=f"Fourier 1/f exponent: higher is smoother (default {DECAY}, {LARGE_INPUT_DECAY} for networks "
                   "that read ≥ 128 px such as ImageNet's; Lucid uses 1.0)")
    p.add_argument("--batch", type=whole(1, 4096), default=None,
                   help="units rendered together (default: 32 on CPU; on GPU as many as fit, found by probing)")
    add_seed_option(p, "seed; unit u's image uses seed·1000003 + u (default 0)")
    add_run_options(p, network="the network", compiled="the model, cut after --layer,")
    p.add_argument("--out", default="outputs/visualize_unit",
                   help="output folder (default outputs/visualize_unit; a numbered sibling if not empty)")
    p.add_argument("--examples", metavar="DIR", help="also find the photos (and crops) in DIR that excite each unit "
                   "most, shown beside its image in examples.png (as Lucid/Microscope's dataset examples)")
    p.add_argument("--list-layers", action="store_true", help="list every layer with its output shape and exit")
    return p


def write_examples(out: Path, model, input_spec, layer: str, units: list[int], labels: list[str], images,
                   folder: str) -> None:
    """examples.png (each unit's image, then its most exciting photo crops) and examples.json."""
    examples, skipped = top_examples(model.eval(), input_spec, layer, units, folder)
    plot_examples(images, labels, examples, units, out / "examples.png")
    write_json(out / "examples.json", {"folder": folder, "skipped": skipped, "units": {
        str(u): [{"path": e.path, "box": list(e.box), "activation": e.activation} for e in examples[u]] for u in units}})
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)


def main(argv=None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        model, spec = load_model(args.model, args.weights)
        device = pick_device(args.device)
        if args.list_layers:
            for info in list_layers(model.to(device), torch.zeros(1, 3, spec.input_size, spec.input_size, device=device)):
                print(f"{info.name:<32} {info.kind:<20} {str(info.shape):<18}" + (f" runs {info.calls}×" if info.calls > 1 else ""))
            return 0
        channels = layer_channels(model.to(device), args.layer, spec.input_size, device)
        units = parse_units(args.units, channels, args.layer, spec.classes if args.layer == OUTPUT else ())
        size = args.size or default_size(spec.input_size)
        decay = default_decay(spec.input_size) if args.decay is None else args.decay
        param = parameterization(args.param, size, decay=decay)
        run = run_settings(args, device)
        writable(args.out)
        if args.examples:
            photos_in(args.examples)
    except (ModelError, LayerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    labels = [f"{u} {spec.classes[u]}" if args.layer == OUTPUT and u < len(spec.classes) else f"unit {u}" for u in units]
    rank, world, mine = 0, 1, units
    if distributed.launched_by_torchrun():
        rank, world, device = distributed.start(device.type)
        mine = distributed.share(units, rank, world)
    result = visualize_units(model, args.layer, mine, kind=args.objective, seed=args.seed, batch=args.batch,
                             param=param, input_spec=spec.input,
                             run=dataclasses.replace(run, device=device, progress=rank == 0))
    if world > 1:
        result = distributed.gather(result, mine, units, rank)
        distributed.finish()
        if rank != 0:
            return 0
    settings = {"model": args.model, "weights": args.weights or (str(spec.default_weights) if spec.default_weights else None),
                "layer": args.layer, "objective": args.objective, "size": size, "input_size": spec.input_size,
                "steps": args.steps, "lr": run.lr_for(param), "optimizer": args.optimizer, "param": args.param, "decay": decay,
                "transforms": "standard_transforms" if default_transforms(args.objective, args.layer, param, spec.input)
                is None else "class_transforms",
                "seed": args.seed, "device": str(device), "amp": args.amp, "compile": args.compile,
                "processes": world,
                "command": command_line()}
    try:
        out = fresh_dir(args.out)
        write_unit_outputs(out, result, units, labels, settings, scale=max(1, 128 // size), gif=args.gif)
        if args.examples:
            write_examples(out, model.to(device), spec.input, args.layer, units, labels, result.images, args.examples)
    except OSError as error:
        return write_failed(Path(args.out), error)
    status = "interrupted; wrote the current images" if result.interrupted else "done"
    print(f"{status}: {len(units)} units → {out}/contact_sheet.png")
    return exit_code(result.interrupted)
