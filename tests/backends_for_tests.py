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


class LibraryBarBackend(Backend):
    """Draws a plain tqdm bar inside each batch, as a model library does (transformers' GGUF conversion)."""

    name = "library_bar"

    def translate_batch(self, texts, src_lang, tgt_lang):
        from tqdm import tqdm
        return [text.upper() for text in tqdm(texts, desc="library bar", mininterval=0)]
