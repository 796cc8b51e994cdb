"""Round 21 on what a score means (round 18 C's left item): a Chinese target's TER read 1450 with no word of why.

sacrebleu's TER (asian:no, as its command line scores it) takes what spaces separate for words; Chinese puts none
between words, so each sentence is a word or two and TER counts edits of whole clauses. The score stays
sacrebleu's; the table now says what it counts. An English target's table says nothing of it.
"""
from __future__ import annotations

from harness.compare.reports.tables import results_table
from tests.test_adversarial_round3_scores import SOURCE
from tests.test_adversarial_round5_scores import CHINESE_HYPOTHESIS, CHINESE_REFERENCE
from tests.test_adversarial_round9_paths import ENGLISH, FIRST, SECOND, TRANSLATED, model_and_files

UNSPACED = "TER of a Chinese target: sacrebleu's TER (asian:no, as its command line scores it) takes what spaces"


def test_a_chinese_targets_table_says_what_its_ter_counts(tmp_path):
    model, _ = model_and_files(tmp_path, [" ".join(SOURCE)], ["".join(CHINESE_REFERENCE)],
                               dict(zip(SOURCE, CHINESE_HYPOTHESIS)), target_lang="zh")
    # each sentence is one 'word' to TER, and no output sentence is its reference's: every word substituted
    assert model["documents"][0]["aligned"]["ter"]["score"] == 100.0
    assert UNSPACED in results_table(model)


def test_an_english_targets_table_does_not(tmp_path):
    model, _ = model_and_files(tmp_path, FIRST, SECOND, TRANSLATED)
    assert "ter" in model["documents"][0]["aligned"] and len(ENGLISH) > 1
    assert "TER of a" not in results_table(model)
