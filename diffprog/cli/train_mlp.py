"""Train an MLP built only from diffprog ops and optimizers on two spirals, and compare
SGD, the lecture's momentum and Adam from the same initialization.

Writes to a fresh folder (never overwrites): decision_boundaries.png, loss_curves.png and
results.json (settings, seed, versions, final loss and accuracy per optimizer).
Ctrl-C stops training and still writes the pictures of what was learned so far.
"""
from __future__ import annotations

import argparse
import copy
from pathlib import Path

import torch

from diffprog.cli.options import SEED_RANGE, whole
from diffprog.cli.outputs import add_out_folder, parse_checked, write_failed
from diffprog.data import two_spirals
from diffprog.io import fresh_dir, versions, write_json
from diffprog.lecture import fit_classifier, mlp
from diffprog.optim import SGD, Adam
from diffprog.plots import plot_decision_boundaries, plot_loss_curves
from diffprog.steps import exit_code


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=whole(1, 1_000_000), default=1500, help="full-batch steps per optimizer (default 1500)")
    parser.add_argument("--hidden", type=whole(1, 4096), default=64, help="units per hidden layer (default 64)")
    parser.add_argument("--points", type=whole(2, 100_000), default=200, help="points per spiral (default 200)")
    parser.add_argument("--seed", type=whole(*SEED_RANGE), default=0, help="seed for data and initialization (default 0)")
    add_out_folder(parser, "outputs/train_mlp")
    args = parse_checked(parser, argv)

    x, y = two_spirals(args.points, seed=args.seed)
    torch.manual_seed(args.seed)
    initial = mlp([2, args.hidden, args.hidden, 2])
    optimizers = {
        "SGD (η=0.1)": lambda p: SGD(p, lr=0.1),
        "momentum (η=0.1, α=0.9)": lambda p: SGD(p, lr=0.1, momentum=0.9),
        "Adam (η=0.01)": lambda p: Adam(p, lr=0.01),
    }
    models, histories = {}, {}
    for name, make_optimizer in optimizers.items():
        model = copy.deepcopy(initial)
        histories[name] = fit_classifier(model, make_optimizer(model.parameters()), x, y, args.steps, desc=name)
        models[name] = model
        print(f"{name:<26} loss {histories[name].loss[-1]:.4f}  train accuracy {histories[name].accuracy[-1]:.1%}")
        if histories[name].interrupted:
            print("interrupted: writing what was learned so far")
            break

    try:
        out = fresh_dir(args.out)
        plot_decision_boundaries(models, x, y, out / "decision_boundaries.png")
        plot_loss_curves({k: h.loss for k, h in histories.items()}, out / "loss_curves.png",
                         title="Two spirals: cross-entropy per step")
        write_json(out / "results.json", {
            "settings": vars(args), "versions": versions(),
            "results": {k: {"final_loss": h.loss[-1], "train_accuracy": h.accuracy[-1], "steps": len(h.loss),
                            "interrupted": h.interrupted} for k, h in histories.items()},
        })
    except OSError as error:
        return write_failed(Path(args.out), error)
    print(f"wrote {out}/decision_boundaries.png, loss_curves.png, results.json")
    return exit_code(any(h.interrupted for h in histories.values()))
