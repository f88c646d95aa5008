"""Slides: "Which are differentiable? Which have defined gradients in PyTorch? Which will be hard
to optimize?" — answered by measurement, function by function.

For each function f the table says what calculus says (differentiable everywhere, almost everywhere,
piecewise constant, integer-valued) and then measures, in torch:
- the gradient of Σ f(x) at random points (no ties, no kinks): its distinct values;
- the gradient torch returns at a kink or jump, where calculus has none (a convention);
- whether gradient descent through f makes progress on a task f can solve: raise the mean of f(x)
  by 1 from a random start, J = (mean f(x) − target)², 200 steps.

The demo then trains an MLP whose hidden units are binary, sign(Wx + b): through torch.sign the
gradient is zero and only the last layer learns; through the straight-through sign_ste it trains.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .. import nn as dnn
from ..data import two_spirals
from ..ops.surrogates import sign_ste
from ..optim import SGD, Adam
from ..plots import plt, save_figure
from .fit import History, fit_classifier


@dataclass(frozen=True)
class Subject:
    name: str
    f: Callable[[torch.Tensor], torch.Tensor]  # x (n,) → values
    calculus: str        # what mathematics says
    kink: tuple[float, ...]  # an input where f has no derivative


def _quantize(x: torch.Tensor, levels: int = 4) -> torch.Tensor:
    return torch.round(x * levels) / levels


SUBJECTS = [
    Subject("abs(x)", torch.abs, "differentiable except at 0 (|x|' = sign x)", (0.0, 1.0)),
    Subject("relu(x)", torch.relu, "differentiable except at 0", (0.0, 1.0)),
    Subject("clamp(x, -1, 1)", lambda x: x.clamp(-1, 1), "differentiable except at ±1; flat outside", (1.0, 0.0)),
    Subject("max(x)", lambda x: x.max(), "differentiable except at ties", (1.0, 1.0)),
    Subject("sort(x).values", lambda x: x.sort().values, "differentiable except at ties (a permutation)", (1.0, 1.0)),
    Subject("topk(x, 1).values", lambda x: x.topk(1).values, "differentiable except at ties", (1.0, 1.0)),
    Subject("round(x)", torch.round, "piecewise constant: 0, undefined at jumps", (0.5, 1.0)),
    Subject("floor(x)", torch.floor, "piecewise constant: 0, undefined at integers", (1.0, 0.5)),
    Subject("quantize(x, 1/4)", _quantize, "piecewise constant (round(4x)/4)", (0.125, 0.3)),
    Subject("sign(x)", torch.sign, "piecewise constant: 0, undefined at 0", (0.0, 1.0)),
    Subject("step(x) (heaviside)", lambda x: torch.heaviside(x, torch.tensor(0.5, dtype=x.dtype)),
            "piecewise constant: 0, undefined at 0", (0.0, 1.0)),
    Subject("argmax(x)", lambda x: x.argmax().to(x.dtype), "integer-valued: no derivative at all", (1.0, 0.0)),
]


@dataclass
class Finding:
    name: str
    calculus: str
    torch_gradient: str   # distinct values of ∂Σf/∂x at random points, or why there is none
    at_kink: str          # torch's gradient at Subject.kink
    progress: float       # fraction of J removed by 200 gradient steps (0: none)
    verdict: str


def _gradient(f, x: torch.Tensor) -> torch.Tensor | str:
    x = x.detach().clone().requires_grad_(True)
    try:
        f(x).sum().backward()
    except RuntimeError as error:
        text = str(error)
        if "does not require grad" in text:
            return "none: output not connected to x"
        if "not implemented" in text:
            return "none: torch implements no derivative"
        return "none: " + text.splitlines()[0][:50]
    return x.grad


def _values(grad: torch.Tensor | str) -> str:
    if isinstance(grad, str):
        return grad
    distinct = sorted({round(v, 4) for v in grad.tolist()})
    return "{" + ", ".join(f"{v:g}" for v in distinct[:5]) + ("…" if len(distinct) > 5 else "") + "}"


def descent_progress(f, start: torch.Tensor, steps: int = 200, lr: float = 0.5) -> float:
    """1 − J_end / J_start for J = (mean f(x) − (mean f(x₀) + 1))² under gradient descent (0 when no
    gradient flows at all)."""
    x = nn.Parameter(start.clone())
    with torch.no_grad():
        target = f(x).mean() + 1
    optimizer = SGD([x], lr=lr)
    first = None
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        J = (f(x).mean() - target) ** 2
        first = J.item() if first is None else first
        if not J.requires_grad:
            return 0.0
        try:
            J.backward()
        except RuntimeError:  # torch defines no derivative (heaviside)
            return 0.0
        optimizer.step()
    with torch.no_grad():
        return 1 - ((f(x).mean() - target) ** 2).item() / first


def _verdict(grad: torch.Tensor | str, progress: float) -> str:
    if isinstance(grad, str) or not grad.any():
        return "hard: no gradient signal (use a surrogate)"
    if (grad != 0).float().mean() < 0.25:
        return "sparse: reaches only the chosen inputs"
    return "easy: kinks have measure zero" if progress > 0.5 else "hard: little progress"


def survey(subjects: list[Subject] = SUBJECTS, n: int = 64, seed: int = 0) -> list[Finding]:
    """One Finding per function, measured at `n` random points (float64)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=generator, dtype=torch.float64) * 1.5 + 0.01  # no ties, no kinks
    findings = []
    for s in subjects:
        grad = _gradient(s.f, x)
        kink = _gradient(s.f, torch.tensor(s.kink, dtype=torch.float64))
        progress = descent_progress(s.f, x)
        point = "(" + ", ".join(f"{v:g}" for v in s.kink) + ")"
        at_kink = kink if isinstance(kink, str) else f"∂/∂x₁ = {kink[0].item():g} at x = {point}"
        findings.append(Finding(s.name, s.calculus, _values(grad), at_kink, progress, _verdict(grad, progress)))
    return findings


