"""The CIFAR-10 ResNets of He et al. 2016 (section 4.2), with the key names of the pretrained
weights in ../shared/weights/cifar10-resnet (Idelbayev 2018), built from diffprog layers.

conv3×3(3→16) + BN + ReLU; three stages of n BasicBlocks with 16, 32, 64 channels (stride 2 at the
first block of stages 2 and 3); global average pool; linear 64→10. Shortcut "option A": identity,
or where the shape changes, x[:, :, ::2, ::2] zero-padded with (c_out − c_in)/2 channels each side.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import nn as dnn
from .. import ops


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = dnn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = dnn.BatchNorm2d(c_out)
        self.conv2 = dnn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = dnn.BatchNorm2d(c_out)
        self.pad = (c_out - c_in) // 2 if stride != 1 or c_in != c_out else None

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad is None:
            return x
        return nn.functional.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = ops.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return ops.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, blocks_per_stage: int, num_classes: int = 10):
        super().__init__()
        self.conv1 = dnn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = dnn.BatchNorm2d(16)
        c_in = 16
        for stage, c_out in enumerate((16, 32, 64), start=1):
            blocks = [BasicBlock(c_in if i == 0 else c_out, c_out, 2 if (i == 0 and stage > 1) else 1)
                      for i in range(blocks_per_stage)]
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
            c_in = c_out
        self.linear = dnn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = ops.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = ops.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def cifar_resnet(depth: int) -> CifarResNet:
    """ResNet-20 (depth 20, 3 blocks per stage), ResNet-32 (5), … : depth = 6n + 2."""
    if (depth - 2) % 6:
        raise ValueError(f"CIFAR ResNet depth must be 6n + 2 (20, 32, 44, 56, 110), got {depth}")
    return CifarResNet((depth - 2) // 6)
