"""Models by name: the embedded default (weights shipped in assets/), the CIFAR-10 ResNets, and
every torchvision classifier with its standard weights API.

    model, spec = load_model("shapes-cnn")                    # embedded, offline
    model, spec = load_model("cifar10-resnet20", "../shared/weights/cifar10-resnet/resnet20.th")
    model, spec = load_model("resnet18")                      # torchvision DEFAULT weights (download)
    model, spec = load_model("resnet18", "resnet18.pth")      # a local state_dict
"""
from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..data.shapes import CLASSES as SHAPE_CLASSES
from ..imaging import InputSpec
from .cifar_resnet import cifar_resnet
from .errors import ModelError
from .shapes_cnn import shapes_cnn
from .weights import read_state_dict

#: The embedded models: diffprog/assets, in a checkout a link to the top-level assets/.
ASSETS = (Path(__file__).resolve().parents[1] / "assets").resolve()
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    input_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    classes: tuple[str, ...]
    default_weights: Path | None = None
    description: str = ""
    dream_layer: str | None = None  # DeepDream's default layer

    @property
    def input(self) -> InputSpec:
        """What the network reads: input_size px, normalized with mean and std."""
        return InputSpec(self.input_size, self.mean, self.std)


def _shapes_card() -> dict:
    """The embedded model's card, written by scripts/train_classifier.py."""
    card = ASSETS / "shapes_cnn.json"
    return json.loads(card.read_text()) if card.exists() else {}


def _shapes_spec() -> ModelSpec:
    meta = _shapes_card()
    norm = meta.get("normalization", {"mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25)})
    return ModelSpec("shapes-cnn", meta.get("input_size", 32), tuple(norm["mean"]), tuple(norm["std"]),
                     tuple(meta.get("classes", SHAPE_CLASSES)), ASSETS / "shapes_cnn.pt",
                     "embedded: small CNN trained by scripts/train_classifier.py on procedural shapes", "block3.conv")


_BUILDERS: dict[str, tuple[Callable[[], nn.Module], Callable[[], ModelSpec]]] = {
    "shapes-cnn": (lambda: shapes_cnn(len(SHAPE_CLASSES), _shapes_card().get("width", 24)), _shapes_spec),
    "cifar10-resnet20": (lambda: cifar_resnet(20), lambda: ModelSpec(
        "cifar10-resnet20", 32, IMAGENET_MEAN, IMAGENET_STD, CIFAR10_CLASSES,
        description="CIFAR-10 ResNet-20 (He et al. 2016); pass --weights resnet20.th", dream_layer="layer2")),
    "cifar10-resnet32": (lambda: cifar_resnet(32), lambda: ModelSpec(
        "cifar10-resnet32", 32, IMAGENET_MEAN, IMAGENET_STD, CIFAR10_CLASSES,
        description="CIFAR-10 ResNet-32 (He et al. 2016); pass --weights resnet32.th", dream_layer="layer2")),
}
DEFAULT_MODEL = "shapes-cnn"


def _torchvision_names() -> list[str]:
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def model_names() -> list[str]:
    return list(_BUILDERS) + _torchvision_names()


def _load_into(model: nn.Module, state: dict[str, torch.Tensor], path: Path, name: str) -> None:
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
        raise ModelError(f"weights {str(path)!r} do not fit model {name!r}: {first}") from None


def default_dream_layer(model: nn.Module) -> str | None:
    """Where DeepDream amplifies by default: ResNets' layer3; a `features` stack (MobileNet, VGG,
    EfficientNet…) three quarters of the way through, where its units see object parts (MobileNetV2:
    features.14, whose dreams grow eyes and faces on a photo); None when neither exists."""
    if hasattr(model, "layer3"):
        return "layer3"
    features = getattr(model, "features", None)
    if isinstance(features, nn.Sequential) and len(features) > 1:
        return f"features.{round(0.75 * (len(features) - 1))}"
    return None


def _category_names(model: nn.Module, enum) -> tuple[str, ...]:
    """torchvision's category names for a model loaded from a local file (which carries none), when
    its output has as many units as the names (1000 for ImageNet-1k); else none."""
    names = tuple(enum.DEFAULT.meta.get("categories", ()))
    matrices = [p for p in model.parameters() if p.dim() == 2]
    return names if names and matrices and matrices[-1].shape[0] == len(names) else ()


def _torchvision_model(name: str, weights: str | Path | None) -> tuple[nn.Module, ModelSpec]:
    import torchvision

    enum = torchvision.models.get_model_weights(name)
    if weights is not None and (Path(weights).suffix or Path(weights).exists()):  # a local file
        model = torchvision.models.get_model(name, weights=None)
        _load_into(model, read_state_dict(Path(weights)), Path(weights), name)
        classes = _category_names(model, enum)
    else:
        if weights not in (None, "DEFAULT") and str(weights) not in enum.__members__:
            raise ModelError(f"{name!r} has no pretrained weights {str(weights)!r} and no such file exists: give a "
                             f"weights file, or one of {', '.join(['DEFAULT', *enum.__members__])}")
        chosen = enum[str(weights)] if weights not in (None, "DEFAULT") else enum.DEFAULT
        try:
            model = torchvision.models.get_model(name, weights=chosen)
        except Exception as exc:
            raise ModelError(f"could not get the pretrained weights {chosen} for {name!r} "
                             f"({type(exc).__name__}: {str(exc)[:120]}). Offline? Download {chosen.url} on "
                             f"a connected machine and pass --weights PATH to the .pth file") from None
        classes = tuple(chosen.meta.get("categories", ()))
    size = 224
    dream_layer = default_dream_layer(model)
    spec = ModelSpec(name, size, IMAGENET_MEAN, IMAGENET_STD, classes, description=f"torchvision {name}",
                     dream_layer=dream_layer)
    return model, spec


def load_model(name: str = DEFAULT_MODEL, weights: str | Path | None = None) -> tuple[nn.Module, ModelSpec]:
    """(model in eval mode, its spec). Unknown names raise ModelError with the close names."""
    if name in _BUILDERS:
        build, make_spec = _BUILDERS[name]
        model, spec = build(), make_spec()
        path = Path(weights) if weights is not None else spec.default_weights
        if path is None:
            raise ModelError(f"model {name!r} needs weights: pass --weights PATH ({spec.description})")
        _load_into(model, read_state_dict(path), path, name)
        return model.eval(), spec
    if name in _torchvision_names():
        model, spec = _torchvision_model(name, weights)
        return model.eval(), spec
    close = difflib.get_close_matches(name, model_names(), n=5, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(_BUILDERS)} and torchvision's models"
    raise ModelError(f"unknown model {name!r}: {hint}")
