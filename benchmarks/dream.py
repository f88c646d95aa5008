"""DeepDream speed and peak memory: diffprog's dream() against a plain-PyTorch octave loop, in the
same run, each measurement in its own process.

    python benchmarks/dream.py                  # CPU: 1024×1024, 4 octaves × 10 steps
    python benchmarks/dream.py --device cuda    # GPU, plus a 4096×4096 tiled run (target < 4 GiB)

Model: the embedded shapes classifier, objective the L2 of block3.conv, on the sample landscape
rendered at the benchmark size. The plain loop is what a user would write: octaves with detail
carry-over, roll jitter, a forward hook on the layer, normalized gradient steps, no tiling.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from measure import peak_mb

ROOT = Path(__file__).resolve().parents[1]
LAYER = "block3.conv"



def _setup(size: int, device: str):
    from diffprog.data.scene import landscape
    from diffprog.models import load_model

    model, spec = load_model("shapes-cnn")
    return model.to(device), spec, landscape(size, size).to(device)


def run_diffprog(size: int, device: str, tile: int) -> float:
    from diffprog.optvis import objectives
    from diffprog.optvis.dream import dream

    model, spec, image = _setup(size, device)
    start = time.perf_counter()
    dream(model, image, objectives.layer_l2(LAYER), input_spec=spec.input, octaves=4, steps=10,
          tile=tile, device=device, progress=False)
    return time.perf_counter() - start


def run_plain(size: int, device: str, tile: int) -> float:
    import torch
    import torch.nn.functional as F

    model, spec, image = _setup(size, device)
    for p in model.parameters():
        p.requires_grad_(False)
    acts = {}
    model.get_submodule(LAYER).register_forward_hook(lambda m, i, o: acts.__setitem__("x", o))
    mean = torch.tensor(spec.mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, device=device).view(1, 3, 1, 1)
    start = time.perf_counter()
    sizes = [(round(size / 1.4 ** k),) * 2 for k in range(4)][::-1]
    bases = [F.interpolate(image[None], size=s, mode="bilinear", antialias=True)[0] for s in sizes]
    x = bases[0]
    for k, base in enumerate(bases):
        if k:
            x = base + F.interpolate((x - bases[k - 1])[None], size=sizes[k], mode="bilinear")[0]
        for _ in range(10):
            dy, dx = torch.randint(-16, 17, (2,)).tolist()
            shifted = torch.roll(x, (dy, dx), (1, 2)).detach().requires_grad_(True)
            model((shifted[None] - mean) / std)
            acts["x"].pow(2).mean().backward()
            g = torch.roll(shifted.grad, (-dy, -dx), (1, 2))
            x = (x + 0.02 * g / (g.abs().mean() + 1e-8)).clamp(0, 1).detach()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


TOOLS = {"diffprog (tile 512)": (run_diffprog, 512), "diffprog (untiled)": (run_diffprog, 1 << 16),
         "plain PyTorch octave loop": (run_plain, 0)}


def measure(tool: str, size: int, device: str) -> dict | None:
    done = subprocess.run([sys.executable, __file__, "--child", tool, str(size), device], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        print(f"  {tool} at {size}: failed ({(done.stderr.strip().splitlines() or ['?'])[-1][:120]})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        fn, tile = TOOLS[sys.argv[2]]
        seconds = fn(int(sys.argv[3]), sys.argv[4], tile)
        print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(sys.argv[4])}))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args()
    rows = [(tool, args.size, measure(tool, args.size, args.device)) for tool in TOOLS]
    if args.device == "cuda":
        rows.append(("diffprog (tile 512)", 4096, measure("diffprog (tile 512)", 4096, "cuda")))
    plain = next((r for t, s, r in rows if t.startswith("plain") and r), None)
    print("| tool | image | device | seconds | peak MB | × plain loop |\n|---|---|---|---:|---:|---:|")
    for tool, size, r in rows:
        if r is None:
            continue
        ratio = f"{plain['seconds'] / r['seconds']:.2f}" if plain and size == args.size else "–"
        print(f"| {tool} | {size}² | {args.device} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
