"""Train the embedded scene generator: the decoder of a small VAE on procedural captioned scenes,
used by CLIP guidance's --param generator (the lecture's CLIP+GAN pattern).

    python scripts/train_generator.py                  # seed 0 → assets/scene_decoder.pt
    python scripts/train_generator.py --device cuda    # on a GPU

Writes NAME.pt (decoder state_dict, float16), NAME.json (latent size, seed, command, held-out
reconstruction error, sha256) and NAME_loss.png, atomically.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import torch

from diffprog.cli.device import add_device_option, pick_device
from diffprog.cli.options import SEED_RANGE, whole
from diffprog.cli.outputs import command_line, parse_checked
from diffprog.io import atomic_path, versions, write_json
from diffprog.models.scene_decoder import LATENT_DIM
from diffprog.plots import plot_loss_curves
from diffprog.steps import exit_code
from diffprog.training.scene_decoder import PIXEL_SCALE, train_scene_decoder


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=whole(*SEED_RANGE), default=0, help="seed for data, initialization and order (default 0)")
    parser.add_argument("--steps", type=whole(1, 1_000_000), default=1500, help="optimizer steps (default 1500)")
    parser.add_argument("--batch", type=whole(2, 65_536), default=128, help="scenes per step (default 128)")
    add_device_option(parser)
    parser.add_argument("--name", default="scene_decoder", help="file stem in --out (default scene_decoder)")
    parser.add_argument("--out", default="assets", help="folder for the weights and card (default assets)")
    args = parse_checked(parser, argv, output=lambda a: Path(a.out) / f"{a.name}.pt")
    device = str(pick_device(args.device))

    result = train_scene_decoder(args.seed, args.steps, args.batch, device=device)
    out = Path(args.out)
    weights = out / f"{args.name}.pt"
    with atomic_path(weights) as tmp:
        torch.save({k: v.to("cpu", torch.float16) for k, v in result.decoder.state_dict().items()}, tmp)
    plot_loss_curves({f"seed {args.seed}": result.losses}, out / f"{args.name}_loss.png",
                     title="Scene VAE: loss per step (reconstruction + KL)", log=True)
    write_json(out / f"{args.name}.json", {
        "model": "SceneDecoder (VAE decoder)", "latent_dim": LATENT_DIM, "width": result.decoder.width,
        "pixel_scale": PIXEL_SCALE, "image_size": 64, "seed": args.seed, "command": command_line(),
        "device": device, "steps": args.steps, "batch": args.batch,
        "held_out_reconstruction_mse": round(result.reconstruction_mse, 5),
        "train_seconds": round(result.seconds, 1), "interrupted": result.interrupted,
        "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(), "versions": versions(),
    })
    print(f"held-out reconstruction MSE {result.reconstruction_mse:.4f}; wrote {weights}")
    return exit_code(result.interrupted)
