"""The lecture, runnable: its worked backprop example number for number, and the small networks
and training loop of its demos.

- worked_example.py: one iteration of backprop on the slides' network, diffprog next to autograd.
- mlp.py: multilayer perceptrons from diffprog layers.
- fit.py: a full-batch training loop (the two-spirals demo).
"""
from .fit import History, fit_classifier
from .mlp import mlp
from .worked_example import SLIDE, backprop_example, matches_slide

__all__ = ["History", "fit_classifier", "mlp", "SLIDE", "backprop_example", "matches_slide"]
