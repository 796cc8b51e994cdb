"""A content-addressed translation cache around any backend (after lm-evaluation-harness's CachingLM).

Key: a hash of the backend's fingerprint (backend, model id, revision or file hash, generation
settings), the language pair and the source segment. SQLite in WAL mode makes every batch one
transaction, so a crash loses at most the batch in flight and parallel sweep workers can share a file.
The same file keeps sentence alignments (harness.align), so that a fully cached re-run neither loads a
model nor recomputes an alignment.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from harness.backends.base import Backend

log = logging.getLogger(__name__)
TABLES = ("translations", "alignments")   # key -> output text (a translation, or an alignment as JSON)


def cache_key(fingerprint: dict, src_lang: str, tgt_lang: str, text: str) -> str:
    payload = json.dumps([fingerprint, src_lang, tgt_lang, text], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class TranslationCache:
    """SQLite-backed key -> output store; path None keeps entries in memory for this process only."""

    def __init__(self, path: Path | None):
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(str(path) if path else ":memory:", timeout=60)
        if path is not None:
            self.connection.execute("PRAGMA journal_mode=WAL")
        for table in TABLES:
            self.connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, output TEXT NOT NULL)")

    def get_many(self, keys: Iterable[str], table: str = "translations") -> dict[str, str]:
        assert table in TABLES, table
        keys = list(keys)
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.connection.execute(f"SELECT key, output FROM {table} WHERE key IN ({marks})", chunk)
            found.update(rows)
        return found

    def put_many(self, entries: dict[str, str], table: str = "translations") -> None:
        assert table in TABLES, table
        with self.connection:
            self.connection.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", entries.items())

    def close(self) -> None:
        self.connection.close()


def translate_with_cache(backend: Backend, cache: TranslationCache, texts: list[str],
                         src_lang: str, tgt_lang: str) -> tuple[list[str], list[bool]]:
    """Translate texts, asking the backend only for segments the cache lacks.

    Returns the outputs and, for each, whether it came from the cache."""
    fingerprint = backend.fingerprint(src_lang, tgt_lang)
    keys = [cache_key(fingerprint, src_lang, tgt_lang, text) for text in texts]
    found = cache.get_many(set(keys))
    from_cache = [key in found for key in keys]
    missing = {key: text for key, text in zip(keys, texts) if key not in found}
    missing_keys, missing_texts = list(missing), list(missing.values())
    log.info("%s->%s: %d segments, %d from the cache, %d to translate", src_lang, tgt_lang, len(texts),
             sum(from_cache), len(missing_texts))
    for indices, outputs in backend.translate(missing_texts, src_lang, tgt_lang):
        batch = {missing_keys[i]: output for i, output in zip(indices, outputs)}
        cache.put_many(batch)
        found.update(batch)
    return [found[key] for key in keys], from_cache
