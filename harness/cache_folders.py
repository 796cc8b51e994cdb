"""Folders the harness writes into its cache whole (a converted model, the unpacked language identifier): written
under a temporary name beside their place, then published by one rename, so that an interrupted or failed write
never leaves a half-written folder where a later run would read it."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.errors import UserError, first_line, is_disk_full


def current_umask() -> int:
    """The process' umask (os.umask can only be read by setting it: set back at once)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


@contextmanager
def staged_folder(target: Path, what: str | None = None) -> Iterator[Path]:
    """A temporary folder beside `target` for a model being written (published by publish_folder), removed when
    the writing fails or is interrupted: a Ctrl-C during a one-time conversion leaves no half-written copy
    (1 GB for the dequantized Gemma) in the cache. A full disk is one error line about `what` is written."""
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        yield staging
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if is_disk_full(err):
            raise no_room(what or target.name, target.parent, err) from None
        raise


def no_room(name: str, folder: Path, err: Exception) -> UserError:
    return UserError(f"no room for {name} in the cache folder {folder} ({first_line(err)}); free some space there, "
                     "or point HARNESS_CACHE_DIR at a disk with room")


def publish_folder(staging: Path, target: Path, finished_file: str) -> None:
    """Move a folder written under a temporary name into place, its files and folders given the modes of normal
    creation under the process' umask: transformers writes model.safetensors 0600, which the other users of a
    shared cache (HARNESS_CACHE_DIR, docs/running.md) could not read. Where another process published the same
    folder meanwhile (target/finished_file exists: two runs converted the same model at once), that one is kept,
    as it may be loading it, and this copy dropped; an unfinished target is replaced."""
    if (target / finished_file).is_file():
        shutil.rmtree(staging, ignore_errors=True)
        return
    mask = current_umask()
    for path in [staging, *staging.rglob("*")]:
        if not path.is_symlink():
            path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
