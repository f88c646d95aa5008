"""Train the embedded scenes CLIP (open_clip's CLIP class, tokenizer and ClipLoss) on procedural
captioned scenes, and write it to assets/ in open_clip's local-dir format with a model card.

    python scripts/train_clip.py                                   # seed 0 → assets/scenes_clip/
    python scripts/train_clip.py --seed 1 --name scenes_clip_seed1 # the second CLIP that judges quality
    python scripts/train_clip.py --device cuda --workers 7         # on a GPU, scenes drawn by 7 processes

The shipped CLIPs were trained with the last line (an H100, about 4 minutes each, drawing the scenes
is what limits it); on 2 CPU cores the 3600 steps take about 45 minutes.

Writes NAME/open_clip_config.json, NAME/open_clip_model.safetensors (float16), NAME/model_card.json
(architecture, seed, command, zero-shot retrieval accuracy on held-out colour × shape pairs, sha256)
and NAME/loss.png, each atomically.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from diffprog.cli.device import add_device_option, pick_device
from diffprog.cli.options import SEED_RANGE, real, whole
from diffprog.cli.outputs import command_line, parse_checked
from diffprog.data.captioned_scenes import HELD_OUT
from diffprog.io import versions, write_json
from diffprog.models.clip_models import SCENES_CLIP_CONFIG, SCENES_PREPROCESS
from diffprog.plots import plot_loss_curves
from diffprog.steps import exit_code
from diffprog.training.clip import save_scenes_clip, train_scenes_clip


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=whole(*SEED_RANGE), default=0, help="seed for data, initialization and order (default 0)")
    parser.add_argument("--steps", type=whole(1, 1_000_000), default=3600, help="optimizer steps (default 3600)")
    parser.add_argument("--batch", type=whole(2, 65_536), default=256, help="scenes per step, one per caption (default 256)")
    parser.add_argument("--lr", type=real(0, 10, low_open=True), default=2e-3, help="peak learning rate of AdamW (default 2e-3)")
    parser.add_argument("--adversarial", type=real(0, 1), default=0.0, metavar="EPS",
                        help="train on adversarial images within ±EPS per pixel (pixels in [0, 1]; 0: plain)")
    add_device_option(parser)
    parser.add_argument("--workers", type=whole(0, 64), default=0,
                        help="processes drawing scenes ahead of the optimizer (default 0; same result)")
    parser.add_argument("--name", default="scenes_clip", help="folder name in --out (default scenes_clip)")
    parser.add_argument("--out", default="assets", help="parent folder (default assets)")
    args = parse_checked(parser, argv, output=lambda a: Path(a.out) / a.name / "model_card.json")
    device = str(pick_device(args.device))

    result = train_scenes_clip(args.seed, args.steps, args.batch, args.lr, device=device,
                               adversarial_eps=args.adversarial, workers=args.workers)
    folder = Path(args.out) / args.name
    weights = save_scenes_clip(result.clip, folder)
    plot_loss_curves({f"seed {args.seed}": result.losses}, folder / "loss.png",
                     title="Scenes CLIP: contrastive loss per step")
    write_json(folder / "model_card.json", {
        "model": "scenes-clip (open_clip CLIP)", "model_cfg": SCENES_CLIP_CONFIG, "preprocess_cfg": SCENES_PREPROCESS,
        "seed": args.seed, "command": command_line(), "device": device, "steps": args.steps,
        "batch": args.batch, "lr": args.lr, "adversarial_eps": args.adversarial,
        "held_out_pairs": [f"{c} {s}" for c, s in HELD_OUT],
        "zero_shot": {k: round(v, 4) for k, v in result.metrics.items()},
        "final_loss": round(sum(result.losses[-50:]) / max(1, len(result.losses[-50:])), 4),
        "train_seconds": round(result.seconds, 1), "interrupted": result.interrupted,
        "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(), "versions": versions(),
    })
    print(f"zero-shot {result.metrics}; wrote {folder}")
    return exit_code(result.interrupted)
