"""What an image-optimization run writes: each image as PNG with a JSON of every setting beside it,
and the pictures of the run (a labelled contact sheet, the objective per step, and optionally the
optimization as a GIF of contact sheets), every file atomically."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from ..io import contact_sheet, save_gif, save_image, save_png, versions, write_json
from ..optvis.clip import ClipResult, Prompt
from ..optvis.render import RenderResult
from ..optvis.units import unit_seed
from ..plots import plot_loss_curves

MAX_CURVES = 12  # more lines than this make the objective plot unreadable


class OutputError(ValueError):
    """An output path that cannot be written: says which flag, which path and why."""


#: The image formats the commands write, by extension.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def writable(path: str | os.PathLike, flag: str = "--out", suffixes: tuple[str, ...] | None = None) -> Path:
    """`path` if its folder can be created and written (and, with `suffixes`, it ends in one of them);
    else OutputError naming the flag. Checked before any work, so a bad path costs nothing."""
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise OutputError(f"cannot write {flag} {str(path)!r}: give a file name ending in {', '.join(suffixes)}")
    probe = path.absolute().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"cannot write {flag} {str(path)!r}: {str(probe)!r} is a file, not a folder")
    if os.statvfs(probe).f_flag & os.ST_RDONLY:
        raise OutputError(f"cannot write {flag} {str(path)!r}: {str(probe)!r} is on a read-only file system")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {flag} {str(path)!r}: no permission to write in {str(probe)!r}")
    return path


def add_out_folder(parser: argparse.ArgumentParser, default: str) -> None:
    """--out: the folder a command writes into (a numbered sibling when it is not empty)."""
    parser.add_argument("--out", default=default,
                        help=f"output folder (default {default}; a numbered sibling if it is not empty)")


def parse_checked(parser: argparse.ArgumentParser, argv,
                  output: Callable[[argparse.Namespace], Path] = lambda args: Path(args.out)) -> argparse.Namespace:
    """parse_args, then refuse (exit 2) an output that cannot be written, before any work: --out, or
    the file `output(args)` names inside it."""
    args = parser.parse_args(argv)
    try:
        writable(output(args))
    except OutputError as error:
        parser.error(str(error))
    return args


def write_failed(target: Path, error: OSError) -> int:
    """Say in one line that writing the outputs failed (every file is written whole or not at all, so
    nothing partial is left) and return the exit code 1."""
    print(f"error: could not write the outputs to {target}: {error.strerror or error}; nothing partial was left",
          file=sys.stderr)
    return 1


def command_line() -> str:
    """How this run was started, as a shell line to record beside its outputs: `diffprog TOOL …` or
    `python scripts/….py …`."""
    if Path(sys.argv[0]).name == "diffprog":
        return "diffprog " + shlex.join(sys.argv[1:])
    return "python " + shlex.join(sys.argv)


def write_run_pictures(out: Path, images: torch.Tensor, labels: Sequence[str], history: list[list[float]],
                       snapshots: dict[int, torch.Tensor], *, title: str, curve_labels: Sequence[str],
                       curve_title: str, ylabel: str, scale: int = 2, gif: bool = False) -> list[Path]:
    """contact_sheet.png (images with labels), objective.png (history[step][i] per image, the first
    MAX_CURVES named by curve_labels) and, with gif and snapshots, optimization.gif (one sheet per
    snapshot, then the final images). Every file is written atomically; returns their paths."""
    labels = list(labels)
    written = [save_image(contact_sheet(images, labels, scale=scale, title=title), out / "contact_sheet.png")]
    if history:
        curves = {name: [step[i] for step in history] for i, name in enumerate(curve_labels[:MAX_CURVES])}
        plot_loss_curves(curves, out / "objective.png", title=curve_title, ylabel=ylabel, log=False)
        written.append(out / "objective.png")
    if gif and snapshots:
        frames = [contact_sheet(shot, labels, scale=scale, title=f"step {step}") for step, shot in sorted(snapshots.items())]
        frames.append(contact_sheet(images, labels, scale=scale, title="final"))
        written.append(save_gif(frames, out / "optimization.gif"))
    return written


def write_unit_outputs(out: Path, result: RenderResult, units: Sequence[int], labels: Sequence[str],
                       settings: dict, scale: int = 2, gif: bool = False) -> list[Path]:
    """unit_XXXX.png + .json per unit, contact_sheet.png, objective.png (loss curve), optional
    optimization.gif, run.json."""
    written = []
    final = result.final_objective
    for i, (unit, label) in enumerate(zip(units, labels)):
        stem = out / f"unit_{unit:04d}"
        written.append(save_png(result.images[i], stem.with_suffix(".png"), scale))
        write_json(stem.with_suffix(".json"), {**settings, "unit": unit, "label": label,
                                               "image_seed": unit_seed(settings["seed"], unit),
                                               "final_objective": final[i] if i < len(final) else None,
                                               **(result.facts[i] if i < len(result.facts) else {}),
                                               "interrupted": result.interrupted, "versions": versions()})
    written += write_run_pictures(out, result.images, labels, result.history, result.snapshots, scale=scale,
                                  title=f"{settings['model']} · {settings['layer']} · {settings['objective']}",
                                  curve_labels=labels, curve_title="Objective per step (higher is better)",
                                  ylabel="objective", gif=gif)
    written.append(write_json(out / "run.json", {**settings, "units": list(units), "labels": list(labels),
                                                 "final_objective": final, "interrupted": result.interrupted,
                                                 "versions": versions()}))
    return written


def write_clip_outputs(out: Path, result: ClipResult, prompts: Sequence[Prompt], seeds: Sequence[int],
                       settings: dict, scale: int = 1, gif: bool = False) -> list[Path]:
    """image_XX.png + .json per image (settings, seed, final similarity per prompt, each restart's
    objective with restarts, what the parameterization records, e.g. the drawing's shapes),
    contact_sheet.png labelled with the first prompt's similarity, objective.png (weighted
    similarity per step), optional optimization.gif, run.json."""
    written = []
    first = prompts[0].label
    labels = [f"seed {s}: {result.similarity[first][i]:.3f}" for i, s in enumerate(seeds)]
    for i, seed in enumerate(seeds):
        stem = out / f"image_{i:02d}"
        written.append(save_png(result.images[i], stem.with_suffix(".png"), scale))
        write_json(stem.with_suffix(".json"), {
            **settings, "seed": seed, "similarity": {k: v[i] for k, v in result.similarity.items()},
            "final_objective": result.history[-1][i] if result.history else None,
            **({"restart_objectives": result.restart_objectives[i]} if result.restart_objectives else {}),
            **(result.facts[i] if result.facts else {}),
            "interrupted": result.interrupted, "versions": versions()})
    written += write_run_pictures(out, result.images, labels, result.history, result.snapshots,
                                  scale=max(scale, 128 // result.images.shape[-1]),
                                  title=" · ".join(f"{p.label} ({p.weight:+g})" for p in prompts)[:120],
                                  curve_labels=[f"seed {s}" for s in seeds], ylabel="weighted similarity",
                                  curve_title="Σ w·cos(CLIP(cutouts), prompt) per step (higher is better)", gif=gif)
    written.append(write_json(out / "run.json", {
        **settings, "seeds": list(seeds), "similarity": result.similarity,
        "final_objective": result.history[-1] if result.history else None,
        "interrupted": result.interrupted, "versions": versions()}))
    return written
