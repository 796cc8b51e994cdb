"""Adversarial round 9: CTranslate2 conversions, summaries and experiment files.

A converted model is published whole and never taken from another run that is converting or loading it; a
damaged one is one line that says how to convert it anew; a summary setting of the wrong type, and an experiment
file that cannot be read or lies outside conf/experiment/, are one line naming the input and the fix, exit 2.
Tiny random-weight Marian models only (tests/builders.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.cache_folders import NAME_FILE, publish_folder, staged_folder
from harness.config import GenerationSpec, ModelSpec
from harness.errors import UserError
from harness.translate.backends.ct2 import CONVERTED_MARKER, Ct2Backend
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.builders import build_marian, seed_texts
from tests.test_adversarial_run import make_setup
from tests.test_adversarial_state import small_disk  # noqa: F401 (a fixture)


def ct2(folder: Path, cache: Path, compute_type: str = "int8") -> Ct2Backend:
    return Ct2Backend(ModelSpec(name="tiny", model_id=str(folder)), GenerationSpec(device="cpu", max_new_tokens=6),
                      cache_dir=str(cache), compute_type=compute_type)


def converted_folders(cache: Path) -> list[Path]:
    return sorted((cache / "ct2").iterdir())


SOURCES = ["Bonjour.", "Le chat dort sur le canapé."]


# ---------------------------------------------------------------- converted models in the cache

@pytest.fixture(scope="module")
def converted(tiny_marian, tmp_path_factory) -> tuple[Path, list[str]]:
    """A cache holding the tiny Marian converted to int8, and what it translates SOURCES to."""
    cache = tmp_path_factory.mktemp("ct2_round9")
    return cache, ct2(tiny_marian, cache).translate_batch(SOURCES, "fr", "en")


@pytest.mark.parametrize("damage", ["config.json deleted", "config.json cut short", "shared_vocabulary.json deleted",
                                    "shared_vocabulary.json cut short", "model.bin emptied"])
def test_a_converted_model_damaged_after_its_conversion_is_one_line_that_says_how_to_convert_it_anew(
        tiny_marian, converted, tmp_path, damage):
    """Held (round 9): any file of a converted model deleted or cut short (a full disk, a partial copy, a clean-up
    by hand) is CTranslate2's reason in one line, naming the folder and the mv that has it converted anew."""
    cache = Path(shutil.copytree(converted[0], tmp_path / "cache"))
    folder = converted_folders(cache)[0]
    name, _, how = damage.partition(" ")
    target = folder / name
    if how == "deleted":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes()[:target.stat().st_size // 2] if "short" in how else b"")
    with pytest.raises(UserError) as refused:
        ct2(tiny_marian, cache).translate_batch(SOURCES, "fr", "en")
    message = str(refused.value)
    assert "\n" not in message and f"cannot load the converted model in {folder}" in message
    assert f"mv {folder} {folder}.damaged" in message


def test_a_converted_model_deleted_while_the_translation_cache_names_it_is_converted_again(tiny_marian, converted,
                                                                                           tmp_path):
    """Held (round 9): the converted folder removed (rm -rf ~/.cache/mt-harness/ct2) is converted again, to the
    same outputs."""
    cache = Path(shutil.copytree(converted[0], tmp_path / "cache"))
    shutil.rmtree(cache / "ct2")
    assert ct2(tiny_marian, cache).translate_batch(SOURCES, "fr", "en") == converted[1]
    assert [p.name for p in converted_folders(cache)] == [p.name for p in converted_folders(converted[0])]


def test_a_conversion_a_killed_run_left_half_written_is_neither_loaded_nor_in_the_way(tiny_marian, converted,
                                                                                       tmp_path):
    """Held (round 9): a run killed (SIGKILL) while converting leaves its staging folder, and a folder of the
    key's name without model.bin (a copy cut short) is no converted model: the next run converts anew, to the
    same outputs."""
    cache = Path(shutil.copytree(converted[0], tmp_path / "cache"))
    folder = converted_folders(cache)[0]
    staging = folder.with_name(f"{folder.name}.tmp-999999")
    shutil.copytree(folder, staging)
    (staging / CONVERTED_MARKER).write_bytes(b"\0" * 10)
    (folder / CONVERTED_MARKER).unlink()
    (folder / "config.json").write_text("{", encoding="utf-8")
    assert ct2(tiny_marian, cache).translate_batch(SOURCES, "fr", "en") == converted[1]
    assert json.loads((folder / "config.json").read_text(encoding="utf-8"))


def test_the_same_model_under_two_compute_types_has_two_conversions_and_two_cache_keys(tiny_marian, converted,
                                                                                       tmp_path):
    """Held (round 9): int8 and float32 of one model are two folders and two translation-cache keys; neither is
    served for the other. (float32, not int16: CTranslate2 runs int16 only on some CPUs, none of an AMD EPYC's.)"""
    cache = Path(shutil.copytree(converted[0], tmp_path / "cache"))
    int8, float32 = ct2(tiny_marian, cache, "int8"), ct2(tiny_marian, cache, "float32")
    float32.translate_batch(SOURCES, "fr", "en")
    assert len(converted_folders(cache)) == 2
    assert int8.fingerprint("fr", "en") != float32.fingerprint("fr", "en")


@pytest.mark.parametrize("compute_type", ["float16", "auto", "INT8"])
def test_a_compute_type_the_machine_does_not_run_names_the_setting_and_the_types_it_does(tiny_marian, tmp_path,
                                                                                        compute_type):
    """Held (round 9): float16 on a CPU, CTranslate2's 'auto', a name in capitals: one line with the types this
    device runs; nothing converted."""
    with pytest.raises(UserError) as refused:
        ct2(tiny_marian, tmp_path / "cache", compute_type)
    assert str(refused.value).startswith(f"backend.compute_type={compute_type} is not supported on cpu; use one of ")
    assert "int8" in str(refused.value) and not (tmp_path / "cache").exists()


def test_a_source_model_changed_after_its_conversion_is_converted_again(tmp_path):
    """Held (round 9): another model's weights saved into the same folder (a fine-tuning run writing its checkpoint
    over the old) is a new conversion, whose outputs are the new model's."""
    source = build_marian(tmp_path / "marian", seed_texts())
    cache = tmp_path / "cache"
    before = ct2(source, cache).translate_batch(SOURCES, "fr", "en")
    retrained = build_marian(tmp_path / "retrained", seed_texts(), seed=1)
    shutil.copy(retrained / "model.safetensors", source / "model.safetensors")
    after = ct2(source, cache).translate_batch(SOURCES, "fr", "en")
    assert len(converted_folders(cache)) == 2
    assert after == ct2(retrained, tmp_path / "fresh").translate_batch(SOURCES, "fr", "en") != before


def test_loading_a_converted_model_does_not_hash_the_source_folder_again(tiny_marian, converted, tmp_path,
                                                                         monkeypatch):
    """Broke (round 9): the load looked up its conversion by the source folder's content hashed without the cache's
    memo of file hashes (file_hashes.json), so every run read every file of the model once more after the
    fingerprint had (a 3 GB MADLAD-400: 3 GB read again at each start)."""
    from harness.translate.backends import hf_loading
    cache = Path(shutil.copytree(converted[0], tmp_path / "cache"))
    hf_loading.hashed_folder.cache_clear()
    backend = ct2(tiny_marian, cache)
    backend.fingerprint("fr", "en")
    read = []
    hashed = hf_loading.sha256_file
    monkeypatch.setattr(hf_loading, "sha256_file", lambda path, memo_dir=None: read.append(path) or hashed(path, memo_dir))
    assert backend.translate_batch(SOURCES, "fr", "en") == converted[1]
    assert read == []


# ---------------------------------------------------------------- two runs converting at once

def test_two_runs_with_one_pid_converting_at_once_do_not_write_into_one_staging_folder(tmp_path, monkeypatch):
    """Broke (round 9): the staging folder was named by the pid alone. Two containers sharing a cache volume run
    their harness under the same pid (often 1 or 7): the second conversion deleted the first's staging folder and
    both wrote into one, which was published as a whole model."""
    monkeypatch.setattr(os, "getpid", lambda: 7)
    target = tmp_path / "ct2" / "key"
    target.parent.mkdir()
    with staged_folder(target) as first:
        first.mkdir()
        (first / "model.bin").write_bytes(b"first")
        with staged_folder(target) as second:
            assert second != first and (first / "model.bin").read_bytes() == b"first"
            second.mkdir(exist_ok=True)
            (second / "model.bin").write_bytes(b"second")
            publish_folder(second, target, "model.bin")
        publish_folder(first, target, "model.bin")
    assert (target / "model.bin").read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"]


def test_a_model_another_run_publishes_while_this_one_publishes_is_kept_not_deleted_or_a_traceback(tmp_path,
                                                                                                 monkeypatch):
    """Broke (round 9): two runs finishing one conversion at the same moment: the second removed the folder the
    first had just published (and was loading: 'cannot load the converted model'), or, published in between its
    removal and its rename, ended in OSError 'Directory not empty', a traceback."""
    target = tmp_path / "ct2" / "key"
    target.parent.mkdir()
    other = target.with_name("other-run")
    other.mkdir()
    (other / "model.bin").write_bytes(b"other")
    ours = target.with_name("ours")
    ours.mkdir()
    (ours / "model.bin").write_bytes(b"ours")
    def other_run_lands_first(move):   # the other run's rename lands just before ours
        def moved(source, destination):
            if Path(destination) == target and other.exists():
                real_rename(other, target)
            return move(source, destination)
        return moved

    real_rename = os.rename
    monkeypatch.setattr(os, "rename", other_run_lands_first(os.rename))
    monkeypatch.setattr(os, "replace", other_run_lands_first(os.replace))
    publish_folder(ours, target, "model.bin")
    assert (target / "model.bin").read_bytes() == b"other"
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"]


def test_a_conversion_into_a_read_only_cache_is_one_line_even_with_the_cache_switched_off(tiny_marian, tmp_path,
                                                                                         small_disk):
    """Broke (round 9): a cache folder on a read-only mount is refused with '... or switch the cache off
    (cache.enabled=false)'; a ct2 run that did so still converts its model into that folder, and ended in
    'OSError: [Errno 30] Read-only file system' (a traceback, the run folder FAILED)."""
    setup = make_setup(tmp_path)
    cache = small_disk / "cache"
    cache.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    outcome = run_cli("run", ["model=opus_mt", "backend=ct2", f"model.model_id={tiny_marian}", f"data.root={setup.data}",
                              f"hydra.run.dir={setup.run_dir}", "alignment.embeddings=false", "generation.device=cpu",
                              "generation.max_new_tokens=8", "metrics=[bleu]", "cache.enabled=false"], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(cache)})
    assert_one_line_error(outcome, "cannot write the CTranslate2 int8 conversion of model 'opus_mt' into the cache "
                                   f"folder {cache / 'ct2'}", "point HARNESS_CACHE_DIR")
    assert not setup.run_dir.exists()


