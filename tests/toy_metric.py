"""A toy metric that needs the source: the share of the output's words copied from the source.

It is the whole of what adding a metric takes (docs/extending.md, "A metric"): name it by its
dotted path, metrics=[tests.toy_metric.SourceCopyRate], with this folder's parent on PYTHONPATH. It has no
statistics of its own, so its corpus score is the mean of its segment scores and the paired tests of
harness-compare resample those.
"""
from __future__ import annotations

from harness.score.metrics.base import Metric


class SourceCopyRate(Metric):
    name = "source_copy_rate"    # selected by its dotted path, it is stored under that path
    signature = "source-copy-rate|words copied from the source, % of the output's words|v1"
    higher_is_better = False     # a translation that copies its source is worse
    needs_source = True

    def segment_scores(self, hypotheses, references, sources=None) -> list[float]:
        scores = []
        for hypothesis, source in zip(hypotheses, sources):
            words, copied = hypothesis.lower().split(), set(source.lower().split())
            scores.append(100.0 * sum(word in copied for word in words) / len(words) if words else 0.0)
        return scores
