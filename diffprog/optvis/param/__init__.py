"""Parameterizations: how a batch of images (B, 3, H, W) in [0, 1] is made from the tensors the
optimizer actually changes, each behind one small contract (`base.py`).

- pixels.py: one free value per pixel and channel.
- fourier.py: the image's spectrum, scaled by 1/f^decay (the default).
- drawing.py: solid shapes on a plain background (`--param shapes`).
- generator.py: a frozen generator's latent (CLIP+GAN).
- colour.py: colour decorrelation and the sigmoid squash of the pixel and Fourier images.

`parameterization(kind, …)` turns a command line's choice into a recipe:

    param = parameterization("fourier", 128, decay=2.0)    # the same as Fourier(128, decay=2.0)
    images = param(seeds=[0, 1])()                          # (2, 3, 128, 128) in [0, 1]
"""
from __future__ import annotations

import torch
from torch import nn

from ..settings import SettingsError
from .base import ImageParam, Parameterization
from .drawing import Drawing, DrawingImage
from .fourier import DECAY, Fourier, FourierImage
from .generator import Generator, GeneratorImage
from .pixels import PixelImage, Pixels

#: The kinds a command line can name.
PARAMETERIZATIONS = ("fourier", "pixel", "shapes", "generator")


def parameterization(kind: str, size: int, *, decay: float = DECAY, sd: float = 0.01,
                     init: torch.Tensor | None = None, objects: int = 1,
                     generator: nn.Module | None = None) -> Parameterization:
    """The recipe of `kind` (one of PARAMETERIZATIONS) for size × size images. decay: the Fourier
    1/f exponent. sd: initial noise of fourier/pixel (before the sigmoid). init: start images
    (fourier/pixel). objects: shapes per drawing (shapes). generator: the generator module
    (generator; its images have its own size). Settings that do not belong to `kind` are refused."""
    if kind not in PARAMETERIZATIONS:
        raise SettingsError(f"unknown parameterization {kind!r}: choose one of {', '.join(PARAMETERIZATIONS)}")
    if init is not None and kind not in ("fourier", "pixel"):
        raise SettingsError(f"an init image starts a fourier or pixel image, not param={kind!r}: drop it or "
                            f"choose --param fourier")
    if objects != 1 and kind != "shapes":
        raise SettingsError(f"--objects sets the shapes of --param shapes, not --param {kind}: add "
                            f"--param shapes or drop --objects")
    if kind == "fourier":
        return Fourier(size, sd=sd, init=init, decay=decay)
    if kind == "pixel":
        return Pixels(size, sd=sd, init=init)
    if kind == "shapes":
        return Drawing(size, objects)
    if generator is None:
        raise SettingsError("param='generator' needs a generator module (e.g. load_scene_decoder())")
    return Generator(generator)


__all__ = ["PARAMETERIZATIONS", "DECAY", "ImageParam", "Parameterization", "parameterization", "Pixels", "PixelImage",
           "Fourier", "FourierImage", "Drawing", "DrawingImage", "Generator", "GeneratorImage"]
