"""Adversarial round 11: the cache never serves a stale or foreign result.

Each case runs once, changes one thing that decides a cached value, and runs again: the changed thing must take
effect, and what did not change must still come from the cache. Changed: a model file rewritten with its old size
and modification time (weights, tokenizer, generation_config.json, a GGUF file, a file under a linked subfolder), a
user backend's or summarizer's own setting and code (a module on the path, a notebook's class, a relative model
folder), a reference edited in place, a manifest's segmentation or cleaning, crosslingual and alignment settings,
a COMET checkpoint, its encoder and the unbabel-comet version, rows of the cache damaged on disk, the file-hash
memo and a converted LM's kept facts in another shape, two converted models swapped. Unchanged: a model folder
moved elsewhere, a model under another name, the batch size. Tiny random-weight Marian models only
(tests/builders.py); no network.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from harness.align.crosslingual import settings as crosslingual_settings
from harness.cache import TranslationCache
from harness.config import GenerationSpec, ModelSpec, compose_config
from harness.score.align import alignment_key
from harness.translate.backends.ct2 import Ct2Backend, Ct2LMBackend
from harness.translate.backends.hf_causal import CausalLMBackend
from harness.translate.backends.hf_loading import HASH_MEMO, sha256_file
from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from harness.translate.translate import translate_with_cache
from tests.builders import build_marian, seed_texts

SOURCES = ["Le chat dort sur le canapé.", "Bonjour.", "Le ministre du Canada et du Japon."]


def seq2seq(folder: Path, cache: Path, backend: type = Seq2SeqBackend, **generation) -> Seq2SeqBackend:
    spec = ModelSpec(name="tiny", model_id=str(folder))
    return backend(spec, GenerationSpec(**{"device": "cpu", "max_new_tokens": 8, **generation}), cache_dir=str(cache))


def translated(backend, cache: Path) -> tuple[list[str], int]:
    """The outputs of SOURCES through the translation cache in `cache`, and how many came from it."""
    store = TranslationCache(cache / "translations.sqlite")
    try:
        outputs, hits = translate_with_cache(backend, store, SOURCES, "fr", "en")
    finally:
        store.close()
    return outputs, sum(hits)


def rewrite_keeping_size_and_time(path: Path, content: bytes) -> None:
    """Another content of the same size, with the old modification time put back (cp -p, rsync -t, os.utime)."""
    state = path.stat()
    assert len(content) == state.st_size
    path.write_bytes(content)
    os.utime(path, ns=(state.st_atime_ns, state.st_mtime_ns))
    assert path.stat().st_mtime_ns == state.st_mtime_ns


@pytest.fixture(scope="module")
def other_marian(tmp_path_factory) -> Path:
    """The tiny Marian's architecture and tokenizer with other weights (seed 1)."""
    return build_marian(tmp_path_factory.mktemp("other_marian"), seed_texts(), seed=1)


# ---------------------------------------------------------------- the model's files

def test_weights_swapped_in_with_the_old_size_and_time_are_translated_anew_end_to_end(tiny_marian, other_marian,
                                                                                     tmp_path):
    """Holds: the file-hash memo in the cache folder knows a file by its change time and inode too, so another
    model's weights copied over the old ones with the old size and time re-translate every segment, and give what
    the other model gives."""
    folder = shutil.copytree(tiny_marian, tmp_path / "model")
    cache = tmp_path / "cache"
    before, _ = translated(seq2seq(folder, cache), cache)
    weights = folder / "model.safetensors"
    rewrite_keeping_size_and_time(weights, (other_marian / "model.safetensors").read_bytes())
    after, hits = translated(seq2seq(folder, cache), cache)
    expected, _ = translated(seq2seq(other_marian, tmp_path / "fresh"), tmp_path / "fresh")
    assert hits == 0 and after == expected != before


@pytest.mark.parametrize("name", ["generation_config.json", "config.json", "tokenizer_config.json", "vocab.json"])
def test_a_model_folders_other_file_edited_with_its_old_size_and_time_changes_the_key(tiny_marian, tmp_path, name):
    """Holds: every file of a local model folder is in its content hash (the decoding defaults of
    generation_config.json, the tokenizer's files), not only the weights."""
    folder = shutil.copytree(tiny_marian, tmp_path / "model")
    cache = tmp_path / "cache"
    before = seq2seq(folder, cache).fingerprint("fr", "en")
    path = folder / name
    text = path.read_bytes()
    digit = next(k for k, byte in enumerate(text) if chr(byte).isdigit())
    changed = text[:digit] + (b"1" if text[digit:digit + 1] != b"1" else b"2") + text[digit + 1:]
    rewrite_keeping_size_and_time(path, changed)
    assert seq2seq(folder, cache).fingerprint("fr", "en") != before


