"""DeepDream: sizes and modes, octaves, detail carry-over, tiling, inputs and errors."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch
from PIL import Image

from diffprog.io import ImageReadError, load_image, save_like
from diffprog.models import load_model
from diffprog.optvis import SettingsError, objectives as obj
from diffprog.optvis.dream import _Gradient, dream, tile_windows

from .conftest import ROOT


@pytest.fixture(scope="module")
def shapes():
    return load_model("shapes-cnn")


def _photo(height=80, width=96, seed=0) -> torch.Tensor:
    from diffprog.data.scene import landscape

    return landscape(width, height, seed)


def _dream(model_spec, image, **kw):
    model, spec = model_spec
    args = dict(input_spec=spec.input, octaves=2, steps=4, lr=0.02, device="cpu", progress=False)
    args.update(kw)
    return dream(model, image, kw.pop("objective", obj.layer_l2("block2.conv2")), **{k: v for k, v in args.items()
                                                                                     if k != "objective"})


def _high_frequency_energy(image: torch.Tensor) -> float:
    lap = image[:, 1:-1, 1:-1] * 4 - image[:, :-2, 1:-1] - image[:, 2:, 1:-1] - image[:, 1:-1, :-2] - image[:, 1:-1, 2:]
    return lap.pow(2).mean().item()


def test_objective_rises_at_every_octave(shapes):
    result = _dream(shapes, _photo(), octaves=3, steps=6)
    assert len(result.history) == 3
    for octave in result.history:
        assert octave[-1] > octave[0]


def test_output_has_the_input_size(shapes):
    image = _photo(72, 104)
    assert _dream(shapes, image).image.shape == image.shape


def test_detail_carry_over_keeps_the_photos_fine_detail(shapes):
    photo = _photo(96, 96)
    photo = (photo + 0.15 * torch.randn(photo.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    carried = _dream(shapes, photo, octaves=3, steps=3, lr=0.005)
    naive = _dream(shapes, photo, octaves=3, steps=3, lr=0.005, carry_detail=False)
    assert _high_frequency_energy(carried.image) > 2 * _high_frequency_energy(naive.image)


def test_tiled_gradient_equals_the_untiled_one(shapes):
    """Windows of 32 + 2·16 px over a 96×80 image, layer block2.conv2 (receptive-field radius about
    7 px, network stride 4): the tiled gradient is the untiled one times a constant. Equal up to
    float32 rounding, which grows with the value (normalized gradients reach ~20; one CPU rounded an
    element of ~9 off by 1.1e-5); a tile margin too small for the receptive field is off by ~5."""
    model, spec = shapes
    photo = _photo(80, 96)
    assert len(tile_windows(96, 32, 16)) == 3
    normalize = spec.input
    for shift in [(0, 0), (5, -3)]:
        shifted = torch.roll(photo, shift, (1, 2))
        whole, _ = _Gradient(model, obj.layer_l2("block2.conv2"), normalize, 512, 0, 0, torch.Generator())(shifted)
        tiled, _ = _Gradient(model, obj.layer_l2("block2.conv2"), normalize, 32, 16, 0, torch.Generator())(shifted)
        torch.testing.assert_close(tiled / tiled.abs().mean(), whole / whole.abs().mean(), atol=1e-5, rtol=1e-5)
        cramped, _ = _Gradient(model, obj.layer_l2("block2.conv2"), normalize, 32, 2, 0, torch.Generator())(shifted)
        assert (cramped / cramped.abs().mean() - whole / whole.abs().mean()).abs().max() > 1


def test_tiled_and_untiled_dreams_agree(shapes):
    """Over several steps a max-pool tie can flip either way, so the dreams are compared as
    pictures: PSNR ≥ 50 dB (visually identical)."""
    photo = _photo(80, 96)
    untiled = _dream(shapes, photo, octaves=2, steps=5, tile=512, margin=0)
    tiled = _dream(shapes, photo, octaves=2, steps=5, tile=32, margin=16)
    mse = (tiled.image - untiled.image).pow(2).mean().item()
    assert mse == 0 or 10 * math.log10(1 / mse) >= 50


def test_tile_windows_cover_each_pixel_once_with_equal_windows():
    windows = tile_windows(1000, 300, 50)
    covered = [i for start, end, _, _ in windows for i in range(start, end)]
    assert covered == list(range(1000))
    assert {we - ws for _, _, ws, we in windows} == {400}
    assert all(0 <= ws <= s and e <= we <= 1000 for s, e, ws, we in windows)


def _write(path, mode):
    base = (_photo(40, 48) * 255).byte().permute(1, 2, 0).numpy()
    image = Image.fromarray(base, "RGB")
    if mode == "I;16":
        import numpy as np
        image = Image.fromarray((np.asarray(image.convert("L"), dtype="uint16") * 257).astype("uint16"))
    elif mode != "RGB":
        image = image.convert(mode)
    image.save(path)
    return image


@pytest.mark.parametrize("mode,suffix", [("RGB", ".png"), ("RGBA", ".png"), ("L", ".png"), ("P", ".png"),
                                         ("I;16", ".png"), ("RGB", ".jpg")])
def test_every_input_mode_dreams_to_the_same_size_and_mode(shapes, tmp_path, mode, suffix):
    source = tmp_path / f"in{suffix}"
    _write(source, mode)
    image, facts = load_image(source)
    assert image.shape == (3, 40, 48) and 0 <= image.min() and image.max() <= 1
    result = _dream(shapes, image, steps=2)
    out = save_like(result.image, tmp_path / f"out{suffix}", facts)
    with Image.open(out) as written:
        assert written.size == (48, 40)
        expected = {"L": "L", "I;16": "I;16"}.get(mode, "RGB")
        assert written.mode == expected


def test_exif_orientation_is_honoured(tmp_path):
    image = Image.fromarray((_photo(40, 48) * 255).byte().permute(1, 2, 0).numpy(), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° on display
    image.save(tmp_path / "rotated.jpg", exif=exif)
    loaded, facts = load_image(tmp_path / "rotated.jpg")
    assert loaded.shape == (3, 48, 40) and facts["size"] == (40, 48)


@pytest.mark.parametrize("content,reason", [(None, "does not exist"), (b"", "empty"),
                                            (b"hello, not an image", "not an image"), ("truncated", "truncated")])
def test_bad_input_gets_a_clear_error_and_nothing_is_written(tmp_path, content, reason, run_tool):
    path = tmp_path / "bad.png"
    if content == "truncated":
        _write(path, "RGB")
        path.write_bytes(path.read_bytes()[:200])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageReadError, match=reason):
        load_image(path)
    out = tmp_path / "dream.png"
    code, _, err = run_tool("dream", "--image", str(path), "--out", str(out))
    assert code == 2 and "bad.png" in err and reason in err
    assert list(tmp_path.glob("dream*")) == []


def test_script_writes_the_dream_with_its_settings_and_never_overwrites(tmp_path):
    source = tmp_path / "in.png"
    _write(source, "RGB")
    for _ in range(2):
        subprocess.run([sys.executable, "scripts/deep_dream.py", "--image", str(source), "--out",
                        str(tmp_path / "d.png"), "--octaves", "2", "--steps", "2"], check=True, capture_output=True,
                       cwd=ROOT)
    meta = json.loads((tmp_path / "d.json").read_text())
    assert meta["octaves"] == 2 and meta["seed"] == 0 and len(meta["objective_per_octave"]) == 2
    assert (tmp_path / "d-2.png").exists()


def test_zoom_frames_make_an_animated_gif(tmp_path):
    source = tmp_path / "in.png"
    _write(source, "RGB")
    subprocess.run([sys.executable, "scripts/deep_dream.py", "--image", str(source), "--out", str(tmp_path / "z.png"),
                    "--octaves", "1", "--steps", "2", "--zoom-frames", "3"], check=True, capture_output=True, cwd=ROOT)
    with Image.open(tmp_path / "z.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (48, 40)


def test_ctrl_c_keeps_the_current_dream_at_full_size(shapes, interrupt_at):
    interrupt_at(6)  # the second step of the second octave
    photo = _photo(80, 96)
    result = _dream(shapes, photo, octaves=3, steps=4)
    assert result.interrupted and result.image.shape == photo.shape
    assert len(result.history) == 2 and len(result.history[1]) == 1
    assert not torch.equal(result.image, photo)


@pytest.mark.parametrize("settings, message", [
    (dict(octaves=0), "octaves must be at least 1, got 0"), (dict(steps=0), "steps must be at least 1, got 0"),
    (dict(lr=float("nan")), "lr must be a finite number above 0, got nan"), (dict(tile=0), "tile must be at least 1"),
    (dict(octave_scale=1.0), "octave_scale must be a finite number above 1"), (dict(margin=-1), "margin must be"),
])
def test_settings_that_cannot_dream_are_refused_before_any_work(shapes, settings, message):
    with pytest.raises(SettingsError, match=message):
        _dream(shapes, _photo(), **settings)


def test_a_nan_image_is_refused_not_dreamed_into_nan(shapes):
    photo = _photo()
    photo[0, 3, 4] = float("nan")
    with pytest.raises(SettingsError, match="NaN or inf"):
        _dream(shapes, photo)
