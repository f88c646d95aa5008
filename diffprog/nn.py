"""nn.Module wrappers over diffprog.ops.

Each wrapper subclasses its torch twin and only replaces `forward`, so parameters, buffers,
constructor arguments and `state_dict` keys are the twin's: a torch state_dict loads unchanged.
`to_diffprog(model)` swaps every twin layer inside an existing model (e.g. a torchvision ResNet)
for the diffprog one, keeping its weights, so the model runs on hand-written backward passes.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from . import ops


class Linear(nn.Linear):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.linear(input, self.weight, self.bias)


class Conv2d(nn.Conv2d):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if self.padding_mode != "zeros":
            raise NotImplementedError(f"diffprog.nn.Conv2d supports padding_mode='zeros' only, got "
                                      f"{self.padding_mode!r}")
        return ops.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Tanh(nn.Tanh):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.tanh(input)


class Sigmoid(nn.Sigmoid):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.sigmoid(input)


class ReLU(nn.ReLU):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.relu(input, self.inplace)


class LeakyReLU(nn.LeakyReLU):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.leaky_relu(input, self.negative_slope, self.inplace)


class GELU(nn.GELU):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.gelu(input, self.approximate)


class Softmax(nn.Softmax):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.softmax(input, self.dim)


class LogSoftmax(nn.LogSoftmax):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.log_softmax(input, self.dim)


class MaxPool2d(nn.MaxPool2d):
    def forward(self, input: torch.Tensor):
        return ops.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)


class AvgPool2d(nn.AvgPool2d):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool2d(nn.AdaptiveAvgPool2d):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.adaptive_avg_pool2d(input, self.output_size)


class _BatchNormForward:
    """torch's _BatchNorm.forward logic (momentum / cumulative average, when to use batch stats)
    around diffprog.ops.batch_norm."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return ops.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                              self.weight, self.bias, use_batch_stats, momentum, self.eps)


class BatchNorm1d(_BatchNormForward, nn.BatchNorm1d):
    pass


class BatchNorm2d(_BatchNormForward, nn.BatchNorm2d):
    pass


class LayerNorm(nn.LayerNorm):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)


class Dropout(nn.Dropout):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.dropout(input, self.p, self.training, self.inplace)


class Embedding(nn.Embedding):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return ops.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.sparse)


class MSELoss(nn.MSELoss):
    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ops.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(nn.CrossEntropyLoss):
    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ops.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                                 reduction=self.reduction, label_smoothing=self.label_smoothing)


class EuclideanLoss(nn.Module):
    """The lecture's ½‖x − y‖² (see diffprog.ops.euclidean_loss)."""

    def __init__(self, reduction: str = "sum"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ops.euclidean_loss(input, target, self.reduction)


#: torch layer type → diffprog twin. Exact types only: a subclass of a torch layer may change forward.
TWINS: dict[type[nn.Module], type[nn.Module]] = {
    nn.Linear: Linear, nn.Conv2d: Conv2d, nn.Tanh: Tanh, nn.Sigmoid: Sigmoid, nn.ReLU: ReLU,
    nn.LeakyReLU: LeakyReLU, nn.GELU: GELU, nn.Softmax: Softmax, nn.LogSoftmax: LogSoftmax,
    nn.MaxPool2d: MaxPool2d, nn.AvgPool2d: AvgPool2d, nn.AdaptiveAvgPool2d: AdaptiveAvgPool2d,
    nn.BatchNorm1d: BatchNorm1d, nn.BatchNorm2d: BatchNorm2d, nn.LayerNorm: LayerNorm, nn.Dropout: Dropout,
    nn.Embedding: Embedding, nn.MSELoss: MSELoss, nn.CrossEntropyLoss: CrossEntropyLoss,
}


def to_diffprog(model: nn.Module, inplace: bool = False) -> nn.Module:
    """Swap every torch layer in `model` that has a diffprog twin for that twin, keeping weights.

    The twins subclass the torch layers and change only `forward`, so the swap changes each
    module's class and nothing else (same parameters, buffers, hooks, state_dict keys).
    Returns the converted model (a deep copy unless inplace=True).
    """
    if not inplace:
        model = copy.deepcopy(model)
    for module in model.modules():
        twin = TWINS.get(type(module))
        if twin is not None:
            module.__class__ = twin
    return model


def swapped_layers(model: nn.Module) -> dict[str, str]:
    """{dotted name: class name} of every layer that runs on diffprog ops."""
    return {name: type(m).__name__ for name, m in model.named_modules() if type(m) in TWINS.values()}
