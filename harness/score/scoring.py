"""Document-level scoring: each document's whole translation against its whole reference, one line each; a
line-aligned document (a test set) is scored over its lines instead, as `sacrebleu REF -i HYP` scores the files.

The exact strings scored are kept so they can be written to scored/ and checked with sacrebleu's CLI.
A metric that runs a sentence model (COMET) never gets a whole document: its document score is the mean over
the aligned segments, or for a reference-free one (CometKiwi) over every source sentence and its output.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from harness.score.aligned_scoring import AlignedDocument, bounded_corpus_scores, extra_references
from harness.data.lines import BYTE_ORDER_MARK
from harness.score.metrics import DOCUMENT_LEVEL_EXCLUDED, Metric, Score
from harness.translate.translate import Translation


@dataclass
class DocumentScores:
    translation: Translation
    hypothesis_lines: list[str]          # what was scored: one line (the whole document), or the test set's lines
    reference_lines: list[list[str]]     # the same for each reference (several only for a line-aligned document)
    scores: dict[str, Score]
    notes: list[str] = field(default_factory=list)   # what a bound left out of these scores


def one_line(parts: list[str] | tuple[str, ...]) -> str:
    return " ".join(" ".join(part.split()) for part in parts if part.strip())


def sentence_model_score(metric: Metric, aligned: AlignedDocument | None) -> Score | None:
    """A sentence model's document score, from the alignment stage (None when it has no segment to score)."""
    if aligned is None:
        return None
    if metric.reference_free and metric.name in aligned.reference_free:
        return aligned.reference_free[metric.name]
    return aligned.aligned_scores.get(metric.name)


def score_document(translation: Translation, metrics: list[Metric], aligned: AlignedDocument | None = None,
                   max_segment_chars: int | None = None) -> DocumentScores:
    """max_segment_chars (limits.max_segment_chars) bounds the lines of a line-aligned document (score_lines)."""
    if aligned is not None and aligned.method == "lines":
        return score_lines(translation, metrics, aligned, max_segment_chars)
    hypothesis = one_line(translation.written_lines())   # as written: a files output left unpartitioned too
    reference = one_line(translation.document.reference.paragraphs)
    source = [one_line([segment.text for segment in translation.segments])]
    scores = {m.name: m.corpus_score([hypothesis], [reference], source if m.needs_source else None)
              for m in metrics if m.name not in DOCUMENT_LEVEL_EXCLUDED and not m.sentence_model}
    return DocumentScores(translation, [hypothesis], [[reference]], with_sentence_models(scores, metrics, aligned),
                          [*unicode_form_notes(translation), *reference_copy_notes([hypothesis], [[reference]])])


REFERENCE_COPY_NOTE = ("the output is its reference word for word; its scores of 100 measure no translation "
                       "(was the reference file handed in as the hypothesis?)")


def reference_copy_notes(hypotheses: list[str], references: list[list[str]]) -> list[str]:
    """An output that is its reference, word for word (the reference file handed in as a hypothesis): scored, as
    sacrebleu scores it, and said (a document's note: the table names the document). With several references, any
    of them, line by line: the second reference file handed in scored 100 and ranked first, with no word, and so did
    lines taken from either."""
    same = any(h.strip() for h in hypotheses) and all(
        any(hypothesis.split() == stream[number].split() for stream in references)
        for number, hypothesis in enumerate(hypotheses))
    return [REFERENCE_COPY_NOTE] if same else []


def with_sentence_models(scores: dict[str, Score], metrics: list[Metric], aligned: AlignedDocument | None
                         ) -> dict[str, Score]:
    """The scores in the order of metrics=[...], a sentence model's from the alignment stage."""
    for metric in (m for m in metrics if m.sentence_model):
        score = sentence_model_score(metric, aligned)
        if score is not None:
            scores[metric.name] = score
    return {m.name: scores[m.name] for m in metrics if m.name in scores}


def score_lines(translation: Translation, metrics: list[Metric], aligned: AlignedDocument,
                max_segment_chars: int | None) -> DocumentScores:
    """A line-aligned document's scores: the corpus score over its lines (its segments), the alignment stage's
    own where it computed the same metric; a metric not linear in cost leaves out the lines longer than
    max_segment_chars, as the alignment stage does, with a note."""
    segments = aligned.segments
    hypotheses, references = [s["hyp"] for s in segments], [s["ref"] for s in segments]
    missing = [m for m in metrics if not m.sentence_model and m.name not in aligned.aligned_scores]
    computed, notes = bounded_corpus_scores(segments, missing, max_segment_chars, translation.cut_from)
    scores = {**aligned.aligned_scores, **computed}
    every_reference = [references, *extra_references(segments)]
    return DocumentScores(translation, hypotheses, every_reference, with_sentence_models(scores, metrics, aligned),
                          [*byte_order_mark_notes(translation), *unicode_form_notes(translation), *notes,
                           *reference_copy_notes(hypotheses, every_reference)])


