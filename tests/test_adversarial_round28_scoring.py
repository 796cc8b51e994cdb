"""Round 28 on scoring: the same text gets the same score whichever way it reached the harness, and the headline is
the sacrebleu CLI's. A differential fuzz (54 small line-aligned test sets with one quirk each: CRLF, lone CR, U+2028,
U+2029, U+0085, form feed, vertical tab, byte-order marks at the start of a file and of a later line, NBSP and U+202F
before French punctuation, tabs, leading and trailing spaces, empty or blank lines on one side, no line break after
the last line, NFD text, Turkish, Arabic with tatweel and harakat, Chinese, long lines, the reference itself, a file of
empty lines, two references) compared harness-score, harness-run model=files on a manifest and harness-compare of
those runs with `sacrebleu REF [REF2] -i HYP -m bleu chrf ter` and `-m chrf --chrf-word-order 2`: every headline was
the CLI's, and the routes agreed. What they did not say:

- a hypothesis file that is the second reference word for word (`harness-score -r ref1.txt -r ref2.txt ref2.txt`)
  scored 100, as sacrebleu scores it, with no note and no `degraded:` line: only the first reference was compared.
- a byte-order mark at the start of a later line of a line-aligned hypothesis or reference file (files joined with
  `cat`, each saved with one) was scored as sacrebleu reads it, a character of the line, with no word; the same mark
  at the start of the file has a note.
"""
from __future__ import annotations

from harness.compare.compare import collect_runs
from harness.compare.rows import REFERENCE_COPIED, output_degradations
from harness.score.scoring import REFERENCE_COPY_NOTE
from harness.score_files import ScoreRequest, score_systems
from tests.test_adversarial_round3_scores import HYPOTHESIS, REFERENCE, SOURCE, lines, write
from tests.test_adversarial_round6_scores import scored, stored_scores

SECOND_REFERENCE = ["Last night the council passed the budget.", "People living there say the building work is noisy.",
                    "The mayor pledged a public meeting for March.", "The new school opens in September."]
BOM = "\ufeff"


# ---------------------------------------------------------------- a reference file handed in as a hypothesis

def test_the_second_reference_handed_in_as_a_hypothesis_is_named(tmp_path):
    """sacrebleu scores it 100 against the two references, and so does the harness; the note said so only for the
    first reference."""
    document, expected = scored(tmp_path, [lines(REFERENCE), lines(SECOND_REFERENCE)], lines(SECOND_REFERENCE))
    assert stored_scores(document) == expected
    assert expected["bleu"] == 100.0
    assert REFERENCE_COPY_NOTE in document["notes"]


def test_a_comparison_lists_the_second_reference_handed_in_under_degraded(tmp_path):
    """harness-score -r ref1.txt -r ref2.txt sysA.txt ref2.txt: ref2 topped the ranking at 100 with no word."""
    write(tmp_path / "src.txt", lines(SOURCE))
    references = [write(tmp_path / "ref1.txt", lines(REFERENCE)), write(tmp_path / "ref2.txt", lines(SECOND_REFERENCE))]
    system = write(tmp_path / "sysA.txt", lines(HYPOTHESIS))
    folders = score_systems(ScoreRequest(tmp_path / "src.txt", references, [system, references[1]], "fr"),
                            tmp_path / "out")
    degraded = {run.name: output_degradations(run) for run in collect_runs([str(f) for f in folders]).runs}
    assert degraded == {"sysA": [], "ref2": [REFERENCE_COPIED.format(documents="src")]}


def test_a_hypothesis_that_matches_neither_reference_has_no_such_note(tmp_path):
    document, _ = scored(tmp_path, [lines(REFERENCE), lines(SECOND_REFERENCE)], lines(HYPOTHESIS))
    assert REFERENCE_COPY_NOTE not in document["notes"]
