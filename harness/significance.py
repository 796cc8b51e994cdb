"""Confidence intervals and paired significance tests over aligned segments, vectorized.

Any harness metric (harness.metrics.base.Metric) can be tested: only its per-segment statistics and its score
from summed statistics are used. The methods are sacrebleu's (sacrebleu/significance.py): percentile bootstrap
intervals (the 1/40 tails of the sorted resampled scores), the Moses-style paired bootstrap test and the paired
approximate randomization test of multeval, both with the (c + 1) / (n + 1) p-value. What differs is speed: a
corpus score over a resample is computed from the sum of per-segment sufficient statistics, and the sums of all
resamples come from one matrix product (resample counts x statistics), then the score formulas run on whole
arrays. 5 systems x 2,000 segments x 1,000 resamples take seconds (benchmarks/compare_bench.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from harness.metrics.base import Metric

CONFIDENCE_TAIL = 40          # sacrebleu's estimate_ci: 1/40 of the resamples cut from each side -> 95%
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = int(os.environ.get("SACREBLEU_SEED", "12345"))   # sacrebleu's default seed, same variable


def scores_from_stats(metric: Metric, stats: np.ndarray) -> np.ndarray:
    """Corpus scores for each row of summed sufficient statistics (the metric's own, vectorized where it can)."""
    return metric.scores_from_statistics(np.atleast_2d(stats))


def bootstrap_counts(n_segments: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each segment is drawn in each resample (resamples x segments): resampled sums are one matmul."""
    draws = rng.choice(n_segments, size=(n_resamples, n_segments), replace=True)
    flat = (draws + np.arange(n_resamples)[:, None] * n_segments).ravel()
    return np.bincount(flat, minlength=n_resamples * n_segments).reshape(n_resamples, n_segments).astype(np.float64)


def percentile_interval(resampled: np.ndarray) -> tuple[float, float]:
    """sacrebleu's estimate_ci bounds: the values 1/40 in from each end of the sorted resamples."""
    ordered = np.sort(resampled)
    lower = len(ordered) // CONFIDENCE_TAIL
    return float(ordered[lower]), float(ordered[len(ordered) - lower - 1])


def p_floor(n_samples: int) -> float:
    """The smallest p-value p_value can return from n samples: a p-value there means "this small or smaller"."""
    return 1 / (n_samples + 1)


def p_value(sampled: np.ndarray, observed: float) -> float:
    """multeval's (c + 1) / (n + 1), c counting the samples at least as extreme as the observed difference.

    sacrebleu counts only strictly larger ones, which gives two identical systems p = 1/(n+1), "significant";
    with >= they get p = 1. For differing systems the two counts differ only on exact ties.
    """
    return (int(np.sum(sampled >= observed)) + 1) / (len(sampled) + 1)


@dataclass(frozen=True)
class SystemTest:
    """One system on one document and metric: its score, 95% interval and the tests against the baseline."""

    score: float
    ci: tuple[float, float]
    p_bootstrap: float | None   # None for the baseline itself
    p_randomization: float | None
    delta_ci: tuple[float, float] | None = None   # paired 95% interval of (system - baseline); None for the baseline


def paired_bootstrap_p(system: np.ndarray, baseline: np.ndarray, observed: float) -> float:
    """sacrebleu's _paired_bs_test: resampled |differences| centred on their mean, against the observed one."""
    differences = np.abs(system - baseline)
    return p_value(differences - differences.mean(), observed)


def approximate_randomization_p(metric: Metric, system: np.ndarray, baseline: np.ndarray,
                                observed: float, n_trials: int, rng: np.random.Generator) -> float:
    """sacrebleu's _paired_ar_test: swap each segment's two outputs with probability 1/2, n_trials times."""
    swap = rng.integers(2, size=(n_trials, len(system)), dtype=bool).astype(np.float64)
    keep = 1.0 - swap
    shuffled_a = scores_from_stats(metric, swap @ baseline + keep @ system)
    shuffled_b = scores_from_stats(metric, keep @ baseline + swap @ system)
    return p_value(np.abs(shuffled_a - shuffled_b), observed)


def compare_systems(metric: Metric, stats: list[np.ndarray], n_resamples: int = DEFAULT_RESAMPLES,
                    seed: int = DEFAULT_SEED) -> list[SystemTest]:
    """Every system (stats[0] is the baseline) with its interval, both paired tests against the baseline and the
    paired interval of its difference from the baseline (the same resamples for both systems, so the segments'
    shared difficulty cancels out: narrower than the two systems' intervals suggest).

    All systems share the same bootstrap resamples and randomization draws, as paired tests require.
    """
    rng = np.random.default_rng(seed)
    counts = bootstrap_counts(len(stats[0]), n_resamples, rng)
    scores = [float(scores_from_stats(metric, s.sum(axis=0))[0]) for s in stats]
    resampled = [scores_from_stats(metric, counts @ s) for s in stats]
    tests = [SystemTest(scores[0], percentile_interval(resampled[0]), None, None)]
    for system_stats, score, system_resampled in zip(stats[1:], scores[1:], resampled[1:]):
        observed = abs(score - scores[0])
        trials = np.random.default_rng(seed)   # the same swaps for every system, as sacrebleu seeds each test
        tests.append(SystemTest(score, percentile_interval(system_resampled),
                                paired_bootstrap_p(system_resampled, resampled[0], observed),
                                approximate_randomization_p(metric, system_stats, stats[0], observed,
                                                            n_resamples, trials),
                                percentile_interval(system_resampled - resampled[0])))
    return tests


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment: controls the family-wise error rate under any dependence between tests."""
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
