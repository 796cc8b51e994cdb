"""The backend interface: a list of source segments in one language in, a list of outputs out.

Backends load their model lazily, on the first batch they must translate, so a fully cached run
never loads weights. Batching by tokens and the restoring of the original order live here once.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator

from harness.batching import plan_batches
from harness.config import GenerationSpec, ModelSpec


class Backend(ABC):
    name: str = "base"

    def __init__(self, model: ModelSpec, generation: GenerationSpec, cache_dir: str | None = None):
        self.model = model
        self.generation = generation
        self.cache_dir = cache_dir
        self.stats: Counter = Counter()   # what happened while translating (loads, truncations, ...)

    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """Everything that decides the output for a segment; the translation cache is keyed by it."""
        return {"backend": self.name}

    def describe(self) -> dict:
        """The model record stored in result.json."""
        return {"name": self.model.name, "backend": self.name}

    def measure(self, texts: list[str]) -> list[int]:
        """Approximate token counts used to form batches (about 4 characters a token)."""
        return [len(text) // 4 + 1 for text in texts]

    @abstractmethod
    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """Translate one batch; the output list has one entry per input."""

    def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> Iterator[tuple[list[int], list[str]]]:
        """Yield (indices into texts, outputs) batch by batch, so a caller can save progress as it goes."""
        if not texts:
            return
        batches = plan_batches(self.measure(texts), self.generation.batch_size, self.generation.max_batch_tokens)
        for batch in batches:
            outputs = self.translate_batch([texts[i] for i in batch], src_lang, tgt_lang)
            if len(outputs) != len(batch):
                raise RuntimeError(f"{self.name} returned {len(outputs)} outputs for {len(batch)} inputs")
            yield batch, outputs
