"""Pointwise nonlinearities: y = f(x) elementwise, so the Jacobian is diagonal and
the lecture's g_in = g_out · ∂f/∂x becomes an elementwise product g_in = g_out ⊙ f'(x).
Float16/bfloat16 derivatives are evaluated in float32, as torch's kernels do.

Each backward formula is a plain function of tensors written with differentiable ops, so
double backward works; a plain backward runs it fused (see _fusion).
"""
from __future__ import annotations

import math

import torch
from torch.autograd import Function

from ._fusion import fusable
from ._graph import attached
from ._precision import upcast
from ._dispatch import dispatches
from ._validation import expect_floating, fail


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715


@fusable
def tanh_grad(g_out, y):
    """g_in = g_out ⊙ (1 − y²)"""
    y = upcast(y)
    return (upcast(g_out) * (1 - y * y)).to(g_out.dtype)


@fusable
def sigmoid_grad(g_out, y):
    """g_in = g_out ⊙ y ⊙ (1 − y)"""
    y = upcast(y)
    return (upcast(g_out) * y * (1 - y)).to(g_out.dtype)


@fusable
def leaky_relu_grad(g_out, y, negative_slope: float):
    """g_in = g_out where y > 0, a · g_out elsewhere. ReLU (a = 0) zeroes exactly where y ≤ 0, so a
    NaN input passes its gradient on, as torch's threshold_backward does."""
    if negative_slope == 0:
        return torch.where(y <= 0, 0, g_out)
    return torch.where(y > 0, g_out, g_out * negative_slope)


@fusable
def gelu_grad(g_out, x, approximate: str):
    """g_in = g_out ⊙ f'(x), f' as in GELUFunction's docstring"""
    x = upcast(x)
    if approximate == "tanh":
        t = torch.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
    else:
        cdf, pdf = _normal_cdf_pdf(x)
        slope = cdf + x * pdf
    return (upcast(g_out) * slope).to(g_out.dtype)


_ERF_P = 0.3275911
_ERF_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def _normal_cdf_pdf(x):
    """Φ(x) = ½ (1 + erf(x/√2)) and φ(x) = e^{−x²/2} / √(2π), sharing one exponential.

    For float32 with no graph recorded, erf(u) = sign(u) (1 − t P(t) e^{−u²}), t = 1 / (1 + p|u|),
    P a quartic (Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7: the approximation torch's own
    vectorized CPU erf uses); with u = x/√2, e^{−u²} = e^{−x²/2} is φ's exponential, so one exp
    serves both. Float64, and double backward (whose derivative at 0 the sign would cut), use torch.erf.
    """
    e = torch.exp(-0.5 * x * x)
    if x.dtype == torch.float64 or torch.is_grad_enabled():
        return 0.5 * (1 + torch.erf(x * _INV_SQRT_2)), _INV_SQRT_2PI * e
    u = x * _INV_SQRT_2
    t = 1 / (1 + _ERF_P * u.abs())
    poly = _ERF_A[0]
    for a in _ERF_A[1:]:
        poly = poly * t + a
    tail = 0.5 * t * poly * e  # ½ (1 − |erf(u)|)
    return torch.where(u >= 0, 1 - tail, tail), _INV_SQRT_2PI * e


class TanhFunction(Function):
    """y = tanh(x);  f'(x) = 1 − tanh²(x) = 1 − y², so g_in = g_out ⊙ (1 − y²)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g_out):
        (y,) = ctx.saved_tensors
        return tanh_grad(g_out, y)


class SigmoidFunction(Function):
    """y = σ(x) = 1 / (1 + e^{−x});  f'(x) = y (1 − y), so g_in = g_out ⊙ y ⊙ (1 − y)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g_out):
        (y,) = ctx.saved_tensors
        return sigmoid_grad(g_out, y)


class LeakyReLUFunction(Function):
    """y = x for x > 0, a·x otherwise (a = 0 is ReLU);  f'(x) = 1 for x > 0, a otherwise.

    The slope is read off the output (y > 0 exactly where x > 0), so the in-place variant,
    which overwrites x, needs nothing else saved.
    """

    @staticmethod
    def forward(ctx, x, negative_slope: float, inplace: bool):
        if inplace:
            y = x.clamp_(min=0) if negative_slope == 0 else torch.nn.functional.leaky_relu_(x, negative_slope)
            ctx.mark_dirty(x)
        else:
            y = torch.relu(x) if negative_slope == 0 else torch.nn.functional.leaky_relu(x, negative_slope)
        ctx.save_for_backward(y)
        ctx.negative_slope = negative_slope
        return y

    @staticmethod
    def backward(ctx, g_out):
        (y,) = ctx.saved_tensors
        return attached(leaky_relu_grad(g_out, y, ctx.negative_slope), y), None, None


