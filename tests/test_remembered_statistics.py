"""TER's segment statistics (sacrebleu's edit distance, the slow part of scoring) are remembered in the run's cache:
scoring the same outputs again reads them, gives the same scores, and computes none."""
import copy

from harness.cache import TranslationCache
from harness.config import compose_config
from harness.score.aligned_scoring import AlignedMetrics, score_segments
from harness.score.metrics.sacrebleu_metrics import SacreTER

SEGMENTS = [{"ref_index": k, "ref": ref, "hyp": hyp, "src": None} for k, (ref, hyp) in enumerate([
    ("The council passed the new budget on Thursday evening.", "The council adopted the budget on Thursday night."),
    ("Canada and Japan signed an agreement.", "Japan and Canada signed a deal."),
    ("The minister announced a partnership.", "A partnership was announced by the minister."),
])]


def counted_ter(monkeypatch) -> list[int]:
    """How many segments TER computes statistics for, call by call."""
    calls = []
    computed = SacreTER.multi_reference_statistics

    def counting(self, hypotheses, references):
        calls.append(len(hypotheses))
        return computed(self, hypotheses, references)
    monkeypatch.setattr(SacreTER, "multi_reference_statistics", counting)
    return calls


def test_scoring_the_same_outputs_again_reads_ter_statistics_from_the_cache(tmp_path, monkeypatch):
    calls = counted_ter(monkeypatch)
    metrics = AlignedMetrics.build(compose_config().alignment)
    assert any(m.name == "ter" for m in metrics.unique())
    cache = TranslationCache(tmp_path / "cache.sqlite")
    first, again = copy.deepcopy(SEGMENTS), copy.deepcopy(SEGMENTS)
    scores = score_segments(first, metrics, cache)
    assert calls == [3]
    assert score_segments(again, metrics, cache) == scores and calls == [3]   # nothing computed the second time
    assert again == first                                                      # the same statistics and scores stored
    assert score_segments(copy.deepcopy(SEGMENTS), metrics) == scores and calls == [3, 3]   # no cache: computed


def test_another_output_is_computed_and_its_scores_are_its_own(tmp_path, monkeypatch):
    calls = counted_ter(monkeypatch)
    metrics = AlignedMetrics.build(compose_config().alignment)
    cache = TranslationCache(tmp_path / "cache.sqlite")
    score_segments(copy.deepcopy(SEGMENTS), metrics, cache)
    changed = copy.deepcopy(SEGMENTS)
    changed[1]["hyp"] = "Canada and Japan signed an agreement."
    scores = score_segments(changed, metrics, cache)
    assert calls == [3, 3]
    assert scores == score_segments(copy.deepcopy(changed), metrics)
    assert changed[1]["scores"]["ter"] == 0.0
