"""What do we know about J? Compare black-box (J only: evolution strategies, SPSA, finite
differences), first-order (J and ∇J: gradient descent, the lecture's momentum, Adam) and
second-order optimization (J, ∇J and Hessian-vector products: damped Newton-CG) on an
ill-conditioned quadratic, the Rosenbrock function and the two-spirals MLP, from the same start
and within the same budget of oracle calls.

    python scripts/compare_optimizers.py                       # all three problems (about a minute)
    python scripts/compare_optimizers.py --problems rosenbrock --budget 500

Writes into a fresh folder (default outputs/compare_optimizers): one figure per problem,
PROBLEM.png (J against iterations, oracle calls and seconds), and runs.json (every run's curves,
its counts of values, gradients and Hessian-vector products, the settings and the seed).
Ctrl-C stops and writes what ran so far.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from diffprog.cli.options import add_seed_option, whole
from diffprog.cli.outputs import add_out_folder, command_line, parse_checked, write_failed
from diffprog.io import fresh_dir, versions, write_json
from diffprog.lecture.ladder import LADDER, compare, plot_runs
from diffprog.steps import exit_code


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", nargs="+", choices=list(LADDER), default=list(LADDER),
                        help="which problems (default: all)")
    parser.add_argument("--budget", type=whole(1, 10_000_000), default=3000,
                        help="oracle calls per run: J, ∇J or Hv count one each (default 3000)")
    parser.add_argument("--max-iterations", type=whole(1, 1_000_000), default=3000,
                        help="iterations per run at most (default 3000)")
    add_seed_option(parser, "seed of the black-box methods' random directions (default 0)")
    add_out_folder(parser, "outputs/compare_optimizers")
    args = parse_checked(parser, argv)
    results = compare(args.problems, args.budget, args.max_iterations, seed=args.seed)
    interrupted = any(run.interrupted for _, runs in results.values() for run in runs)
    try:
        out = fresh_dir(args.out)
        for name, (problem, runs) in results.items():
            plot_runs(problem, runs, out / f"{name}.png")
        write_json(out / "runs.json", {
            "seed": args.seed, "budget": args.budget, "max_iterations": args.max_iterations,
            "command": command_line(), "versions": versions(), "interrupted": interrupted,
            "problems": {name: {"title": problem.title, "minimum": problem.minimum,
                                "runs": [run.to_dict() for run in runs]} for name, (problem, runs) in results.items()},
        })
    except OSError as error:
        return write_failed(Path(args.out), error)
    for name, (_, runs) in results.items():
        for run in runs:
            print(f"{name:<16} {run.method:<38} J {run.loss[0]:.3g} → {run.loss[-1]:.3g} in {len(run.loss) - 1} "
                  f"iterations, {run.evaluations[-1]} oracle calls, {run.seconds[-1]:.2f} s")
    print(("interrupted; wrote what ran → " if interrupted else "wrote ") + f"{out}/")
    return exit_code(interrupted)
