"""Round 17 on routes: the same text gets the same scores whichever way it reaches the harness (a model's output,
model=files reading the model's own hypotheses file, harness-score), and a line-aligned set's headline is the
sacrebleu CLI's on the very files.

- direction marks written around each output ('\u200fX.\u200f', as right-to-left text copied from a web page carries
  them): sentencex cut the hypotheses file right after each full stop, so the mark after it opened the next sentence
  ('\u200f \u200fY.'); model=files of the model's own file scored other segments than the model (chrF++ over the
  aligned segments 96.84 against 95.13, segment 1's BLEU 94.26 against 89.15).
- a model's output holding a NUL character: scored, and written into hypotheses/doc.txt, which model=files and
  harness-score then refused as binary. The NUL is dropped from the output.
"""
from __future__ import annotations

import pytest

from harness.data.segment import split_sentences
from harness.errors import UserError
from harness.translate.translate import hypothesis_lines
from tests.test_adversarial_round9_paths import FIRST, SECOND, TRANSLATED, model_and_files, what_is_scored

RLM, LRM = "\u200f", "\u200e"


@pytest.mark.parametrize("text, sentences", [
    (f"{RLM}The line opened.{RLM} {RLM}The trip is short.{RLM}", [f"{RLM}The line opened.{RLM}",
                                                               f"{RLM}The trip is short.{RLM}"]),
    (f"The line opened.\u200b The trip is short. {LRM}It cost a lot.", ["The line opened.\u200b",
                                                                        "The trip is short.", f"{LRM}It cost a lot."]),
])
def test_a_direction_mark_after_a_sentence_end_stays_with_that_sentence(text, sentences):
    """A mark written right after the full stop ends that sentence; one written after the space opens the next."""
    assert split_sentences(text, "en") == sentences


def test_outputs_in_direction_marks_score_the_same_from_a_model_and_from_files(tmp_path):
    model, files = model_and_files(tmp_path, FIRST, SECOND, {k: f"{RLM}{v}{RLM}" for k, v in TRANSLATED.items()})
    assert what_is_scored(files) == what_is_scored(model)


def test_an_output_with_a_nul_character_scores_the_same_from_a_model_and_from_files(tmp_path):
    """A model's output holding NUL was scored with it and written to hypotheses/doc.txt, which model=files and
    harness-score then refused as binary ('it contains NUL bytes'): the NUL is dropped from the output, as the
    route from files never reads one."""
    outputs = {**TRANSLATED, next(iter(TRANSLATED)): next(iter(TRANSLATED.values())).replace(" ", "\x00", 1)}
    model, files = model_and_files(tmp_path, FIRST, SECOND, outputs)
    assert what_is_scored(files) == what_is_scored(model)


@pytest.mark.parametrize("separator, named", [("\u2028", "U+2028 (LINE SEPARATOR)"), ("\x85", "U+0085 (NEXT LINE)"),
                                              ("\x0c", "a form feed")])
def test_a_hypothesis_file_whose_lines_end_in_a_unicode_separator_says_so(separator, named):
    """Lines ended by U+2028 or U+0085 (which str.splitlines takes for line ends, sacrebleu not) were refused as
    '1 lines, but the source has 4', with no word of why."""
    with pytest.raises(UserError) as refused:
        hypothesis_lines(separator.join(["a", "b", "c", "d"]) + "\n", 4, "sys.txt")
    assert f"sys.txt: 1 line, but the source has 4; its lines end in {named}" in str(refused.value)
