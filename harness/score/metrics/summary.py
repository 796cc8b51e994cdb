"""Summary metrics: how close a summary is to another text, and what it does with its own input.

Similarity (summary vs the reference summary, and vs the full reference): any metric of the registry
(harness.score.metrics), by default ROUGE-1/2/L/Lsum and embedding_cosine (harness.score.metrics.text_similarity) and
sacrebleu's chrF, or evaluate:NAME[@KEY]. The texts come here as sentence lists (split by harness.data.segment):
a metric that reads one sentence per line (ROUGE-Lsum, the embedding mean) gets them joined with newlines,
the others (chrF) joined with spaces, as one segment.

Reference-free, from the summary and its input alone (Grusky et al., 2018, "Newsroom"): compression ratio
(input words / summary words), extractive fragment coverage and density (their greedy fragment algorithm),
and the share of summary n-grams (n = 1, 2, 3, within a line) absent from the input. Words: lowercase runs of \\w.
"""
from __future__ import annotations

import re

from harness.errors import UserError
from harness.data.lines import split_lines
from harness.score.metrics import DOCUMENT_LEVEL_EXCLUDED, Metric, select_metrics, target_settings
from harness.score.metrics.base import SCORE_DIGITS

NOVEL_NGRAM_ORDERS = (1, 2, 3)
WORD = re.compile(r"\w+")


def joined(metric: Metric, sentences: list[str]) -> str:
    return ("\n" if metric.sentence_per_line else " ").join(sentences)


class SummaryMetrics:
    """The similarity metrics named in `summary.metrics`, built (evaluate modules loaded) up front."""

    def __init__(self, names: list[str], lang: str = "en"):
        """lang: the summaries' language (BLEU tokenizes as sacrebleu does for it; an English-only metric refuses
        another)."""
        self.metrics = select_metrics(list(names), kind="summary metric", settings=target_settings(lang))
        for metric in self.metrics:
            if metric.needs_source:
                raise UserError(f"summary metric '{metric.name}' needs the source; summaries are scored against "
                                "a reference text alone")
            if metric.name in DOCUMENT_LEVEL_EXCLUDED or metric.sentence_model:
                raise UserError(f"summary metric '{metric.name}' is never given a whole text as one segment (a "
                                "sentence model, or TER, whose edit distance is super-linear in length: minutes for a "
                                "long reference), and a summary is scored against the whole reference as one; use "
                                "chrf, bleu, rouge1/2/L/Lsum or embedding_cosine")

    def signatures(self) -> dict[str, str]:
        """How each score was computed, stored once per run in result.json."""
        return {metric.name: metric.signature for metric in self.metrics}

    def similarity(self, summary: list[str], reference: list[str]) -> dict[str, float]:
        """Scores of a summary against a reference text, both given as lists of sentences."""
        return {metric.name: round(metric.sentence_score(joined(metric, summary), joined(metric, reference)),
                                   SCORE_DIGITS)
                for metric in self.metrics}


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def extractive_fragments(article: list[str], summary: list[str]) -> list[list[str]]:
    """Grusky et al. (2018), Algorithm 1: at each summary position, the longest shared token sequence
    that starts there; a summary word found nowhere in the article advances by one."""
    found: list[list[str]] = []
    i = 0
    while i < len(summary):
        best: list[str] = []
        j = 0
        while j < len(article):
            if summary[i] != article[j]:
                j += 1
                continue
            end_i, end_j = i, j
            while end_i < len(summary) and end_j < len(article) and summary[end_i] == article[end_j]:
                end_i, end_j = end_i + 1, end_j + 1
            if end_i - i > len(best):
                best = summary[i:end_i]
            j = end_j
        if best:
            found.append(best)
        i += max(len(best), 1)
    return found


def line_ngrams(text: str, n: int) -> list[tuple[str, ...]]:
    """n-grams within each line (a summary sentence, an input paragraph), so that two copied sentences
    do not make a novel n-gram across their seam."""
    lines = [words(line) for line in split_lines(text)]
    return [tuple(tokens[k:k + n]) for tokens in lines for k in range(len(tokens) - n + 1)]


def novel_ngram_share(summary_text: str, input_text: str, n: int) -> float:
    summary_ngrams = line_ngrams(summary_text, n)
    if not summary_ngrams:
        return 0.0
    seen = set(line_ngrams(input_text, n))
    return sum(gram not in seen for gram in summary_ngrams) / len(summary_ngrams)


def reference_free(summary_text: str, input_text: str) -> dict[str, float]:
    """Compression, coverage, density and novel n-gram shares of a summary with respect to its input."""
    summary, article = words(summary_text), words(input_text)
    fragments = extractive_fragments(article, summary)
    size = len(summary) or 1
    ratios = {"compression_ratio": len(article) / size, "coverage": sum(len(f) for f in fragments) / size,
              "density": sum(len(f) ** 2 for f in fragments) / size,
              **{f"novel_{n}grams": novel_ngram_share(summary_text, input_text, n) for n in NOVEL_NGRAM_ORDERS}}
    # kept as the scores are: to four decimals, 858 words over 101 (8.49505) read 8.495, and a table showed 8.49
    return {name: round(value, SCORE_DIGITS) for name, value in ratios.items()}
