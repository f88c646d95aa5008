"""Pooling.

Max pooling picks one input per window, so its Jacobian is a 0/1 selection matrix:
g_in[argmax of window] += g_out[window] (windows that overlap accumulate).

Average pooling and adaptive average pooling are linear maps y = P x with fixed weights;
their backward is the transpose, g_in = Pᵀ g_out: every output gradient is spread evenly
back over the inputs of its window, divided by the same divisor the forward used.
"""
from __future__ import annotations


import torch
from torch.autograd import Function

from ._graph import attached
from ._dispatch import dispatches
from ._validation import expect_floating, expect_tensor, fail, pair


class MaxPool2dFunction(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        out, indices = torch.ops.aten.max_pool2d_with_indices(x, kernel, stride, padding, dilation, ceil_mode)
        ctx.save_for_backward(x, indices)
        ctx.input_shape = x.shape
        ctx.mark_non_differentiable(indices)
        return out, indices

    @staticmethod
    def backward(ctx, g_out, _g_indices):
        x, indices = ctx.saved_tensors
        n, c, h, w = ctx.input_shape
        g_in = g_out.new_zeros(n, c, h * w)
        g_in.scatter_add_(2, indices.flatten(2), g_out.flatten(2))
        return attached(g_in.view(n, c, h, w), x), None, None, None, None, None


def _window_sizes(length: int, out_len: int, k: int, s: int, p: int, include_pad: bool,
                  device: torch.device) -> torch.Tensor:
    """Divisor of each 1-D window, as torch counts it: clipped to the padded input, and to the
    input itself when padding is not counted."""
    start = torch.arange(out_len, device=device) * s - p
    end = torch.clamp(start + k, max=length + p)
    if not include_pad:
        start, end = start.clamp(min=0), end.clamp(max=length)
    return (end - start).clamp(min=1)


class AvgPool2dFunction(Function):
    """y = P x with P[window, input] = 1/divisor;  g_in = Pᵀ g_out, computed as a depthwise
    transposed convolution of (g_out / divisor) with a k×k kernel of ones."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        out = torch.ops.aten.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
        ctx.conf = (kernel, stride, padding, count_include_pad, divisor_override)
        ctx.input_shape = x.shape
        ctx.save_for_backward(x)  # as torch does; only the graph of a double backward reads it
        return out

    @staticmethod
    def backward(ctx, g_out):
        (kh, kw), (sh, sw), (ph, pw), include_pad, override = ctx.conf
        n, c, h, w = ctx.input_shape
        h_out, w_out = g_out.shape[-2:]
        if override:
            g = g_out / override
        else:
            rows = _window_sizes(h, h_out, kh, sh, ph, include_pad, g_out.device)
            cols = _window_sizes(w, w_out, kw, sw, pw, include_pad, g_out.device)
            g = g_out / (rows[:, None] * cols[None, :]).to(g_out.dtype)
        ones = g_out.new_ones(c, 1, kh, kw)
        spread = torch.conv_transpose2d(g, ones, stride=(sh, sw), groups=c)  # over the padded input
        full_h, full_w = spread.shape[-2:]
        need_h, need_w = h + 2 * ph, w + 2 * pw
        if full_h < need_h or full_w < need_w:
            spread = torch.nn.functional.pad(spread, (0, max(0, need_w - full_w), 0, max(0, need_h - full_h)))
        return attached(spread[..., ph:ph + h, pw:pw + w], *ctx.saved_tensors), None, None, None, None, None, None


def _adaptive_matrix(length: int, out_len: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """P (out_len, length): row i averages inputs [⌊i·L/O⌋, ⌈(i+1)·L/O⌉)."""
    i = torch.arange(out_len, device=device)
    start = torch.div(i * length, out_len, rounding_mode="floor")
    end = torch.div((i + 1) * length + out_len - 1, out_len, rounding_mode="floor")
    pos = torch.arange(length, device=device)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return inside.to(dtype) / (end - start).to(dtype)[:, None]


class AdaptiveAvgPool2dFunction(Function):
    """Separable: y = P_h x P_wᵀ per channel, so g_in = P_hᵀ g_out P_w."""

    @staticmethod
    def forward(ctx, x, output_size):
        ctx.input_hw = x.shape[-2:]
        ctx.save_for_backward(x)  # as torch does; only the graph of a double backward reads it
        return torch.ops.aten.adaptive_avg_pool2d(x, output_size)

    @staticmethod
    def backward(ctx, g_out):
        h, w = ctx.input_hw
        h_out, w_out = g_out.shape[-2:]
        if h_out == 1 and w_out == 1:  # global pooling: every input gets g / (H·W)
            g_in = (g_out / (h * w)).expand(*g_out.shape[:-2], h, w)
        else:
            p_h = _adaptive_matrix(h, h_out, g_out.dtype, g_out.device)
            p_w = _adaptive_matrix(w, w_out, g_out.dtype, g_out.device)
            g_in = p_h.t() @ g_out @ p_w
        return attached(g_in, *ctx.saved_tensors), None


def _pool_input(op: str, input: torch.Tensor) -> tuple[torch.Tensor, bool]:
    expect_tensor(op, "input", input)
    expect_floating(op, input=input)
    if input.dim() not in (3, 4):
        fail(op, "input must be (N, C, H, W) or (C, H, W)", input=input)
    unbatched = input.dim() == 3
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _check_window(op: str, x: torch.Tensor, kernel, stride, padding, dilation=(1, 1)) -> None:
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        fail(op, f"kernel_size, stride and dilation must be ≥ 1, got {kernel}, {stride}, {dilation}")
    for p, k in zip(padding, kernel):
        if p < 0 or p > k // 2:
            fail(op, f"padding must be between 0 and half the kernel size, got padding={padding} for kernel {kernel}")
    for size, p, k, d in zip(x.shape[2:], padding, kernel, dilation):
        if size + 2 * p < d * (k - 1) + 1:
            fail(op, f"the padded input is smaller than the window {kernel}", input=x)


@dispatches
def max_pool2d(input: torch.Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Maximum over k×k windows of input (N, C, H, W) or (C, H, W); stride defaults to kernel_size.
    With return_indices=True also returns the flat (H·W) index of each maximum."""
    op = "max_pool2d"
    x, unbatched = _pool_input(op, input)
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else pair(op, "stride", stride)
    padding, dilation = pair(op, "padding", padding), pair(op, "dilation", dilation)
    _check_window(op, x, kernel, stride, padding, dilation)
    out, indices = MaxPool2dFunction.apply(x, kernel, stride, padding, dilation, ceil_mode)
    if unbatched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


@dispatches
def avg_pool2d(input: torch.Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> torch.Tensor:
    """Mean over k×k windows of input (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    op = "avg_pool2d"
    x, unbatched = _pool_input(op, input)
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else pair(op, "stride", stride)
    padding = pair(op, "padding", padding)
    _check_window(op, x, kernel, stride, padding)
    if divisor_override is not None and divisor_override == 0:
        fail(op, "divisor_override must not be zero (it divides every window's sum)")
    out = AvgPool2dFunction.apply(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return out.squeeze(0) if unbatched else out


@dispatches
def adaptive_avg_pool2d(input: torch.Tensor, output_size) -> torch.Tensor:
    """Average-pool input (N, C, H, W) or (C, H, W) to output_size (int, pair, None = keep that dim)."""
    op = "adaptive_avg_pool2d"
    x, unbatched = _pool_input(op, input)
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    output_size = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(output_size))
    if len(output_size) != 2 or min(output_size) < 1:
        fail(op, f"output_size must be a positive int or pair, got {output_size}")
    out = AdaptiveAvgPool2dFunction.apply(x, output_size)
    return out.squeeze(0) if unbatched else out