def test_an_unfinished_folder_in_the_way_is_replaced_by_the_published_one(tmp_path):
    """Held (round 9): a folder of the key's name without its finished file is replaced."""
    target = tmp_path / "key"
    target.mkdir()
    (target / "config.json").write_text("{", encoding="utf-8")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "model.bin").write_bytes(b"new")
    publish_folder(staging, target, "model.bin")
    assert sorted(p.name for p in target.iterdir()) == sorted(["model.bin", NAME_FILE]) and not staging.exists()


# ---------------------------------------------------------------- summaries

def summary_setup(tmp_path: Path, documents: dict[str, tuple[str, str]]) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    entries = []
    for doc_id, (source, reference) in documents.items():
        (data / f"{doc_id}.txt").write_text(source + "\n", encoding="utf-8")
        (data / f"{doc_id}.ref.txt").write_text(reference + "\n", encoding="utf-8")
        entries.append({"id": doc_id, "lang": "fr", "file": f"{doc_id}.txt", "reference": f"{doc_id}.ref.txt",
                        "relation": "parallel"})
    (data / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "documents": entries}), encoding="utf-8")
    return data


def summarized(tmp_path: Path, *overrides: str):
    setup = make_setup(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", ["model=identity", f"data.root={setup.data}", f"hydra.run.dir={setup.run_dir}",
                              "alignment.embeddings=false", "metrics=[bleu]", "summary.metrics=[rouge1]", *overrides],
                      cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    return outcome, before


