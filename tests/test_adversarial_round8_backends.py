"""Adversarial round 8: backends, model loading and the translation cache.

A model that cannot be loaded is one line naming model.model_id (or model.revision, generation.max_new_tokens) and
the fix; the cache never serves a translation made by another model or another backend code; degraded outputs
are shown on a re-run served from the cache too. Tiny random-weight Marian models only (tests/builders.py).
"""
from __future__ import annotations

import importlib
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


# ---------------------------------------------------------------- model ids that are no model folder

def refused(tmp_path: Path, *overrides: str, cwd: Path | None = None):
    setup = make_setup(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", ["model=opus_mt", f"data.root={setup.data}", f"hydra.run.dir={setup.run_dir}",
                              "alignment.embeddings=false", "generation.device=cpu", *overrides], cwd=cwd or tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    return outcome


def test_a_model_id_that_is_a_file_is_called_a_file(tiny_marian, tmp_path):
    """Own (round 8): model.model_id=.../model.safetensors was asked of the hub: 'the revision is not in the local
    Hugging Face cache ... supply it as a local folder'."""
    weights = shutil.copy(tiny_marian / "model.safetensors", tmp_path / "model.safetensors")
    outcome = refused(tmp_path, f"model.model_id={weights}")
    assert_one_line_error(outcome, f"model.model_id={weights} is a file, not a model folder", "config.json")


def test_a_relative_model_folder_missing_from_the_working_folder_names_it(tmp_path):
    """Own (round 8): model.model_id=./models/opus run from another folder read 'the revision is not in the local
    Hugging Face cache'; it names the folder it was read from."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outcome = refused(tmp_path, "model.model_id=./models/opus", cwd=elsewhere)
    assert_one_line_error(outcome, "model.model_id=./models/opus: no such folder",
                          f"read from the working folder {elsewhere}")


def test_a_revision_given_with_a_local_folder_is_refused_not_ignored(tiny_marian, tmp_path):
    """Own (round 8): model.revision=v2.0 with a local folder ran the folder as it is and wrote
    'revision': 'v2.0' into result.json."""
    outcome = refused(tmp_path, f"model.model_id={tiny_marian}", "model.revision=v2.0")
    assert_one_line_error(outcome, "model.revision=v2.0", "is a local folder, which has no revisions")


def test_a_model_folder_whose_name_holds_braces_is_a_folder_not_a_template(tiny_marian, tmp_path):
    """Own (round 8): a folder named 'mödel {v2}' ended in KeyError: 'v2' (a traceback, exit 1): model.model_id was
    filled in by str.format, which reads every brace; only {src} and {tgt} are placeholders."""
    folder = shutil.copytree(tiny_marian, tmp_path / "my models" / "mödel {v2}")
    spec = ModelSpec(name="tiny", model_id=str(folder))
    assert model_id_for(spec, "fr", "en") == str(folder)
    opus = ModelSpec(name="opus", model_id="Helsinki-NLP/opus-mt-{src}-{tgt}")
    assert model_id_for(opus, "fr", "en") == "Helsinki-NLP/opus-mt-fr-en"
    assert seq2seq(folder).translate_batch(["Bonjour."], "fr", "en")


def test_max_new_tokens_beyond_the_decoders_positions_is_one_line(tiny_marian, tmp_path):
    """Own (round 8): generation.max_new_tokens=256 on a Marian of 128 decoder positions ran until an output grew
    past them, then ended in torch's 'IndexError: index out of range in self' (a traceback, exit 1, folder FAILED)."""
    outcome = refused(tmp_path, f"model.model_id={tiny_marian}", "generation.max_new_tokens=256")
    assert_one_line_error(outcome, "generation.max_new_tokens=256", "128 decoder positions",
                          "generation.max_new_tokens=127 or less")


# ---------------------------------------------------------------- degraded and odd inputs

def test_a_truncated_input_is_shown_on_a_rerun_served_from_the_cache(tiny_marian):
    """Own (round 8): one word of 3,000 letters (it cannot be split at a word) was 'TRUNCATED by the tokenizer' in
    the first run's table and in no re-run's: the truncation was counted, not kept with the output."""
    cache = TranslationCache(None)
    texts = ["x" * 3000, "Bonjour."]
    first, second = seq2seq(tiny_marian), seq2seq(tiny_marian)
    translate_with_cache(first, cache, texts, "fr", "en")
    outputs, from_cache = translate_with_cache(second, cache, texts, "fr", "en")
    assert all(from_cache) and first.stats["truncated_inputs"] == 1
    assert second.stats["truncated_inputs"] == 1


def test_a_line_with_no_visible_text_is_not_sent_to_the_model(tmp_path):
    """Own (round 8): in a line-aligned document a line of direction marks or control characters went to the model
    (a real one writes something for it, our tiny Marian wrote 'للؤardardض contre visite'), while an empty line
    and a line of spaces did not; every line with no visible text now gets the empty output."""
    data = tmp_path / "data"
    data.mkdir()
    lines = ["Bonjour.", "\u200f\u200f\u200e", "\x01\x02\x07", "😀🎉", "Merci."]
    (data / "a.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "r.txt").write_text("Hello.\n\n\n\nThank you.\n", encoding="utf-8")
    (data / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "alignment": "lines", "documents": [
        {"id": "a", "lang": "fr", "file": "a.txt", "reference": "r.txt", "relation": "parallel"}]}), encoding="utf-8")
    result = run(compose_config([f"data.root={data}", "model=identity", "metrics=[bleu]",
                                 "alignment.embeddings=false"]), str(tmp_path / "run"))
    hypotheses = (tmp_path / "run" / "hypotheses" / "a.txt").read_text(encoding="utf-8").split("\n")
    assert hypotheses[:5] == ["Bonjour.", "", "", "😀🎉", "Merci."]
    assert result["backend_stats"]["translated_segments"] == 3
