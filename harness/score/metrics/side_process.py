"""A slow metric's statistics (TER: sacrebleu's edit distance with shifts, pure Python and super-linear in the
sentence length) computed in forked processes, one per core but this one's, while this process computes the other
metrics and then takes its share.

On a 2,000-line test set TER alone takes about as long as BLEU, chrF and chrF++ together; on the seed documents'
aligned segments (long outputs of a small model against merged reference sentences) TER is 1.2-1.5 s of a cold
run's 3 s of scoring on 2 cores, and the other metrics take milliseconds. So its segments are cut into short runs
of consecutive segments that the side processes and this one share (SharedStatistics), and the rows are put back
in order: every core works until no run is left, whatever the other metrics cost. Only on Linux
(fork: the child inherits the loaded code, nothing is imported again), with a second core available, and for
enough work to repay the fork (about 15 ms); elsewhere everything runs here. The children compute sacrebleu
statistics only (no model, no GPU, no file), and their rows are the same array.
"""
from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import numpy as np

from harness.cores import available_cores
from harness.score.metrics.base import Metric

MIN_WORK = 4_000      # word pairs (edit_work): about 0.1 s of TER on the seeds' segments; less does not repay a fork
RUNS_PER_WORKER = 16  # runs_of


def edit_work(hypotheses: list[str], references: list[str]) -> int:
    """An edit distance's work: hypothesis words times reference words, summed over the segments (the cost of
    their alignment tables; the shifts TER tries multiply it)."""
    return sum(len(hypothesis.split()) * len(reference.split())
               for hypothesis, reference in zip(hypotheses, references))


def worth_processes(hypotheses: list[str], references: list[str]) -> bool:
    return (sys.platform == "linux" and available_cores() > 1
            and edit_work(hypotheses, references) >= MIN_WORK)


def slow(metric: Metric) -> bool:
    return metric.slow_statistics and not metric.needs_source


def runs_of(count: int, workers: int) -> list[slice]:
    """Consecutive runs of segments, about RUNS_PER_WORKER per worker (a core): a worker takes the next run when it
    has finished one, so that one slow segment does not hold up the others (TER of one seed segment took 2 to 229 ms,
    and no length predicts which: 1,404 word pairs took 142 ms, 1,305 took 16)."""
    size = max(1, count // (workers * RUNS_PER_WORKER))
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def statistics_of(metric: Metric, hypotheses: list[str], references: list[str],
                  extra_references: list[list[str]]) -> np.ndarray:
    return metric.statistics(hypotheses, references, None, extra_references)


class SharedStatistics:
    """A slow metric's statistics, one future per run of segments, that the side processes take from the front
    while this process, once it has computed the other metrics and asks for the result, takes the runs no process
    has started from the back (Future.cancel succeeds only on those), so that no core waits while runs are left."""

    def __init__(self, metric: Metric, texts: tuple[list[str], list[str], list[list[str]]], pool: ProcessPoolExecutor,
                 runs: list[slice]):
        self.metric, self.texts, self.runs = metric, texts, runs
        self.parts = [pool.submit(statistics_of, metric, *self.run_texts(run)) for run in runs]

    def run_texts(self, run: slice) -> tuple[list[str], list[str], list[list[str]]]:
        hypotheses, references, extra_references = self.texts
        return hypotheses[run], references[run], [extra[run] for extra in extra_references]

    def result(self) -> np.ndarray:
        rows: list[np.ndarray | None] = [None] * len(self.runs)
        for k in reversed(range(len(self.runs))):
            if self.parts[k].cancel():   # no process started it: computed here
                rows[k] = statistics_of(self.metric, *self.run_texts(self.runs[k]))
        return np.concatenate([row if row is not None else part.result() for row, part in zip(rows, self.parts)])


@contextmanager
def side_statistics(metrics: list[Metric], hypotheses: list[str], references: list[str],
                    extra_references: list[list[str]]) -> Iterator[dict[str, SharedStatistics]]:
    """The slow metrics' statistics, by name, shared between processes started on entry, one per core but this
    process's, and this process (none to start: {})."""
    chosen = [m for m in metrics if slow(m)]
    if not chosen or not worth_processes(hypotheses, references):
        yield {}
        return
    runs = runs_of(len(hypotheses), available_cores())
    with ProcessPoolExecutor(max_workers=available_cores() - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        yield {m.name: SharedStatistics(m, (hypotheses, references, extra_references), pool, runs) for m in chosen}
