"""Confidence intervals and paired significance tests over aligned segments, vectorized.

Any harness metric (harness.score.metrics.base.Metric) can be tested: only its per-segment statistics and its score
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
from functools import lru_cache

import numpy as np

from harness.errors import UserError
from harness.score.metrics.base import Metric

CONFIDENCE_TAIL = 40          # sacrebleu's estimate_ci: 1/40 of the resamples cut from each side -> 95%
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 12345          # sacrebleu's default seed; SACREBLEU_SEED changes both (environment_seed)
SEED_VARIABLE = "SACREBLEU_SEED"


def environment_seed() -> int:
    """The resampling seed as sacrebleu reads SACREBLEU_SEED: unset, 12345; None, a fresh one (the report names it,
    so that the same draws can be had again); a whole number, that one. Anything else is refused in one line."""
    value = os.environ.get(SEED_VARIABLE, str(DEFAULT_SEED)).strip()
    if value.lower() == "none":
        return int(np.random.SeedSequence().entropy % 2**32)
    if not value.isdigit():
        raise UserError(f"{SEED_VARIABLE}={value!r}: the resampling seed must be a whole number >= 0, or None for a "
                        f"fresh one (the report names it); unset it for sacrebleu's {DEFAULT_SEED}")
    return int(value)


def scores_from_stats(metric: Metric, stats: np.ndarray) -> np.ndarray:
    """Corpus scores for each row of summed sufficient statistics (the metric's own, vectorized where it can)."""
    return metric.scores_from_statistics(np.atleast_2d(stats))


def bootstrap_counts(n_segments: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each segment is drawn in each resample (resamples x segments): resampled sums are one matmul."""
    draws = rng.choice(n_segments, size=(n_resamples, n_segments), replace=True)
    flat = (draws + np.arange(n_resamples)[:, None] * n_segments).ravel()
    return np.bincount(flat, minlength=n_resamples * n_segments).reshape(n_resamples, n_segments).astype(np.float64)


def read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@lru_cache(maxsize=4)
def shared_counts(n_segments: int, n_resamples: int, seed: int) -> np.ndarray:
    """The bootstrap counts of a seed, drawn once per call of harness-compare and shared by every metric and test
    over the same number of segments (the same draws as drawing them again)."""
    return read_only(bootstrap_counts(n_segments, n_resamples, np.random.default_rng(seed)))


@lru_cache(maxsize=4)
def shared_swaps(n_segments: int, n_trials: int, seed: int) -> np.ndarray:
    """Which segments approximate randomization swaps in each trial (1.0: swapped), drawn as sacrebleu seeds
    each test, so the same for every pair of systems."""
    swaps = np.random.default_rng(seed).integers(2, size=(n_trials, n_segments), dtype=bool)
    return read_only(swaps.astype(np.float64))


def percentile_interval(resampled: np.ndarray) -> tuple[float, float]:
    """sacrebleu's estimate_ci bounds: the values 1/40 in from each end of the sorted resamples."""
    ordered = np.sort(resampled)
    lower = len(ordered) // CONFIDENCE_TAIL
    return float(ordered[lower]), float(ordered[len(ordered) - lower - 1])


def short_of_95(n_resamples: int) -> str:
    """What the "95%" intervals are when there are too few resamples for a tail to be cut (sacrebleu's rule cuts
    n // 40 from each side): the range of every resample, whose coverage is (n - 1) / (n + 1); "" from 40 on."""
    if n_resamples >= CONFIDENCE_TAIL:
        return ""
    return (f"with fewer than {CONFIDENCE_TAIL} resamples no tail is cut: each interval spans every resample, about a "
            f"{100 * (n_resamples - 1) / (n_resamples + 1):.0f}% interval, not 95%")


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
                                swaps: np.ndarray) -> float:
    """sacrebleu's _paired_ar_test: swap each segment's two outputs with probability 1/2 in each trial (a row of
    `swaps`). A trial's sums are the system's total plus the swapped segments' differences, and the baseline's
    minus them: one matrix product per pair. The observed difference is scored by the same formula as the
    trials, as sacrebleu scores both: a trial that swaps nothing (or everything) ties it exactly, where the
    scalar formula's score can differ in the last bits and miss every tie (3 lines: p 1/1001 instead of >= 2/8)."""
    moved = swaps @ (baseline - system)
    observed = scores_from_stats(metric, np.stack([system.sum(axis=0), baseline.sum(axis=0)]))
    shuffled_a = scores_from_stats(metric, system.sum(axis=0) + moved)
    shuffled_b = scores_from_stats(metric, baseline.sum(axis=0) - moved)
    return p_value(np.abs(shuffled_a - shuffled_b), float(abs(observed[0] - observed[1])))


@dataclass(frozen=True)
class Resampled:
    """Systems scored on shared bootstrap resamples of the same segments: each system's score and its scores
    over every resample (the paired tests and intervals of any two systems read these)."""

    metric: Metric
    stats: list[np.ndarray]          # per system, one statistics row per segment
    scores: list[float]
    resampled: list[np.ndarray]
    n_resamples: int
    seed: int

    def interval(self, system: int) -> tuple[float, float]:
        return percentile_interval(self.resampled[system])

    def delta_interval(self, system: int, other: int) -> tuple[float, float]:
        """The paired 95% interval of `system` minus `other` (the same resamples for both, so the segments' shared
        difficulty cancels out: narrower than the two systems' intervals suggest)."""
        return percentile_interval(self.resampled[system] - self.resampled[other])

    def pair(self, system: int, other: int) -> PairTest:
        """`system` against `other`: the difference, its paired 95% interval, the paired bootstrap p and the paired
        approximate randomization p (the same swaps for every pair: sacrebleu seeds each test alike)."""
        delta = self.scores[system] - self.scores[other]
        observed = abs(delta)
        swaps = shared_swaps(len(self.stats[system]), self.n_resamples, self.seed)
        return PairTest(delta, self.delta_interval(system, other),
                        paired_bootstrap_p(self.resampled[system], self.resampled[other], observed),
                        approximate_randomization_p(self.metric, self.stats[system], self.stats[other], swaps))


@dataclass(frozen=True)
class PairTest:
    """Two systems on the same segments: the difference (first minus second) and the paired tests."""

    delta: float
    delta_ci: tuple[float, float]
    p_bootstrap: float
    p_randomization: float


def resample(metric: Metric, stats: list[np.ndarray], n_resamples: int = DEFAULT_RESAMPLES,
             seed: int = DEFAULT_SEED) -> Resampled:
    """Every system's score (the metric's own score of its summed statistics: sacrebleu's for its metrics) and its
    scores over the same n_resamples bootstrap resamples of the segments (one matrix product per system: resample
    counts x statistics, scored by the vectorized formula)."""
    counts = shared_counts(len(stats[0]), n_resamples, seed)
    return Resampled(metric, stats, [float(metric.score_from_statistics(s.sum(axis=0))) for s in stats],
                     [scores_from_stats(metric, counts @ s) for s in stats], n_resamples, seed)


def compare_systems(metric: Metric, stats: list[np.ndarray], n_resamples: int = DEFAULT_RESAMPLES,
                    seed: int = DEFAULT_SEED) -> list[SystemTest]:
    """Every system (stats[0] is the baseline) with its interval, both paired tests against the baseline and the
    paired interval of its difference from the baseline (Resampled.pair).

    All systems share the same bootstrap resamples and randomization draws, as paired tests require, so a
    system's tests against the baseline are the same whichever other systems are compared in the call.
    """
    shared = resample(metric, stats, n_resamples, seed)
    tests = [SystemTest(shared.scores[0], shared.interval(0), None, None)]
    for system in range(1, len(stats)):
        pair = shared.pair(system, 0)
        tests.append(SystemTest(shared.scores[system], shared.interval(system), pair.p_bootstrap,
                                pair.p_randomization, pair.delta_ci))
    return tests


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment: controls the family-wise error rate under any dependence between tests."""
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
