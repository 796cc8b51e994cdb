"""Round 22 on routes (stop 51's left item): a model stuck on one sentence scored lower from model=files of its own
hypotheses file than from the model. The partition pooled two copies of 'The strike goes on.' as another text than
one copy (USE-m3's pooling is no mean): the pair read closer to an unrelated source sentence (0.145) than the
sentence did (0.043), so the partition merged copies and left source sentences empty. A sentence written twice in a
row now pools once in a run (TokenSums.repeats_once). Where the stuck sentence stands in one paragraph (the last
three of six) both routes now score alike; where it reads below zero against a source sentence (the middle four),
the partition still leaves that sentence empty: aligned BLEU 33.35 from files against 34.95 from the model (31.86
before), one empty run against two; the repeated-output note says what the scores measure."""
from __future__ import annotations

import numpy as np

from harness.align.encoder import pooled_token_sums
from tests.test_adversarial_round9_paths import (ENGLISH, FIRST, FRENCH, SECOND, TRANSLATED, model_and_files,
                                                 what_is_scored)

STUCK = "The strike goes on."


def test_a_model_stuck_on_the_last_sentences_scores_the_same_from_files(tmp_path):
    model, files = model_and_files(tmp_path, FIRST, SECOND, {**TRANSLATED, **dict.fromkeys(FRENCH[3:6], STUCK)})
    assert what_is_scored(files) == what_is_scored(model)
    assert files["documents"][0]["empty_outputs"] == 0


def test_a_stuck_model_in_the_middle_leaves_fewer_empty_runs_from_files(tmp_path):
    model, files = model_and_files(tmp_path, FIRST, SECOND, {**TRANSLATED, **dict.fromkeys(FRENCH[1:5], STUCK)})
    assert what_is_scored(files)["headline"] == what_is_scored(model)["headline"]
    assert model["documents"][0]["empty_outputs"] == 0 and files["documents"][0]["empty_outputs"] == 1


def test_a_sentence_written_twice_in_a_row_pools_as_the_sentence_once():
    first, last = ENGLISH[0], ENGLISH[1]
    texts = [first, STUCK, STUCK, last]
    sums = pooled_token_sums(texts)
    once = sums.repeats_once(texts)
    alone = sums.runs(1)
    np.testing.assert_allclose(once.runs(1), alone, atol=1e-6)               # each sentence alone, as it was
    np.testing.assert_allclose(once.runs(2)[1], alone[1], atol=1e-6)         # 'X. X.' reads as 'X.'
    np.testing.assert_allclose(once.runs(3)[0], sums.runs(2)[0], atol=1e-6)  # 'A. X. X.' reads as 'A. X.'
    np.testing.assert_allclose(once.runs(2)[2], sums.runs(2)[2], atol=1e-6)  # 'X. B.' from the copy: as it was
    assert float(sums.runs(2)[1] @ alone[1]) < 0.999                         # pooled twice, it was another text
    assert sums.repeats_once([first, STUCK, last]) is sums                   # no repeat: the same sums
