"""Round 28 on scoring: the same text gets the same score whichever way it reached the harness, and the headline is
the sacrebleu CLI's. A differential fuzz (61 small line-aligned test sets with one quirk each: CRLF, lone CR, U+2028,
U+2029, U+0085, form feed, vertical tab, byte-order marks at the start of a file and of a later line, NBSP and U+202F
before French punctuation, tabs, leading and trailing spaces, empty or blank lines on one side, no line break after
the last line, NFD text, Turkish, Arabic with tatweel and harakat, Chinese, Japanese, long lines, the reference itself,
a file of empty lines, two references) compared harness-score, harness-run model=files on a manifest and
harness-compare of those runs with `sacrebleu REF [REF2] -i HYP -m bleu chrf ter -l SRC-TGT` and `-m chrf
--chrf-word-order 2`, and 25 quirky model outputs with model=files of the run's own hypotheses file. The routes agreed,
and every headline was the CLI's but one, or a documented refusal (a NUL byte, a blank last line, lone-CR line ends, a
Japanese target without MeCab: one line, exit 2) or bound (a 2,000-character output line left out of TER). The one,
and what the scores did not say:

- a hypothesis file that is the second reference word for word (`harness-score -r ref1.txt -r ref2.txt ref2.txt`)
  scored 100, as sacrebleu scores it, with no note and no `degraded:` line: only the first reference was compared.
- a byte-order mark at the start of a later line of a line-aligned hypothesis or reference file (files joined with
  `cat`, each saved with one) was scored as sacrebleu reads it, a character of the line, with no word; the same mark
  at the start of the file has a note. In a line-aligned source such a mark was handed to the model with its line
  (the file's own mark is dropped), so the same source text was translated as other text; it is now dropped too.
- a line-aligned source line longer than `limits.max_segment_chars` (2,000) left its line out of TER, whose cost is
  that of the output and reference (short here), and TER never reads the source: the headline TER was 32.00 against
  the CLI's 35.29, signed 'corpus over 3 of the 4 lines'. The bound now reads the texts a metric reads (the source
  for COMET).
- a line-aligned hypothesis file with decomposed accents (NFD, as macOS tools may write them) against a composed
  reference scored as sacrebleu scores it, far below the same text composed (BLEU 50.1 against 61.3 on a French
  test set), with no word; a note now says so and names the fix, for a decomposed reference too.
- a comparison of a test set whose documents have different numbers of references (two for one, one for the other)
  ranked the systems over the lines of both, as sacrebleu scores a corpus with a variable number of references, and
  signed it with the first document's `nrefs:2`; sacrebleu signs such a corpus `nrefs:var`.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import yaml
from sacrebleu.metrics import BLEU, CHRF, TER

from harness import run
from harness.compare.compare import collect_runs, compare_runs
from harness.config import compose_config
from harness.compare.rows import REFERENCE_COPIED, output_degradations
from harness.score.metrics.base import SCORE_DIGITS
from harness.score.scoring import REFERENCE_COPY_NOTE
from harness.score_files import ScoreRequest, score_systems
from tests.test_adversarial_round3_scores import HYPOTHESIS, REFERENCE, SOURCE, lines, write
from tests.test_adversarial_round6_scores import cli_scores, scored, stored_scores
from tests.test_adversarial_round9_paths import data_set, model_run, what_is_scored
from tests.test_adversarial_round9_scores import HYPOTHESIS as TRAM_HYPOTHESIS, REFERENCE as TRAM_REFERENCE, \
    SOURCE as TRAM_SOURCE

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


def test_lines_taken_from_either_reference_are_named(tmp_path):
    """Own (2026-12-07): each line from one of the two references, the first two from the second: sacrebleu scores
    it 100 against both, and the harness said nothing (the note compared the output with each reference whole)."""
    mixed = SECOND_REFERENCE[:2] + REFERENCE[2:]
    document, expected = scored(tmp_path, [lines(REFERENCE), lines(SECOND_REFERENCE)], lines(mixed))
    assert stored_scores(document) == expected
    assert expected["bleu"] == 100.0
    assert REFERENCE_COPY_NOTE in document["notes"]


def test_a_hypothesis_that_matches_neither_reference_has_no_such_note(tmp_path):
    document, _ = scored(tmp_path, [lines(REFERENCE), lines(SECOND_REFERENCE)], lines(HYPOTHESIS))
    assert REFERENCE_COPY_NOTE not in document["notes"]


# ---------------------------------------------------------------- byte-order marks after the first line

def marked(rows: list[str], *numbers: int) -> list[str]:
    """rows with a byte-order mark at the start of the given lines (1-based), as `cat a.txt b.txt` leaves them."""
    return [BOM + row if number in numbers else row for number, row in enumerate(rows, 1)]


def mark_notes(document: dict) -> list[str]:
    return [note for note in document["notes"] if "byte-order mark" in note]


def test_a_mark_at_the_start_of_a_later_hypothesis_line_is_scored_as_sacrebleu_reads_it_and_named(tmp_path):
    document, expected = scored(tmp_path, [lines(REFERENCE)], lines(marked(HYPOTHESIS, 3)))
    assert stored_scores(document) == expected
    assert mark_notes(document) == [
        "line 3 of the hypothesis file starts with a UTF-8 byte-order mark (files joined with cat, each saved with "
        "one?), which sacrebleu reads as a character of the line, and so do these scores (they equal sacrebleu REF "
        "-i HYP's); remove it to score the line without it"]


def test_marks_at_the_start_of_later_reference_lines_are_named_with_the_file(tmp_path):
    document, expected = scored(tmp_path, [lines(REFERENCE), lines(marked(SECOND_REFERENCE, 2, 4))],
                                lines(HYPOTHESIS))
    assert stored_scores(document) == expected
    [note] = mark_notes(document)
    assert note.startswith("lines 2, 4 of the reference ref1.txt file start with a UTF-8 byte-order mark")


def test_a_mark_at_the_start_of_the_file_and_of_a_later_line_gets_both_notes(tmp_path):
    document, expected = scored(tmp_path, [lines(REFERENCE)], lines(marked(HYPOTHESIS, 1, 4)))
    assert stored_scores(document) == expected
    assert [note.split(",")[0] for note in mark_notes(document)] == [
        "the hypothesis file starts with a UTF-8 byte-order mark", "line 4 of the hypothesis file starts with a UTF-8 "
        "byte-order mark (files joined with cat"]


def test_a_mark_inside_a_line_is_no_line_start_and_gets_no_note(tmp_path):
    """U+FEFF inside a line is a zero-width no-break space, scored as sacrebleu scores it (round 3), not a file's mark."""
    inside = [HYPOTHESIS[0].replace(" ", " " + BOM, 1), *HYPOTHESIS[1:]]
    document, expected = scored(tmp_path, [lines(REFERENCE)], lines(inside))
    assert stored_scores(document) == expected
    assert mark_notes(document) == []