@pytest.mark.parametrize("setting, requirement", [
    ("summarizer=lead summarizer.sentences=2.5", "summarizer.sentences=2.5: must be a whole number >= 1"),
    ("summarizer=lead summarizer.sentences=true", "summarizer.sentences=True: must be a whole number >= 1"),
    ("summarizer=lead summarizer.sentences=abc", "summarizer.sentences=abc: must be a whole number >= 1"),
    ("summarizer=lead summarizer.sentences=null", "summarizer.sentences=None: must be a whole number >= 1"),
    ("summarizer=lead summarizer.sentences=[3]", "summarizer.sentences=[3]: must be a whole number >= 1"),
    ("summarizer=centrality summarizer.damping=abc", "summarizer.damping=abc: must be between 0 and 1"),
    ("summarizer=lead summary.metrics=[]", "summary.metrics=[]: must be a non-empty list"),
])
def test_a_summary_setting_of_the_wrong_type_is_one_line_before_anything_runs(tmp_path, setting, requirement):
    """Broke (round 9): a summarizer's settings have no schema, and the range check compared whatever came:
    summarizer.sentences=2.5 translated every document, then ended in 'TypeError: slice indices must be integers'
    (a traceback, the folder FAILED); sentences=abc, damping=abc and sentences=[3] were a TypeError of the check
    itself; sentences=true summarized in 1 sentence, sentences=null ended in a TypeError after translating, and
    summary.metrics=[] wrote summaries with no score against any reference (metrics=[] is refused)."""
    outcome, before = summarized(tmp_path, *setting.split())
    assert_one_line_error(outcome, requirement)
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.mark.parametrize("settings, named", [
    (["summarizer.max_new_tokens=500"], "summarizer.max_new_tokens=500: model '{model}' has 128 decoder positions"),
    (["summarizer.device=cuda"], "summarizer.device=cuda: no CUDA GPU is visible; use summarizer.device=cpu or auto"),
    (["summarizer.dtype=fp16"], "summarizer.dtype=fp16: use auto"),
    (["summarizer.model.revision=v2"], "summarizer.model.revision=v2: summarizer.model.model_id={model} is a local "
                                       "folder, which has no revisions"),
    (["summarizer.model.model_id={model}/model.safetensors"], "summarizer.model.model_id={model}/model.safetensors "
                                                              "is a file, not a model folder"),
])
def test_a_summarizer_model_setting_that_cannot_work_is_named_as_the_summarizers(tiny_marian, tmp_path, settings,
                                                                                 named):
    """Broke (round 9): the summarizer's model runs behind a translation backend, whose errors named the run's
    settings: 'generation.max_new_tokens=500: ... use generation.max_new_tokens=127 or less', 'model.revision=v2',
    'generation.device=cuda'; the user changed the run's model or generation settings, which the summarizer does
    not read, and got the same error again."""
    if not any(setting.startswith("summarizer.model.model_id") for setting in settings):
        settings = [f"summarizer.model.model_id={tiny_marian}", *settings]
    outcome, before = summarized(tmp_path, "summarizer=hf_seq2seq", "summarizer.max_new_tokens=5", "summarizer.device=cpu",
                                 *[setting.format(model=tiny_marian) for setting in settings])
    errors = [line for line in outcome.error_lines if line.startswith("error: ")]   # transformers warns of the
    assert outcome.code == 2 and len(errors) == 1, outcome.stderr[-2000:]          # document's length on the way
    assert named.format(model=tiny_marian) in errors[0]
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_a_summary_of_an_input_the_model_truncated_says_so_in_the_table(tiny_marian, tmp_path):
    """Broke (round 9): a word longer than the summarizer's model accepts (a pasted hash, a URL of 3,000 characters)
    is a chunk of its own, which the tokenizer truncates: result.json counted it (truncated_chunks: 1), the
    summary table's degraded cell and the reference summary's line said nothing, while a translation's truncation
    is shown."""
    from harness import compose_config, run
    from harness.compare.reports.tables import run_summary_table
    long_word = "x" * 3000
    data = summary_setup(tmp_path, {"long": (f"Le chat dort. {long_word} Fin.", f"The cat sleeps. {long_word} End.")})
    result = run(compose_config([f"data.root={data}", "model=identity", "metrics=[bleu]", "alignment.embeddings=false",
                                 "summarizer=hf_seq2seq", f"summarizer.model.model_id={tiny_marian}",
                                 "summarizer.max_new_tokens=5", "summarizer.device=cpu",
                                 "summary.metrics=[rouge1]"]), tmp_path / "run")
    assert result["documents"][0]["summary"]["chunking"]["truncated_chunks"] == 1
    assert result["reference_summary"]["chunking"]["truncated_chunks"] == 1
    table = run_summary_table(result)
    row = next(line for line in table.splitlines() if line.startswith("long "))
    assert "1 input chunks TRUNCATED" in row
    assert "reference summary: summaries/references/long.ref.txt" in table
    assert "1 input chunks TRUNCATED" in next(line for line in table.splitlines() if line.startswith("reference summ"))


