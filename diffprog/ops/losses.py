"""Losses: squared error (the lecture's Euclidean loss and torch's MSE) and cross-entropy.

All reductions happen inside the Functions, so the whole loss, down to the scalar, is
differentiated by the hand-written backward below.
"""
from __future__ import annotations

import warnings

import torch
from torch.autograd import Function

from ._fusion import fusable
from ._precision import upcast
from . import _autocast
from ._dispatch import dispatches
from ._validation import (
    expect_floating,
    expect_reduction,
    expect_same_device,
    expect_same_device_dtype,
    expect_tensor,
    fail,
    legacy_reduction,
)
from .softmax import log_softmax


class SquaredErrorFunction(Function):
    """ℓ_i = k w_i (x_i − y_i)²,  L = s Σ_i ℓ_i  (or ℓ itself for reduction='none').

    k = 1 for MSE, k = ½ for the lecture's Euclidean loss ½‖x − y‖²; s = 1/N for 'mean'
    (1/Σ_i w_i when weighted), 1 for 'sum'. With upstream gradient g:

        ∂L/∂x_i = 2 k s w_i (x_i − y_i) g        ∂L/∂y_i = −∂L/∂x_i
        ∂L/∂w_i = k s (x_i − y_i)² g  (− L/Σw · g for the weighted mean)

    Gradients are summed back over broadcast dimensions.
    """

    @staticmethod
    def forward(ctx, x, y, weight, reduction: str, k: float):
        loss = squared_error(x, y, weight, reduction, k)
        ctx.save_for_backward(x, y, weight, loss)
        ctx.reduction, ctx.k = reduction, k
        return loss

    @staticmethod
    def backward(ctx, g):
        x, y, weight, loss = ctx.saved_tensors
        grads = squared_error_grads(g, x, y, weight, loss, ctx.reduction, ctx.k, tuple(ctx.needs_input_grad[:3]))
        return (*grads, None, None)


@fusable
def squared_error(x, y, weight, reduction: str, k: float):
    """L = s Σ_i k w_i (x_i − y_i)²  (per element for reduction='none')"""
    diff = x - y
    per_element = diff * diff
    if k != 1.0:
        per_element = per_element * k
    if weight is not None:
        per_element = per_element * weight
    if reduction == "none":
        return per_element
    if reduction == "sum":
        return per_element.sum()
    denom = weight.sum() if weight is not None else per_element.numel()
    return per_element.sum() / denom


@fusable
def squared_error_grads(g, x, y, weight, loss, reduction: str, k: float, needs: tuple[bool, bool, bool]):
    """(∂L/∂x, ∂L/∂y, ∂L/∂w) as in SquaredErrorFunction's docstring; None where not needed."""
    diff = x - y
    scale = g
    if reduction == "mean":
        scale = g / (weight.sum() if weight is not None else diff.numel())
    if weight is not None:
        scale = scale * weight
    grad_x = grad_y = grad_w = None
    if needs[0] or needs[1]:
        g_diff = diff * (2 * k * scale)
        if needs[0]:
            grad_x = g_diff.sum_to_size(x.shape)
        if needs[1]:
            grad_y = (-g_diff).sum_to_size(y.shape)
    if weight is not None and needs[2]:
        unit = g / weight.sum() if reduction == "mean" else g
        grad_w = unit * k * diff * diff
        if reduction == "mean":
            grad_w = grad_w - unit * loss
    return grad_x, grad_y, grad_w


def _squared_error(op: str, input, target, weight, reduction: str, k: float) -> torch.Tensor:
    expect_tensor(op, "input", input)
    expect_tensor(op, "target", target)
    input, target, weight = _autocast.to_float32(input, target, weight)
    expect_same_device_dtype(op, input=input, target=target, weight=weight)
    expect_reduction(op, reduction)
    try:
        shape = torch.broadcast_shapes(input.shape, target.shape)
    except RuntimeError:
        fail(op, "input and target shapes cannot be broadcast together",
             "Give target the same shape as input", input=input, target=target)
    if target.shape != input.shape:
        warnings.warn(f"diffprog.ops.{op}: target size {tuple(target.shape)} differs from input size "
                      f"{tuple(input.shape)}; broadcasting them is likely a mistake", stacklevel=3)
    if weight is not None and weight.shape != input.shape:
        fail(op, "weight must have the same shape as input", input=input, weight=weight)
    del shape
    return _autocast.apply(SquaredErrorFunction, input.device, input, target, weight, reduction, k)