def test_a_mark_at_the_start_of_a_later_source_line_is_not_handed_to_the_model(tmp_path):
    """A model that translates each source line (FixedTextBackend: a table from source text to output) got line 3 with
    the mark, which matched no source text it knew: the same source scored otherwise than without the mark."""
    outputs = dict(zip(SOURCE, HYPOTHESIS))
    records = [model_run(data_set(tmp_path / name / "data", source, REFERENCE, alignment="lines"), outputs,
                         tmp_path / name / "run", tmp_path / "cache")
               for name, source in (("plain", SOURCE), ("joined", marked(SOURCE, 3)))]
    assert what_is_scored(records[1]) == what_is_scored(records[0])
    assert [segment["src"] for segment in records[1]["documents"][0]["segments"]] == SOURCE


# ---------------------------------------------------------------- decomposed accents on one side

FRENCH_SOURCE = ["The mayor opened a new tram line on Monday morning!", "Residents have complained about the noise for months.",
                 "Why will the new school open in September?", "The council voted on the budget last night."]
FRENCH_REFERENCE = ["Le maire a inauguré une nouvelle ligne de tramway lundi matin !",
                    "Les habitants se plaignent du bruit depuis des mois.",
                    "Pourquoi la nouvelle école ouvrira-t-elle en septembre ?",
                    "Le conseil a voté le budget hier soir après un débat."]
