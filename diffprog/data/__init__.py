"""Procedural data sets, generated on the fly from a seed (nothing to download)."""
from .spirals import two_spirals

__all__ = ["two_spirals"]