class GELUFunction(Function):
    """Exact:  y = x Φ(x),  f'(x) = Φ(x) + x φ(x)  with Φ, φ the standard normal cdf and pdf.

    Tanh approximation:  y = ½ x (1 + tanh u),  u = √(2/π) (x + 0.044715 x³),
    f'(x) = ½ (1 + tanh u) + ½ x (1 − tanh² u) √(2/π) (1 + 3·0.044715 x²).
    """

    @staticmethod
    def forward(ctx, x, approximate: str):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return torch.nn.functional.gelu(x, approximate=approximate)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return gelu_grad(g_out, x, ctx.approximate), None


@dispatches
def tanh(input: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent, elementwise; any shape."""
    expect_floating("tanh", input=input)
    return TanhFunction.apply(input)


@dispatches
def sigmoid(input: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid σ(x) = 1 / (1 + e^{−x}), elementwise; any shape."""
    expect_floating("sigmoid", input=input)
    return SigmoidFunction.apply(input)


@dispatches
def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """max(x, 0) elementwise; `inplace=True` overwrites `input` (as torch's does)."""
    expect_floating("relu", input=input)
    return LeakyReLUFunction.apply(input, 0.0, inplace)


@dispatches
def leaky_relu(input: torch.Tensor, negative_slope: float = 0.01, inplace: bool = False) -> torch.Tensor:
    """x for x > 0, negative_slope · x otherwise; `inplace=True` overwrites `input`."""
    expect_floating("leaky_relu", input=input)
    if negative_slope < 0:
        fail("leaky_relu", f"negative_slope must be ≥ 0 (the slope is read off the output's sign), got {negative_slope}")
    return LeakyReLUFunction.apply(input, float(negative_slope), inplace)


@dispatches
def gelu(input: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """Gaussian error linear unit x Φ(x); `approximate='tanh'` uses the tanh formula."""
    expect_floating("gelu", input=input)
    if approximate not in ("none", "tanh"):
        fail("gelu", f"approximate must be 'none' or 'tanh', not {approximate!r}")
    return GELUFunction.apply(input, approximate)


# Dropout: y = x ⊙ m with m_i = b_i / (1 − p), b_i ~ Bernoulli(1 − p);  g_in = g_out ⊙ m.
# On the CPU the mask is drawn exactly as torch draws it (m as floats), so seeded runs match F.dropout bit for bit.
# On other devices (CUDA) b is drawn as [u_i ≥ p], u_i ~ U[0, 1), and kept as bytes: one fused kernel reads x and
# writes y and b, one reads g_out and b — the memory traffic of torch's own fused CUDA kernel (the float mask
# costs a write, a read-modify-write and a read of 4 bytes per element more).
TORCH_MASK_DEVICES = ("cpu",)


@fusable
def dropout_keep(x, p: float):
    """(y, b): b_i = [u_i ≥ p] with u_i ~ U[0, 1), y = x ⊙ b / (1 − p)"""
    keep = torch.rand_like(x, dtype=torch.float32) >= p
    return x * keep * (1.0 / (1.0 - p)), keep


@fusable
def dropout_grad(g_out, keep, p: float):
    """g_in = g_out ⊙ b / (1 − p)"""
    return g_out * keep * (1.0 / (1.0 - p))


class DropoutFunction(Function):
    @staticmethod
    def forward(ctx, x, p: float, inplace: bool):
        ctx.p = p
        if p < 1.0 and not inplace and x.device.type not in TORCH_MASK_DEVICES:
            y, keep = dropout_keep(x, p)
            ctx.save_for_backward(keep)
            ctx.bytes_mask = True
            return y
        if p == 1.0:
            mask = torch.zeros_like(x)
        else:
            mask = torch.empty_like(x).bernoulli_(1 - p).div_(1 - p)
        ctx.save_for_backward(mask)
        ctx.bytes_mask = False
        if inplace:
            ctx.mark_dirty(x)
            return x.mul_(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g_out):
        (mask,) = ctx.saved_tensors
        if ctx.bytes_mask:
            return dropout_grad(g_out, mask, ctx.p), None, None
        return g_out * mask, None, None


@dispatches
def dropout(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> torch.Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 − p); identity when not training."""
    expect_floating("dropout", input=input)
    if not 0.0 <= p <= 1.0:
        fail("dropout", f"p must be a probability in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    return DropoutFunction.apply(input, float(p), inplace)