def test_a_model_folder_moved_elsewhere_is_still_served_from_the_cache(tiny_marian, tmp_path):
    """A folder moved (or copied) to another path holds the same model: its translations are the same."""
    cache = tmp_path / "cache"
    first = shutil.copytree(tiny_marian, tmp_path / "here" / "model")
    before, _ = translated(seq2seq(first, cache), cache)
    moved = shutil.move(first, tmp_path / "there")
    after, hits = translated(seq2seq(Path(moved), cache), cache)
    assert after == before and hits == len(SOURCES)


@pytest.mark.parametrize("backend", [Seq2SeqBackend, Ct2Backend, CausalLMBackend, Ct2LMBackend],
                         ids=lambda cls: cls.__name__)
def test_every_harness_backend_keys_a_model_folder_by_its_content_not_its_path(tmp_path, backend):
    """A copy of a model folder elsewhere has the original's key (the key held the folder's path: every segment was
    translated again); a byte changed in the copy gives another key."""
    original = tmp_path / "original"
    original.mkdir()
    (original / "weights.bin").write_bytes(b"weights of the model")

    def key(folder: Path) -> dict:
        spec = ModelSpec(name="tiny", model_id=str(folder))
        return backend(spec, GenerationSpec(device="cpu"), cache_dir=str(tmp_path / "cache")).fingerprint("fr", "en")

    copy = shutil.copytree(original, tmp_path / "elsewhere" / "copy")
    assert key(copy) == key(original)
    (copy / "weights.bin").write_bytes(b"weights of the modem")
    assert key(copy) != key(original)


@pytest.mark.parametrize("backend", [Seq2SeqBackend, Ct2Backend, CausalLMBackend, Ct2LMBackend],
                         ids=lambda cls: cls.__name__)
def test_a_model_run_under_another_name_is_served_from_the_cache(tmp_path, backend):
    """model.name is the label a run goes by (results/<name>/...): the same model under another name re-translated
    every segment."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"weights of the model")

    def key(name: str) -> dict:
        spec = ModelSpec(name=name, model_id=str(folder))
        return backend(spec, GenerationSpec(device="cpu"), cache_dir=str(tmp_path / "cache")).fingerprint("fr", "en")

    assert key("opus_mt") == key("opus_mt_fr_en_2026")


def test_a_gguf_file_swapped_in_with_the_old_size_and_time_is_another_model(tmp_path):
    """Holds: a GGUF file's sha256 is remembered by its change time and inode too."""
    folder = tmp_path / "gguf_model"
    folder.mkdir()
    gguf = folder / "model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(range(200)))
    spec = ModelSpec(name="tiny", model_id=str(folder), gguf_file="model.gguf")

    def key() -> dict:
        return CausalLMBackend(spec, GenerationSpec(device="cpu"), cache_dir=str(tmp_path / "cache")).fingerprint(
            "fr", "en")

    before = key()
    rewrite_keeping_size_and_time(gguf, b"GGUF" + bytes(reversed(range(200))))
    assert key()["extra"]["model"] != before["extra"]["model"]


# ---------------------------------------------------------------- settings that do not decide outputs

@pytest.mark.parametrize("backend", [Seq2SeqBackend, Ct2Backend], ids=["hf_seq2seq", "ct2"])
def test_the_batch_size_shares_the_cache_because_it_does_not_change_an_output(tiny_marian, tmp_path, backend):
    """Holds: an encoder-decoder's outputs do not depend on the batch (measured here: batch sizes 1 and 16 give
    the same outputs), so the batch settings stay out of its key and a re-run with another batch size is served."""
    cache = tmp_path / "cache"
    one, _ = translated(seq2seq(tiny_marian, cache, backend, batch_size=1), cache)
    fresh = tmp_path / "fresh"
    sixteen, _ = translated(seq2seq(tiny_marian, fresh, backend, batch_size=16, max_batch_tokens=8192), fresh)
    served, hits = translated(seq2seq(tiny_marian, cache, backend, batch_size=16, max_batch_tokens=8192), cache)
    assert one == sixteen == served and hits == len(SOURCES)


