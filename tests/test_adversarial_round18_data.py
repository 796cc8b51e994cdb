"""Round 18: data sets as users bring them, and what the harness says about them.

- data.max_segments over several documents: the run table printed each cut document's note without its id ("note:
  data.max_segments=3: the first 3 of 13 source sentences translated and scored, ...; every score and verdict of this
  document is over that part"), so two documents of the same length gave two identical lines and no one could tell
  which rows of the table were over a part (the bounds' notes, limits.max_segment_chars and the encoder window, alike).
  Each document note now names its document, as the alignment notes already did.
- an English reference with 'Ms.' before a name: sentencex cuts after 'Ms.' (not after Mr., Mrs., Dr.), so 'In passing,
  Ms. Joly condemned Russia's attacks on Ukrainian civilians.' was two reference sentences, 'In passing, Ms.' and the
  rest; in a translation of the seeds' 000 cut to its first six sentences, the aligner paired that fragment with the
  source's byline 'Agence QMI' (cosine 0.14) as a reordered bead. 'Ms.' now takes the next piece, as 'M.' does.
- a reference that translates only part of the source: parallel, the rest listed as unmatched, and the table said
  nothing of the document scores reading the output of sentences the reference lacks. A note says so where more
  than a third of the source has no counterpart.
"""
from __future__ import annotations

import pytest

from harness.data.segment import split_sentences
from tests.test_adversarial_round10_data import outcome_of, result_of
from tests.test_adversarial_round10_relation import STRIKE_EN, STRIKE_ES, STRIKE_TR, note_lines, one_document
from tests.test_adversarial_run import DOCUMENT, FRENCH, make_setup


def test_each_cut_document_is_named_in_the_run_table(tmp_path):
    setup = make_setup(tmp_path)
    setup.write("b.txt", FRENCH)
    setup.manifest([DOCUMENT, {**DOCUMENT, "id": "b", "file": "b.txt"}])
    outcome = outcome_of(setup, "data.max_segments=1")
    assert outcome.code == 0, outcome.stderr[-2000:]
    lines = outcome.stdout.splitlines()
    for document in result_of(setup)["documents"]:
        cut = [note for note in document["notes"] if note.startswith("data.max_segments=1: the first 1 of 3")]
        assert len(cut) == 1, document["notes"]
        assert f"note: {document['id']}: {cut[0]}" in lines, outcome.stdout


@pytest.mark.parametrize("text, sentences", [
    ("In passing, Ms. Joly condemned Russia's attacks on Ukrainian civilians. She left.",
     ["In passing, Ms. Joly condemned Russia's attacks on Ukrainian civilians.", "She left."]),
    ("Ms. Joly spoke. Mr. Hayashi answered.", ["Ms. Joly spoke.", "Mr. Hayashi answered."]),
    ("They wrote programs. Then they left.", ["They wrote programs.", "Then they left."]),
])
def test_ms_before_a_name_ends_no_sentence(text, sentences):
    assert split_sentences(text, "en") == sentences


# A reference that translates only part of the source: judged parallel (an abridged translation), its cut part listed
# as unmatched, and nothing in the table said that the document scores read the output of the sentences it lacks
# (chrF 27.2 against 35.7 for the whole translation, on seed 000's first half)

def test_a_reference_of_part_of_the_source_is_said_to_lower_the_document_scores(tmp_path):
    record, table = one_document(tmp_path, "es", STRIKE_ES, STRIKE_EN[:4])
    unmatched = len(record["unmatched_source"])
    assert unmatched > len(STRIKE_ES) / 3
    assert note_lines(table, f"note: doc: {unmatched} of {len(STRIKE_ES)} source sentences have no counterpart")


def test_a_whole_translation_has_no_such_note(tmp_path):
    _, table = one_document(tmp_path, "tr", STRIKE_TR, STRIKE_EN)
    assert not [line for line in table.splitlines() if "have no counterpart in the reference" in line]