def byte_order_mark_notes(translation: Translation) -> list[str]:
    """A line-aligned reference or hypothesis file with a UTF-8 byte-order mark at the start of a line: at the file's
    start, or at a later line's (files joined with cat, each saved with one). sacrebleu reads each mark as a character
    of its line, and so do the scores (equal to `sacrebleu REF -i HYP`'s); said, since it costs the line its first
    word's match (a mark after line 1 was scored with no word)."""
    texts = [("hypothesis", translation.outputs),
             *((f"reference {text.path.name}", text.paragraphs) for text in translation.document.references)]
    return [note for what, lines in texts for note in marked_line_notes(what, lines)]


def marked_line_notes(what: str, lines: list[str] | tuple[str, ...]) -> list[str]:
    """byte_order_mark_notes of one file: its first line's mark, then those of its later lines."""
    marked = [number for number, line in enumerate(lines, 1) if line.startswith(BYTE_ORDER_MARK)]
    later = [number for number in marked if number > 1]
    first = [f"the {what} file starts with a UTF-8 byte-order mark, which sacrebleu reads as a character of line 1, "
             "and so do these scores (they equal sacrebleu REF -i HYP's); remove it to score line 1 without it"]
    return first * (marked[:1] == [1]) + [later_marks_note(what, later)] * bool(later)


def later_marks_note(what: str, numbers: list[int]) -> str:
    """The note on byte-order marks that start lines after the first (files joined with cat)."""
    shown = ", ".join(map(str, numbers[:5])) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
    if len(numbers) == 1:
        return (f"line {shown} of the {what} file starts with a UTF-8 byte-order mark (files joined with cat, each "
                "saved with one?), which sacrebleu reads as a character of the line, and so do these scores (they "
                "equal sacrebleu REF -i HYP's); remove it to score the line without it")
    return (f"lines {shown} of the {what} file start with a UTF-8 byte-order mark (files joined with cat, each saved "
            "with one?), which sacrebleu reads as a character of each line, and so do these scores (they equal "
            "sacrebleu REF -i HYP's); remove the marks to score those lines without them")


def unicode_form_notes(translation: Translation) -> list[str]:
    """A hypothesis file in another Unicode form than its references (decomposed accents, NFD, as macOS tools may
    write them, against composed ones, NFC), or a reference in another form than the hypothesis: sacrebleu compares
    characters, so a decomposed é matches no composed é, and the same words score lower (BLEU 50.1 against 61.3 for
    one French output). The scores stay sacrebleu's; said, with the fix, for a searched document's output as it is
    written too (round 31: a model=files output in NFD read BLEU 48.0 for its reference's own words, with no word)."""
    written = translation.written_lines()
    hypothesis = uncomposed_lines(written)
    references = [(f"reference {text.path.name}", uncomposed_lines(text.paragraphs), len(text.paragraphs))
                  for text in translation.document.references]
    if hypothesis and not any(count for _, count, _ in references):
        other = "the reference" if len(references) == 1 else "the references"
        return [uncomposed_note("hypothesis", hypothesis, len(written), other)]
    return [uncomposed_note(what, count, total, "the hypothesis") for what, count, total in references
            if count and not hypothesis]


def uncomposed_lines(lines: list[str] | tuple[str, ...]) -> int:
    """How many lines are not in Unicode's composed form (NFC): decomposed accents, most often."""
    return sum(not unicodedata.is_normalized("NFC", line) for line in lines)


DECOMPOSED_NOTE_START = "the {what} file has decomposed characters"
DECOMPOSED_OUTPUT = DECOMPOSED_NOTE_START.format(what="hypothesis")   # how the output's note starts (the comparison's)


def uncomposed_note(what: str, count: int, total: int, other: str) -> str:
    return (f"{DECOMPOSED_NOTE_START.format(what=what)} (not Unicode NFC: a letter and a combining accent) on {count} "
            f"of its {total} lines, and {other} none: sacrebleu compares characters, so they match no composed character "
            f"of {other}, and these scores (sacrebleu REF -i HYP's) are lower than the same text's; convert the file "
            "to NFC (uconv -x any-nfc, or Python's unicodedata.normalize('NFC', text))")