@dispatches
def mse_loss(input: torch.Tensor, target: torch.Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error mean_i w_i (x_i − y_i)² (weighted mean divides by Σw), 'sum' or 'none'."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _squared_error("mse_loss", input, target, weight, reduction, 1.0)


@dispatches
def euclidean_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """The lecture's Euclidean loss L = ½ ‖x − y‖² = ½ Σ_i (x_i − y_i)², so ∂L/∂x = x − y.

    reduction='sum' (default) is the lecture's formula; 'mean' divides by the element count;
    'none' returns ½ (x_i − y_i)² per element.
    """
    return _squared_error("euclidean_loss", input, target, None, reduction, 0.5)


def _class_shape(n_dims: int, n_classes: int) -> tuple[int, ...]:
    """(1, C, 1, …) so per-class weights broadcast against (N, C, d1, …)."""
    return (1, n_classes) + (1,) * (n_dims - 2)


class IndexCrossEntropyFunction(Function):
    """Class-index targets y_i, log-probabilities z = log_softmax(x) over the class dim, p = e^z:

        ℓ_i = m_i [ (1−ε) w_{y_i} (−z_{i,y_i}) + (ε/C) Σ_c w_c (−z_{i,c}) ]
        ∂ℓ_i/∂x_ik = m_i [ p_ik ((1−ε) w_{y_i} + (ε/C) Σ_c w_c) − (1−ε) w_{y_i} δ_{k,y_i} − (ε/C) w_k ]

    m_i = 0 where y_i = ignore_index; ε the label smoothing; w the class weights (1 if None).
    'mean' divides by D = Σ_i m_i w_{y_i}, as torch does.
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index: int, reduction: str, smoothing: float):
        x32 = upcast(x)
        z = torch.log_softmax(x32, 1)
        valid = target != ignore_index
        safe_target = torch.where(valid, target, 0)
        w_y = valid.to(z.dtype) if weight is None else upcast(weight)[safe_target] * valid
        loss = -w_y * z.gather(1, safe_target.unsqueeze(1)).squeeze(1)
        if smoothing:
            n_classes = x.shape[1]
            z_sum = z.sum(1) if weight is None else (z * upcast(weight).view(_class_shape(x.dim(), n_classes))).sum(1)
            loss = (1 - smoothing) * loss - (smoothing / n_classes) * z_sum * valid
        denom = w_y.sum()
        if reduction == "sum":
            loss = loss.sum()
        elif reduction == "mean":
            loss = loss.sum() / denom
        ctx.save_for_backward(x, z, safe_target, valid, w_y, weight, denom)
        ctx.reduction, ctx.smoothing = reduction, smoothing
        return loss.to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, z, safe_target, valid, w_y, weight, denom = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return (None,) * 6
        if torch.is_grad_enabled():  # double backward: rebuild z inside the graph
            z = log_softmax(upcast(x), 1)
        grad = index_cross_entropy_grad(g, x, z, safe_target, valid, w_y, weight, denom, ctx.reduction,
                                        ctx.smoothing)
        return grad, None, None, None, None, None


@fusable
def index_cross_entropy_grad(g, x, z, safe_target, valid, w_y, weight, denom, reduction: str, eps: float):
    """∂L/∂x as in IndexCrossEntropyFunction's docstring."""
    n_classes = x.shape[1]
    coef = upcast(g)
    if reduction == "mean":
        coef = coef / denom
    coef = coef * valid  # (N, d…) or broadcast scalar
    a = coef * w_y
    w_total = n_classes if weight is None else upcast(weight).sum()
    grad = torch.exp(z) * ((1 - eps) * a + (eps / n_classes) * coef * w_total).unsqueeze(1)
    picked = (-(1 - eps) * a).expand(safe_target.shape).unsqueeze(1)
    grad = grad.scatter_add(1, safe_target.unsqueeze(1), picked)
    if eps:
        w = 1.0 if weight is None else upcast(weight).view(_class_shape(x.dim(), n_classes))
        grad = grad - (eps / n_classes) * coef.unsqueeze(1) * w
    return grad.to(x.dtype)


class ProbCrossEntropyFunction(Function):
    """Probability targets t, smoothed to q = (1−ε) t + ε/C; z = log_softmax(x), p = e^z:

        ℓ_i = −Σ_c w_c q_ic z_ic
        ∂ℓ_i/∂x_ik = p_ik Σ_c w_c q_ic − w_k q_ik          ∂ℓ_i/∂t_ic = −(1−ε) w_c z_ic

    'mean' divides by the number of samples (N · d1 · …), as torch does.
    """

    @staticmethod
    def forward(ctx, x, target, weight, reduction: str, smoothing: float):
        z = torch.log_softmax(upcast(x), 1)
        q = upcast(target)
        if smoothing:
            q = (1 - smoothing) * q + smoothing / x.shape[1]
        wq = q if weight is None else q * upcast(weight).view(_class_shape(x.dim(), x.shape[1]))
        loss = -(wq * z).sum(1)
        if reduction == "sum":
            loss = loss.sum()
        elif reduction == "mean":
            loss = loss.sum() / loss.numel()
        ctx.save_for_backward(x, target, weight, z)
        ctx.reduction, ctx.smoothing, ctx.n_samples = reduction, smoothing, x.numel() // x.shape[1]
        return loss.to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, target, weight, z = ctx.saved_tensors
        if torch.is_grad_enabled():
            z = log_softmax(upcast(x), 1)
        eps, n_classes = ctx.smoothing, x.shape[1]
        coef = upcast(g)
        if ctx.reduction == "mean":
            coef = coef / ctx.n_samples
        coef = coef.unsqueeze(1) if ctx.reduction == "none" else coef
        w = 1.0 if weight is None else upcast(weight).view(_class_shape(x.dim(), n_classes))
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            q = upcast(target)
            if eps:
                q = (1 - eps) * q + eps / n_classes
            wq = q * w
            grad_x = (coef * (torch.exp(z) * wq.sum(1, keepdim=True) - wq)).to(x.dtype)
        if ctx.needs_input_grad[1]:
            grad_t = (-(1 - eps) * coef * w * z).to(target.dtype)
        return grad_x, grad_t, None, None, None


@dispatches
def cross_entropy(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy of logits `input` (N, C, d1, …) or (C,) against class indices (N, d1, …)
    or class probabilities (same shape as input). Stable for logits of any magnitude."""
    op = "cross_entropy"
    expect_tensor(op, "input", input)
    expect_tensor(op, "target", target)
    expect_floating(op, input=input)
    input, target, weight = _autocast.to_float32(input, target, weight)
    reduction = legacy_reduction(size_average, reduce, reduction)
    expect_reduction(op, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        fail(op, f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.dim() == 0:
        fail(op, "input must have a class dimension: (C,) or (N, C, d1, …)", input=input)
    unbatched = input.dim() == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    n_classes = input.shape[1]
    expect_same_device(op, input=input, target=target, weight=weight)
    if weight is not None:
        expect_same_device_dtype(op, input=input, weight=weight)
        if weight.shape != (n_classes,):
            fail(op, f"weight must have one entry per class, shape ({n_classes},)", input=input, weight=weight)
        weight = weight.detach()  # class weights are constants here, as in torch
    if target.is_floating_point():
        if target.shape != input.shape:
            fail(op, "probability targets must have the input's shape", input=input, target=target)
        expect_same_device_dtype(op, input=input, target=target)
        loss = _autocast.apply(ProbCrossEntropyFunction, input.device, input, target, weight, reduction,
                               float(label_smoothing))
    else:
        expected = input.shape[:1] + input.shape[2:]
        if target.shape != expected:
            fail(op, f"class-index targets must have shape {tuple(expected)} (input without its class dim)",
                 input=input, target=target)
        if target.dtype == torch.bool:
            fail(op, "class-index targets must be integers, not bool", target=target)
        if not torch.compiler.is_compiling():
            bad = (target != ignore_index) & ((target < 0) | (target >= n_classes))
            if bool(bad.any()):
                fail(op, f"class index {int(target[bad][0])} is out of range for {n_classes} classes",
                     input=input, target=target)
        loss = _autocast.apply(IndexCrossEntropyFunction, input.device, input, target.long(), weight, ignore_index,
                               reduction, float(label_smoothing))
    return loss.squeeze(0) if unbatched and reduction == "none" else loss
