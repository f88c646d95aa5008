"""The embedded default classifier: a small CNN for the procedural shapes (diffprog.data.shapes),
built from diffprog layers. Layer names read as what they are: block1.conv … block3.conv, head."""
from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .. import nn as dnn


def _block(c_in: int, c_out: int, convs: int) -> nn.Sequential:
    layers: list[tuple[str, nn.Module]] = []
    for i in range(convs):
        suffix = "" if convs == 1 else str(i + 1)
        layers += [(f"conv{suffix}", dnn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=False)),
                   (f"bn{suffix}", dnn.BatchNorm2d(c_out)), (f"relu{suffix}", dnn.ReLU())]
    layers.append(("pool", dnn.MaxPool2d(2)))
    return nn.Sequential(OrderedDict(layers))


def shapes_cnn(num_classes: int, width: int = 24) -> nn.Sequential:
    """Input (N, 3, 32, 32) normalized images → logits (N, num_classes).

    block1: 2 convs, width ch, 32→16 px;  block2: 2 convs, 2·width ch, 16→8 px;
    block3: 1 conv, 4·width ch, 8→4 px;  global average pool;  head: linear."""
    return nn.Sequential(OrderedDict([
        ("block1", _block(3, width, 2)),
        ("block2", _block(width, 2 * width, 2)),
        ("block3", _block(2 * width, 4 * width, 1)),
        ("pool", dnn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("head", dnn.Linear(4 * width, num_classes)),
    ]))
