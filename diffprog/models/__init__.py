"""Architectures and their loaders, nothing that trains them (that is diffprog.training).

- registry.py: models by name: the embedded shapes CNN, the CIFAR-10 ResNets, torchvision's classifiers.
- shapes_cnn.py, cifar_resnet.py: architectures built on diffprog layers.
- clip_models.py: CLIPs through open_clip (the embedded scenes CLIP, or any architecture and checkpoint).
- clip_ensemble.py: several CLIPs as one.
- scene_decoder.py: the embedded scene generator (CLIP+GAN).
"""
from .registry import DEFAULT_MODEL, ModelError, ModelSpec, load_model, model_names

__all__ = ["DEFAULT_MODEL", "ModelError", "ModelSpec", "load_model", "model_names"]
