"""Unit-visualization throughput and peak memory: diffprog against torch-lucent and a plain PyTorch
loop, at equal settings, in the same run.

    python benchmarks/unitvis.py                 # CPU: batch 1 and 8, resnet18 layer3, 224 px, 64 steps
    python benchmarks/unitvis.py --device cuda --model resnet50   # GPU, issue 6's setting
    python benchmarks/unitvis.py --device cuda --compile reduce-overhead   # + a row with the model compiled
    python benchmarks/unitvis.py --model mobilenet_v2 --batches 1 16   # real ImageNet weights (../shared), class logits
    python benchmarks/unitvis.py --default-run   # time `python scripts/visualize_unit.py` (target < 60 s)

Every tool optimizes a Fourier-parameterized, colour-decorrelated image with Adam, random jitter,
the network seeing 224 px: torchvision resnet18 or resnet50 (random init), objective the mean of one
layer3 channel; or mobilenet_v2 with the torchvision weights of ../shared/weights/imagenet (random
init without them), objective one class logit per image (image i: class i), the whole network
run. Lucent silently upsamples smaller images to 224, so 224 is the fair size. Each
measurement runs in its own process so peak memory (max RSS on CPU, max allocated on CUDA) is its own.
Needs `pip install torch-lucent` (the `bench` extra); Lucent's rows are skipped without it.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from measure import lucent_optvis, peak_mb

ROOT = Path(__file__).resolve().parents[1]
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
MOBILENET_WEIGHTS = ROOT.parent / "shared" / "weights" / "imagenet" / "mobilenet_v2_torchvision.pth"
# network → (the layer the objective reads, Lucent's name for it)
TARGETS = {"resnet18": ("layer3", "layer3"), "resnet50": ("layer3", "layer3"), "mobilenet_v2": ("output", "classifier_1")}
MODELS = tuple(TARGETS)


def _model(device: str, name: str):
    import torch
    import torchvision

    torch.manual_seed(0)
    model = getattr(torchvision.models, name)()
    if name == "mobilenet_v2" and MOBILENET_WEIGHTS.exists():
        from diffprog.models.weights import read_state_dict

        model.load_state_dict(read_state_dict(MOBILENET_WEIGHTS))
    return model.eval().to(device)


def _units(name: str, batch: int) -> list[int]:
    """The unit each image maximizes: layer3 channel 5, or class i for image i."""
    return list(range(batch)) if TARGETS[name][0] == "output" else [5] * batch


def _objective_of(name: str, acts, batch: int):
    """The plain loop's objective: the mean over images of their unit (channel mean or logit)."""
    import torch

    units = torch.tensor(_units(name, batch), device=acts.device)
    picked = acts[torch.arange(batch, device=acts.device), units]
    return picked.flatten(1).mean(1).mean() if picked.dim() > 1 else picked.mean()


