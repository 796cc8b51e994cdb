"""Document-level scoring: each document's whole translation against its whole reference, one line each.

The exact strings scored are kept so they can be written to scored/ and checked with sacrebleu's CLI.
A metric that runs a sentence model (COMET) never gets a whole document: its document score is the mean over
the aligned segments, or for a reference-free one (CometKiwi) over every source sentence and its output.
"""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

from harness.metrics import DOCUMENT_LEVEL_EXCLUDED, Metric, Score
from harness.translate import Translation

if TYPE_CHECKING:
    from harness.aligned_scoring import AlignedDocument


@dataclass
class DocumentScores:
    translation: Translation
    hypothesis_line: str
    reference_line: str
    scores: dict[str, Score]


def one_line(parts: list[str] | tuple[str, ...]) -> str:
    return " ".join(" ".join(part.split()) for part in parts if part.strip())


def sentence_model_score(metric: Metric, aligned: AlignedDocument | None) -> Score | None:
    """A sentence model's document score, from the alignment stage (None when it has no segment to score)."""
    if aligned is None:
        return None
    if metric.reference_free and metric.name in aligned.reference_free:
        return aligned.reference_free[metric.name]
    return aligned.aligned_scores.get(metric.name)


def score_document(translation: Translation, metrics: list[Metric],
                   aligned: AlignedDocument | None = None) -> DocumentScores:
    hypothesis = one_line(translation.outputs)
    reference = one_line(translation.document.reference.paragraphs)
    source = [one_line([segment.text for segment in translation.segments])]
    scores = {m.name: m.corpus_score([hypothesis], [reference], source if m.needs_source else None)
              for m in metrics if m.name not in DOCUMENT_LEVEL_EXCLUDED and not m.sentence_model}
    for metric in (m for m in metrics if m.sentence_model):
        score = sentence_model_score(metric, aligned)
        if score is not None:
            scores[metric.name] = score
    return DocumentScores(translation, hypothesis, reference, {m.name: scores[m.name] for m in metrics
                                                               if m.name in scores})
