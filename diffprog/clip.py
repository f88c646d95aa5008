"""CLIP guidance moved to diffprog.optvis.clip; this name keeps `from diffprog.clip import …` working."""
from .optvis.clip import *  # noqa: F401,F403
from .optvis.clip import __all__  # noqa: F401
