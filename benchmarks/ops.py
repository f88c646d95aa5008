"""Forward+backward time of every diffprog op against its native torch twin, in the same run.

    python benchmarks/ops.py                 # CPU (and CUDA when available), a table
    python benchmarks/ops.py --device cuda   # one device
    python benchmarks/ops.py --json          # machine-readable

Each row times out = op(*inputs); out.backward(grad) for the native twin and for diffprog,
interleaved round by round, and reports medians. Targets (docs/benchmarks.md): ratio ≤ 1.10 for
GEMM/convolution ops (linear, conv2d, embedding), ≤ 1.25 for memory-bound ops.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from diffprog import ops

GEMM_BOUND = {"linear", "conv2d", "embedding"}


@dataclass
class Bench:
    op: str
    size: str
    make: Callable[[torch.device, bool], tuple]  # (device, large) → (args, kwargs)


def _t(*shape, device, grad=True):
    return torch.randn(*shape, device=device, requires_grad=grad)


def _pick(large: bool, cpu, gpu):
    return gpu if large else cpu


def _benches() -> list[Bench]:
    pw = lambda dv, big: ((_t(*_pick(big, (16, 64, 64, 64), (64, 256, 64, 64)), device=dv),), {})  # noqa: E731
    return [
        Bench("linear", "(512, 1024) × (1024, 1024)ᵀ | GPU (8192, 4096) × 4096²", lambda dv, big: (
            (_t(*_pick(big, (512, 1024), (8192, 4096)), device=dv), _t(*_pick(big, (1024, 1024), (4096, 4096)), device=dv),
             _t(_pick(big, 1024, 4096), device=dv)), {})),
        Bench("tanh", "4.2M | GPU 67M elements", pw),
        Bench("sigmoid", "4.2M | GPU 67M elements", pw),
        Bench("relu", "4.2M | GPU 67M elements", pw),
        Bench("leaky_relu", "4.2M | GPU 67M elements", pw),
        Bench("gelu", "4.2M | GPU 67M elements", pw),
        Bench("softmax", "(4096, 1000) | GPU (65536, 1000)", lambda dv, big: (
            (_t(_pick(big, 4096, 65536), 1000, device=dv),), {"dim": 1})),
        Bench("log_softmax", "(4096, 1000) | GPU (65536, 1000)", lambda dv, big: (
            (_t(_pick(big, 4096, 65536), 1000, device=dv),), {"dim": 1})),
        Bench("mse_loss", "4.2M | GPU 67M elements", lambda dv, big: (
            (_t(_pick(big, 4194304, 67108864), device=dv), torch.randn(_pick(big, 4194304, 67108864), device=dv)), {})),
        Bench("euclidean_loss", "4.2M | GPU 67M elements", lambda dv, big: (
            (_t(_pick(big, 4194304, 67108864), device=dv), torch.randn(_pick(big, 4194304, 67108864), device=dv)), {})),
        Bench("cross_entropy", "(4096, 1000) | GPU (65536, 1000)", lambda dv, big: (
            (_t(_pick(big, 4096, 65536), 1000, device=dv),
             torch.randint(0, 1000, (_pick(big, 4096, 65536),), device=dv)), {})),
        Bench("conv2d", "(16, 64, 32, 32) 3×3→64 | GPU (64, 128, 56, 56) 3×3→128", lambda dv, big: (
            (_t(*_pick(big, (16, 64, 32, 32), (64, 128, 56, 56)), device=dv),
             _t(*_pick(big, (64, 64, 3, 3), (128, 128, 3, 3)), device=dv)), {"padding": 1})),
        Bench("max_pool2d", "(16, 64, 64, 64) 3×3 s2 | GPU (64, 256, 64, 64)", lambda dv, big: (
            (_t(*_pick(big, (16, 64, 64, 64), (64, 256, 64, 64)), device=dv), 3, 2, 1), {})),
        Bench("avg_pool2d", "(16, 64, 64, 64) 2×2 | GPU (64, 256, 64, 64)", lambda dv, big: (
            (_t(*_pick(big, (16, 64, 64, 64), (64, 256, 64, 64)), device=dv), 2), {})),
        Bench("adaptive_avg_pool2d", "(64, 512, 7, 7) → 1 | GPU (256, 2048, 7, 7)", lambda dv, big: (
            (_t(*_pick(big, (64, 512, 7, 7), (256, 2048, 7, 7)), device=dv), 1), {})),
        Bench("batch_norm", "train (16, 64, 64, 64) | GPU (64, 256, 64, 64)", lambda dv, big: (
            (_t(*_pick(big, (16, 64, 64, 64), (64, 256, 64, 64)), device=dv),
             torch.zeros(_pick(big, 64, 256), device=dv), torch.ones(_pick(big, 64, 256), device=dv),
             _t(_pick(big, 64, 256), device=dv), _t(_pick(big, 64, 256), device=dv), True), {})),
        Bench("layer_norm", "(4096, 1024) | GPU (65536, 1024)", lambda dv, big: (
            (_t(_pick(big, 4096, 65536), 1024, device=dv), (1024,), _t(1024, device=dv), _t(1024, device=dv)), {})),
        Bench("dropout", "4.2M | GPU 67M elements, p=0.1", lambda dv, big: (
            (_t(*_pick(big, (16, 64, 64, 64), (64, 256, 64, 64)), device=dv), 0.1), {})),
        Bench("embedding", "(64, 512) of (50000, 512) | GPU (512, 512) of (50000, 1024)", lambda dv, big: (
            (torch.randint(0, 50000, _pick(big, (64, 512), (512, 512)), device=dv),
             _t(50000, _pick(big, 512, 1024), device=dv)), {})),
    ]


def _reference(op: str):
    if op == "euclidean_loss":
        return lambda x, y: 0.5 * F.mse_loss(x, y, reduction="sum")
    return getattr(F, op)


def _step(fn, args, kwargs, grad):
    out = fn(*args, **kwargs)
    out.backward(grad)


def _time(fn, args, kwargs, grad, device, min_time: float) -> float:
    """Median seconds of one forward+backward over repeats lasting at least min_time."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(3):
        _step(fn, args, kwargs, grad)
    sync()
    samples, start = [], time.perf_counter()
    while time.perf_counter() - start < min_time or len(samples) < 5:
        t0 = time.perf_counter()
        _step(fn, args, kwargs, grad)
        sync()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def run(device: torch.device, rounds: int, min_time: float, only: set[str] | None) -> list[dict]:
    rows = []
    for bench in _benches():
        if only and bench.op not in only:
            continue
        torch.manual_seed(0)
        args, kwargs = bench.make(device, device.type == "cuda")
        with torch.no_grad():
            probe = _reference(bench.op)(*args, **kwargs)
        grad = torch.randn_like(probe) if probe.dim() else None
        native, ours = [], []
        for _ in range(rounds):  # interleaved, so drift hits both alike
            native.append(_time(_reference(bench.op), args, kwargs, grad, device, min_time))
            ours.append(_time(getattr(ops, bench.op), args, kwargs, grad, device, min_time))
            for a in args:
                if isinstance(a, torch.Tensor):
                    a.grad = None
        n_ms, o_ms = statistics.median(native) * 1e3, statistics.median(ours) * 1e3
        target = 1.10 if bench.op in GEMM_BOUND else 1.25
        side = bench.size.split(" | GPU ")
        rows.append({"op": bench.op, "size": side[-1] if device.type == "cuda" and len(side) > 1 else side[0],
                     "device": device.type, "native_ms": n_ms, "ours_ms": o_ms, "ratio": o_ms / n_ms,
                     "target": target, "meets_target": o_ms / n_ms <= target})
    return rows


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], action="append",
                        help="device(s) to run on (default: cpu, and cuda when available)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per op (default 3)")
    parser.add_argument("--min-time", type=float, default=0.3, help="seconds of repeats per measurement (default 0.3)")
    parser.add_argument("--ops", nargs="*", help="only these ops")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    report = []
    for name in devices:
        device = torch.device(name)
        rows = run(device, args.rounds, args.min_time, set(args.ops) if args.ops else None)
        report.append({"device": name, "hardware": hardware(device), "torch": torch.__version__, "rows": rows})
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for block in report:
        print(f"\n{block['device']}: {block['hardware']}, torch {block['torch']}")
        print("| op | size | device | native ms | ours ms | ratio | target |\n|---|---|---|---:|---:|---:|---:|")
        for r in block["rows"]:
            mark = "" if r["meets_target"] else " (miss)"
            print(f"| {r['op']} | {r['size']} | {r['device']} | {r['native_ms']:.3f} | {r['ours_ms']:.3f} | "
                  f"{r['ratio']:.2f}{mark} | ≤ {r['target']:.2f} |")


if __name__ == "__main__":
    main()