# ---------------------------------------------------------------- a user's classes

USER_BACKEND = '''
from pathlib import Path

from harness.translate.backends.base import Backend


class Tagged(Backend):
    """A user's backend written from docs/extending.md: a word list in model.model_id, and a setting of its own
    (backend.tag: what it puts after each output), which it does not add to extra_fingerprint."""

    name = "tagged"

    def __init__(self, *args, tag: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag

    def translate_batch(self, texts, src_lang, tgt_lang):
        rows = (Path(self.model.model_id) / "lexicon.tsv").read_text(encoding="utf-8").splitlines()
        lexicon = dict(row.split("\\t") for row in rows if row.strip())
        return [" ".join(lexicon.get(word.lower(), word) for word in text.split()) + self.tag for text in texts]
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A user's project folder on the path holding usercode.py (USER_BACKEND, or what the test writes)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "usercode.py").write_text(USER_BACKEND, encoding="utf-8")
    monkeypatch.syspath_prepend(str(project))
    sys.modules.pop("usercode", None)
    yield project
    sys.modules.pop("usercode", None)


def user_run(tmp_path: Path, name: str, *overrides: str) -> tuple[str, dict]:
    """harness-run's pipeline with the user's backend on 002's first segments: the first hypothesis, the record."""
    from harness import run
    config = compose_config([f"data.root={Path(__file__).parents[1] / 'seeds'}", "data.documents=[002]",
                             "data.max_segments=3", "metrics=[bleu]", "model=identity", "model.name=tagged",
                             "backend._target_=usercode.Tagged", "alignment.embeddings=false", *overrides])
    result = run(config, str(tmp_path / name))
    return (tmp_path / name / "hypotheses" / "002.txt").read_text(encoding="utf-8").splitlines()[0], result


def lexicon(folder: Path, pairs: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "lexicon.tsv").write_text("".join(f"{w}\t{e}\n" for w, e in pairs.items()), encoding="utf-8")
    return folder


def test_a_user_backends_own_setting_decides_its_cache_key(user_module, tmp_path):
    """A user's backend with a setting of its own (backend.tag, passed to its constructor by Hydra) that writes no
    extra_fingerprint, as docs/extending.md allows: run with +backend.tag=' [formal]', the run was served the
    untagged outputs of the run before (3 of 3 from the cache)."""
    words = lexicon(tmp_path / "words", {"kanada": "Canada"})
    plain, _ = user_run(tmp_path, "plain", f"model.model_id={words}")
    tagged, result = user_run(tmp_path, "tagged", f"model.model_id={words}", "+backend.tag=' [formal]'")
    assert not plain.endswith("[formal]")
    assert tagged.endswith("[formal]") and result["documents"][0]["cache_hits"] == 0
    again, result = user_run(tmp_path, "again", f"model.model_id={words}", "+backend.tag=' [formal]'")
    assert again == tagged and result["documents"][0]["cache_hits"] == 3


def test_a_user_backends_relative_model_folder_is_the_folder_it_names_where_the_run_starts(user_module, tmp_path,
                                                                                          monkeypatch):
    """model.model_id=lexicon (a folder relative to where the run starts) in two project folders names two models:
    the second run was served the first folder's outputs."""
    outputs = []
    for project, english in (("one", "Canada"), ("two", "KANADA")):
        lexicon(tmp_path / project / "lexicon", {"kanada": english})
        monkeypatch.chdir(tmp_path / project)
        first_line, result = user_run(tmp_path, f"run_{project}", "model.model_id=lexicon")
        outputs.append(first_line)
    assert outputs[0].startswith("Canada") and outputs[1].startswith("KANADA")


USER_SUMMARIZER = '''
from harness.summarize.summarize import Summarizer, SummaryOutput


class FirstWords(Summarizer):
    """A user's summarizer: the first `words` words, as one sentence ({operation})."""

    def __init__(self, name: str = "first_words", words: int = 5):
        super().__init__(name)
        self.words = words

    def summarize(self, text, lang):
        return SummaryOutput([" ".join(text.split()[:self.words]).{operation}()])
