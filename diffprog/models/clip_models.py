"""CLIP models through open_clip: the embedded scenes CLIP (assets/, offline) or any open_clip
architecture with a pretrained tag or a local checkpoint.

    clip = load_clip("scenes-clip")                               # embedded, offline
    clip = load_clip("ViT-B-32", "laion2b_s34b_b79k")             # download (cached) on a normal machine
    clip = load_clip("ViT-B-32", "open_clip_pytorch_model.bin")   # a local checkpoint, same code path

The embedded model is stored in open_clip's own `local-dir:` format (open_clip_config.json with
the model and preprocess configs, weights in open_clip_model.safetensors), so open_clip loads it
exactly as it loads a model from the Hugging Face hub.
"""
from __future__ import annotations

import difflib
import logging
import os
import pickle
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..imaging import InputSpec
from .errors import ModelError
from .registry import ASSETS
from .weights import refused_by_weights_only, unpickler_reason

EMBEDDED_CLIPS = {"scenes-clip": ASSETS / "scenes_clip", "scenes-clip-seed1": ASSETS / "scenes_clip_seed1"}
DEFAULT_CLIP = "scenes-clip"

#: The embedded CLIP's architecture, an open_clip model config (a small CLIP for 64 px scenes).
SCENES_CLIP_CONFIG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 1], "width": 16, "head_width": 32},
    "text_cfg": {"context_length": 24, "vocab_size": 49408, "width": 64, "heads": 4, "layers": 2},
}
SCENES_PREPROCESS = {"size": 64, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}


@dataclass
class Clip:
    """An open_clip model with what image optimization needs to know about it."""
    model: nn.Module  # open_clip CLIP: encode_image (B, 3, S, S) normalized → (B, D), encode_text
    tokenizer: object  # open_clip tokenizer: list[str] → (N, context) token ids
    name: str
    pretrained: str | None
    input_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @torch.no_grad()
    def text_features(self, texts: list[str]) -> torch.Tensor:
        """Unit-norm embeddings (N, D) of `texts`, on the model's device, float32."""
        device = next(self.model.parameters()).device
        tokens = self.tokenizer(texts).to(device)
        return nn.functional.normalize(self.model.encode_text(tokens).float(), dim=-1)

    @property
    def input(self) -> InputSpec:
        """What the image tower reads: input_size px, normalized with mean and std."""
        return InputSpec(self.input_size, self.mean, self.std)

    def image_features(self, images: torch.Tensor) -> torch.Tensor:
        """Unit-norm embeddings (B, D) of images (B, 3, H, W) in [0, 1], resized (antialiased; a
        non-square image is squashed) to the model's input size when they are not at it."""
        return nn.functional.normalize(self.model.encode_image(self.input.prepare(images)).float(), dim=-1)


def _offline_message(name: str, tag: str, reason: str) -> str:
    return (f"could not get the pretrained weights {tag!r} of open_clip model {name!r}: {reason}. Without "
            f"network, download the checkpoint on a machine that has one (open_clip caches it under "
            f"~/.cache/huggingface/hub) and pass its path: --model {name} --pretrained "
            f"PATH/open_clip_pytorch_model.bin; or use the embedded offline model --model {DEFAULT_CLIP}")


def _hub_reachable(host: str = "huggingface.co", seconds: float = 3.0) -> bool:
    """Whether the model hub answers at all (one connection attempt, not the hub client's retries)."""
    try:
        socket.create_connection((host, 443), timeout=seconds).close()
        return True
    except OSError:
        return False


@contextmanager
def _offline_hub(offline: bool) -> Iterator[None]:
    """With offline, the hub client reads its cache only and open_clip's download errors are not
    logged (the ModelError says it all); restored on exit."""
    if not offline:
        yield
        return
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before
        logging.disable(logging.NOTSET)


def load_clip(name: str = DEFAULT_CLIP, pretrained: str | None = None, device: str | torch.device = "cpu") -> Clip:
    """An open_clip model by architecture name and pretrained tag or checkpoint path, or an embedded
    model by name (EMBEDDED_CLIPS); eval mode, on `device`. Raises ModelError with the fix."""
    import open_clip

    if name in EMBEDDED_CLIPS:
        folder = EMBEDDED_CLIPS[name]
        if pretrained is not None:
            raise ModelError(f"{name!r} is embedded and has its own weights: leave out --pretrained")
        if not (folder / "open_clip_config.json").exists():
            raise ModelError(f"embedded CLIP {name!r} is missing from {folder}: train it with "
                             f"python scripts/train_clip.py (see the README)")
        model_id, tag = f"local-dir:{folder}", None
    else:
        known = open_clip.list_models()
        if name not in known:
            close = difflib.get_close_matches(name, list(EMBEDDED_CLIPS) + known, n=5, cutoff=0.5)
            hint = f" Close names: {', '.join(close)}." if close else ""
            raise ModelError(f"unknown CLIP model {name!r}.{hint} Embedded: {', '.join(EMBEDDED_CLIPS)}; "
                             f"open_clip architectures: open_clip.list_models() ({len(known)} names)")
        if pretrained is None:
            raise ModelError(f"open_clip model {name!r} needs --pretrained: a tag (one of "
                             f"{', '.join(open_clip.list_pretrained_tags_by_model(name)) or 'none known'}) "
                             f"or the path of a checkpoint file")
        model_id, tag = name, pretrained
        looks_like_path = os.sep in pretrained or Path(pretrained).suffix in (".bin", ".pt", ".pth", ".safetensors")
        if looks_like_path and not Path(pretrained).is_file():
            raise ModelError(f"checkpoint {pretrained!r} does not exist (or is not a file)")
        if not looks_like_path and pretrained not in open_clip.list_pretrained_tags_by_model(name):
            tags = open_clip.list_pretrained_tags_by_model(name)
            raise ModelError(f"unknown pretrained tag {pretrained!r} for {name!r}: known tags are "
                             f"{', '.join(tags) or 'none'}; or pass the path of a checkpoint file")
    offline = tag is not None and not Path(tag).is_file() and not _hub_reachable()
    try:
        with _offline_hub(offline):
            model, _, preprocess = open_clip.create_model_and_transforms(model_id, pretrained=tag, device=device)
    except RuntimeError as error:
        if offline:
            raise ModelError(_offline_message(name, tag, "huggingface.co cannot be reached from this machine and "
                                              "the checkpoint is not in the local cache")) from None
        if tag is not None and not Path(tag).is_file():
            raise ModelError(_offline_message(name, tag, f"the download failed ({type(error).__name__})")) from error
        raise ModelError(f"could not load CLIP {name!r} from {tag or model_id}: {error}") from error
    except pickle.UnpicklingError as error:
        if not refused_by_weights_only(error):
            raise ModelError(f"could not load CLIP {name!r} from {tag!r}: not a checkpoint torch can read ({error})") \
                from None
        raise ModelError(f"refusing to load CLIP checkpoint {tag!r}: its pickle asks for more than tensors "
                         f"({unpickler_reason(error)}), and loading it would run code from the file. Use "
                         f"a checkpoint that holds a state_dict, or a .safetensors file") from None
    except (OSError, ValueError, KeyError) as error:
        raise ModelError(f"could not load CLIP {name!r} from {tag or model_id}: {error}") from error
    cfg = model.visual.preprocess_cfg
    size = cfg["size"] if isinstance(cfg["size"], int) else cfg["size"][0]
    return Clip(model.eval(), open_clip.get_tokenizer(model_id), name, pretrained, size,
                tuple(cfg["mean"]), tuple(cfg["std"]))