def test_documents_that_give_no_real_summary_are_scored_with_what_they_are(tmp_path):
    """Held (round 9): one sentence, no sentence end, digits only, markup only: lead-3 keeps the whole input (compression
    1.00 in result.json and the table); a score against the reference is a number, never NaN."""
    from harness import compose_config, run
    data = summary_setup(tmp_path, {
        "one": ("Le chat dort sur le canapé.", "The cat sleeps on the sofa."),
        "noend": ("le chat dort sur le canapé et le chien mange sa soupe", "the cat sleeps on the sofa"),
        "digits": ("12345 67890 2024", "12345 67890 2024"),
        "markup": ("<p><b></b></p> <div></div>", "<p></p>")})
    result = run(compose_config([f"data.root={data}", "model=identity", "metrics=[bleu]", "alignment.embeddings=false",
                                 "summarizer=lead", "summary.metrics=[rouge1,chrf]"]), tmp_path / "run")
    for document in result["documents"]:
        summary = document["summary"]
        assert summary["reference_free"]["compression_ratio"] == 1.0 and not summary["empty"]
        assert all(isinstance(v, float) and v == v for v in summary["vs_reference_summary"].values())
    assert (tmp_path / "run" / "summaries" / "noend.txt").read_text(encoding="utf-8").count("\n") == 1


