"""The metric interface and the score record: every score carries its signature and its direction."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Score:
    metric: str
    score: float
    signature: str
    higher_is_better: bool

    def as_dict(self) -> dict:
        record = asdict(self)
        del record["metric"]
        return record


class Metric(ABC):
    name: str
    higher_is_better: bool = True

    @abstractmethod
    def corpus_score(self, hypotheses: list[str], references: list[str]) -> Score:
        """Score line-aligned hypotheses against one reference each."""

    @abstractmethod
    def sentence_score(self, hypothesis: str, reference: str) -> float:
        """Score one hypothesis against one reference."""

    def sentence_and_corpus_scores(self, hypotheses: list[str], references: list[str]) -> tuple[list[float], Score]:
        """Every segment's score and the corpus score of the same segments; metrics built on per-segment
        statistics compute them once for both."""
        return ([self.sentence_score(h, r) for h, r in zip(hypotheses, references)],
                self.corpus_score(hypotheses, references))
