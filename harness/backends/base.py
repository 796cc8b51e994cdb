"""The backend interface: a list of source segments in one language in, a list of outputs out.

Backends load their model lazily, on the first batch they must translate, so a fully cached run
never loads weights. Batching by tokens and the restoring of the original order live here once.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

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

    def measure(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[int]:
        """Token counts used to form batches; here about 4 characters a token, backends with a tokenizer count."""
        return [len(text) // 4 + 1 for text in texts]

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to stats["<stage>_seconds"], so a run shows where its time went
        (the benchmarks compute the harness's own overhead from it)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stats[f"{stage}_seconds"] += time.perf_counter() - started

    @abstractmethod
    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """Translate one batch; the output list has one entry per input."""

    def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> Iterator[tuple[list[int], list[str]]]:
        """Yield (indices into texts, outputs) batch by batch, so a caller can save progress as it goes."""
        if not texts:
            return
        lengths = self.measure(texts, src_lang, tgt_lang)
        batches = plan_batches(lengths, self.generation.batch_size, self.generation.max_batch_tokens)
        for batch in batches:
            outputs = self.translate_batch([texts[i] for i in batch], src_lang, tgt_lang)
            if len(outputs) != len(batch):
                raise RuntimeError(f"{self.name} returned {len(outputs)} outputs for {len(batch)} inputs")
            yield batch, outputs
