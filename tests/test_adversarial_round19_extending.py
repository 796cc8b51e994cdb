"""Adversarial round 19: extending the harness as docs/extending.md tells a user to.

A backend of one's own never gets another backend's translations from the cache (a subclass that gives itself the
one-line key of a pre-issue-23 backend is refused; a setting Hydra builds into an object from its own `_target_` is
keyed by its settings, not a crash), and a metric of one's own that returns a score that is not a finite number, or
not one score per segment, is one line naming it, not a traceback after the work or a score stored for the wrong
segments.
"""
from __future__ import annotations

import math
import re
import sys

import numpy as np
import pytest

from harness.cache import content_key
from harness.config import compose_config
from harness.errors import UserError
from harness.pipeline import build_backend
from harness.score.metrics import select_metrics
from harness.score.metrics.base import Metric
from harness.translate.backends.identity import IdentityBackend
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_run import make_setup


# ---------------------------------------------------------------- a backend's own cache key

def test_a_backend_that_overrides_its_cache_key_is_refused():
    """Own (round 19): Backend.fingerprint is final only for a type checker. Two user subclasses that returned
    {"backend": self.name} (the key before issue 23) shared one key: the second, other code, was served the first's
    translations of every segment. What else decides an output belongs in extra_fingerprint."""
    with pytest.raises(UserError, match=r"KeepsKey overrides Backend\.fingerprint.*extra_fingerprint"):
        class KeepsKey(IdentityBackend):
            def fingerprint(self, src_lang, tgt_lang):
                return {"backend": self.name}

    class AddsToKey(IdentityBackend):   # the documented way stays open
        def extra_fingerprint(self, src_lang, tgt_lang):
            return {"lexicon": "v2"}


HELPER_MODULE = '''
from harness.translate.backends.base import Backend


class Tagger:
    def __init__(self, tag):
        self.tag = tag


class Tagged(Backend):
    name = "tagged"

    def __init__(self, *args, tagger=None, **settings):
        super().__init__(*args, **settings)
        self.tagger = tagger

    def translate_batch(self, texts, src_lang, tgt_lang):
        return [f"{text} <{self.tagger.tag}>" for text in texts]


class Tags(Backend):
    name = "tags"

    def __init__(self, *args, opts=None, **settings):
        super().__init__(*args, **settings)
        self.opts = opts

    def translate_batch(self, texts, src_lang, tgt_lang):
        return [f"{text} {self.opts}" for text in texts]
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """round19_tagged.py on the path, as a project keeps its backend module, imported anew."""
    (tmp_path / "round19_tagged.py").write_text(HELPER_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "round19_tagged", raising=False)


def tagged_key(tag: str) -> str:
    cfg = compose_config(["model=identity", "backend._target_=round19_tagged.Tagged",
                          f"+backend.tagger={{_target_: round19_tagged.Tagger, tag: {tag}}}"])
    return content_key(build_backend(cfg).fingerprint("fr", "en"), "fr", "en", "Bonjour.")


def test_a_backend_setting_built_from_its_own_target_is_keyed_by_its_settings(user_module):
    """Own (round 19): +backend.tagger={_target_: mod.Tagger, tag: x1} (Hydra builds the setting into an object
    before the backend) stopped the run with a traceback (TypeError: Object of type Tagger is not JSON serializable)
    once the translation cache was asked for its key. The key holds the setting as configured: tag x2 is another
    key, tag x1 again the same."""
    first = tagged_key("x1")
    assert tagged_key("x2") != first
    assert tagged_key("x1") == first


def test_plain_settings_keep_their_keys(user_module):
    """Settings that are plain data (a dict holding a list) are keyed as they were, so their cached translations
    stay."""
    cfg = compose_config(["model=identity", "backend._target_=round19_tagged.Tags", "+backend.opts={tags: [a, b]}"])
    assert build_backend(cfg).fingerprint("fr", "en")["settings"] == {"opts": {"tags": ["a", "b"]}}


# ---------------------------------------------------------------- a metric's own scores

class NotANumber(Metric):
    name = "not_a_number"
    signature = "not-a-number|v1"

    def segment_scores(self, hypotheses, references, sources=None):
        return [math.nan if k == 0 else 50.0 for k in range(len(hypotheses))]


class OneScore(Metric):
    name = "one_score"
    signature = "one-score|v1"

    def segment_scores(self, hypotheses, references, sources=None):
        return [1.0]


@pytest.mark.parametrize("metric, said", [
    ("NotANumber", "a score that is not a finite number (nan) for segment 1 of 3"),
    ("OneScore", "1 score rows for 3 segments")])
def test_a_metric_of_ones_own_that_returns_no_finite_score_for_each_segment_is_named(metric, said):
    """Own (round 19): a NaN from a metric's segment_scores stopped the run after the work with a traceback that
    named result.json, not the metric (RuntimeError: result.json: a value is not a finite number); a metric that
    returned one score for three segments was stored as if it scored them all."""
    [selected] = select_metrics([f"tests.test_adversarial_round19_extending.{metric}"])
    with pytest.raises(UserError, match=re.escape(f"tests.test_adversarial_round19_extending.{metric}' returned {said}")):
        selected.corpus_score(["a b", "c d", "e f"], ["a b", "c d", "e f"])


def test_a_metric_whose_scores_are_not_finite_is_one_line_and_leaves_nothing(tmp_path):
    """The same through harness-run: exit 2, one line naming the metric, no run folder left, no file changed."""
    setup = make_setup(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    done = run_cli("run", [f"data.root={setup.data}", "model=identity", f"hydra.run.dir={setup.run_dir}",
                           "metrics=[bleu,tests.test_adversarial_round19_extending.NotANumber]",
                           "alignment.embeddings=false"],
                   cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(done, "tests.test_adversarial_round19_extending.NotANumber", "not a finite number")
    assert not setup.run_dir.exists()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_statistics_of_the_harness_metrics_pass_the_check():
    """BLEU's n-gram counts and chrF's are rows of finite numbers, one per segment: the check lets them through."""
    for metric in select_metrics(["bleu", "chrf", "ter"]):
        rows = metric.statistics(["a b c", "d"], ["a b c", "e"], None)
        assert rows.shape[0] == 2 and np.isfinite(rows).all()
