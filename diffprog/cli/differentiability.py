"""Which functions are differentiable, which have defined gradients in PyTorch, and which will be
hard to optimize — a measured table over abs, relu, clamp, max, sort, top-k, round, floor,
quantization, sign, step and argmax; then a binarized MLP (hidden units sign(Wx + b)) on two spirals,
trained through torch.sign (zero gradient: only the last layer learns) and through the
straight-through sign_ste, from the same start.

    python scripts/differentiability.py          # about 15 seconds on 2 CPU cores

Writes into a fresh folder (default outputs/differentiability): table.png, binarized_mlp.png
(decision boundaries), binarized_loss.png and differentiability.json (the table, every layer's
relative change, losses and accuracies, the seed).
"""
from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from diffprog.cli.options import add_seed_option, whole
from diffprog.cli.outputs import add_out_folder, command_line, parse_checked, write_failed
from diffprog.io import fresh_dir, versions, write_json
from diffprog.lecture.differentiability import binarized_demo, plot_findings, survey
from diffprog.plots import plot_decision_boundaries, plot_loss_curves
from diffprog.steps import exit_code


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=whole(1, 1_000_000), default=2000, help="training steps of the demo (default 2000)")
    add_seed_option(parser, "seed of the survey's points, the spirals and the initialization (default 0)")
    add_out_folder(parser, "outputs/differentiability")
    args = parse_checked(parser, argv)
    findings = survey(seed=args.seed)
    x, y, runs = binarized_demo(args.steps, seed=args.seed)
    interrupted = any(run.history.interrupted for run in runs.values())
    try:
        out = fresh_dir(args.out)
        plot_findings(findings, out / "table.png")
        panels = {f"{name}\nlayers changed by " + ", ".join(f"{m:.0%}" for m in run.moved): run.model
                  for name, run in runs.items()}
        plot_decision_boundaries(panels, x, y, out / "binarized_mlp.png")
        plot_loss_curves({name: run.history.loss for name, run in runs.items()}, out / "binarized_loss.png",
                         title="Binarized MLP on two spirals: cross-entropy per step")
        write_json(out / "differentiability.json", {
            "seed": args.seed, "steps": args.steps, "command": command_line(), "versions": versions(),
            "table": [asdict(f) for f in findings],
            "binarized_mlp": {name: {"final_loss": run.history.loss[-1], "train_accuracy": run.history.accuracy[-1],
                                     "relative_change_per_linear_layer": run.moved,
                                     "interrupted": run.history.interrupted} for name, run in runs.items()},
        })
    except OSError as error:
        return write_failed(Path(args.out), error)
    for f in findings:
        print(f"{f.name:<22} {f.torch_gradient:<44} {f.verdict}")
    for name, run in runs.items():
        print(f"{name:<32} loss {run.history.loss[-1]:.3f}, accuracy {run.history.accuracy[-1]:.1%}, layers changed by "
              + ", ".join(f"{m:.0%}" for m in run.moved))
    print(f"wrote table.png, binarized_mlp.png, binarized_loss.png, differentiability.json → {out}/")
    return exit_code(interrupted)
