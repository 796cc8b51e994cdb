"""Backends for tests about the pipeline, not about a model (importable by child processes via config)."""
import time

from harness.backends.base import Backend


class SlowUpperBackend(Backend):
    """Upper-cases each segment after a pause, so a test can kill a run in the middle of translating."""

    name = "slow_upper"

    def translate_batch(self, texts, src_lang, tgt_lang):
        time.sleep(0.25)
        return [text.upper() for text in texts]


class SometimesEmptyBackend(Backend):
    """Returns an empty string for every segment that contains a digit: a degraded system."""

    name = "sometimes_empty"

    def translate_batch(self, texts, src_lang, tgt_lang):
        return ["" if any(c.isdigit() for c in text) else text for text in texts]
