"""Input optimization: make images that maximize what a network computes.

    from diffprog.optvis import render, objectives
    result = render(model, objectives.channel("block2.conv2", 5), size=64, input_size=32)
"""
from . import objectives
from .layers import OUTPUT, LayerError, LayerInfo, list_layers, resolve
from .objectives import Objective
from .render import RenderResult, render

__all__ = ["objectives", "render", "RenderResult", "Objective", "OUTPUT", "LayerError", "LayerInfo",
           "list_layers", "resolve"]
