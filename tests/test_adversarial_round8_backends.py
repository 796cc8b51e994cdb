"""Adversarial round 8: backends, model loading and the translation cache.

A model that cannot be loaded is one line naming model.model_id (or model.revision, generation.max_new_tokens) and
the fix; the cache never serves a translation made by another model or another backend code; degraded outputs
are shown on a re-run served from the cache too. Tiny random-weight Marian models only (tests/builders.py).
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from harness import run
from harness.cache import TranslationCache
from harness.config import GenerationSpec, ModelSpec, compose_config
from harness.translate.backends.hf_loading import model_id_for
from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from harness.translate.translate import translate_with_cache
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_run import make_setup


def seq2seq(folder: Path, cache: Path | None = None, **generation) -> Seq2SeqBackend:
    spec = ModelSpec(name="tiny", model_id=str(folder))
    return Seq2SeqBackend(spec, GenerationSpec(device="cpu", max_new_tokens=6, **generation),
                          cache_dir=str(cache) if cache else None)


# ---------------------------------------------------------------- the same folder, other weights

def test_weights_replaced_with_the_old_files_size_and_time_are_another_model(tiny_marian, tmp_path):
    """Own (round 8): another model's weights of the same size copied over the old ones with the old file's
    modification time (cp -p, rsync -t, a tar archive, os.utime) read as the old model: the file hashes were
    remembered by size and modification time, and the run served the old weights' 17 translations of 002."""
    folder = shutil.copytree(tiny_marian, tmp_path / "model")
    before = seq2seq(folder, tmp_path / "cache").fingerprint("fr", "en")
    weights = folder / "model.safetensors"
    state = weights.stat()
    content = bytearray(weights.read_bytes())
    content[-1] ^= 0xFF   # another weight, the same size
    weights.write_bytes(bytes(content))
    os.utime(weights, ns=(state.st_atime_ns, state.st_mtime_ns))
    assert weights.stat().st_size == state.st_size and weights.stat().st_mtime_ns == state.st_mtime_ns
    after = seq2seq(folder, tmp_path / "cache").fingerprint("fr", "en")
    assert after["extra"]["content_sha256"] != before["extra"]["content_sha256"]


# ---------------------------------------------------------------- a user's backend code

def backend_key(folder: Path, operation: str) -> dict:
    """The cache key of a user's backend module mybackend.py in `folder` (as a project keeps one on its PYTHONPATH),
    imported anew."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mybackend.py").write_text(
        "from harness.translate.backends.base import Backend\n\n\nclass Mine(Backend):\n    name = 'mine'\n\n"
        f"    def translate_batch(self, texts, src_lang, tgt_lang):\n        return [t.{operation}() for t in texts]\n",
        encoding="utf-8")
    sys.modules.pop("mybackend", None)
    sys.path.insert(0, str(folder))
    try:
        backend = importlib.import_module("mybackend").Mine(ModelSpec(name="mine"), GenerationSpec())
        return backend.fingerprint("fr", "en")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("mybackend", None)


@pytest.mark.parametrize("second", ["another-project's-file", "the-file-edited"])
def test_a_users_backend_of_other_code_under_the_same_class_path_is_not_served_the_old_outputs(tmp_path, second):
    """Own (round 8): two projects' mybackend.Mine (one upper-cases, the other lower-cases) sharing the default
    cache: the second was served the first's 17 outputs of 002 (the key held the class path, not the code); so
    was the same file edited between runs."""
    first = backend_key(tmp_path / "projA", "upper")
    other = backend_key(tmp_path / ("projB" if second.startswith("another") else "projA"), "lower")
    assert first["class"] == other["class"] == "mybackend.Mine"
    assert first != other
