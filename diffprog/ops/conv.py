"""2-D convolution (cross-correlation, as in every deep-learning library).

    y[n, o, i, j] = b[o] + Σ_{c, u, v} W[o, c, u, v] · x[n, c, s·i + d·u − p, s·j + d·v − p]

It is a linear layer applied at every position (im2col makes that literal: unfold x into
patch columns X̃, then Y = W̃ X̃), so the lecture's linear-layer rules carry over:

    g_in  = g_out W   →  the transposed convolution of g_out with W  (scatter each
                          output gradient back over the patch it came from)
    ∂J/∂W = x_in g_out →  the cross-correlation of x with g_out, summed over the batch
    ∂J/∂b = Σ_{n,i,j} g_out

The fast path computes both with the backend's convolution-backward kernels (cuDNN / oneDNN),
which implement exactly these two formulas; `conv2d_im2col` below is the lecture-faithful
version of the same forward, used by the tests as an independent reference.
"""
from __future__ import annotations

import torch
from torch.autograd import Function

from . import _autocast
from ._dispatch import dispatches
from ._validation import expect_same_device_dtype, expect_tensor, fail, pair


class Conv2dFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, dilation, groups)
        ctx.has_bias = bias is not None
        return torch.conv2d(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, g_out):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.conf
        mask = [ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.has_bias and ctx.needs_input_grad[2]]
        # g_in = transposed conv(g_out, W);  ∂J/∂W = corr(x, g_out);  ∂J/∂b = Σ g_out
        grad_x, grad_w, grad_b = torch.ops.aten.convolution_backward(
            g_out, x, weight, [weight.shape[0]] if ctx.has_bias else None,
            list(stride), list(padding), list(dilation), False, [0, 0], groups, mask)
        return grad_x, grad_w, grad_b, None, None, None, None


def _same_padding(kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(before, after) padding per spatial dim that keeps the size at stride 1."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in total)  # type: ignore[return-value]


@dispatches
def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] | str = 0,
           dilation: int | tuple[int, int] = 1, groups: int = 1) -> torch.Tensor:
    """Convolve input (N, C_in, H, W) or (C_in, H, W) with weight (C_out, C_in/groups, kH, kW).

    padding: int, pair, 'valid' (0) or 'same' (output size = input size; stride must be 1).
    """
    op = "conv2d"
    expect_tensor(op, "input", input)
    input, weight, bias = _autocast.to_autocast_dtype(input, weight, bias)
    expect_same_device_dtype(op, input=input, weight=weight, bias=bias)
    if input.dim() not in (3, 4):
        fail(op, "input must be (N, C, H, W) or (C, H, W)", input=input)
    if weight.dim() != 4:
        fail(op, "weight must be (C_out, C_in/groups, kH, kW)", weight=weight)
    stride, dilation = pair(op, "stride", stride), pair(op, "dilation", dilation)
    if min(stride) < 1 or min(dilation) < 1:
        fail(op, f"stride and dilation must be ≥ 1, got stride={stride}, dilation={dilation}")
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    if groups < 1 or x.shape[1] % groups or weight.shape[0] % groups:
        fail(op, f"groups={groups} must divide both C_in={x.shape[1]} and C_out={weight.shape[0]}")
    if weight.shape[1] * groups != x.shape[1]:
        fail(op, f"weight expects {weight.shape[1] * groups} input channels "
                 f"({weight.shape[1]} per group × {groups} groups) but input has {x.shape[1]}",
             input=input, weight=weight)
    if bias is not None and bias.shape != (weight.shape[0],):
        fail(op, f"bias must have shape ({weight.shape[0]},)", weight=weight, bias=bias)
    if padding == "valid":
        padding = 0
    if padding == "same":
        if stride != (1, 1):
            fail(op, "padding='same' needs stride 1", f"Got stride={stride}; give explicit padding instead")
        (top, bottom), (left, right) = _same_padding(weight.shape[2:], dilation)
        if (top, left) != (bottom, right):  # even kernels: the extra row/column goes after
            x = pad_after(x, bottom - top, right - left)
        padding = (top, left)
    elif isinstance(padding, str):
        fail(op, f"padding must be an int, a pair, 'same' or 'valid', not {padding!r}")
    padding = pair(op, "padding", padding)
    if min(padding) < 0:
        fail(op, f"padding must be ≥ 0, got {padding}")
    eff_kernel = [d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation)]
    if any(size + 2 * p < k for size, p, k in zip(x.shape[2:], padding, eff_kernel)):
        fail(op, f"the padded input {tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))} is smaller "
                 f"than the dilated kernel {tuple(eff_kernel)}", input=input, weight=weight)
    out = _autocast.apply(Conv2dFunction, x.device, x, weight, bias, stride, padding, dilation, groups)
    return out.squeeze(0) if unbatched else out


class PadAfterFunction(Function):
    """Zero rows/columns appended at the bottom/right: y = [x 0];  g_in = g_out[:H, :W]."""

    @staticmethod
    def forward(ctx, x, rows: int, cols: int):
        ctx.size = x.shape[-2:]
        return torch.nn.functional.pad(x, (0, cols, 0, rows))

    @staticmethod
    def backward(ctx, g_out):
        h, w = ctx.size
        return g_out[..., :h, :w], None, None


def pad_after(x: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    return PadAfterFunction.apply(x, rows, cols)


def conv2d_im2col(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                  stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                  dilation: int | tuple[int, int] = 1, groups: int = 1) -> torch.Tensor:
    """conv2d as the lecture's linear layer on patches: Y = W̃ X̃ with X̃ = unfold(x).

    Slow (materializes every patch) but transparent; differentiated by autograd, so it is an
    independent reference for `conv2d`'s hand-written backward.
    """
    stride, padding, dilation = pair("conv2d", "stride", stride), pair("conv2d", "padding", padding), \
        pair("conv2d", "dilation", dilation)
    n, c_in, h, w = input.shape
    c_out, c_per_group, kh, kw = weight.shape
    cols = torch.nn.functional.unfold(input, (kh, kw), dilation, padding, stride)  # (N, C_in·kh·kw, L)
    cols = cols.view(n, groups, c_per_group * kh * kw, -1)
    w_mat = weight.view(groups, c_out // groups, c_per_group * kh * kw)
    out = torch.einsum("gok,ngkl->ngol", w_mat, cols).reshape(n, c_out, -1)
    if bias is not None:
        out = out + bias.view(1, -1, 1)
    h_out = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    w_out = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return out.view(n, c_out, h_out, w_out)
