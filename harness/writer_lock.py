"""A file lock that says whether the process that wrote something is still at work: its writer holds an flock on a
lock file for as long as it writes, and the kernel releases it when the process ends, however it ends (SIGKILL, the
OOM killer, a power cut). A later process that can take the lock knows the writer is gone, where a pid could not
tell: two containers sharing a volume run under the same pids. The lock file is locked under another name and then
renamed into place, so it never lies there unlocked while its writer lives. Where the file system has no flock
(some network mounts), nothing is locked and nothing is ever taken for abandoned."""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def hold(lock_file: Path) -> int | None:
    """Lock lock_file (made here) until release(descriptor) or the process' end; None where flock does not work."""
    pending = lock_file.with_name(f"{lock_file.name}.pending-{os.getpid()}")
    descriptor = os.open(pending, os.O_CREAT | os.O_WRONLY, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        os.close(descriptor)
        pending.unlink(missing_ok=True)
        log.debug("%s: no flock here (%s); if this writer is killed, what it wrote is not taken for abandoned",
                  lock_file, err)
        return None
    os.rename(pending, lock_file)
    return descriptor


def take_if_abandoned(lock_file: Path) -> int | None:
    """The lock of a writer that has ended (its descriptor, held until release), or None: no lock file, its writer
    still at work (in this process or another), or no flock here."""
    try:
        descriptor = os.open(lock_file, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


def release(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)