# ---------------------------------------------------------------- experiment=NAME

def experiment(tmp_path: Path, name: str, *overrides: str, files: dict[str, str] | None = None):
    """A run of experiment=name, with the user's own experiment files in a config folder on hydra.searchpath."""
    setup = make_setup(tmp_path)
    own = tmp_path / "myconf" / "experiment"
    own.mkdir(parents=True)
    for file_name, text in (files or {}).items():
        (own / file_name).write_text(text, encoding="utf-8")
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [f"hydra.searchpath=[file://{own.parent}]", f"experiment={name}",
                              f"data.root={setup.data}", f"hydra.run.dir={setup.run_dir}", "alignment.embeddings=false",
                              "metrics=[bleu]", *overrides], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    return outcome


def test_an_experiment_that_does_not_exist_names_those_that_do(tmp_path):
    """Held (round 9)."""
    assert_one_line_error(experiment(tmp_path, "smokee"), "unknown experiment config 'smokee'", "smoke")


@pytest.mark.parametrize("name", ["../model/identity", "../config", "../../../etc/passwd"])
def test_an_experiment_name_that_leads_out_of_the_experiment_folder_is_refused(tmp_path, name):
    """Broke (round 9): experiment=../model/identity ran the model config as an experiment (exit 0), experiment=
    ../config read 'Could not find experiment/tracking/none' and ../../../etc/passwd 'unknown experiment/../../..
    /etc config'; a name is one file of conf/experiment/ (or of a hydra.searchpath folder's experiment/)."""
    outcome = experiment(tmp_path, name)
    assert_one_line_error(outcome, f"experiment={name}: not an experiment name", "Available: smoke")


