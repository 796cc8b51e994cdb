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
