"""The lecture, runnable: its worked backprop example number for number, and the small networks
and training loop of its demos.

- worked_example.py: one iteration of backprop on the slides' network, diffprog next to autograd.
- mlp.py: multilayer perceptrons from diffprog layers.
- fit.py: a full-batch training loop (the two-spirals demo).
- graph.py, graph_picture.py: trace a computation into its graph; draw it with values and gradients.
"""
from .fit import History, fit_classifier
from .mlp import mlp
from .graph import Graph, trace
from .graph_picture import draw_graph
from .worked_example import (SLIDE, backprop_example, matches_slide, shared_weight_inputs, shared_weight_network,
                             slide_inputs, slide_network)

__all__ = ["History", "fit_classifier", "mlp", "SLIDE", "backprop_example", "matches_slide", "Graph", "trace",
           "draw_graph", "slide_network", "slide_inputs", "shared_weight_network", "shared_weight_inputs"]
