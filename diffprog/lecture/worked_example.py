"""The lecture's worked backprop example, run on diffprog ops and on torch autograd side by side.

Network (slides "Backpropagation example"): x1 = W0 x0, x2 = tanh(x1), x3 = W1 x2,
L = ½ (x3 − y)², one gradient step with η = 0.2 (the slides write η = −0.2 with "+").
The slides write ∂L/∂W0 = x0 ∂L/∂x1 (input column times gradient row); torch stores the
transpose, W0.grad = (∂L/∂x1)ᵀ x0ᵀ, which is exactly the update direction (∂L/∂W0)ᵀ.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import ops
from ..optim import SGD

X0 = (1.0, 0.1)
W0 = ((1.0, -3.0), (0.2, 1.0))
W1 = ((1.0, -1.0),)
Y = 0.5
STEP = 0.2

#: The slide's numbers as printed (their decimals are the slide's precision). One slide line
#: multiplies by −0.1186 where the right factor is ∂L/∂x3 = −0.1869; its printed result for
#: ∂L/∂W1, (−0.113, −0.054), is the correct one and is what we reproduce.
SLIDE = {
    "x1": ["0.7", "0.3"],
    "x2": ["0.604", "0.291"],
    "x3": "0.313",
    "L": "0.017",
    "dL/dx3": "-0.1869",
    "dL/dx2": ["-0.1869", "0.1869"],
    "dL/dx1": ["-0.1186", "0.171"],
    "dL/dW0": [["-0.1186", "0.171"], ["-0.01186", "0.0171"]],
    "dL/dW1": ["-0.113", "-0.054"],
    "W0 updated": [["1.02", "-3.0"], ["0.17", "1.0"]],
    "W1 updated": ["1.02", "-0.989"],
}


def slide_network(x0: torch.Tensor, W0: torch.Tensor, W1: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L = ½ (W1 tanh(W0 x0) − y)², on diffprog's ops (the graph `diffprog backprop --graph` draws)."""
    return ops.euclidean_loss(ops.linear(ops.tanh(ops.linear(x0, W0)), W1), y)


def slide_inputs() -> dict[str, torch.Tensor]:
    """The slides' x0, W0, W1 (requiring grad) and y, in float64."""
    return {"x0": torch.tensor(X0, dtype=torch.float64),
            "W0": torch.tensor(W0, dtype=torch.float64, requires_grad=True),
            "W1": torch.tensor(W1, dtype=torch.float64, requires_grad=True),
            "y": torch.tensor([Y], dtype=torch.float64)}


def shared_weight_network(x0: torch.Tensor, W: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Parameter sharing (slides: "Parameter sharing → sum gradients"): one W used twice,
    L = ½ ‖W tanh(W x0) − y‖², so ∂L/∂W is the sum of the two uses' shares."""
    return ops.euclidean_loss(ops.linear(ops.tanh(ops.linear(x0, W)), W), y)


def shared_weight_inputs() -> dict[str, torch.Tensor]:
    return {"x0": torch.tensor(X0, dtype=torch.float64),
            "W": torch.tensor(W0, dtype=torch.float64, requires_grad=True),
            "y": torch.tensor([Y, -Y], dtype=torch.float64)}


def _one_iteration(linear, tanh, loss_fn, optimizer_cls) -> dict[str, object]:
    """Forward, backward and one SGD step; every value in the slides' layout, as Python floats."""
    x0 = torch.tensor(X0, dtype=torch.float64)
    w0 = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    w1 = torch.tensor(W1, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([Y], dtype=torch.float64)
    x1 = linear(x0, w0)
    x2 = tanh(x1)
    x3 = linear(x2, w1)
    loss = loss_fn(x3, y)
    for t in (x1, x2, x3):
        t.retain_grad()
    loss.backward()
    values = {
        "x1": x1.tolist(), "x2": x2.tolist(), "x3": x3.item(), "L": loss.item(),
        "dL/dx3": x3.grad.item(), "dL/dx2": x2.grad.tolist(), "dL/dx1": x1.grad.tolist(),
        "dL/dW0": w0.grad.t().tolist(),  # the slides' layout x0 · ∂L/∂x1
        "dL/dW1": w1.grad.t().flatten().tolist(),  # x2 · ∂L/∂x3
    }
    optimizer_cls([w0, w1], lr=STEP).step()
    values["W0 updated"] = w0.detach().tolist()
    values["W1 updated"] = w1.detach().flatten().tolist()
    return values


def backprop_example() -> dict[str, dict[str, object]]:
    """{"diffprog": values, "torch": values, "slide": printed values} for the lecture's example."""
    return {
        "diffprog": _one_iteration(ops.linear, ops.tanh, ops.euclidean_loss, SGD),
        "torch": _one_iteration(F.linear, torch.tanh, lambda a, b: 0.5 * F.mse_loss(a, b, reduction="sum"),
                                torch.optim.SGD),
        "slide": SLIDE,
    }


def decimals(printed: str) -> int:
    """How many decimals a printed slide number has ("-0.1186" → 4)."""
    return len(printed.split(".")[1]) if "." in printed else 0


def matches_slide(value, printed) -> bool:
    """True when `value` agrees with the slide's number to within one unit of its last printed
    decimal. (The slides sometimes truncate rather than round: ∂L/∂x1 = −0.118662 is printed −0.1186.)"""
    if isinstance(printed, list):
        return len(value) == len(printed) and all(matches_slide(v, p) for v, p in zip(value, printed))
    return abs(value - float(printed)) < 10 ** -decimals(printed)
