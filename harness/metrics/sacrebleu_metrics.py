"""BLEU, chrF, chrF++ and TER through sacrebleu's own metric classes and signatures.

Settings are sacrebleu's command-line defaults, so `sacrebleu REF < HYP` reproduces every stored score.
"""
from __future__ import annotations

from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric as SacreMetric

from harness.metrics.base import Metric, Score


class SacrebleuMetric(Metric):
    def __init__(self, name: str, corpus_metric: SacreMetric, sentence_metric: SacreMetric, higher_is_better: bool):
        self.name = name
        self.corpus_metric = corpus_metric
        self.sentence_metric = sentence_metric   # BLEU needs effective_order for single sentences
        self.higher_is_better = higher_is_better

    def corpus_score(self, hypotheses: list[str], references: list[str]) -> Score:
        return self.score_record(self.corpus_metric.corpus_score(hypotheses, [references]))

    def score_record(self, result) -> Score:
        signature = f"{result.name}|{self.corpus_metric.get_signature()}"
        return Score(self.name, round(result.score, 4), signature, self.higher_is_better)

    def sentence_and_corpus_scores(self, hypotheses: list[str], references: list[str]) -> tuple[list[float], Score]:
        """One pass of sacrebleu's segment statistics: each segment's score (with the sentence metric's
        settings, e.g. BLEU's effective order) and the corpus score (their sum, as corpus_score computes it)."""
        stats = self.corpus_metric._extract_corpus_statistics(hypotheses, [references])
        sentences = [self.sentence_metric._aggregate_and_compute([row]).score for row in stats]
        return sentences, self.score_record(self.corpus_metric._aggregate_and_compute(stats))

    def sentence_score(self, hypothesis: str, reference: str) -> float:
        return self.sentence_metric.sentence_score(hypothesis, [reference]).score


def sacrebleu_metrics() -> list[Metric]:
    return [
        SacrebleuMetric("bleu", BLEU(), BLEU(effective_order=True), higher_is_better=True),
        SacrebleuMetric("chrf", CHRF(), CHRF(), higher_is_better=True),
        SacrebleuMetric("chrf++", CHRF(word_order=2), CHRF(word_order=2), higher_is_better=True),
        SacrebleuMetric("ter", TER(), TER(), higher_is_better=False),
    ]