@pytest.mark.parametrize("text, fragments", [
    ("# @package _global_\ngeneration:\n  beams: 4\n",
     ["experiment=mine (experiment/mine.yaml): unknown config key 'generation.beams'. Did you mean "
      "'generation.num_beams'?", "fix or remove the key in that file"]),
    ("data:\n  max_segments: 2\n",
     ["experiment=mine (experiment/mine.yaml) does not start with '# @package _global_'",
      "add that line first"]),
    ("# @package _global_\ndata: [1,\n",
     ["experiment/mine.yaml: not valid YAML (line 3, column 1: expected the node content"]),
])
def test_an_experiment_file_that_cannot_be_read_names_the_file_and_the_fix(tmp_path, text, fragments):
    """Broke (round 9): a key the schema lacks read "In 'experiment/mine': ConfigKeyError raised while composing
    config: Key 'beams' not in 'GenerationSpec' full_key: ..." (no fix); a file without '# @package _global_' read
    "Key 'experiment' not in 'RunConfig'"; a YAML error was yaml's ParserError with its traceback (exit 1)."""
    outcome = experiment(tmp_path, "mine", files={"mine.yaml": text})
    assert_one_line_error(outcome, *fragments)


def test_an_experiment_that_sets_a_value_out_of_range_is_named_like_the_command_lines(tmp_path):
    """Held (round 9)."""
    outcome = experiment(tmp_path, "mine", files={"mine.yaml": "# @package _global_\ngeneration:\n  batch_size: 0\n"})
    assert_one_line_error(outcome, "generation.batch_size=0: must be a whole number >= 1")


def test_a_sweep_over_experiments_refuses_the_one_that_does_not_exist_before_the_first_job(tmp_path):
    """Held (round 9)."""
    outcome = experiment(tmp_path, "smoke,nosuch", "-m", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert_one_line_error(outcome, "unknown experiment config 'nosuch'")
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("overrides, model, max_segments", [
    (["experiment=smoke", "model=opus_mt"], "opus_mt", 2),
    (["model=opus_mt", "experiment=smoke"], "opus_mt", 2),
    (["experiment=smoke", "data.max_segments=5"], "identity", 5),
])
def test_the_command_line_wins_over_an_experiment_wherever_it_is_written(overrides, model, max_segments):
    """Held (round 9): the experiment's own choice of model (override /model: identity) never replaces the one the
    command line names, before or after experiment=; its keys yield to the command line's likewise."""
    from harness.config import compose_config
    cfg = compose_config(overrides)
    assert (cfg.model.name, cfg.data.max_segments) == (model, max_segments)
