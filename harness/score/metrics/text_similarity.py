"""ROUGE and embedding cosine: similarity of two texts, given one sentence per line.

- ROUGE-1/2/L/Lsum: Google's `rouge-score` package (a re-implementation of ROUGE-1.5.5), Porter stemming
  (words over 3 characters), its own tokenizer (lowercase, runs of [a-z0-9]), F-measure x 100. ROUGE-Lsum
  needs one sentence per line, so `split_summaries` (which needs NLTK data) stays off. English only: its tokenizer
  drops every other letter, so a target language other than English is refused (require_english).
- embedding_cosine: cosine of the mean all-MiniLM-L6-v2 sentence embeddings of each text. Averaging
  sentence vectors avoids the encoder's 256-token input limit, which would silently cut a full reference. English
  only, as the encoder.
Neither has sufficient statistics of its own: a corpus score is the mean of the segment scores.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Callable

import numpy as np

from harness.data.languages import language_name
from harness.errors import UserError
from harness.score.embeddings import embed
from harness.data.lines import split_lines
from harness.score.metrics.base import Metric

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def rouge_signature() -> str:
    return (f"rouge-score {metadata.version('rouge-score')}|stemmer:porter(>3 chars)|tok:lowercase [a-z0-9]+"
            "|score:F1x100|lsum:one sentence per line (sentencex)")


def require_english(name: str, target_lang: str, why: str) -> None:
    """A metric that reads English only would score another language on what it can read (a Russian summary on its
    digits alone: ROUGE-1 100.0 from one number) and show that as quality."""
    if target_lang != "en":
        raise UserError(f"metric '{name}' reads English only ({why}), and the texts it would score are "
                        f"{language_name(target_lang)} (target_lang: {target_lang}); leave it out of metrics=[...] and "
                        "summary.metrics=[...] (the default summary.metrics has it): chrf reads any script, e.g. "
                        "summary.metrics=[chrf]")


@lru_cache(maxsize=None)
def rouge_scorer(rouge_type: str):
    """Google's rouge-score with the Porter stemmer (its nltk import takes seconds, so only when used)."""
    from rouge_score.rouge_scorer import RougeScorer
    return RougeScorer([rouge_type], use_stemmer=True)


class Rouge(Metric):
    sentence_per_line = True

    def __init__(self, rouge_type: str, target_lang: str = "en"):
        require_english(rouge_type, target_lang, "rouge-score keeps a-z and 0-9 and stems with the English Porter "
                                                 "stemmer")
        self.name = rouge_type
        self.signature = rouge_signature()
        self.scorer = rouge_scorer(rouge_type)

    def segment_scores(self, hypotheses, references, sources=None) -> list[float]:
        return [self.scorer.score(ref, hyp)[self.name].fmeasure * 100 for hyp, ref in zip(hypotheses, references)]


def text_vector(sentences: list[str]) -> np.ndarray:
    mean = embed(sentences).mean(axis=0) if sentences else np.zeros(384, dtype=np.float32)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def embedding_cosine(left: list[str], right: list[str]) -> float:
    return float(text_vector(left) @ text_vector(right))


class EmbeddingCosine(Metric):
    name = "embedding_cosine"
    signature = "all-MiniLM-L6-v2|mean of unit sentence vectors|cosine"
    sentence_per_line = True

    def __init__(self, target_lang: str = "en"):
        require_english(self.name, target_lang, "all-MiniLM-L6-v2 is an English sentence encoder")

    def segment_scores(self, hypotheses, references, sources=None) -> list[float]:
        return [embedding_cosine(split_lines(hyp), split_lines(ref)) for hyp, ref in zip(hypotheses, references)]


def text_similarity_metrics() -> dict[str, Callable[..., Metric]]:
    """Constructors of these metrics by name (each takes the target language: English only)."""
    return {**{name: (lambda name=name, **settings: Rouge(name, **settings)) for name in ROUGE_TYPES},
            "embedding_cosine": EmbeddingCosine}