class Elementwise(nn.Module):
    """An activation given as a function (torch.sign, ops.sign_ste, …)."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], name: str):
        super().__init__()
        self.fn, self.name = fn, name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


def binarized_mlp(activation: Callable[[torch.Tensor], torch.Tensor], name: str, hidden: int = 24,
                  depth: int = 3) -> nn.Sequential:
    """2 → hidden (× depth) → 2 with binary hidden units: each hidden layer is activation(Wx + b) ∈ {−1, 1}."""
    layers: list[nn.Module] = [dnn.Linear(2, hidden)]
    for _ in range(depth - 1):
        layers += [Elementwise(activation, name), dnn.Linear(hidden, hidden)]
    return nn.Sequential(*layers, Elementwise(activation, name), dnn.Linear(hidden, 2))


@dataclass
class DemoRun:
    model: nn.Module
    history: History
    moved: list[float]  # per linear layer, ‖W_end − W_start‖ / ‖W_start‖: did it learn at all?


def binarized_demo(steps: int = 2000, points: int = 200, seed: int = 0,
                   progress: bool = True) -> tuple[torch.Tensor, torch.Tensor, dict[str, DemoRun]]:
    """The same binarized MLP (same start) trained through torch.sign and through sign_ste, Adam η = 0.01.
    Through torch.sign every layer before the last step gets a zero gradient and stays where it began."""
    x, y = two_spirals(points, seed=seed)
    torch.manual_seed(seed)
    start = binarized_mlp(torch.sign, "torch.sign")
    runs = {}
    for name, fn in (("torch.sign (true gradient: 0)", torch.sign), ("sign_ste (straight-through)", sign_ste)):
        model = copy.deepcopy(start)
        for i, layer in enumerate(model):
            if isinstance(layer, Elementwise):
                model[i] = Elementwise(fn, name)
        history = fit_classifier(model, Adam(model.parameters(), lr=0.01), x, y, steps, desc=name, progress=progress)
        moved = [((a.weight - b.weight).norm() / b.weight.norm()).item()
                 for a, b in zip(model, start) if isinstance(a, dnn.Linear)]
        runs[name] = DemoRun(model, history, moved)
        if history.interrupted:
            break
    return x, y, runs


VERDICT_COLOURS = {"easy": "#d9f0d3", "sparse": "#fee8c8", "hard": "#f4cccc"}


def plot_findings(findings: list[Finding], path) -> None:
    """The survey as a table picture, each row coloured by its verdict."""
    columns = ["function", "what calculus says", "torch's gradient at random x", "torch at a kink / jump",
               "J removed", "verdict"]
    rows = [[f.name, f.calculus, f.torch_gradient, f.at_kink, f"{f.progress:.0%}", f.verdict] for f in findings]
    fig, ax = plt.subplots(figsize=(19, 0.42 * len(rows) + 1.2))
    ax.axis("off")
    table = ax.table(cellText=rows, colLabels=columns, loc="center", cellLoc="left", colLoc="left",
                     colWidths=[0.1, 0.22, 0.18, 0.19, 0.06, 0.25])
    table.auto_set_font_size(False)
    table.set_fontsize(8.5)
    table.scale(1, 1.45)
    for (row, _), cell in table.get_celld().items():
        if row == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#dddddd")
        else:
            cell.set_facecolor(VERDICT_COLOURS[findings[row - 1].verdict.split(":")[0]])
    ax.set_title("Which are differentiable? Which have defined gradients in PyTorch? Which will be hard to optimize?\n"
                 "(measured: gradients of Σ f(x) at 64 random points; gradient descent raising mean f(x) by 1, "
                 "200 steps)", fontsize=10)
    save_figure(fig, path)
