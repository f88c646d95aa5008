"""CLIP guidance speed and peak memory at 32 cutouts: diffprog's clip_optimize against a plain
VQGAN-CLIP-style loop (one slice + resize per cutout, then the batch through CLIP), in the same
run, each measurement in its own process.

    python benchmarks/clip.py                   # CPU, embedded scenes CLIP (64 px input), 128 px image
    python benchmarks/clip.py --device cuda     # GPU (through the device tool)

Both optimize the same pixels-or-spectrum image with Adam against one text prompt; both include
the prompt embedding and setup in neither timing (steps only, after 3 warm-up steps).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from measure import peak_mb, sync

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "a red star in the center"



def run_diffprog(device: str, size: int, cutouts: int, steps: int, amp: bool, compile: str | None = None) -> float:
    """clip_optimize after 3 untimed steps (which also compile the tower, with `compile`)."""
    from diffprog.models.clip_models import load_clip
    from diffprog.optvis import Fourier, RunSettings
    from diffprog.optvis.clip import INIT_SD, clip_optimize, parse_prompt
    from diffprog.optvis.cutouts import CutoutSpec

    clip = load_clip(device=device)
    prompts = [parse_prompt(PROMPT)]
    image = dict(param=Fourier(size, sd=INIT_SD), cutouts=CutoutSpec(cutouts))
    run = dict(device=device, amp=amp, compile=compile, progress=False)
    clip_optimize(clip, prompts, run=RunSettings(steps=3, **run), **image)
    sync(device)
    start = time.perf_counter()
    clip_optimize(clip, prompts, run=RunSettings(steps=steps, **run), **image)
    sync(device)
    return time.perf_counter() - start


def run_plain(device: str, size: int, cutouts: int, steps: int, amp: bool) -> float:
    import torch
    import torch.nn.functional as F

    from diffprog.models.clip_models import load_clip

    clip = load_clip(device=device)
    model = clip.model.requires_grad_(False)
    with torch.no_grad():
        target = F.normalize(model.encode_text(clip.tokenizer([PROMPT]).to(device)), dim=-1)
    mean = torch.tensor(clip.mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(clip.std, device=device).view(1, 3, 1, 1)
    raw = torch.zeros(1, 3, size, size, device=device, requires_grad=True)
    opt = torch.optim.Adam([raw], lr=0.01)
    cut = clip.input_size

    def step():
        image = torch.sigmoid(raw)
        crops = []
        for _ in range(cutouts):  # MakeCutouts of VQGAN-CLIP: a slice and a pooled resize per cutout
            side = int(torch.randint(int(0.3 * size), size + 1, ()))
            x0 = int(torch.randint(0, size - side + 1, ()))
            y0 = int(torch.randint(0, size - side + 1, ()))
            crops.append(F.adaptive_avg_pool2d(image[:, :, y0:y0 + side, x0:x0 + side], cut))
        batch = (torch.cat(crops) - mean) / std
        with torch.autocast(device, dtype=torch.bfloat16, enabled=amp):
            features = model.encode_image(batch)
        loss = -(F.normalize(features.float(), dim=-1) @ target.T).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return time.perf_counter() - start


TOOLS = {"diffprog clip_optimize": run_diffprog, "plain VQGAN-CLIP-style loop": run_plain}
COMPILED = "diffprog compiled "  # + the mode: a row of its own with --compile MODE


def measure(tool: str, device: str, size: int, cutouts: int, steps: int, amp: bool) -> dict | None:
    done = subprocess.run([sys.executable, __file__, "--child", tool, device, str(size), str(cutouts), str(steps),
                           str(int(amp))], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        print(f"  {tool}: failed ({(done.stderr.strip().splitlines() or ['?'])[-1][:160]})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        tool, device, size, cutouts, steps, amp = sys.argv[2:8]
        if tool.startswith(COMPILED):
            seconds = run_diffprog(device, int(size), int(cutouts), int(steps), bool(int(amp)),
                                   compile=tool.removeprefix(COMPILED).strip("()"))
        else:
            seconds = TOOLS[tool](device, int(size), int(cutouts), int(steps), bool(int(amp)))
        print(json.dumps({"seconds": seconds, "steps": int(steps), "peak_mb": peak_mb(device)}))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--size", type=int, default=128, help="image size (default 128)")
    parser.add_argument("--cutouts", type=int, default=32, help="cutouts per step (default 32)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps (default 30)")
    parser.add_argument("--compile", metavar="MODE", help="add a row for clip_optimize with the image tower "
                        "compiled in MODE (default, reduce-overhead, max-autotune); compile time is not timed")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()
    rows = []
    for amp in ([False, True] if args.device == "cuda" else [False]):
        for tool in list(TOOLS) + ([f"{COMPILED}({args.compile})"] if args.compile else []):
            r = measure(tool, args.device, args.size, args.cutouts, args.steps, amp)
            if r:
                rows.append({"tool": tool, "amp": amp, **r, "steps_per_s": r["steps"] / r["seconds"]})
    print("| tool | device | amp | image | cutouts | steps/s | peak MB | × plain loop |\n|---|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        plain = next((p for p in rows if p["tool"].startswith("plain") and p["amp"] == r["amp"]), None)
        ratio = f"{r['steps_per_s'] / plain['steps_per_s']:.2f}" if plain else "–"
        print(f"| {r['tool']} | {args.device} | {'bf16' if r['amp'] else 'fp32'} | {args.size}² | {args.cutouts} | "
              f"{r['steps_per_s']:.2f} | {r['peak_mb']:.0f} | {ratio} |")
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
