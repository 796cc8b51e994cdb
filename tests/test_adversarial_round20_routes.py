"""Round 20 on routes (round 17's left item): an output with no visible text gets the same scores whichever way it
reaches the harness.

- a searched document, one output only U+200B (or direction marks): the model route scored it as the sentence's
  output; in the paragraph's line of hypotheses/doc.txt the mark cannot stand as a sentence, and model=files of the
  model's own file read it as the start of the next sentence (aligned BLEU 83.54 against 84.40). It is an empty
  output on both routes now.
- a line-aligned document keeps such a line as it is, as the sacrebleu CLI reads it: a model's output and a file's
  line of the same marks score the same.
"""
from __future__ import annotations

import pytest

from tests.test_adversarial_round9_paths import (ENGLISH, FIRST, FRENCH, SECOND, TRANSLATED, data_set, files_run,
                                                 hypothesis_file, model_and_files, model_run, what_is_scored)

INVISIBLE_OUTPUTS = ["\u200b", "\u200f", " \u200b\u200e "]


@pytest.mark.parametrize("invisible", INVISIBLE_OUTPUTS)
def test_an_invisible_output_of_a_searched_document_is_empty_by_both_routes(tmp_path, invisible):
    model, files = model_and_files(tmp_path, FIRST, SECOND, {**TRANSLATED, FRENCH[1]: invisible})
    assert what_is_scored(files) == what_is_scored(model)
    assert model["documents"][0]["empty_outputs"] == 1
    assert invisible.strip() not in hypothesis_file(tmp_path / "model")


def test_an_invisible_line_of_a_line_aligned_document_scores_the_same_from_a_model_and_from_a_file(tmp_path):
    data = data_set(tmp_path / "data", FRENCH, ENGLISH, alignment="lines")
    model = model_run(data, {**TRANSLATED, FRENCH[1]: "\u200b"}, tmp_path / "model", tmp_path / "cache")
    written = "".join(f"{text}\n" for text in [ENGLISH[0], "\u200b", *ENGLISH[2:]])
    assert hypothesis_file(tmp_path / "model") == written
    assert what_is_scored(files_run(data, written, tmp_path / "files", tmp_path / "cache")) == what_is_scored(model)