'''


def summarizer_key(project: Path, operation: str = "strip", **settings) -> dict:
    (project / "usersummary.py").write_text(USER_SUMMARIZER.format(operation=operation), encoding="utf-8")
    sys.modules.pop("usersummary", None)
    try:
        return importlib.import_module("usersummary").FirstWords(**settings).fingerprint("en", "en")
    finally:
        sys.modules.pop("usersummary", None)


def test_a_user_summarizers_own_setting_and_code_decide_its_cache_key(user_module):
    """docs/summaries.md: 'Summaries are cached like translations, keyed by the summarizer's settings'. A user's
    summarizer (summarizer._target_=usersummary.FirstWords) was keyed by its class name alone: summarizer.words=50
    and an edit of its code were both served the summaries made before."""
    first = summarizer_key(user_module, words=5)
    assert summarizer_key(user_module, words=5) == first
    assert summarizer_key(user_module, words=50) != first
    assert summarizer_key(user_module, operation="upper", words=5) != first


NOTEBOOK_BACKEND = USER_BACKEND.replace("+ self.tag", "+ self.tag + {suffix!r}")


def notebook_class(suffix: str) -> type:
    """Tagged as a notebook defines it: in a module with no source file (a notebook's __main__ has none)."""
    import types
    module = types.ModuleType("notebook_cells")
    sys.modules["notebook_cells"] = module
    exec(compile(NOTEBOOK_BACKEND.format(suffix=suffix), "<cell>", "exec"), module.__dict__)
    return module.Tagged


def test_a_backend_defined_in_a_notebook_is_keyed_by_its_definition_and_its_settings(tmp_path, monkeypatch):
    """A class from a module with no source file was keyed as the harness's own classes are, by its class path:
    a notebook's backend edited and defined again, or given another backend.tag, was served the outputs before."""
    monkeypatch.setitem(sys.modules, "notebook_cells", None)   # taken away again after the test
    spec = ModelSpec(name="tagged", model_id=str(tmp_path))

    def key(cls: type, tag: str = "") -> dict:
        return cls(model=spec, generation=GenerationSpec(), cache_dir=None, tag=tag).fingerprint("fr", "en")

    first, edited = notebook_class("."), notebook_class("!")
    assert key(first) == key(first)
    assert key(edited) != key(first)
    assert key(first, tag=" [formal]") != key(first)


# ---------------------------------------------------------------- the cache folder's file-hash memo

@pytest.mark.parametrize("entry", [5, None, {"size": 3}, [3], "stale"], ids=repr)
def test_a_damaged_file_hash_memo_entry_is_hashed_again_not_a_traceback(tmp_path, entry):
    """The memo of file hashes (file_hashes.json in the cache folder) is read whole and trusted: an entry that is no
    list (a hand edit, another program's file of that name, a partial write by an older harness) was a TypeError
    ('int' object is not subscriptable) on every run that named the model."""
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / HASH_MEMO).write_text(json.dumps({str(model.resolve()): entry}), encoding="utf-8")
    assert sha256_file(model, tmp_path / "cache") == sha256_file(model)
    assert sha256_file(model, tmp_path / "cache") == sha256_file(model)   # remembered anew


def test_an_older_harnesss_memo_entry_of_size_and_time_is_not_trusted_for_a_file_swapped_in_with_them(tmp_path):
    """Holds: the memo an older harness wrote ([size, mtime, sha256]: before round 8, without the change time and
    inode) names the old content; the same size and time of new content do not match the entry's state."""
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights A")
    state = model.stat()
    old_entry = [state.st_size, state.st_mtime_ns, sha256_file(model)]
    rewrite_keeping_size_and_time(model, b"weights B")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / HASH_MEMO).write_text(json.dumps({str(model.resolve()): old_entry}), encoding="utf-8")
    assert sha256_file(model, tmp_path / "cache") == sha256_file(model) != old_entry[-1]


# ---------------------------------------------------------------- alignments, references and segmentation

SEEDS = Path(__file__).parents[1] / "seeds"
REFERENCE = "001_8dfe5badceb79477.txt"


def data_copy(tmp_path: Path) -> Path:
    """The seeds and their reference folder copied, so that a case may change them; the seeds' root."""
    shutil.copytree(SEEDS, tmp_path / "data" / "seeds")
    shutil.copytree(SEEDS.parent / "references", tmp_path / "data" / "references")
    return tmp_path / "data" / "seeds"


def document_record(tmp_path: Path, name: str, root: Path, cache: Path, *overrides: str) -> dict:
    """One document (by default 002) through the identity model (every stage after translation runs: alignment,
    scores, language checks)."""
    from harness import run
    config = compose_config([f"data.root={root}", f"data.reference_root={root.parent / 'references'}",
                             "model=identity", "metrics=[bleu,chrf,ter]", f"cache.dir={cache}",
                             *overrides, *([] if any(o.startswith("data.documents=") for o in overrides)
                                           else ["data.documents=[002]"])])
    [document] = run(config, str(tmp_path / name))["documents"]
    return {field: value for field, value in document.items() if field != "cache_hits"}


def assert_cached_rerun_is_a_fresh_run(tmp_path: Path, change, *overrides: str) -> dict:
    """Run, change one thing (change(root) -> overrides), run again on the same cache: the record is the one a run
    on an empty cache gives, and another than before."""
    root = data_copy(tmp_path)
    before = document_record(tmp_path, "before", root, tmp_path / "cache", *overrides)
    changed = [*overrides, *(change(root) or [])]
    cached = document_record(tmp_path, "cached", root, tmp_path / "cache", *changed)
    fresh = document_record(tmp_path, "fresh", root, tmp_path / "fresh_cache", *changed)
    assert cached == fresh
    assert cached != before
    return cached


def edit_reference_in_place(root: Path) -> None:
    """One word of the reference changed, the file's size and modification time kept."""
    path = root.parent / "references" / REFERENCE
    text = path.read_bytes()
    assert b" Japan " in text
    rewrite_keeping_size_and_time(path, text.replace(b" Japan ", b" Japon ", 1))


def test_a_reference_edited_in_place_with_its_old_size_and_time_is_aligned_and_scored_anew(tmp_path):
    """Holds: alignments, language checks and segment statistics are keyed by the texts themselves, not by files."""
    record = assert_cached_rerun_is_a_fresh_run(tmp_path, edit_reference_in_place)
    assert any("Japon" in segment["ref"] for segment in record["segments"])


def drop_a_reference_line(root: Path) -> None:
    """A cleaning rule added for the reference in the manifest: its files are the same, its text is not."""
    manifest = root / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    rule = '        - "^Posted at "'
    assert rule in text
    manifest.write_text(text.replace(rule, f'{rule}\n        - "Japan"', 1), encoding="utf-8")


def declare_lines(root: Path) -> None:
    manifest = root / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "segmentation: lines\n", encoding="utf-8")


@pytest.mark.parametrize("change, overrides", [
    pytest.param(declare_lines, ["data.documents=[004]"], id="manifest-segmentation-lines"),
    pytest.param(drop_a_reference_line, [], id="manifest-reference-cleaning"),
    pytest.param(lambda root: ["crosslingual.skip=0.5"], [], id="crosslingual-skip"),
    pytest.param(lambda root: ["crosslingual.sure_margin=5"], [], id="crosslingual-sure-margin"),
])
def test_a_changed_segmentation_or_alignment_setting_is_aligned_anew(tmp_path, change, overrides):
    """Holds: a cached re-run after the change gives what a run on an empty cache gives (004 is one paragraph of
    Arabic: one line, several sentences)."""
    assert_cached_rerun_is_a_fresh_run(tmp_path, change, *overrides)


def spied(spec, read: set[str]):
    """spec, recording the name of every field read from it."""
    class Spy:
        def __getattr__(self, name):
            read.add(name)
            return getattr(spec, name)
    return Spy()


def changed_field(spec, field: str):
    value = getattr(spec, field)
    other = {bool: lambda v: not v, int: lambda v: v + 1, float: lambda v: v + 0.125, dict: lambda v: {**v, "9-9": 1.0},
             list: lambda v: [*v, "1-3"], type(None): lambda v: 7}[type(value)](value)
    return dataclasses.replace(spec, **{field: other})


def test_every_crosslingual_setting_the_aligner_reads_is_in_its_cache_key():
    """Holds: each field of crosslingual.* that the source <-> reference aligner reads (found by reading it through
    a spy, on a pair with a dropped, a merged and a reordered sentence) changes the alignment's cache key."""
    from omegaconf import OmegaConf
    from harness.align.crosslingual import align_lines, align_sentences
    spec = OmegaConf.to_object(compose_config([]).crosslingual)
    src = ["Le chat dort sur le canapé.", "Il pleut depuis ce matin.", "Le ministre parle aux journalistes.",
           "Partager sur Facebook", "La réunion commence à midi.", "Les enfants jouent dehors."]
    ref = ["The cat sleeps on the sofa.", "It has been raining since this morning and the minister talks to reporters.",
           "The children play outside.", "The meeting starts at noon."]
    for method, aligner, pair in (("search", align_sentences, (src, ref)), ("lines", align_lines, (src, src))):
        read: set[str] = set()
        aligner(*pair, spied(spec, read))
        assert read
        for field in read:
            assert crosslingual_settings(changed_field(spec, field), method) != crosslingual_settings(spec, method), \
                (method, field)


def test_every_alignment_setting_the_hypothesis_aligner_reads_is_in_its_cache_key():
    """Holds: the same for alignment.* and the hypothesis <-> reference aligner (source languages the encoder does
    not cover)."""
    from omegaconf import OmegaConf
    from harness.score.align import align_texts
    spec = OmegaConf.to_object(compose_config([]).alignment)
    hyp, ref = ["The cat sleeps.", "It rains.", "Noise here."], ["The cat is asleep.", "It is raining."]
    read: set[str] = set()
    align_texts(hyp, ref, spied(spec, read))
    assert {"beads", "weights", "min_similarity", "merge_penalty", "embeddings"} <= read
    for field in read:
        assert alignment_key(hyp, ref, changed_field(spec, field)) != alignment_key(hyp, ref, spec), field


# ---------------------------------------------------------------- a model metric's segment scores

def comet_layout(root: Path) -> tuple[Path, Path]:
    """A checkpoint folder in COMET's layout (hparams.yaml naming a local encoder folder, checkpoints/model.ckpt) and
    its encoder folder; the files are stand-ins: a cache key reads them, it loads no model."""
    encoder = root / "encoder"
    encoder.mkdir(parents=True)
    (encoder / "tokenizer.json").write_text('{"vocab": [1, 2, 3]}', encoding="utf-8")
    checkpoint = root / "checkpoint"
    (checkpoint / "checkpoints").mkdir(parents=True)
    (checkpoint / "checkpoints" / "model.ckpt").write_bytes(b"weights 1")
    (checkpoint / "hparams.yaml").write_text(f"pretrained_model: {encoder}\n", encoding="utf-8")
    return checkpoint, encoder


@pytest.mark.parametrize("changed", ["checkpoint", "encoder"])
def test_a_comet_checkpoint_or_its_encoder_rewritten_with_its_old_size_and_time_changes_the_scores_key(
        tmp_path, changed, monkeypatch):
    """Holds: COMET's segment scores are keyed by the checkpoint folder's content and the encoder's."""
    from harness.score.metrics import comet
    from harness.score.metrics.comet import CometMetric
    monkeypatch.setattr(comet, "comet_version", lambda: "2.2.7")   # whether or not the comet extra is installed
    checkpoint, encoder = comet_layout(tmp_path)

    def key() -> str:
        metric = CometMetric(model_id=str(checkpoint), cache_path=str(tmp_path / "cache" / "translations.sqlite"))
        return metric.key("Le chat dort.", "The cat sleeps.", "The cat is asleep.")

    before = key()
    assert key() == before
    if changed == "checkpoint":
        rewrite_keeping_size_and_time(checkpoint / "checkpoints" / "model.ckpt", b"weights 2")
    else:
        rewrite_keeping_size_and_time(encoder / "tokenizer.json", b'{"vocab": [1, 2, 4]}')
    assert key() != before


def test_a_comet_upgrade_scores_anew_what_the_older_one_scored(tmp_path, monkeypatch):
    """The signature of a COMET score names the unbabel-comet that made it, and harness-compare compares runs by it;
    the cache key did not: after an upgrade the older version's cached scores were served under the new signature."""
    from harness.score.metrics import comet
    checkpoint, _ = comet_layout(tmp_path)
    keys = []
    for version in ("2.2.6", "2.2.7"):
        monkeypatch.setattr(comet, "comet_version", lambda: version)
        keys.append(comet.CometMetric(model_id=str(checkpoint)).key("Le chat dort.", "The cat sleeps.", "A cat."))
    assert keys[0] != keys[1]


# ---------------------------------------------------------------- the cache file's rows

def damage_rows(cache_file: Path, table: str) -> int:
    """The rows of `table` that hold a 1 given another output (each 1 a 0) under their old checksum (a bit flipped on
    disk, a partial copy); how many."""
    import sqlite3
    with sqlite3.connect(cache_file) as connection:
        rows = connection.execute(f"SELECT key, output FROM {table} WHERE output LIKE '%1%'").fetchall()
        for key, output in rows:
            connection.execute(f"UPDATE {table} SET output = ? WHERE key = ?", (output.replace("1", "0"), key))
    connection.close()
    return len(rows)


def test_a_translation_whose_degradation_row_is_damaged_is_translated_again_not_served_unmarked(tiny_marian,
                                                                                                 tmp_path):
    """The degradations of an output (cut at max_new_tokens) are kept in their own row beside it: a damaged one
    failed its checksum and was dropped, but the output was still served, unmarked (the re-run counted 0 outputs
    cut where the first counted 3), while the run said the damaged entry was 'recomputed'."""
    cache = tmp_path / "cache"
    first = seq2seq(tiny_marian, cache, max_new_tokens=2)
    translated(first, cache)
    assert first.stats["cut_at_max_new_tokens"] == len(SOURCES)
    assert damage_rows(cache / "translations.sqlite", "output_flags") == len(SOURCES)
    again = seq2seq(tiny_marian, cache, max_new_tokens=2)
    outputs, _ = translated(again, cache)
    assert again.stats["cut_at_max_new_tokens"] == len(SOURCES)
    third = seq2seq(tiny_marian, cache, max_new_tokens=2)
    assert translated(third, cache) == (outputs, len(SOURCES))   # made again, with its degradations, then served
    assert third.stats["cut_at_max_new_tokens"] == len(SOURCES)


@pytest.mark.parametrize("kept", ["[]", "{}", '{"stop_tokens": "\\n", "sliding_window": null}',
                                  '{"stop_tokens": [1], "sliding_window": "512"}'])
def test_a_converted_lms_kept_facts_of_another_shape_are_found_again_not_a_traceback(tmp_path, kept):
    """A converted LM's stop tokens and attention window are kept beside it (harness_facts.json) and read back
    whole: a file of valid JSON in another shape was a TypeError or KeyError on every run of that model."""
    from harness.translate.backends.ct2 import FACTS_FILE, model_facts
    found = {"stop_tokens": [1, 107], "sliding_window": 512}
    (tmp_path / FACTS_FILE).write_text(kept, encoding="utf-8")
    assert model_facts(tmp_path, lambda: found) == found
    assert model_facts(tmp_path, lambda: pytest.fail("found again though kept")) == found


@pytest.mark.parametrize("setting", ["prompt", "max_new_tokens", "max_input_tokens"])
def test_a_causal_lm_summarizers_prompt_and_lengths_decide_its_cache_key(tmp_path, setting):
    """Holds: summarizer.prompt (set on its backend after it is built), summarizer.max_new_tokens and
    summarizer.max_input_tokens each change the key of the summaries."""
    from harness.summarize.summarize import CausalLMSummarizer
    folder = tmp_path / "lm"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"an LM")
    settings = {"prompt": "Article: {source}\nSummary:", "max_new_tokens": 128, "max_input_tokens": 2048}

    def key(**changed) -> dict:
        summarizer = CausalLMSummarizer("hf_causal", {"name": "lm", "model_id": str(folder)}, device="cpu",
                                        cache_dir=str(tmp_path / "cache"), **{**settings, **changed})
        return summarizer.fingerprint("fr", "en")

    other = {"prompt": "Text: {source}\nIn short:", "max_new_tokens": 64, "max_input_tokens": 1024}[setting]
    assert key() == key() != key(**{setting: other})


# ---------------------------------------------------------------- converted models in the cache

def test_a_converted_model_swapped_for_another_models_conversion_is_refused_not_translated_with(tiny_marian,
                                                                                               other_marian, tmp_path):
    """Two models' CTranslate2 conversions swapped in the cache (folders renamed or copied by hand, a sync tool):
    the run loaded the other model's conversion, gave its outputs, and cached them as this model's (3 of 3 served
    to every later run, after the folders were put right too)."""
    from harness.errors import UserError
    cache = tmp_path / "cache"
    translated(seq2seq(tiny_marian, cache, Ct2Backend), cache)
    [first] = (cache / "ct2").iterdir()   # the tiny Marian's conversion
    translated(seq2seq(other_marian, cache, Ct2Backend), cache)
    [second] = set((cache / "ct2").iterdir()) - {first}
    first.rename(tmp_path / "aside")
    second.rename(first)
    (tmp_path / "aside").rename(second)
    (cache / "translations.sqlite").unlink()   # nothing cached: the conversion alone decides
    with pytest.raises(UserError) as refused:
        translated(seq2seq(tiny_marian, cache, Ct2Backend), cache)
    message = str(refused.value)
    assert "\n" not in message and "another model" in message and f"mv {first} {first}.damaged" in message


def test_a_converted_model_published_before_its_name_was_kept_is_still_used(tiny_marian, tmp_path):
    """Holds: a conversion in a cache of an earlier harness (no name kept in it) is loaded, not refused or redone."""
    from harness.cache_folders import NAME_FILE
    cache = tmp_path / "cache"
    outputs, _ = translated(seq2seq(tiny_marian, cache, Ct2Backend), cache)
    [folder] = (cache / "ct2").iterdir()
    (folder / NAME_FILE).unlink()
    (cache / "translations.sqlite").unlink()
    assert translated(seq2seq(tiny_marian, cache, Ct2Backend), cache) == (outputs, 0)
    assert [path.name for path in (cache / "ct2").iterdir()] == [folder.name] and not (folder / NAME_FILE).exists()


# ---------------------------------------------------------------- what a model folder's content is

def test_a_file_in_a_linked_subfolder_of_a_model_folder_is_part_of_its_content(tmp_path):
    """A model folder whose subfolder is a symbolic link (COMET's checkpoints/ pointing at a shared copy, as one keeps
    a large checkpoint once): the files under the link were not hashed, so a checkpoint replaced there kept the
    folder's key and its cached scores."""
    from harness.translate.backends.hf_loading import folder_digest
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "model.ckpt").write_bytes(b"weights 1")
    model = tmp_path / "model"
    model.mkdir()
    (model / "hparams.yaml").write_text("pretrained_model: xlm-roberta-large\n", encoding="utf-8")
    (model / "checkpoints").symlink_to(shared, target_is_directory=True)
    (model / "loop").symlink_to(model, target_is_directory=True)   # a link back up is read once, not forever
    before = folder_digest(model, tmp_path / "cache")
    rewrite_keeping_size_and_time(shared / "model.ckpt", b"weights 2")
    assert folder_digest(model, tmp_path / "cache") != before


@pytest.mark.parametrize("table", ["metric_scores", "language_checks"])
def test_damaged_segment_statistics_and_language_verdicts_are_computed_again(tmp_path, table):
    """Holds: TER's remembered segment statistics and the language identifier's verdicts fail their checksum when
    damaged on disk, and the re-run gives the first run's record, not the damaged values."""
    root = data_copy(tmp_path)
    first = document_record(tmp_path, "first", root, tmp_path / "cache")
    assert damage_rows(tmp_path / "cache" / "translations.sqlite", table) > 0
    assert document_record(tmp_path, "again", root, tmp_path / "cache") == first


def test_a_dequantized_gguf_folder_put_in_another_ones_place_is_refused(tmp_path):
    """The same for a GGUF model's dequantized weights (<cache>/converted/<sha256>, shared by hf_causal and ct2): a
    folder published under another file's sha256 is refused in one line, not loaded as this file's model."""
    from harness.cache_folders import publish_folder
    from harness.errors import UserError
    from harness.translate.backends.hf_loading import DEQUANTIZED_MARKER, dequantized_folder
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF and the rest")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / DEQUANTIZED_MARKER).write_bytes(b"weights of another model")
    (tmp_path / "cache" / "converted").mkdir(parents=True)
    publish_folder(staging, tmp_path / "cache" / "converted" / "sha-of-another-file", DEQUANTIZED_MARKER)
    (tmp_path / "cache" / "converted" / "sha-of-another-file").rename(tmp_path / "cache" / "converted" / "sha-of-this")
    with pytest.raises(UserError) as refused:
        dequantized_folder(gguf, "sha-of-this", tmp_path / "cache")
    assert "\n" not in str(refused.value) and "published as sha-of-another-file" in str(refused.value)
