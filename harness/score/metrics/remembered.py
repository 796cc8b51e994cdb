"""The segment statistics of a metric whose statistics depend on nothing but its signature and the texts (TER:
sacrebleu's edit distance with shifts, the slow part of scoring a run), remembered in the run's cache: a run that
scores the same outputs again (a fully cached re-run, a re-score of the same files) reads them instead.

A metric's statistics over a group of segments come whole from the cache, or are computed whole and stored."""
from __future__ import annotations

import json

import numpy as np

from harness.cache import TranslationCache, content_key
from harness.score.metrics.base import Metric

TABLE = "metric_scores"   # harness.cache.TABLES: beside the model metrics' segment results
VERSION = 1               # bump when what is stored for a segment changes


def statistics_keys(metric: Metric, hypotheses: list[str], references: list[str],
                    extra_references: list[list[str]]) -> list[str]:
    """One key per segment: the metric's signature, its hypothesis and every reference it reads."""
    used = metric.references_used(extra_references)
    signature = metric.signature_for(used)
    further = list(zip(*extra_references)) if used > 1 else [()] * len(hypotheses)
    return [content_key("segment statistics", VERSION, signature, hypothesis, reference, list(more))
            for hypothesis, reference, more in zip(hypotheses, references, further)]


def recalled_statistics(cache: TranslationCache | None, metrics: list[Metric], hypotheses: list[str],
                        references: list[str], extra_references: list[list[str]]
                        ) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """The statistics of each remembered metric whose every segment is in the cache, and the keys of the other
    remembered metrics, under which remember() stores theirs once computed."""
    keys = {m.name: statistics_keys(m, hypotheses, references, extra_references)
            for m in metrics if cache is not None and m.remember_statistics and hypotheses}
    found = cache.get_many({key for named in keys.values() for key in named}, table=TABLE) if keys else {}
    recalled = {name: np.array([json.loads(found[key]) for key in named], dtype=np.float64)
                for name, named in keys.items() if all(key in found for key in named)}
    return recalled, {name: named for name, named in keys.items() if name not in recalled}


def remember(cache: TranslationCache | None, keys: dict[str, list[str]], statistics: dict[str, np.ndarray]) -> None:
    """Store the computed statistics of the metrics that recalled_statistics could not serve."""
    rows = {key: json.dumps(row.tolist()) for name, named in keys.items() if name in statistics
            for key, row in zip(named, statistics[name])}
    if cache is not None and rows:
        cache.put_many(rows, table=TABLE)
