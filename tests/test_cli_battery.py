"""Every numeric option of every command, walked through its boundaries: the command refuses the
value before any work, naming the flag and the allowed range, exits 2 (argparse's convention),
shows no traceback and writes nothing. Output paths that cannot be written are refused the same way."""
from __future__ import annotations

import argparse
import importlib
import os

import pytest

from diffprog.cli.main import TOOLS

#: what each command needs besides the option under test to get past argument parsing
REQUIRED = {"clip": ["--prompt", "a red star"], "backprop": ["--graph"]}


class _Parsed(Exception):
    pass


def _parser_of(tool: str) -> argparse.ArgumentParser:
    """The parser a command builds (its main is stopped right at parse_args)."""
    module = importlib.import_module(TOOLS[tool][0])
    seen = {}
    original = argparse.ArgumentParser.parse_args

    def capture(self, args=None, namespace=None):
        seen["parser"] = self
        raise _Parsed

    argparse.ArgumentParser.parse_args = capture
    try:
        module.main([], prog=f"diffprog {tool}")
    except _Parsed:
        pass
    finally:
        argparse.ArgumentParser.parse_args = original
    return seen["parser"]


def _numeric_options():
    for tool in TOOLS:
        for action in _parser_of(tool)._actions:
            if action.type in (int, float):
                yield pytest.param(tool, action, None, id=f"{tool} {action.option_strings[0]} unchecked")
            bounds = getattr(action.type, "bounds", None)
            if bounds is None:
                continue
            low, high = bounds
            step = 1 if isinstance(low, int) else abs(high - low) / 1e3 or 1
            for value in (low - step, high + step, "nan", "inf", "-inf", "lots", "9" * 30):
                yield pytest.param(tool, action, str(value), id=f"{tool} {action.option_strings[0]}={value}")


@pytest.mark.parametrize("tool, action, value", list(_numeric_options()))
def test_an_out_of_range_value_is_refused_before_any_work(tool, action, value, tmp_path, capsys):
    assert value is not None, f"{action.option_strings[0]} of `diffprog {tool}` takes any {action.type.__name__}: " \
                              "give it a checked type (diffprog.cli.options.whole or real)"
    out = tmp_path / "out"
    module = importlib.import_module(TOOLS[tool][0])
    with pytest.raises(SystemExit) as exited:
        module.main([*REQUIRED.get(tool, []), f"{action.option_strings[0]}={value}", "--out", str(out)],
                    prog=f"diffprog {tool}")
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert action.option_strings[0] in err and "must be" in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("tool, args", [("visualize", []), ("clip", REQUIRED["clip"]), ("dream", [])])
def test_an_output_path_under_a_file_is_refused_before_any_work(tool, args, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    module = importlib.import_module(TOOLS[tool][0])
    target = blocker / ("out.png" if tool == "dream" else "out")
    assert module.main([*args, "--out", str(target)], prog=f"diffprog {tool}") == 2
    err = capsys.readouterr().err
    assert "--out" in err and "is a file, not a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder nobody may write in: without write permission for a normal user; for root (whom
    permissions do not stop), a read-only tmpfs."""
    import shutil
    import subprocess

    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder, "no permission to write in"
        folder.chmod(0o700)
        return
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                                                        capture_output=True).returncode:
        pytest.skip("cannot mount a read-only tmpfs here")
    yield folder, "is on a read-only file system"
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("tool, args", [("visualize", []), ("clip", REQUIRED["clip"]), ("dream", [])])
def test_an_unwritable_output_place_is_refused_before_any_work(tool, args, unwritable_folder, run_tool):
    folder, reason = unwritable_folder
    target = folder / ("out.png" if tool == "dream" else "out")
    code, _, err = run_tool(tool, *args, "--out", str(target))
    assert code == 2 and "--out" in err and reason in err and "Traceback" not in err, err
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("name", ["dream.bmp", "dream.webp", "dream.json"])
def test_dream_refuses_an_extension_it_does_not_write(name, tmp_path, capsys):
    from diffprog.cli import dream

    assert dream.main(["--out", str(tmp_path / name)]) == 2
    assert "give a file name ending in .png, .jpg, .jpeg" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs (root only): every output is refused for lack of space."""
    import shutil
    import subprocess

    folder = tmp_path / "tiny"
    folder.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_ends_in_one_line_and_leaves_no_partial_file(full_disk, capsys):
    from diffprog.cli import dream
    from diffprog.ops import get_fusion, set_fusion

    before = get_fusion()
    set_fusion("off")  # no compiling: the dream itself is not under test
    try:
        code = dream.main(["--out", str(full_disk / "dream.png"), "--octaves", "1", "--steps", "1", "--device", "cpu"])
    finally:
        set_fusion(before)
    assert code == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert list(full_disk.iterdir()) == []