FRENCH_HYPOTHESIS = ["Le maire a ouvert une nouvelle ligne de tramway lundi matin !",
                     "Les résidents se plaignent du bruit depuis des mois.",
                     "Pourquoi la nouvelle école ouvre-t-elle en septembre ?",
                     "Le conseil municipal a voté le budget hier soir après un long débat."]


def decomposed(rows: list[str]) -> list[str]:
    return [unicodedata.normalize("NFD", row) for row in rows]


def french(folder: Path, reference: list[str], hypothesis: list[str]) -> tuple[dict, dict[str, float]]:
    """harness-score -l en-fr of one system's file: its stored document, and sacrebleu's scores of the same files."""
    source, references = write(folder / "src.txt", lines(FRENCH_SOURCE)), [write(folder / "ref0.txt", lines(reference))]
    system = write(folder / "sys.txt", lines(hypothesis))
    [run_folder] = score_systems(ScoreRequest(source, references, [system], "en", "fr"), folder / "out")
    document = json.loads((run_folder / "result.json").read_text(encoding="utf-8"))["documents"][0]
    return document, cli_scores(references, system, "fr")


def form_notes(document: dict) -> list[str]:
    return [note for note in document["notes"] if "decomposed characters" in note]


def test_a_decomposed_hypothesis_scores_as_sacrebleu_scores_it_and_is_named(tmp_path):
    composed, composed_cli = french(tmp_path / "nfc", FRENCH_REFERENCE, FRENCH_HYPOTHESIS)
    document, expected = french(tmp_path / "nfd", FRENCH_REFERENCE, decomposed(FRENCH_HYPOTHESIS))
    assert stored_scores(document) == expected
    assert expected["bleu"] < composed_cli["bleu"]   # the same words, composed otherwise
    assert form_notes(composed) == []
    assert form_notes(document) == [
        "the hypothesis file has decomposed characters (not Unicode NFC: a letter and a combining accent) on 3 of its "
        "4 lines, and the reference none: sacrebleu compares characters, so they match no composed character of the "
        "reference, and these scores (sacrebleu REF -i HYP's) are lower than the same text's; convert the file to NFC "
        "(uconv -x any-nfc, or Python's unicodedata.normalize('NFC', text))"]


def test_a_decomposed_reference_is_named_with_its_file(tmp_path):
    document, expected = french(tmp_path, decomposed(FRENCH_REFERENCE), FRENCH_HYPOTHESIS)
    assert stored_scores(document) == expected
    [note] = form_notes(document)
    assert note.startswith("the reference ref0.txt file has decomposed characters (not Unicode NFC: a letter and a "
                           "combining accent) on 3 of its 4 lines, and the hypothesis none")


def test_both_sides_decomposed_match_and_get_no_note(tmp_path):
    document, expected = french(tmp_path, decomposed(FRENCH_REFERENCE), decomposed(FRENCH_HYPOTHESIS))
    assert stored_scores(document) == expected
    assert form_notes(document) == []


# ---------------------------------------------------------------- a long source line

def test_a_long_source_line_leaves_ter_as_the_clis(tmp_path):
    long_source = [" ".join([SOURCE[0]] * 45), *SOURCE[1:]]
    assert len(long_source[0]) > 2000
    document, expected = scored(tmp_path, [lines(REFERENCE)], lines(HYPOTHESIS), source_text=lines(long_source))
    assert stored_scores(document) == expected
    assert document["aligned"]["ter"]["signature"].endswith("corpus over the lines (alignment: lines), as sacrebleu "
                                                            "REF -i HYP")
    assert not [note for note in document["notes"] if "max_segment_chars" in note]


