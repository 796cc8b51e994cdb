"""Round 20 on extending (round 19's left item): a metric named by its dotted path that declares no signature, or
implements neither segment_scores nor segment_statistics, was found only once every output was made: a traceback,
exit 1, the run folder marked FAILED. It is refused with the settings now, in one line, before anything is written."""
from __future__ import annotations

import pytest

from harness.score.metrics.base import Metric
from tests.adversarial import assert_one_line_error, run_cli


class NoSignature(Metric):
    name = "no_signature"

    def segment_scores(self, hypotheses, references, sources=None):
        return [1.0 for _ in hypotheses]


class BlankSignature(NoSignature):
    signature = " "


class NoScores(Metric):
    name = "no_scores"
    signature = "no-scores|v1"


class Neither(Metric):
    name = "neither"


@pytest.mark.parametrize("metric, said", [
    ("NoSignature", "NoSignature has no signature (a string that says how its scores are computed); add it to the class"),
    ("BlankSignature", "BlankSignature has no signature"),
    ("NoScores", "NoScores has neither segment_scores nor segment_statistics; add it to the class"),
    ("Neither", "Neither has no signature (a string that says how its scores are computed) and neither segment_scores "
                "nor segment_statistics; add them to the class"),
])
def test_a_metric_that_cannot_score_is_refused_before_the_run(tmp_path, metric, said):
    path = f"tests.test_adversarial_round20_extending.{metric}"
    outcome = run_cli("run", ["model=identity", f"metrics=[bleu,{path}]", f"hydra.run.dir={tmp_path / 'run'}"],
                      cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, f"metric '{path}': {said}")
    assert not (tmp_path / "run").exists() and not (tmp_path / "cache").exists()
