"""Round 21 on outputs (round 18 C's left item): a model that gives one sentence for every source sentence was
scored with no word of it; a note now says so, whichever way the output reached the harness (the output's
sentences are counted as written: model=files partitions four identical sentences as two runs of two).

- a model stuck on one sentence: 'The strike goes on.' for 4 of 6 different French sentences. Its table showed
  BLEU and chrF with no mark; now a note: "the output gives 'The strike goes on.' 4 times for 6 source
  sentences (none of them repeated 4 times)". The same text from model=files (its own hypotheses file) gets the same note, and so does a
  line-aligned set.
- no note where the source repeats itself ('Oui.' on several lines, one output for each), nor for a faithful
  translation.
"""
from __future__ import annotations

from harness.translate.translate import REPEATED_OUTPUT_MIN
from tests.test_adversarial_round9_paths import (ENGLISH, FIRST, FRENCH, SECOND, TRANSLATED, data_set, files_run,
                                                 model_and_files, model_run)

STUCK = "The strike goes on."
REPEATED = "the output gives 'The strike goes on.'"


def notes(record: dict) -> list[str]:
    return [note for document in record["documents"] for note in document["notes"]]


def test_one_output_for_most_source_sentences_is_noted_from_a_model_and_from_files(tmp_path):
    model, files = model_and_files(tmp_path, FIRST, SECOND, {**TRANSLATED, **dict.fromkeys(FRENCH[1:5], STUCK)})
    for record in (model, files):
        assert [note for note in notes(record) if REPEATED in note] == [
            f"{REPEATED} 4 times for {len(FRENCH)} source sentences (none of them repeated 4 times): a model "
            "repeating one sentence; its scores measure that output"]


def test_one_output_for_most_lines_of_a_line_aligned_set_is_noted(tmp_path):
    data = data_set(tmp_path / "data", FRENCH, ENGLISH, alignment="lines")
    model = model_run(data, {**TRANSLATED, **dict.fromkeys(FRENCH[:3], STUCK)}, tmp_path / "model", tmp_path / "c")
    assert any(note.startswith(f"{REPEATED} 3 times for {len(FRENCH)} source lines") for note in notes(model))


def test_a_faithful_translation_and_a_source_that_repeats_itself_get_no_note(tmp_path):
    faithful, _ = model_and_files(tmp_path / "a", FIRST, SECOND, TRANSLATED)
    assert not [note for note in notes(faithful) if REPEATED[:15] in note]
    source = ["Oui."] * REPEATED_OUTPUT_MIN + FRENCH
    data = data_set(tmp_path / "data", source, ["Yes."] * REPEATED_OUTPUT_MIN + ENGLISH, alignment="lines")
    repeated = model_run(data, {"Oui.": "Yes.", **TRANSLATED}, tmp_path / "model", tmp_path / "c")
    assert not [note for note in notes(repeated) if REPEATED[:15] in note]
    written = "".join(f"{line}\n" for line in ["Yes."] * REPEATED_OUTPUT_MIN + ENGLISH)
    assert not [note for note in notes(files_run(data, written, tmp_path / "files", tmp_path / "c"))
                if REPEATED[:15] in note]
