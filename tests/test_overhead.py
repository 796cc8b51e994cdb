"""What a re-run does not repeat (issue 24, the harness's overhead): the language identification of the input
files, and the sha256 of a model file that has not changed."""
from __future__ import annotations

import os
import shutil

import pytest

import harness.data.languages as languages
from harness import compose_config, run
from harness.translate.backends.hf_loading import folder_digest, sha256_file
from harness.cache import TranslationCache
from harness.data.documents import load_dataset
from harness.errors import UserError
from tests.conftest import REFERENCES, SEEDS

ENGLISH = ("The committee met on Tuesday to discuss the budget for next year, and after a long debate the members "
           "agreed to raise the funding for schools and hospitals in the northern districts.")


@pytest.fixture
def identifier_loads(monkeypatch) -> list[int]:
    """Count the uses of the language identifier: each would load it (about a second) in a new process."""
    loads = []
    real = languages.language_identifier.__wrapped__

    def counted():
        loads.append(1)
        return real()
    monkeypatch.setattr(languages, "language_identifier", counted)
    return loads


def test_a_second_load_of_the_same_files_does_not_load_the_language_identifier(tmp_path, identifier_loads):
    cache = TranslationCache(tmp_path / "cache.sqlite")
    first = load_dataset(SEEDS, None, REFERENCES, cache)
    loads_first = len(identifier_loads)
    second = load_dataset(SEEDS, None, REFERENCES, cache)
    assert loads_first >= 1 and len(identifier_loads) == loads_first    # the verdicts came from the cache
    assert [d.notes for d in second.documents] == [d.notes for d in first.documents]


def test_a_remembered_verdict_still_refuses_a_text_in_another_language(tmp_path, identifier_loads):
    data = tmp_path / "data"
    shutil.copytree(SEEDS, data)
    shutil.copytree(REFERENCES, tmp_path / "references")   # the manifest's reference_dir: ../references
    (data / "000_538d5857cf43b83c.txt").write_text(ENGLISH + "\n", encoding="utf-8")   # declared French
    cache = TranslationCache(tmp_path / "cache.sqlite")
    calls = []
    for _ in range(2):
        with pytest.raises(UserError, match="declared 'fr' \\(French\\) but the text is 'en'"):
            load_dataset(data, ["000"], tmp_path / "references", cache)
        calls.append(len(identifier_loads))
    assert calls[0] >= 1 and calls[1] == calls[0]   # the second refusal came from the remembered verdict


def test_an_unchanged_model_file_is_hashed_once_and_a_rewritten_one_again(tmp_path):
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights one")
    memo = tmp_path / "cache"
    first = sha256_file(model, memo)
    stat = model.stat()
    model.write_bytes(b"weights two")                          # the same size ...
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))   # ... and time: taken as unchanged, not read
    assert sha256_file(model, memo) == first
    model.write_bytes(b"weights 2!!")                          # rewritten: another modification time
    assert sha256_file(model, memo) == sha256_file(model) != first


def test_a_model_folder_digest_is_the_same_with_and_without_the_memo(tmp_path, tiny_marian):
    assert folder_digest(tiny_marian, tmp_path / "cache") == folder_digest(tiny_marian)
    assert (tmp_path / "cache" / "file_hashes.json").is_file()


def test_an_unwritable_cache_folder_only_costs_the_hashing(tmp_path):
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert sha256_file(model, blocked / "cache") == sha256_file(model)
    assert blocked.read_text() == "not a folder"


def test_a_fully_cached_rerun_never_loads_the_language_identifier(tmp_path, monkeypatch):
    """The input files' language checks and the output-language labels both come from the cache."""
    overrides = ["model=identity", f"data.root={SEEDS}", "data.documents=[002]"]
    first = run(compose_config(overrides), tmp_path / "first")

    def refused():
        raise AssertionError("the language identifier was loaded by a fully cached re-run")
    monkeypatch.setattr(languages, "language_identifier", refused)
    again = run(compose_config(overrides), tmp_path / "again")
    assert again["documents"][0]["cache_hits"] == first["documents"][0]["source_segments"]
    assert [d["diagnostics"] for d in again["documents"]] == [d["diagnostics"] for d in first["documents"]]