@pytest.mark.parametrize("args, message", [(["--class", "5000"], "--class 5000 is out of range: model 'shapes-cnn' has 13"),
                                           (["--channels", "3,x"], "cannot read units '3,x'"),
                                           (["--channels", "500"], "'block3.conv' has 96 channels")])
def test_dream_checks_its_class_and_channels_against_the_model(args, message, tmp_path, capsys):
    from diffprog.cli import dream

    assert dream.main([*args, "--out", str(tmp_path / "d.png")]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


#: every option that names a file to read, with what the command needs besides it
INPUT_FILES = [("visualize", "--weights", []), ("dream", "--image", []), ("dream", "--weights", []),
               ("dream", "--guide", []), ("clip", "--image-prompt", REQUIRED["clip"]),
               ("clip", "--init", REQUIRED["clip"]), ("clip", "--generator", [*REQUIRED["clip"], "--param", "generator"]),
               ("saliency", "--image", []), ("saliency", "--weights", [])]


def _bad_input_file(kind: str, tmp_path):
    if kind == "missing":
        return tmp_path / "missing.png", "does not exist"
    if kind == "directory":
        (tmp_path / "a_folder.png").mkdir()
        return tmp_path / "a_folder.png", "folder"
    if kind == "under a file":
        (tmp_path / "a_file").write_text("x")
        return tmp_path / "a_file" / "in.png", "does not exist"
    path = tmp_path / f"{kind.replace(' ', '_')}.png"
    path.write_bytes(b"" if kind == "empty" else b"\x80\x02junk that is neither an image nor weights")
    return path, ""


@pytest.mark.parametrize("kind", ["missing", "directory", "under a file", "empty", "junk"])
@pytest.mark.parametrize("tool, flag, args", INPUT_FILES, ids=[f"{t} {f}" for t, f, _ in INPUT_FILES])
def test_an_unreadable_input_file_is_named_and_nothing_is_written(tool, flag, args, kind, tmp_path, run_tool,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, reason = _bad_input_file(kind, tmp_path)
    out = tmp_path / "out" / ("d.png" if tool == "dream" else "run")
    code, _, err = run_tool(tool, *args, flag, str(path), "--steps", "1", "--out", str(out))
    assert code == 2 and path.name in err and reason in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("tool, args, message", [
    ("visualize", ["--model", "shapes-cnm"], "shapes-cnn"),
    ("dream", ["--model", "shapes-cnm"], "shapes-cnn"),
    ("clip", [*REQUIRED["clip"], "--model", "scenes-clp"], "scenes-clip"),
    ("visualize", ["--layer", "block9"], "block1"),
    ("dream", ["--layer", "block9"], "block1"),
    ("visualize", ["--units", "three"], "three"),
    ("dream", ["--channels", "-1"], "-1"),
    ("visualize", ["--device", "tpu"], "unknown device 'tpu'"),
    ("dream", ["--device", "tpu"], "unknown device 'tpu'"),
    ("clip", [*REQUIRED["clip"], "--device", "tpu"], "unknown device 'tpu'"),
    ("train-classifier", ["--device", "tpu"], "unknown device 'tpu'"),
    ("train-clip", ["--device", "tpu"], "unknown device 'tpu'"),
    ("train-generator", ["--device", "tpu"], "unknown device 'tpu'"),
    ("visualize", ["--param", "voxels"], "invalid choice: 'voxels'"),
    ("clip", [*REQUIRED["clip"], "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    ("saliency", ["--class", "strr"], "did you mean 'star'"),
    ("saliency", ["--device", "tpu"], "unknown device 'tpu'"),
    ("check", ["--ops", "tanhh"], "tanh"),
    ("check", ["--devices", "tpu"], "tpu"),
])
def test_an_unknown_name_is_refused_with_the_names_it_could_be(tool, args, message, tmp_path, run_tool):
    code, _, err = run_tool(tool, *args, "--out", str(tmp_path / "out")) if tool != "check" else run_tool(tool, *args)
    assert code == 2 and message in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("tool", [t for t in TOOLS if any("--out" in a.option_strings for a in _parser_of(t)._actions)])
def test_every_output_option_refuses_a_path_under_a_file(tool, tmp_path, run_tool):
    (tmp_path / "a_file").write_text("x")
    target = tmp_path / "a_file" / ("out.png" if tool == "dream" else "out")
    code, _, err = run_tool(tool, *REQUIRED.get(tool, []), "--out", str(target))
    assert code == 2 and "is a file, not a folder" in err and "Traceback" not in err, err
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]
