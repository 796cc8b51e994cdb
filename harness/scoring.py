"""Document-level scoring: each document's whole translation against its whole reference, one line each.

The exact strings scored are kept so they can be written to scored/ and checked with sacrebleu's CLI.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.metrics import DOCUMENT_LEVEL_EXCLUDED, Metric, Score
from harness.translate import Translation


@dataclass
class DocumentScores:
    translation: Translation
    hypothesis_line: str
    reference_line: str
    scores: dict[str, Score]


def one_line(parts: list[str] | tuple[str, ...]) -> str:
    return " ".join(" ".join(part.split()) for part in parts if part.strip())


def score_document(translation: Translation, metrics: list[Metric]) -> DocumentScores:
    hypothesis = one_line(translation.outputs)
    reference = one_line(translation.document.reference.paragraphs)
    source = [one_line([segment.text for segment in translation.segments])]
    scores = {m.name: m.corpus_score([hypothesis], [reference], source if m.needs_source else None)
              for m in metrics if m.name not in DOCUMENT_LEVEL_EXCLUDED}
    return DocumentScores(translation, hypothesis, reference, scores)
