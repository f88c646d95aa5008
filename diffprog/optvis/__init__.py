"""Input optimization: make images that maximize what a network computes.

- layers.py: layers by dotted path, hooks only where needed; truncate.py: the model cut and compiled.
- objectives.py: what an image should maximize, composable (`a + b`, `2 * a`, `-a`).
- param/: how images are made from what the optimizer changes (pixels, Fourier, drawing, generator).
- transforms.py, cutouts.py: random transforms per image and step (robustness; CLIP's cutouts).
- settings.py: how a run steps and where it runs (`RunSettings`), checked up front.
- render.py: the one loop that ties them together; units.py: many units of a layer, batched.
- dream.py: DeepDream on a photo. clip.py: CLIP guidance. quality.py: do the images transfer?
- distributed.py: the units of a layer over several processes (torchrun).

    from diffprog.optvis import render, objectives, Fourier, RunSettings
    result = render(model, objectives.channel("block2.conv2", 5), Fourier(64), input_spec=spec.input,
                    run=RunSettings(steps=128))
"""
from . import objectives
from .layers import OUTPUT, LayerError, LayerInfo, list_layers, resolve
from .objectives import Objective
from .param import Drawing, Fourier, Generator, Pixels, parameterization
from .render import RenderResult, render
from .settings import RunSettings, SettingsError

__all__ = ["objectives", "render", "RenderResult", "Objective", "OUTPUT", "LayerError", "LayerInfo",
           "list_layers", "resolve", "Drawing", "Fourier", "Generator", "Pixels", "parameterization",
           "RunSettings", "SettingsError"]
