"""Issue 21, part B, as an adversarial user drives harness-run: bounded time and memory on over-long input, no
silent truncation, ids as written. Each case runs the real CLI in a child process (tests.adversarial) and
checks the exit code, the one error line or the recorded note, and a checksum of the surrounding tree.

The figures (a 100,000-character sentence and a 5 MB line each in < 60 s and < 2 GB) are measured by
benchmarks/long_inputs.py, never asserted here."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks.long_inputs import ENGLISH as ENGLISH_WORDS, FRENCH as FRENCH_WORDS
from benchmarks.long_inputs import alias_bomb, words_of_length
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_run import ENGLISH, FRENCH, Setup, base_args, make_setup


def outcome_of(t: Setup, *extra: str):
    return run_cli("run", [*base_args(t), *extra], cwd=t.root, env={"HARNESS_CACHE_DIR": str(t.root / "cache")})


def untouched(t: Setup) -> tuple[Path, ...]:
    """What a run may change: its own folder and the cache."""
    return t.root / "cache", t.run_dir.parent


def result_of(t: Setup) -> dict:
    return json.loads((t.run_dir / "result.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- over-long input: bounded, with a note

def long_sentence_both_sides(t: Setup) -> None:
    """Issue 21: one 100,000-character sentence (and its reference alike, so that they align) ran sacrebleu's TER
    edit distance on the segment: killed at 301 s and 4.75 GB."""
    t.write("a.txt", words_of_length(FRENCH_WORDS, 99_999) + ".\n")
    t.write("ref.txt", words_of_length(ENGLISH_WORDS, 99_999) + ".\n")


def unpunctuated_line(t: Setup) -> None:
    """Issue 21: a line without punctuation (4.8 MB there, 1 MB here) went whole into the encoder: MemoryError on
    a (tokens x 768) array. benchmarks/long_inputs.py measures the 5 MB one."""
    t.write("a.txt", words_of_length(FRENCH_WORDS, 1_000_000) + "\n")


def reference_with_a_long_sentence(t: Setup) -> None:
    """Own case: a reference holding a 1 MB sentence after its real ones embedded it whole (95 s, 3.7 GB)."""
    t.write("ref.txt", ENGLISH.strip() + " " + words_of_length(ENGLISH_WORDS, 1_000_000) + ".\n")


BOUNDED = [
    pytest.param(long_sentence_both_sides, ["limits.max_segment_chars=2000: 1 of 1 segments longer, left out of ter",
                                            "encoder window: source sentences 1, reference sentences 1, outputs 1"],
                 id="21-sentence-of-100k-characters"),
    pytest.param(unpunctuated_line, ["encoder window: source sentences 1, outputs 1 longer than 5000 characters",
                                     "left out of adequacy"], id="21-unpunctuated-1mb-line"),
    pytest.param(reference_with_a_long_sentence, ["encoder window: reference sentences 1 longer than 5000"],
                 id="own-reference-with-a-1mb-sentence"),
]


@pytest.mark.parametrize("case, notes", BOUNDED)
def test_over_long_input_finishes_with_its_degradation_noted(tmp_path, case, notes):
    setup = make_setup(tmp_path)
    case(setup)
    before = tree_checksum(tmp_path, exclude=untouched(setup))
    outcome = outcome_of(setup)
    assert outcome.code == 0, outcome.stderr[-2000:]
    recorded = [note for document in result_of(setup)["documents"] for note in document["notes"]]
    for note in notes:
        assert any(note in line for line in recorded), (note, recorded)
        assert note in outcome.stdout
    assert tree_checksum(tmp_path, exclude=untouched(setup)) == before


def with_long_sentence(t: Setup) -> None:
    """A long sentence (over 200 characters) in the middle of the source and of its reference."""
    t.write("a.txt", FRENCH.replace("Les travaux", "Le conseil a voté un budget très " + "très " * 40 + "important. "
                                    "Les travaux"))
    t.write("ref.txt", ENGLISH.replace("Work will", "The council voted a very " + "very " * 40 + "large budget. "
                                       "Work will"))


def test_a_segment_over_the_limit_keeps_its_cheap_scores_and_loses_the_others(tmp_path):
    """limits.max_segment_chars set low: the long segment has BLEU and chrF but no TER, and the aligned TER is
    the score of the other segments alone."""
    setup = make_setup(tmp_path)
    with_long_sentence(setup)
    outcome = outcome_of(setup, "limits.max_segment_chars=200")
    assert outcome.code == 0, outcome.stderr[-2000:]
    document = result_of(setup)["documents"][0]
    long_segments = [s for s in document["segments"] if max(len(s["hyp"]), len(s["ref"]), len(s["src"])) > 200]
    short_segments = [s for s in document["segments"] if s not in long_segments]
    assert long_segments and short_segments
    assert all(set(s["scores"]) == {"bleu", "chrf"} for s in long_segments)
    assert all("ter" in s["scores"] for s in short_segments)
    assert any(note.startswith(f"limits.max_segment_chars=200: {len(long_segments)} of "
                               f"{len(document['segments'])} segments longer, left out of ter")
               for note in document["notes"])


def test_compare_leaves_out_what_the_runs_left_out_and_agrees_with_them(tmp_path):
    """harness-compare recomputed TER on every segment, the over-long one too (minutes on a long one), and read
    COMET scores the run never stored; its TER then differed from the runs' own aligned TER."""
    setup = make_setup(tmp_path)
    with_long_sentence(setup)
    runs = [tmp_path / "runs" / name for name in ("one", "two")]
    for folder, name in zip(runs, ("one", "two")):
        outcome = outcome_of(setup, "limits.max_segment_chars=200", f"model.name={name}", f"hydra.run.dir={folder}")
        assert outcome.code == 0, outcome.stderr[-2000:]
    before = tree_checksum(tmp_path, exclude=(tmp_path / "report",))
    outcome = run_cli("compare", [*map(str, runs), "--out", str(tmp_path / "report"), "--resamples", "100"],
                      cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    comparison = json.loads((tmp_path / "report" / "comparison.json").read_text(encoding="utf-8"))
    stored = json.loads((runs[0] / "result.json").read_text(encoding="utf-8"))["documents"][0]["aligned"]["ter"]
    [shown] = [r["score"] for r in comparison["rows"] if r["metric"] == "ter" and r["system"] == "one"]
    assert shown == stored["score"]
    assert "1 of 4 segments longer than limits.max_segment_chars left out of ter" in outcome.stderr
    assert tree_checksum(tmp_path, exclude=(tmp_path / "report",)) == before


# ---------------------------------------------------------------- line-aligned sets: every reference, every score

LINES_FRENCH = ["Le maire a inauguré une ligne de tramway lundi.", "Le conseil a voté un budget important.",
                "Le trajet dure vingt-cinq minutes.", "Les travaux ont coûté 340 millions d'euros."]
LINES_ENGLISH = ["The mayor opened a tram line on Monday.", "The council voted a large budget.",
                 "The journey takes twenty-five minutes.", "The works cost 340 million euros."]
LINES_SECOND = [LINES_ENGLISH[0], "The council voted a very " + "very " * 40 + "large budget.",
                "The trip lasts twenty-five minutes.", "The work cost 340 million euros."]
LINES_OUTPUT = ["The mayor opened a new tram line on Monday.", "The council voted a big budget.",
                "The trip lasts twenty five minutes.", "Works cost 340 million euro."]


def line_aligned_with_two_references(folder: Path) -> Path:
    from benchmarks.line_scoring import write_lines
    for name, lines in (("src.txt", LINES_FRENCH), ("ref.txt", LINES_ENGLISH), ("ref2.txt", LINES_SECOND)):
        write_lines(folder / name, lines)
    entry = {"id": "doc", "lang": "fr", "file": "src.txt", "reference": ["ref.txt", "ref2.txt"], "relation": "parallel"}
    (folder / "manifest.yaml").write_text(json.dumps({"target_lang": "en", "alignment": "lines", "documents": [entry]}),
                                          encoding="utf-8")
    return folder


@pytest.mark.parametrize("alignment_metrics", ["[bleu,ter]", "[bleu]"], ids=["ter-aligned-too", "ter-in-metrics-only"])
def test_a_line_over_the_limit_in_a_second_reference_is_left_out_of_ter_wherever_ter_is_computed(tmp_path,
                                                                                                alignment_metrics):
    """Own case (issues 21 and 22 together): a line whose second reference alone is longer than
    limits.max_segment_chars; TER leaves it out, in the aligned score and in the document score over the lines
    (also when TER is in metrics=[...] only: the document score then ran TER on every line, with no note), and
    BLEU keeps it with both references, as the sacrebleu CLI scores the files. That TER was signed 'corpus over the
    lines (alignment: lines), as sacrebleu REF -i HYP', which scores every line and prints another TER: its
    signature says over how many lines it is; BLEU's, over every line, keeps the claim."""
    from sacrebleu.metrics import BLEU, TER

    from benchmarks.line_scoring import write_lines
    from harness import run
    from harness.config import compose_config

    data = line_aligned_with_two_references(tmp_path / "data")
    write_lines(tmp_path / "hyps" / "doc.txt", LINES_OUTPUT)
    record = run(compose_config([f"data.root={data}", "model=files", f"model.path={tmp_path / 'hyps'}",
                                 "metrics=[bleu,ter]", f"alignment.segment_metrics={alignment_metrics}",
                                 f"alignment.corpus_metrics={alignment_metrics}", "limits.max_segment_chars=200"]),
                 tmp_path / "run")["documents"][0]
    references = [LINES_ENGLISH, LINES_SECOND]
    short = [k for k in range(len(LINES_OUTPUT)) if k != 1]
    ter = TER().corpus_score([LINES_OUTPUT[k] for k in short], [[r[k] for k in short] for r in references])
    assert abs(record["metrics"]["ter"]["score"] - ter.score) <= 0.01, (record["metrics"]["ter"], ter)
    assert abs(record["metrics"]["bleu"]["score"] - BLEU().corpus_score(LINES_OUTPUT, references).score) <= 0.01
    assert "nrefs:2|" in record["metrics"]["ter"]["signature"]
    assert record["metrics"]["ter"]["signature"].endswith(
        "|corpus over 3 of the 4 lines (alignment: lines; limits.max_segment_chars), not sacrebleu REF -i HYP's "
        "score of the files"), record["metrics"]["ter"]["signature"]
    assert record["metrics"]["bleu"]["signature"].endswith("|corpus over the lines (alignment: lines), as sacrebleu "
                                                           "REF -i HYP"), record["metrics"]["bleu"]["signature"]
    assert any(note.startswith("limits.max_segment_chars=200: 1 of 4 segments longer, left out of ter")
               for note in record["notes"]), record["notes"]
    if alignment_metrics == "[bleu,ter]":
        assert record["aligned"]["ter"] == record["metrics"]["ter"]
        assert set(record["segments"][1]["scores"]) == {"bleu"}
        assert all("ter" in record["segments"][k]["scores"] for k in short)



def test_compare_of_line_aligned_runs_reads_every_reference_and_leaves_out_the_same_lines(tmp_path):
    """Own case (issues 21 and 22 together): harness-compare recomputes BLEU against both references on every
    line and TER against both on the lines within limits.max_segment_chars, so each system's scores are its run's."""
    from benchmarks.line_scoring import write_lines
    from harness import run
    from harness.compare.compare import compare_runs, load_runs
    from harness.config import compose_config

    data = line_aligned_with_two_references(tmp_path / "data")
    folders = []
    for name, lines in (("one", LINES_OUTPUT), ("two", LINES_ENGLISH)):
        write_lines(tmp_path / name / "doc.txt", lines)
        folders.append(tmp_path / "runs" / name)
        run(compose_config([f"data.root={data}", "model=files", f"model.path={tmp_path / name}", f"model.name={name}",
                            "metrics=[bleu,ter]", "limits.max_segment_chars=200"]), folders[-1])
    comparison = compare_runs(load_runs([str(folder) for folder in folders]), n_resamples=100)
    for folder, name in zip(folders, ("one", "two")):
        stored = json.loads((folder / "result.json").read_text(encoding="utf-8"))["documents"][0]["aligned"]
        for metric in ("bleu", "ter"):
            [shown] = [r.score for r in comparison.rows if r.metric == metric and r.system == name]
            assert shown == stored[metric]["score"], (name, metric, shown, stored[metric])


# ---------------------------------------------------------------- manifests: bounded reading, ids as written

def huge_pattern_list() -> str:
    """A 200,000-entry drop_lines with one number in it: the whole list went into the one-line error."""
    patterns = ", ".join(['"^x$"'] * 200_000 + ["7"])
    return ("target_lang: en\ndocuments:\n- {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: parallel, "
            f"clean: {{drop_lines: [{patterns}]}}}}\n")


def deeply_nested() -> str:
    """Own case: 5,000 nested lists ended in a RecursionError traceback from PyYAML."""
    return "documents: " + "[" * 5000 + "]" * 5000 + "\n"


def duplicate_key() -> str:
    """Own case: a key given twice in one document silently kept the last value (id 'b' ran as document 'b')."""
    return ("target_lang: en\ndocuments:\n"
            "- {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: parallel, id: b}\n")


def unquoted_id(text: str):
    def manifest() -> str:
        return (f"target_lang: en\ndocuments:\n- {{id: {text}, lang: fr, file: a.txt, reference: ref.txt, "
                "relation: parallel}\n")
    return manifest


REFUSED = [   # alias_bomb: issue 21, 1 KB of nested aliases in drop_lines took 66 s, then MemoryError
    pytest.param(alias_bomb, ["manifest.yaml: line 3, column", "anchors and aliases are not allowed"],
                 id="21-alias-bomb-in-drop-lines"),
    pytest.param(huge_pattern_list, ["drop_lines must be a list of regexes", "entry 200001 is 7"],
                 id="21-huge-pattern-list-not-echoed"),
    pytest.param(deeply_nested, ["manifest.yaml", "nested deeper than"], id="own-deeply-nested-yaml"),
    pytest.param(duplicate_key, ["manifest.yaml: line 3, column", "key 'id' is given twice"], id="own-duplicate-key"),
    # ids are read as written: these two are no plain file names, and the message names them as the user wrote them
    pytest.param(unquoted_id("12:30"), ["id '12:30' is not a plain file name"], id="21-id-12:30-as-written"),
    pytest.param(unquoted_id("~"), ["id '~' is not a plain file name"], id="21-id-tilde-as-written"),
]


@pytest.mark.parametrize("manifest, fragments", REFUSED)
def test_bad_manifest_gets_one_short_line_exit_2_and_changes_nothing(tmp_path, manifest, fragments):
    setup = make_setup(tmp_path)
    setup.write("manifest.yaml", manifest())
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = outcome_of(setup)
    assert_one_line_error(outcome, *fragments)
    assert len(outcome.error_lines[0]) < 400, outcome.error_lines[0][:1000]
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_unquoted_ids_keep_the_text_as_written(tmp_path):
    """Issue 21: unquoted ids 010 and yes became '8' and 'True' (YAML 1.1 octal and boolean)."""
    setup = make_setup(tmp_path)
    setup.write("manifest.yaml", "target_lang: en\ndocuments:\n" + "".join(
        f"- {{id: {doc_id}, lang: fr, file: a.txt, reference: ref.txt, relation: parallel}}\n"
        for doc_id in ("010", "yes", "0x1F", "1_000")))
    outcome = outcome_of(setup)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert [d["id"] for d in result_of(setup)["documents"]] == ["010", "yes", "0x1F", "1_000"]
    assert sorted(p.name for p in (setup.run_dir / "hypotheses").iterdir()) == ["010.txt", "0x1F.txt", "1_000.txt",
                                                                                 "yes.txt"]


NORWEGIAN = ("Bystyret i Oslo vedtok mandag kveld et budsjett på tolv millioner kroner for å pusse opp byens skoler. "
             "Arbeidet starter neste vår i seks bydeler. Ordføreren ønsket avtalen velkommen etter tre måneders "
             "samtaler med foreldrene.\n")


def test_norwegian_declared_unquoted_stays_norwegian(tmp_path):
    """Own case: `lang: no` (Norwegian) was read as false by YAML 1.1: "unknown language code 'False'"."""
    setup = make_setup(tmp_path)
    setup.write("a.txt", NORWEGIAN)
    setup.write("manifest.yaml", "target_lang: en\ndocuments:\n"
                "- {id: a, lang: no, file: a.txt, reference: ref.txt, relation: parallel}\n")
    outcome = outcome_of(setup)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert result_of(setup)["documents"][0]["src_lang"] == "no"


# ---------------------------------------------------------------- invisible lines

def test_a_line_of_zero_width_characters_is_not_a_segment(tmp_path):
    """Own case: a line of only zero-width characters between two paragraphs went to the translator as a
    sentence (a real model writes something for it) and counted as an untranslated source sentence."""
    setup = make_setup(tmp_path)
    setup.write("a.txt", FRENCH + "\u200b\u200c\u2060\ufeff\n" + FRENCH)
    setup.write("ref.txt", ENGLISH + ENGLISH)
    outcome = outcome_of(setup)
    assert outcome.code == 0, outcome.stderr[-2000:]
    document = result_of(setup)["documents"][0]
    assert document["source_segments"] == 6
    hypothesis = (setup.run_dir / "hypotheses" / "a.txt").read_text(encoding="utf-8")
    assert "\u200b" not in hypothesis and hypothesis.count("\n") == 2


# ---------------------------------------------------------------- shared caches

def test_a_converted_model_is_published_with_the_modes_of_normal_file_creation(tmp_path):
    """Issue 21: the dequantized weights were written 0600 (transformers writes model.safetensors that way),
    unreadable to the other users of a shared cache that docs/running.md suggests."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from harness.cache_folders import publish_folder

    config = LlamaConfig(vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2)
    staging, target = tmp_path / "abc.tmp-1", tmp_path / "abc"
    previous = os.umask(0o027)   # not the usual 022: the modes must come from the umask, not a constant
    try:
        LlamaForCausalLM(config).save_pretrained(staging)
        publish_folder(staging, target, "config.json")
    finally:
        os.umask(previous)
    assert not staging.exists()
    modes = {path.name: path.stat().st_mode & 0o777 for path in target.iterdir()}
    assert "model.safetensors" in modes and set(modes.values()) == {0o640}, modes
    assert target.stat().st_mode & 0o777 == 0o750


def test_a_folder_another_run_published_meanwhile_is_kept_and_an_unfinished_one_replaced(tmp_path):
    """Two runs converting the same model at once: the second to finish must not delete the first one's
    folder, which that run may be loading."""
    from harness.cache_folders import publish_folder

    def written(name: str, text: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "model.bin").write_text(text)
        return folder
    target = written("model", "first")
    inode = (target / "model.bin").stat().st_ino
    publish_folder(written("model.tmp-2", "second"), target, "model.bin")
    assert (target / "model.bin").read_text() == "first" and (target / "model.bin").stat().st_ino == inode
    assert not (tmp_path / "model.tmp-2").exists()
    (target / "model.bin").unlink()                      # damaged: its weights gone
    publish_folder(written("model.tmp-3", "third"), target, "model.bin")
    assert (target / "model.bin").read_text() == "third" and not (tmp_path / "model.tmp-3").exists()


def test_a_conversion_interrupted_by_ctrl_c_leaves_no_half_written_copy(tmp_path):
    from harness.cache_folders import staged_folder
    target = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(target) as staging:
            staging.mkdir()
            (staging / "model.safetensors").write_bytes(b"half of the weights")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
