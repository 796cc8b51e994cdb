"""Summary metrics: how close a summary is to another text, and what it does with its own input.

Similarity (summary vs the reference summary, and vs the full reference):
- ROUGE-1/2/L/Lsum: Google's `rouge-score` package (a re-implementation of ROUGE-1.5.5), Porter stemming
  (words over 3 characters), its own tokenizer (lowercase, runs of [a-z0-9]), F-measure x 100. ROUGE-Lsum
  needs one sentence per line: the texts come here as sentence lists (split by harness.segment) and are
  joined with newlines, so `split_summaries` (which needs NLTK data) stays off.
- chrF: sacrebleu's, through harness.metrics, on the texts as one line each.
- embedding_cosine: cosine of the mean all-MiniLM-L6-v2 sentence embeddings of each text. Averaging
  sentence vectors avoids the encoder's 256-token input limit, which would silently cut a full reference.
- evaluate:NAME[@KEY]: any Hugging Face `evaluate` metric (see harness.metrics.evaluate_metrics).

Reference-free, from the summary and its input alone (Grusky et al., 2018, "Newsroom"): compression ratio
(input words / summary words), extractive fragment coverage and density (their greedy fragment algorithm),
and the share of summary n-grams (n = 1, 2, 3, within a line) absent from the input. Words: lowercase runs of \\w.
"""
from __future__ import annotations

import re
from importlib import metadata

import numpy as np

from harness.embeddings import embed
from harness.errors import unknown_name
from harness.metrics import EVALUATE_PREFIX, select_metrics

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
SIMILARITY_METRICS = (*ROUGE_TYPES, "chrf", "embedding_cosine")
DEFAULT_SUMMARY_METRICS = list(SIMILARITY_METRICS)
NOVEL_NGRAM_ORDERS = (1, 2, 3)
WORD = re.compile(r"\w+")


def rouge_signature() -> str:
    return (f"rouge-score {metadata.version('rouge-score')}|stemmer:porter(>3 chars)|tok:lowercase [a-z0-9]+"
            "|score:F1x100|lsum:one sentence per line (sentencex)")


EMBEDDING_SIGNATURE = "all-MiniLM-L6-v2|mean of unit sentence vectors|cosine"


def rouge_scorer(rouge_types: list[str]):
    """Google's rouge-score with the Porter stemmer (its nltk import takes seconds, so only when used)."""
    from rouge_score.rouge_scorer import RougeScorer
    return RougeScorer(rouge_types, use_stemmer=True)


class SummaryMetrics:
    """The similarity metrics named in `summary.metrics`, checked (and evaluate modules loaded) up front."""

    def __init__(self, names: list[str]):
        for name in names:
            if name not in SIMILARITY_METRICS and not name.startswith(EVALUATE_PREFIX):
                raise unknown_name("summary metric", name, [*SIMILARITY_METRICS, f"{EVALUATE_PREFIX}NAME"])
        self.names = list(names)
        self.rouge_types = [name for name in names if name in ROUGE_TYPES]
        self.rouge = rouge_scorer(self.rouge_types) if self.rouge_types else None
        self.chrf = select_metrics(["chrf"])[0] if "chrf" in names else None
        self.evaluate = {metric.name: metric for metric in
                         select_metrics([name for name in names if name.startswith(EVALUATE_PREFIX)])}

    def signatures(self) -> dict[str, str]:
        """How each score was computed, stored once per run in result.json."""
        signatures = {name: rouge_signature() for name in self.rouge_types}
        if self.chrf:
            signatures["chrf"] = self.chrf.corpus_score(["."], ["."]).signature   # sacrebleu signs after scoring
        if "embedding_cosine" in self.names:
            signatures["embedding_cosine"] = EMBEDDING_SIGNATURE
        signatures.update({name: metric.signature for name, metric in self.evaluate.items()})
        return {name: signatures[name] for name in self.names}

    def similarity(self, summary: list[str], reference: list[str]) -> dict[str, float]:
        """Scores of a summary against a reference text, both given as lists of sentences."""
        scores: dict[str, float] = {}
        if self.rouge:
            rouge = self.rouge.score("\n".join(reference), "\n".join(summary))
            scores.update({name: round(rouge[name].fmeasure * 100, 4) for name in self.rouge_types})
        if self.chrf:
            scores["chrf"] = round(self.chrf.sentence_score(" ".join(summary), " ".join(reference)), 4)
        if "embedding_cosine" in self.names:
            scores["embedding_cosine"] = round(embedding_cosine(summary, reference), 4)
        for name, metric in self.evaluate.items():
            scores[name] = round(metric.sentence_score(" ".join(summary), " ".join(reference)), 4)
        return {name: scores[name] for name in self.names}


def text_vector(sentences: list[str]) -> np.ndarray:
    mean = embed(sentences).mean(axis=0) if sentences else np.zeros(384, dtype=np.float32)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def embedding_cosine(left: list[str], right: list[str]) -> float:
    return float(text_vector(left) @ text_vector(right))


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
    lines = [words(line) for line in text.splitlines()]
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
    record = {"compression_ratio": round(len(article) / size, 4),
              "coverage": round(sum(len(f) for f in fragments) / size, 4),
              "density": round(sum(len(f) ** 2 for f in fragments) / size, 4)}
    record.update({f"novel_{n}grams": round(novel_ngram_share(summary_text, input_text, n), 4)
                   for n in NOVEL_NGRAM_ORDERS})
    return record
