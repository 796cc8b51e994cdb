"""Shared fixtures: real configs, real seed files, a tiny random-weight Marian model built on the spot.

Nothing here downloads and nothing writes into the repository: caches and run folders live in tmp dirs.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.testing import build_marian, seed_texts

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own translation cache and no network access to a model hub."""
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory) -> Path:
    return build_marian(tmp_path_factory.mktemp("tiny_marian"), seed_texts())