def run_diffprog(batch: int, steps: int, device: str, name: str, compile: str | None = None) -> float:
    from diffprog.imaging import InputSpec
    from diffprog.optvis import Fourier, RunSettings, render
    from diffprog.optvis.units import make_objective

    model = _model(device, name)

    def run(steps):
        render(model, make_objective("auto", TARGETS[name][0], _units(name, batch)), Fourier(224), seeds=list(range(batch)),
               input_spec=InputSpec(224, IMAGENET_MEAN, IMAGENET_STD),
               run=RunSettings(steps=steps, lr=0.05, device=device, progress=False, compile=compile))

    if compile:  # compile once, untimed: the row shows the steady state (compile time is printed apart)
        start = time.perf_counter()
        run(2)
        print(f"  compile ({compile}), batch {batch}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    start = time.perf_counter()
    run(steps)
    return time.perf_counter() - start


def run_lucent(batch: int, steps: int, device: str, name: str) -> float:
    objectives, param, render = lucent_optvis()

    model = _model(device, name)
    objective = sum(objectives.channel(TARGETS[name][1], u, batch=i) for i, u in enumerate(_units(name, batch)))
    start = time.perf_counter()
    render.render_vis(model, objective, param_f=lambda: param.image(224, batch=batch), thresholds=(steps,),
                      show_image=False, progress=False)
    return time.perf_counter() - start


def run_plain(batch: int, steps: int, device: str, name: str) -> float:
    """The loop a user would write: Fourier image, decorrelation, jitter, full forward, Adam."""
    import torch

    from diffprog.optvis.param import FourierImage

    model = _model(device, name)
    for p in model.parameters():
        p.requires_grad_(False)
    acts = {}
    layer = TARGETS[name][0]
    if layer != "output":
        model.get_submodule(layer).register_forward_hook(lambda m, i, o: acts.__setitem__("x", o))
    image = FourierImage((224, 224), list(range(batch))).to(device)
    opt = torch.optim.Adam(image.parameters(), lr=0.05)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    start = time.perf_counter()
    for _ in range(steps):
        x = image()
        dx, dy = torch.randint(-8, 9, (2,)).tolist()
        x = torch.roll(torch.nn.functional.pad(x, (12,) * 4, value=0.5), (dx, dy), (2, 3))
        output = model((x - mean) / std)
        loss = -_objective_of(name, output if layer == "output" else acts["x"], batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


TOOLS = {"diffprog": run_diffprog, "lucent": run_lucent, "plain PyTorch": run_plain}


def _activations(model, x, layer: str = "layer3"):
    """{layer: activations} of (normalized) images x, the forward stopped after `layer`."""
    from diffprog.optvis.layers import forward_to, list_layers

    calls = {i.name: i.calls for i in list_layers(model, x[:1])}
    return forward_to(model, x, [layer], calls)


def useful_flops_per_image_step(name: str) -> float:
    """Forward FLOPs of the network up to its target layer for one 224-px image, × 2 for the backward to the input:
    the work every tool must do per image and step (TFLOP/s below are counted with it)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = _model("cpu", name)
    x = torch.zeros(1, 3, 224, 224)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        _activations(model, x, TARGETS[name][0])
    return 2.0 * counter.get_total_flops()


def amp_fidelity(device: str, name: str, units: int = 8, steps: int = 128) -> list[tuple[float, float]]:
    """(float32 objective, bfloat16-autocast objective) per unit: the same seeded render of layer3
    channels 0..units-1 with and without autocast, both final images then scored by the float32
    network without transforms, so the numbers compare the pictures, not the arithmetic."""
    import torch

    from diffprog.imaging import InputSpec
    from diffprog.optvis import Fourier, RunSettings, objectives, render

    model = _model(device, name)
    objective = objectives.channel("layer3", list(range(units)))
    settings = dict(seeds=list(range(units)), input_spec=InputSpec(224, IMAGENET_MEAN, IMAGENET_STD))
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    scores = []
    for amp in (False, True):
        run = RunSettings(steps=steps, lr=0.05, device=device, amp=amp, progress=False)
        images = render(model, objective, Fourier(224), run=run, **settings).images.to(device)
        with torch.no_grad():
            scores.append(objective(_activations(model, (images - mean) / std), images).tolist())
    return list(zip(*scores))


COMPILED = "diffprog compiled "  # + the mode: a row of its own with --compile MODE


def _child(tool: str, batch: int, steps: int, device: str, model: str) -> None:
    import torch

    torch.manual_seed(0)
    if tool.startswith(COMPILED):
        seconds = run_diffprog(batch, steps, device, model, compile=tool.removeprefix(COMPILED).strip("()"))
    else:
        seconds = TOOLS[tool](batch, steps, device, model)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(device)}))


def measure(tool: str, batch: int, steps: int, device: str, model: str) -> dict | None:
    done = subprocess.run([sys.executable, __file__, "--child", tool, str(batch), str(steps), device, model],
                          capture_output=True, text=True, cwd=ROOT)
    for line in done.stderr.splitlines():
        if line.startswith("  compile"):
            print(line, file=sys.stderr)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {tool}: skipped ({reason[:100]})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--model", default="resnet18", choices=MODELS, help="torchvision network, random init "
                        "(default resnet18; issue 6 measures resnet50)")
    parser.add_argument("--batches", type=int, nargs="*", help="batch sizes (default: 1 8 on CPU, 1 32 256 on CUDA)")
    parser.add_argument("--default-run", action="store_true", help="time the no-argument visualize_unit.py run")
    parser.add_argument("--compile", metavar="MODE", help="add a row for diffprog with the model compiled in MODE "
                        "(default, reduce-overhead, max-autotune); compile time is excluded and printed apart")
    parser.add_argument("--lucent-batches", type=int, nargs="*", metavar="B",
                        help="run Lucent only at these batch sizes (default: every batch); its slow large batches "
                        "can be left out where device time is short")
    parser.add_argument("--amp-fidelity", action="store_true", help="only compare bfloat16 autocast with float32: "
                        "the final objective of each of 8 layer3 channels (issue 6: within 2%%)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.default_run:
        start = time.perf_counter()
        subprocess.run([sys.executable, "scripts/visualize_unit.py", "--out", "/tmp/diffprog-bench-default"],
                       cwd=ROOT, check=True, capture_output=True)
        print(f"default run (every class of the embedded model): {time.perf_counter() - start:.1f} s (target < 60 s)")
        return
    if args.amp_fidelity:
        pairs = amp_fidelity(args.device, args.model, steps=args.steps)
        print("| unit | float32 objective | bf16 objective | difference |\n|---:|---:|---:|---:|")
        for unit, (exact, mixed) in enumerate(pairs):
            print(f"| {unit} | {exact:.4f} | {mixed:.4f} | {100 * (mixed - exact) / abs(exact):+.2f}% |")
        exact, mixed = (sum(column) / len(pairs) for column in zip(*pairs))
        print(f"| mean | {exact:.4f} | {mixed:.4f} | {100 * (mixed - exact) / abs(exact):+.2f}% |")
        return
    rows = []
    flops = useful_flops_per_image_step(args.model)
    for batch in args.batches or ([1, 32, 256] if args.device == "cuda" else [1, 8]):
        tools = [t for t in TOOLS if t != "lucent" or args.lucent_batches is None or batch in args.lucent_batches]
        tools += [f"{COMPILED}({args.compile})"] if args.compile else []
        results = {tool: measure(tool, batch, args.steps, args.device, args.model) for tool in tools}
        lucent = results.get("lucent")
        for tool, r in results.items():
            if r is None:
                continue
            rate = batch * args.steps / r["seconds"]
            rows.append({"tool": tool, "model": args.model, "batch": batch, "device": args.device,
                         "image_steps_per_s": rate, "tflops": rate * flops / 1e12,
                         "peak_mb": r["peak_mb"], "seconds": r["seconds"],
                         "vs_lucent": (lucent["seconds"] / r["seconds"]) if lucent else None})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| tool | model | batch | device | image-steps/s | TFLOP/s | peak MB | × Lucent | × plain |\n"
          "|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['vs_lucent']:.2f}" if r["vs_lucent"] else "–"
        plain = next((p for p in rows if p["tool"] == "plain PyTorch" and p["batch"] == r["batch"]), None)
        vs_plain = f"{plain['seconds'] / r['seconds']:.2f}" if plain else "–"
        print(f"| {r['tool']} | {r['model']} | {r['batch']} | {r['device']} | {r['image_steps_per_s']:.1f} | "
              f"{r['tflops']:.3f} | {r['peak_mb']:.0f} | {ratio} | {vs_plain} |")


if __name__ == "__main__":
    main()
