"""A content-addressed translation cache around any backend (after lm-evaluation-harness's CachingLM); the
stage that asks a backend only for what the cache lacks is harness.translate.translate.translate_with_cache.

Key: a hash of the backend's fingerprint (backend, model id, revision or file hash, generation
settings), the language pair and the source segment. SQLite in WAL mode makes every batch one
transaction, so a crash loses at most the batch in flight and parallel sweep workers can share a file.
The same file keeps sentence alignments (harness.score.align), the segment scores of metrics that run a model
(COMET), TER's segment statistics (harness.score.metrics.remembered), the language identifier's verdicts on the
input files and the degradations of each translation (cut short, split), so that a fully cached re-run neither
loads a model nor recomputes an alignment, a score or a language check, and still shows what was degraded.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.errors import LINK_LOOP, LOOPS, UserError, dangling_link, in_a_loop, looping_link

log = logging.getLogger(__name__)
TABLES = ("translations", "alignments", "metric_scores", "language_checks", "output_flags")   # key -> a translation,
#  or JSON: an alignment, a model metric's segment result (harness/score/metrics/comet.py) or a remembered metric's
#  segment statistics (remembered.py), a language identification (languages.py), the degradations of a translation
#  (under its key: cut at max_new_tokens, split; harness.translate.translate)

ROW_COLUMNS = {"key", "output"}   # what every table of the cache has had, in every version (checksum came later)
APPLICATION_ID = 0x4D54484E   # "MTHN": SQLite's application_id of the cache file (pragma application_id)


def content_key(*parts) -> str:
    """The one key function of the cache: a hash of everything that decides an output (a translation:
    the backend's fingerprint, the languages and the segment; an alignment: its settings and both texts)."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def remembered(cache: TranslationCache | None, table: str, key: str, compute: Callable[[], object]) -> object:
    """The JSON value stored under `key` in `table`, or compute()'s, then stored; with no cache, compute()'s.
    Every cached result other than a translation goes through here (alignments, partitions, cosines, language
    checks), so a re-run gets back exactly what the first run computed, as JSON."""
    found = cache.get_many([key], table=table) if cache else {}
    if key in found:
        return json.loads(found[key])
    value = compute()
    if cache:
        cache.put_many({key: json.dumps(value)}, table=table)
    return value


def entry_checksum(key: str, output: str) -> str:
    """Binds an output to its key: a damaged, truncated or swapped row no longer matches and is recomputed."""
    return hashlib.sha256(f"{key}\x00{output}".encode("utf-8", "surrogatepass")).hexdigest()


def cache_error(path: Path | None, err: sqlite3.Error) -> UserError:
    where = path or "the in-memory cache"
    if "full" in str(err).lower():
        return UserError(f"cache {where}: the disk is full; free some space, or move the cache (HARNESS_CACHE_DIR=...)"
                         " or switch it off (cache.enabled=false)")
    if path is not None and (not os.access(path if path.exists() else path.parent, os.W_OK) or "readonly" in str(err)):
        return UserError(f"cache {where} cannot be written: it is on a read-only file system or not yours to write; "
                         "point HARNESS_CACHE_DIR (or cache.dir=...) at a writable folder, or switch the cache off "
                         "(cache.enabled=false)")
    if "disk i/o error" in str(err).lower():   # a write the disk refused: a quota, a file size limit, a failing disk
        return UserError(f"cache {where} cannot be written: the disk reported an I/O error (full, over a quota or a "
                         "file size limit, or failing); free some space, or move the cache (HARNESS_CACHE_DIR=...) or "
                         "switch it off (cache.enabled=false)")
    if "locked" in str(err):
        return UserError(f"cache {where} stayed locked by another process for over a minute; let that run finish, "
                         "or give this run its own cache (HARNESS_CACHE_DIR=... or cache.dir=...)")
    return UserError(f"cache {where} is unreadable or corrupt ({err}); move it away (mv {where} {where}.corrupt) "
                     "so that a new one is made, or set HARNESS_CACHE_DIR or cache.enabled=false")


def switch_to_wal(connection: sqlite3.Connection, patience_s: float = 60.0) -> None:
    """Puts the file in WAL mode. SQLite answers 'database is locked' at once, without waiting on the busy
    timeout, when another process switches the same new file at the same moment (sweep workers starting
    together), so the switch is retried until `patience_s` has passed."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def check_cache_location(path: Path) -> None:
    """The cache's folder and file must be a folder and a file, reachable: say which is not (not 'corrupt' or 'File
    exists')."""
    link = dangling_link(path.parent.absolute())
    if link is not None:
        raise UserError(f"cache folder {path.parent}: {link} is a symbolic link to {os.readlink(link)}, which does not "
                        "exist (a disk that is not mounted?); mount or create it, or point HARNESS_CACHE_DIR (or "
                        "cache.dir=...) at another folder, or switch the cache off (cache.enabled=false)")
    loop = looping_link(path.parent.absolute())
    if loop is not None:
        raise UserError(f"cache folder {path.parent}: {loop} {LINK_LOOP}, or point HARNESS_CACHE_DIR (or cache.dir=...) "
                        "at another folder, or switch the cache off (cache.enabled=false)")
    blocking = next((p for p in [path.parent, *path.parent.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise UserError(f"cache folder {path.parent}: {blocking} is a file, not a folder; point HARNESS_CACHE_DIR "
                        "(or cache.dir=...) at a folder, or switch the cache off (cache.enabled=false)")
    if path.is_dir():
        raise UserError(f"cache {path} is a folder, not the cache's file; point HARNESS_CACHE_DIR (or cache.dir=...) "
                        "at another folder, or switch the cache off (cache.enabled=false)")
    if path.is_symlink() and not path.exists() or path.exists() and not path.is_file():
        raise UserError(f"cache {path} {not_a_database_file(path)}; move it away, or point HARNESS_CACHE_DIR (or "
                        "cache.dir=...) at another folder, or switch the cache off (cache.enabled=false)")


def not_a_database_file(path: Path) -> str:
    """Why the cache's file cannot be opened as one: SQLite followed a link to nothing and made the file it names,
    outside the cache folder, and one to /dev/null (a way to switch a cache off) wrote its journal beside the device
    (/dev/null-journal) and was then said to be a disk full or failing, as a pipe was."""
    if in_a_loop(path):
        return LOOPS
    if not path.exists():
        return f"is a symbolic link to {os.readlink(path)}, which does not exist"
    return "is not a regular file (a pipe, a device or a socket)"


def refuse_foreign_database(connection: sqlite3.Connection, path: Path | None) -> None:
    """A SQLite file stamped by another program, or unstamped with tables the cache never makes (an older
    cache has only these), is another program's database, and one whose table of a cache's name lacks the columns
    every version wrote is another program's or version's: it is not written to, not even switched to WAL."""
    stamp = connection.execute("PRAGMA application_id").fetchone()[0]
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    foreign = sorted(set(tables) - set(TABLES))
    misshapen = [table for table in tables if table in TABLES and not ROW_COLUMNS <= columns(connection, table)]
    if not misshapen and (stamp == APPLICATION_ID or (stamp == 0 and not foreign)):
        return
    connection.close()
    what = (f"its {misshapen[0]} table has no {' and '.join(sorted(ROW_COLUMNS))} columns" if misshapen
            else f"tables: {', '.join(foreign[:5])}" if foreign else f"application id {stamp}")
    kind = "another program's SQLite database" + (" or another version's cache" if misshapen else "")
    raise UserError(f"cache {path} is {kind} ({what}), not the harness's cache; it was "
                    "left as it was: point HARNESS_CACHE_DIR (or cache.dir=...) at another folder, or switch the "
                    "cache off (cache.enabled=false)")


def columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


class TranslationCache:
    """SQLite-backed key -> output store; path None keeps entries in memory for this process only.

    Every row carries a checksum of its key and output; a row that fails it is logged, counted in
    `rejected`, named in `damaged` (table, key) and treated as missing, so the output is recomputed and the row
    replaced."""

    def __init__(self, path: Path | None):
        self.path = path
        self.reused = path is not None and path.is_file()   # an earlier process made it: a cache kept between runs
        self.rejected = 0
        self.damaged: set[tuple[str, str]] = set()   # (table, key) of each row that failed its checksum
        try:
            if path is not None:
                check_cache_location(path)
                path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(str(path) if path else ":memory:", timeout=60)
            refuse_foreign_database(self.connection, path)
            if path is not None:
                switch_to_wal(self.connection)
            for table in TABLES:
                self.create(table)
            self.connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")   # this file is the cache
        except sqlite3.Error as err:
            raise cache_error(path, err) from None
        except OSError as err:
            raise UserError(f"cache folder {path.parent}: {err.strerror}; set HARNESS_CACHE_DIR to a writable "
                            "folder or cache.enabled=false") from None

    def create(self, table: str) -> None:
        self.connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, output TEXT NOT NULL, "
                                "checksum TEXT)")
        if "checksum" not in columns(self.connection, table):   # written before checksums: rows recomputed once
            self.connection.execute(f"ALTER TABLE {table} ADD COLUMN checksum TEXT")

    def get_many(self, keys: Iterable[str], table: str = "translations") -> dict[str, str]:
        assert table in TABLES, table
        keys = list(keys)
        found: dict[str, str] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.connection.execute(f"SELECT key, output, checksum FROM {table} WHERE key IN ({marks})",
                                               chunk)
                found.update(self.verified(rows, table))
        except sqlite3.Error as err:
            raise cache_error(self.path, err) from None
        return found

    def verified(self, rows, table: str) -> dict[str, str]:
        good = {}
        for key, output, checksum in rows:
            if isinstance(output, str) and checksum == entry_checksum(key, output):
                good[key] = output
            else:
                self.rejected += 1
                self.damaged.add((table, key))
                log.warning("cache %s: %s entry %s... fails its checksum; recomputing it", self.path, table, key[:12])
        return good

    def put_many(self, entries: dict[str, str], table: str = "translations") -> None:
        assert table in TABLES, table
        rows = [(key, output, entry_checksum(key, output)) for key, output in entries.items()]
        try:
            with self.connection:
                # the columns named: a newer harness's table with more columns is written, not called corrupt
                self.connection.executemany(f"INSERT OR REPLACE INTO {table} (key, output, checksum) VALUES (?, ?, ?)",
                                            rows)
        except sqlite3.Error as err:
            raise cache_error(self.path, err) from None
        self.damaged -= {(table, key) for key in entries}   # replaced

    def close(self) -> None:
        self.connection.close()
