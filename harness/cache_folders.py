"""Folders the harness writes into its cache whole (a converted model, the unpacked language identifier): written
under a temporary name beside their place, then published by one rename, so that an interrupted or failed write
never leaves a half-written folder where a later run would read it.

A writer killed outright (SIGKILL, the OOM killer, a power cut) cannot remove its temporary folder: 1.1 GB for the
dequantized Gemma. Its writer holds a lock in it for as long as it writes (harness.writer_lock), so the next writer
into the same cache folder finds the folders whose lock it can take and removes them (remove_abandoned). A folder
whose lock file is missing (made before this rule, or in the instant between its making and its lock) is never
removed, nor is any folder where flock does not work."""
from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import writer_lock
from harness.errors import UserError, first_line, is_disk_full

NAME_FILE = ".harness_published_as"   # in a published folder: the name it was published under (check_published_name)
WRITER_LOCK = ".harness_writing"      # in a staged folder's holder: flocked by its writer while it writes

log = logging.getLogger(__name__)


def current_umask() -> int:
    """The process' umask (os.umask can only be read by setting it: set back at once)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


@contextmanager
def staged_folder(target: Path, what: str | None = None) -> Iterator[Path]:
    """A temporary folder beside `target` for a model being written (published by publish_folder), removed when
    the writing fails or is interrupted: a Ctrl-C during a one-time conversion leaves no half-written copy
    (1 GB for the dequantized Gemma) in the cache. A full disk is one error line about `what` is written.
    The folder yielded does not exist yet; it lies in a holder of a name no other writer gets (mkdtemp), not one
    named by the pid: two containers sharing a cache volume run the harness under the same pid, and the second
    conversion deleted the first's folder and wrote into it too. Holders that writers killed outright left in the
    same cache folder are removed first (remove_abandoned)."""
    holder = lock = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned(target.parent)
        holder = Path(tempfile.mkdtemp(prefix=f"{target.name}{HOLDER_MARK}", dir=target.parent))
        lock = writer_lock.hold(holder / WRITER_LOCK)
        yield holder / target.name
    except BaseException as err:
        if is_disk_full(err):
            raise no_room(what or target.name, target.parent, err) from None
        if getattr(err, "errno", None) in NOT_WRITABLE:
            raise not_writable(what or target.name, target.parent, err) from None
        raise
    finally:
        if holder is not None:
            shutil.rmtree(holder, ignore_errors=True)
        writer_lock.release(lock)


HOLDER_MARK = ".tmp-"   # a staged folder's holder: <target name>.tmp-<random>


def remove_abandoned(folder: Path) -> None:
    """Remove the staged folders' holders in `folder` whose writer has ended without removing them (killed
    outright): those whose WRITER_LOCK this process can take (harness.writer_lock). Each is logged with its size."""
    for holder in folder.glob(f"*{HOLDER_MARK}*"):
        descriptor = writer_lock.take_if_abandoned(holder / WRITER_LOCK)
        if descriptor is None:
            continue
        try:
            size = folder_size(holder)
            shutil.rmtree(holder, ignore_errors=True)
            log.info("removed %s: a folder left by a conversion that was killed before it finished (%s)", holder,
                     megabytes(size))
        finally:
            writer_lock.release(descriptor)


def folder_size(folder: Path) -> int:
    """The bytes of the files under a folder (a conversion's, published or abandoned), links not followed."""
    return sum(os.lstat(os.path.join(root, name)).st_size for root, _, names in os.walk(folder) for name in names)


def megabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


def not_writable(name: str, folder: Path, err: Exception) -> UserError:
    """A cache folder on a read-only mount: cache.enabled=false, which the translation cache's own error suggests,
    still needs it for a converted model (a traceback, the run FAILED)."""
    return UserError(f"cannot write {name} into the cache folder {folder} ({first_line(err)}); converted models are "
                     "kept there even with cache.enabled=false: point HARNESS_CACHE_DIR (or cache.dir=...) at a "
                     "writable folder")


def no_room(name: str, folder: Path, err: Exception) -> UserError:
    return UserError(f"no room for {name} in the cache folder {folder} ({first_line(err)}); free some space there, "
                     "or point HARNESS_CACHE_DIR at a disk with room")


def publish_folder(staging: Path, target: Path, finished_file: str) -> None:
    """Move a folder written under a temporary name into place, its files and folders given the modes of normal
    creation under the process' umask: transformers writes model.safetensors 0600, which the other users of a
    shared cache (HARNESS_CACHE_DIR, docs/running.md) could not read. The rename never replaces a folder with
    something in it: where another process published the same folder (target/finished_file exists: two runs
    converted the same model at once), that one is kept, as it may be loading it, and this copy dropped, even when
    it lands between this one's look and its rename; an unfinished target is set aside and removed first."""
    (staging / NAME_FILE).write_text(target.name, encoding="utf-8")
    mask = current_umask()
    for path in [staging, *staging.rglob("*")]:
        if not path.is_symlink():
            path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)
    while True:
        try:
            os.rename(staging, target)   # fails on a folder that holds anything (ENOTEMPTY or EEXIST)
            return
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        if (target / finished_file).is_file():
            shutil.rmtree(staging, ignore_errors=True)
            return
        set_aside(target)


def check_published_name(folder: Path, what: str) -> None:
    """A published folder keeps the name it was published under (NAME_FILE): one that names another folder holds
    another's content put in its place (folders renamed or copied by hand, a sync tool), which would be loaded as
    this one and its outputs cached as this one's; refused in one line. A folder published before the name was
    kept has none, and is taken as it is."""
    try:
        published_as = (folder / NAME_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError):
        published_as = "an unreadable name"
    if published_as != folder.name:
        raise UserError(f"{folder} holds {what} of another model (published as {published_as}, not {folder.name}); "
                        f"move it away (mv {folder} {folder}.damaged) and run again: it is made anew")


def set_aside(folder: Path) -> None:
    """Remove an unfinished folder by first renaming it to a name of its own: another writer's rename into its place
    meanwhile is then never what is removed."""
    aside = Path(tempfile.mkdtemp(prefix=f"{folder.name}.unfinished-", dir=folder.parent))
    try:
        os.rename(folder, aside / folder.name)
    except FileNotFoundError:   # another writer set it aside first
        pass
    shutil.rmtree(aside, ignore_errors=True)
