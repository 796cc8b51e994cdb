"""What a re-run does not repeat (issue 24, the harness's overhead): the language identification of the input
files, and the sha256 of a model file that has not changed."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import harness.data.languages as languages
from harness import compose_config, run
from harness.translate.backends.hf_loading import HASH_MEMO, folder_digest, sha256_file
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
    def counted(cache=None):
        loads.append(1)
        return languages.load_identifier(None)
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
    remembered = json.loads((memo / HASH_MEMO).read_text())
    remembered[str(model.resolve())][-1] = "remembered"         # unchanged: the memo's answer, the file not read
    (memo / HASH_MEMO).write_text(json.dumps(remembered))
    assert sha256_file(model, memo) == "remembered"
    stat = model.stat()
    model.write_bytes(b"weights two")                          # the same size ...
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))   # ... and time, set back: read again (round 8)
    assert sha256_file(model, memo) == sha256_file(model) != first
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

    def refused(*args):
        raise AssertionError("the language identifier was loaded by a fully cached re-run")
    monkeypatch.setattr(languages, "language_identifier", refused)
    again = run(compose_config(overrides), tmp_path / "again")
    assert again["documents"][0]["cache_hits"] == first["documents"][0]["source_segments"]
    assert [d["diagnostics"] for d in again["documents"]] == [d["diagnostics"] for d in first["documents"]]


SAMPLES = ["Le comité s'est réuni mardi pour discuter du budget de l'année prochaine.", ENGLISH,
           "Komite salı günü gelecek yılın bütçesini görüşmek üzere toplandı.",
           "اجتمعت اللجنة يوم الثلاثاء لمناقشة الميزانية",
           "委员会星期二开会讨论明年的预算。", "Das Komitee traf sich am Dienstag.", "x"]


def unpacking_needed() -> None:
    if languages.unpacked_identifier_folder(Path("cache")) is None:
        pytest.skip("py3langid before 0.3 (the comet extra's) ships its model pickled: nothing to unpack")


def test_the_unpacked_language_identifier_gives_the_packaged_ones_verdicts(tmp_path, monkeypatch):
    unpacking_needed()
    packaged = languages.load_identifier(tmp_path)   # unpacks the package's model, keeps the arrays
    assert (languages.unpacked_identifier_folder(tmp_path) / languages.IDENTIFIER_MARKER).is_file()

    def refused():
        raise AssertionError("the package's model was unpacked again")
    monkeypatch.setattr(languages, "packaged_identifier", refused)
    unpacked = languages.load_identifier(tmp_path)
    assert [unpacked.rank(text) for text in SAMPLES] == [packaged.rank(text) for text in SAMPLES]
    assert [unpacked.classify(text) for text in SAMPLES] == [packaged.classify(text) for text in SAMPLES]


def test_a_damaged_unpacked_copy_is_unpacked_again(tmp_path):
    unpacking_needed()
    packaged = languages.load_identifier(tmp_path)
    weights = languages.unpacked_identifier_folder(tmp_path) / "nb_ptc.npy"
    with open(weights, "r+b") as file:
        file.truncate(weights.stat().st_size // 2)
    again = languages.load_identifier(tmp_path)
    assert [again.rank(text) for text in SAMPLES] == [packaged.rank(text) for text in SAMPLES]
    assert np.load(weights).shape == packaged.nb_ptc.shape   # written whole again


def test_a_cache_folder_that_cannot_keep_the_copy_only_costs_the_unpacking(tmp_path):
    unpacking_needed()
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    identifier = languages.load_identifier(blocked / "cache")
    assert identifier.classify(ENGLISH)[0] == "en"
    assert blocked.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_copy_is_kept_in_a_cache_kept_between_runs_not_in_a_new_one(tmp_path, monkeypatch):
    """A cache folder used once (each test's, a one-off HARNESS_CACHE_DIR) is spared the 69 MB copy; one whose file
    an earlier run made gets it."""
    unpacking_needed()
    monkeypatch.setattr(languages, "LOADED", {})
    languages.identify(ENGLISH, "en", TranslationCache(tmp_path / "cache.sqlite"))   # a new cache
    assert not languages.unpacked_identifier_folder(tmp_path).exists()
    monkeypatch.setattr(languages, "LOADED", {})   # the next run, a process of its own
    languages.identify(ENGLISH + " Again.", "en", TranslationCache(tmp_path / "cache.sqlite"))
    assert (languages.unpacked_identifier_folder(tmp_path) / languages.IDENTIFIER_MARKER).is_file()
