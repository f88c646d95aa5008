"""Outputs that never lose work: atomic writes, fresh output folders, JSON metadata."""
from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename, so a
    crash or Ctrl-C never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the permissions open() would
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _finite(value):
    """`value` with every NaN or ±inf float replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_json(path: str | os.PathLike, data: dict) -> Path:
    """Write data as valid JSON (non-finite numbers as null), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_finite(data), indent=2, default=str, allow_nan=False) + "\n")
    return Path(path)


def fresh_dir(path: str | os.PathLike) -> Path:
    """`path` if it is absent or empty, else the first free `path-2`, `path-3`, … (never overwrite)."""
    path = Path(path)
    candidate, n = path, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    candidate.mkdir(parents=True, exist_ok=True)
    return candidate


def fresh_file(path: str | os.PathLike) -> Path:
    """`path`, or `stem-2.ext`, `stem-3.ext`, … if it exists (never overwrite)."""
    path = Path(path)
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def versions() -> dict[str, str]:
    """Versions that make a result reproducible."""
    from . import __version__

    return {"diffprog": __version__, "torch": torch.__version__, "python": platform.python_version()}


def to_pil(image: torch.Tensor):
    """(3, H, W) in [0, 1] → PIL RGB image."""
    from PIL import Image

    array = (image.detach().clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(array, "RGB")


def save_png(image: torch.Tensor, path: str | os.PathLike, scale: int = 1) -> Path:
    """Write (3, H, W) in [0, 1] as PNG, enlarged `scale`× with nearest neighbours, atomically."""
    from PIL import Image

    pil = to_pil(image)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        pil.save(tmp, format="PNG")
    return Path(path)


def contact_sheet(images: torch.Tensor, labels: list[str], columns: int = 8, scale: int = 2, title: str = ""):
    """A labelled grid (PIL image) of images (B, 3, H, W) in [0, 1], each with its label below it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    b, _, h, w = images.shape
    cell_w, cell_h, label_h, pad = w * scale, h * scale, 14, 4
    columns = max(1, min(columns, b))
    rows = (b + columns - 1) // columns
    top = 18 if title else 0
    sheet = Image.new("RGB", (columns * (cell_w + pad) + pad, top + rows * (cell_h + label_h + pad) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((pad, 3), title, fill="black", font=font)
    for i in range(b):
        r, c = divmod(i, columns)
        x0, y0 = pad + c * (cell_w + pad), top + pad + r * (cell_h + label_h + pad)
        sheet.paste(to_pil(images[i]).resize((cell_w, cell_h), Image.NEAREST), (x0, y0))
        text = labels[i]
        while draw.textlength(text, font=font) > cell_w and len(text) > 3:
            text = text[:-2] + "…"
        draw.text((x0, y0 + cell_h + 1), text, fill="black", font=font)
    return sheet


def save_image(pil_image, path: str | os.PathLike) -> Path:
    """Write a PIL image atomically; the format follows the extension."""
    path = Path(path)
    with atomic_path(path) as tmp:
        pil_image.save(tmp, format={".jpg": "JPEG", ".jpeg": "JPEG"}.get(path.suffix.lower(), "PNG"))
    return path


def save_gif(frames: list, path: str | os.PathLike, seconds_per_frame: float = 0.12) -> Path:
    """Write PIL frames as a looping animated GIF, atomically."""
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                       duration=int(seconds_per_frame * 1000), loop=0)
    return Path(path)


class ImageReadError(ValueError):
    """An input image that cannot be used; the message names the file and the reason."""


def load_image(path: str | os.PathLike) -> tuple[torch.Tensor, dict]:
    """Read any image Pillow reads as RGB (3, H, W) in [0, 1], honouring EXIF orientation.

    Returns the image and facts about the original ({'mode': 'RGBA', 'size': (W, H), 'format': 'PNG'})
    so it can be written back the same way. 16-bit images keep their precision; an alpha channel
    is set aside (composited over nothing: RGB only) and recorded in the facts."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"cannot read image {str(path)!r}: the file does not exist")
    if path.is_dir():
        raise ImageReadError(f"cannot read image {str(path)!r}: it is a folder, not a file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"cannot read image {str(path)!r}: the file is empty (0 bytes)")
    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
            facts = {"mode": opened.mode, "size": image.size, "format": opened.format}
    except UnidentifiedImageError:
        raise ImageReadError(f"cannot read image {str(path)!r}: not an image format Pillow knows") from None
    except Image.DecompressionBombError as exc:
        declared = str(exc).split("exceeds")[0].replace("Image size", "").strip(" ()")
        raise ImageReadError(f"cannot read image {str(path)!r}: it declares {declared}, more than Pillow decodes "
                             f"safely (a decompression bomb?); resize it to a real size first") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"cannot read image {str(path)!r}: {exc} (truncated or damaged file?)") from None
    if image.width == 0 or image.height == 0:
        raise ImageReadError(f"cannot read image {str(path)!r}: it has zero size {image.size}")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = torch.from_numpy(np.asarray(image, dtype="float32")) / 65535.0
        tensor = array.clamp(0, 1).expand(3, -1, -1).clone()
    else:
        rgb = image.convert("RGB")
        array = np.asarray(rgb, dtype="uint8")
        tensor = torch.from_numpy(array.copy()).permute(2, 0, 1).float() / 255.0
    return tensor, facts


def save_like(image: torch.Tensor, path: str | os.PathLike, facts: dict | None = None) -> Path:
    """Write (3, H, W) in [0, 1] atomically, PNG or JPEG by extension; grayscale inputs (L, I;16)
    are written back as grayscale (16-bit PNG for 16-bit inputs)."""
    from PIL import Image

    path = Path(path)
    mode = (facts or {}).get("mode", "RGB")
    if mode in ("I;16", "I;16B", "I;16L", "I") and path.suffix.lower() == ".png":
        gray = (image.mean(0).clamp(0, 1) * 65535).round().to(torch.int32).numpy().astype("uint16")
        pil = Image.fromarray(gray)
    elif mode in ("L", "LA", "1"):
        pil = to_pil(image).convert("L")
    else:
        pil = to_pil(image)
    return save_image(pil, path)
