"""Round 21 on the relation (stop 50's left item): a one-sentence source got three different verdicts against the
same one-sentence translation, by what stood before it in the reference.

- a byline line 'By Marie Dupont, Associated Press' before it: parallel (the reference had 2 sentences, the least
  to judge, and the source's one sentence paired its translation);
- a dateline 'ROTTERDAM, Netherlands (AP) —': cannot_judge, 'every sentence pair is in a bead';
- nothing before it: cannot_judge, 'too few sentences'.

The least number of sentences to judge (diagnostics.min_reference_sentences) now holds on both sides: a source of
one sentence is 'too few sentences' whatever the reference holds, and its declared relation counts, as a one-sentence
reference's does. A two-sentence source with its byline reference stays parallel.
"""
from __future__ import annotations

import pytest

from tests.test_adversarial_round10_relation import STRIKE_EN, STRIKE_FR, one_document, relation

BYLINES = {"no byline": [], "a byline": ["By Marie Dupont, Associated Press"],
           "a dateline": ["ROTTERDAM, Netherlands (AP) —"]}


@pytest.mark.parametrize("before", BYLINES.values(), ids=BYLINES.keys())
def test_a_one_sentence_source_cannot_be_judged_whatever_stands_before_its_reference(tmp_path, before):
    record, table = one_document(tmp_path, "fr", STRIKE_FR[:1], [*before, *STRIKE_EN[:1]])
    assert relation(record)["measured"] == "cannot_judge"
    assert relation(record)["cannot_judge_because"] == (
        f"too few sentences: {1 + len(before)} in the reference, 1 in the source (at least 2 needed)")
    assert "? relation cannot be judged" in table


def test_a_two_sentence_source_with_a_byline_reference_is_parallel(tmp_path):
    record, _ = one_document(tmp_path, "fr", STRIKE_FR[:2], [BYLINES["a byline"][0], *STRIKE_EN[:2]])
    assert relation(record)["measured"] == "parallel"