def test_a_long_output_line_is_still_left_out_of_ter_with_its_note(tmp_path):
    long_output = [" ".join([HYPOTHESIS[0]] * 45), *HYPOTHESIS[1:]]
    document, expected = scored(tmp_path, [lines(REFERENCE)], lines(long_output))
    assert {name: score for name, score in stored_scores(document).items() if name != "ter"} == \
        {name: score for name, score in expected.items() if name != "ter"}
    assert document["aligned"]["ter"]["signature"].endswith("corpus over 3 of the 4 lines (alignment: lines; "
                                                            "limits.max_segment_chars), not sacrebleu REF -i HYP's "
                                                            "score of the files")
    assert "limits.max_segment_chars=2000: 1 of 4 segments longer, left out of ter (scored by bleu, chrf, chrf++ " \
           "only)" in document["notes"]


# ---------------------------------------------------------------- documents with different numbers of references

def mixed_references_runs(folder: Path) -> list:
    """Two systems' model=files runs of a line-aligned set: 'council' with two references, 'tram' with one."""
    write(folder / "data" / "council.txt", lines(SOURCE))
    write(folder / "data" / "tram.txt", lines(TRAM_SOURCE))
    for name, rows in (("council.en", REFERENCE), ("council2.en", SECOND_REFERENCE), ("tram.en", TRAM_REFERENCE)):
        write(folder / "data" / name, lines(rows))
    documents = [{"id": "council", "lang": "fr", "file": "council.txt", "reference": ["council.en", "council2.en"],
                  "relation": "parallel"},
                 {"id": "tram", "lang": "fr", "file": "tram.txt", "reference": "tram.en", "relation": "parallel"}]
    write(folder / "data" / "manifest.yaml", yaml.safe_dump({"target_lang": "en", "alignment": "lines",
                                                             "documents": documents}))
    outputs = {"sysA": (HYPOTHESIS, TRAM_HYPOTHESIS), "sysB": (SECOND_REFERENCE, TRAM_HYPOTHESIS[::-1])}
    for name, (council, tram) in outputs.items():
        write(folder / name / "council.txt", lines(council))
        write(folder / name / "tram.txt", lines(tram))
        run(compose_config([f"data.root={folder / 'data'}", "model=files", f"model.path={folder / name}",
                            f"model.name={name}"]), folder / "runs" / name)
    return collect_runs([str(folder / "runs" / name) for name in outputs]).runs


def pooled_scores(hypotheses: list[str]) -> dict[str, float]:
    """sacrebleu's corpus scores of both documents' lines, the second reference None where a document has none (its
    way to score a corpus with a variable number of references; the command line cannot)."""
    references = [REFERENCE + TRAM_REFERENCE, SECOND_REFERENCE + [None] * len(TRAM_REFERENCE)]
    metrics = {"bleu": BLEU(), "chrf": CHRF(), "chrf++": CHRF(word_order=2), "ter": TER()}
    return {name: round(metric.corpus_score(hypotheses, references).score, SCORE_DIGITS)
            for name, metric in metrics.items()}


def test_a_ranking_over_documents_with_different_numbers_of_references_is_signed_nrefs_var(tmp_path):
    comparison = compare_runs(mixed_references_runs(tmp_path), metrics=["bleu", "chrf", "chrf++", "ter"],
                              n_resamples=100)
    assert {metric.name: metric.signature.split("|")[1] for metric in comparison.metrics} == {
        "bleu": "nrefs:var", "chrf": "nrefs:var", "chrf++": "nrefs:var", "ter": "nrefs:var"}
    ranked = {(row.system, row.metric): round(row.score, SCORE_DIGITS) for row in comparison.ranking.rows}
    for system, hypotheses in (("sysA", HYPOTHESIS + TRAM_HYPOTHESIS), ("sysB", SECOND_REFERENCE + TRAM_HYPOTHESIS[::-1])):
        assert {metric: ranked[system, metric] for metric in ("bleu", "chrf", "chrf++", "ter")} == \
            pooled_scores(hypotheses)
