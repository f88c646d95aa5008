"""Procedural data sets, generated on the fly from a seed (nothing to download)."""
from .shapes import CLASSES as SHAPE_CLASSES
from .shapes import make_shapes
from .spirals import two_spirals

__all__ = ["SHAPE_CLASSES", "make_shapes", "two_spirals"]
