"""A slow metric's statistics (TER: sacrebleu's edit distance with shifts, pure Python and super-linear in the
sentence length) computed in a forked process of their own while this process computes the other metrics.

On a 2,000-line test set TER alone takes about as long as BLEU, chrF and chrF++ together, so a second core
halves the scoring stage. Only on Linux (fork: the child inherits the loaded code, nothing is imported again),
with a second core available, and for enough segments to repay the fork; elsewhere everything runs here. The
child computes sacrebleu statistics only (no model, no GPU, no file), and its result is the same array.
"""
from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

import numpy as np

from harness.cores import available_cores
from harness.score.metrics.base import Metric

MIN_SEGMENTS = 300   # fewer: forking costs more than it saves


def worth_a_process(metric: Metric, segments: int) -> bool:
    return (metric.slow_statistics and not metric.needs_source and segments >= MIN_SEGMENTS
            and sys.platform == "linux" and available_cores() > 1)


def statistics_of(metric: Metric, hypotheses: list[str], references: list[str],
                  extra_references: list[list[str]]) -> np.ndarray:
    return metric.statistics(hypotheses, references, None, extra_references)


@contextmanager
def side_statistics(metrics: list[Metric], hypotheses: list[str], references: list[str],
                    extra_references: list[list[str]]) -> Iterator[dict[str, Future]]:
    """The slow metrics' statistics, by name, as futures of a process started on entry (none to start: {})."""
    chosen = [m for m in metrics if worth_a_process(m, len(hypotheses))]
    if not chosen:
        yield {}
        return
    with ProcessPoolExecutor(max_workers=len(chosen), mp_context=multiprocessing.get_context("fork")) as pool:
        yield {m.name: pool.submit(statistics_of, m, hypotheses, references, extra_references) for m in chosen}
