"""The vectorized resampling against sacrebleu's own formulas and tests, on real sentence pairs."""
import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.significance import PairedTest

from harness.score.metrics import select_metrics
from harness.compare.significance import compare_systems, holm, p_value, percentile_interval, scores_from_stats
from tests.compare_fixtures import drop_every, reference_sentences

SACREBLEU = {"bleu": BLEU(), "chrf": CHRF(), "chrf++": CHRF(word_order=2), "ter": TER()}
METRICS = dict(zip(SACREBLEU, select_metrics(list(SACREBLEU))))


@pytest.fixture(scope="module")
def sentences():
    return reference_sentences()["002"]


def system(sentences, k):
    return [drop_every(s, k) for s in sentences]


@pytest.mark.parametrize("name", list(METRICS))
def test_vectorized_scores_equal_sacrebleu_on_resampled_sums(sentences, name):
    metric, sacre = METRICS[name], SACREBLEU[name]
    stats = metric.segment_statistics(system(sentences, 3), sentences)
    rng = np.random.default_rng(0)
    sums = np.vstack([rng.integers(0, 3, size=(50, len(stats))) @ stats, np.zeros((1, stats.shape[1])),
                      stats[:1], stats.sum(axis=0, keepdims=True)])
    expected = [sacre._compute_score_from_stats(list(row)).score for row in sums]
    assert np.allclose(scores_from_stats(metric, sums), expected, atol=1e-9)


@pytest.mark.parametrize("name", list(METRICS))
def test_observed_score_is_the_corpus_score(sentences, name):
    metric, hypotheses = METRICS[name], system(sentences, 2)
    stats = metric.segment_statistics(hypotheses, sentences)
    assert scores_from_stats(metric, stats.sum(axis=0))[0] == pytest.approx(
        SACREBLEU[name].corpus_score(hypotheses, [sentences]).score)


@pytest.mark.parametrize("test_type, field", [("bs", "p_bootstrap"), ("ar", "p_randomization")])
@pytest.mark.parametrize("name", ["bleu", "chrf"])
def test_p_values_match_sacrebleus_paired_tests(sentences, test_type, field, name):
    """Same seed, same draws: the p-values are sacrebleu's (differing systems, so no exact ties)."""
    metric = METRICS[name]
    systems = [("base", system(sentences, 2)), ("other", system(sentences, 4))]
    _, sacre = PairedTest(systems, {name: SACREBLEU[name]}, [sentences], test_type=test_type, n_samples=300)()
    stats = [metric.segment_statistics(hyps, sentences) for _, hyps in systems]
    ours = compare_systems(metric, stats, n_resamples=300, seed=12345)
    label = next(key for key in sacre if key != "System")
    assert getattr(ours[1], field) == pytest.approx(sacre[label][1].p_value)


def test_identical_systems_are_not_significant(sentences):
    stats = METRICS["bleu"].segment_statistics(system(sentences, 3), sentences)
    tests = compare_systems(METRICS["bleu"], [stats, stats.copy()], n_resamples=200)
    assert (tests[1].p_bootstrap, tests[1].p_randomization) == (1.0, 1.0)


def test_interval_holds_the_score_and_is_a_point_for_a_perfect_system(sentences):
    perfect = METRICS["chrf"].segment_statistics(sentences, sentences)
    weak = METRICS["chrf"].segment_statistics(system(sentences, 2), sentences)
    base, other = compare_systems(METRICS["chrf"], [weak, perfect], n_resamples=200)
    assert base.ci[0] < base.score < base.ci[1]
    assert other.ci == (100.0, 100.0) and other.p_bootstrap < 0.05 and other.p_randomization < 0.05


@pytest.mark.parametrize("p, adjusted", [
    ([0.01, 0.04, 0.03], [0.03, 0.06, 0.06]),
    ([0.5], [0.5]),
    ([0.001, 0.001], [0.002, 0.002]),
    ([0.6, 0.01, 0.4], [0.8, 0.03, 0.8]),
])
def test_holm_adjustment(p, adjusted):
    assert holm(p) == pytest.approx(adjusted)


@pytest.mark.parametrize("sampled, observed, expected", [
    ([0.0, 0.0, 0.0], 0.0, 1.0),          # no difference at all: never significant
    ([0.1, 0.2, 0.3], 1.0, 0.25),         # nothing reaches the observed difference
    ([0.1, 2.0, 3.0], 1.0, 0.75),
])
def test_p_value(sampled, observed, expected):
    assert p_value(np.array(sampled), observed) == pytest.approx(expected)


def test_percentile_interval_cuts_one_fortieth_each_side():
    assert percentile_interval(np.arange(80.0)[::-1]) == (2.0, 77.0)
