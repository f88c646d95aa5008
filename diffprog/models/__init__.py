"""Models: the embedded default, CIFAR ResNets, torchvision; architectures built on diffprog layers."""
from .registry import DEFAULT_MODEL, ModelError, ModelSpec, load_model, model_names

__all__ = ["DEFAULT_MODEL", "ModelError", "ModelSpec", "load_model", "model_names"]
