"""The run folder's lifecycle in one place: claim, write, finish, fail, discard.

A run claims its folder atomically: the RUNNING marker is created with O_EXCL and names the run's pid and
host, so two runs can never share a folder; a marker left by a dead process on this host is taken over,
with a note. Only a new or empty folder, or the folder of an unfinished run, can be claimed: a folder
with anything else in it (a finished run, a user's files) is refused before a byte is written.

The run records every file and folder it creates. On a user error it deletes exactly those, and the run
folder itself only when this launch created it (Hydra's launcher makes the folder before the run starts,
so the launch records, in HARNESS_NEW_FOLDER_ROOT, the topmost folder that did not exist before it).
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
from datetime import datetime
from pathlib import Path

from harness.errors import UserError

RESULT_FILE = "result.json"
RUNNING_MARKER = "RUNNING"   # the claim: pid, host and start time of the run working in this folder
FAILED_MARKER = "FAILED"     # written when a run stops on an unexpected error, with the error
LOG_FILE = "run.log"
TRACKING_ARTIFACTS = "mlartifacts"   # MLflow's artifact store beside results/mlflow.db (harness.tracking) ...
TRACKING_STORES = {TRACKING_ARTIFACTS, "mlruns"}   # ... and MLflow's default: copies of result.json, no run folders
NEW_FOLDER_ROOT = "HARNESS_NEW_FOLDER_ROOT"   # set by the launch: the topmost folder it created
UNFINISHED_RUN_FILES = {RUNNING_MARKER, FAILED_MARKER, LOG_FILE, ".hydra", "hypotheses", "scored", "alignment",
                        "summaries"}
STAGING = re.compile(r"\.(.+)\.(?:tmp|stale)-\d+")   # .result.json.tmp-<pid>, .RUNNING.stale-<pid>
log = logging.getLogger(__name__)


def topmost_missing(path: Path) -> Path | None:
    """The highest ancestor of path (or path itself) that does not exist yet; None when path exists."""
    path = path.absolute()
    if path.exists():
        return None
    while not path.parent.exists():
        path = path.parent
    return path


def check_creatable(path: Path, knob: str) -> None:
    """Refuse a folder that cannot be made (a file in the way, a read-only parent) before anything is written."""
    path = path.absolute()
    existing = next(p for p in [path, *path.parents] if p.exists())
    if not existing.is_dir():
        raise UserError(f"{knob}={path}: {existing} is a file, not a folder; choose another output folder")
    if not os.access(existing, os.W_OK | os.X_OK) or is_read_only(existing):
        raise UserError(f"{knob}={path}: {existing} is not writable (read-only file system or no permission); "
                        "choose a writable output folder")


def is_read_only(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


def make_launch_folder(path: Path, knob: str) -> None:
    """Called by the launch before the launcher would make path: check it, make it, and remember which
    folder this launch created (the launcher's own mkdir then finds it made)."""
    check_creatable(path, knob)
    missing = topmost_missing(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise storage_error(path, err) from None
    os.environ[NEW_FOLDER_ROOT] = str(missing) if missing else ""


def launch_created(path: Path) -> Path | None:
    """The topmost folder this launch created above (or at) path, if the launch recorded one."""
    root = os.environ.get(NEW_FOLDER_ROOT)
    if root and path.absolute().is_relative_to(root):
        return Path(root)
    return None


FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def storage_error(path: Path, err: OSError) -> UserError:
    """A write that the disk refused, as one line that says what to do."""
    if err.errno in FULL:
        return UserError(f"cannot write {path}: no space left on the device; free some space or choose another "
                         "output folder (hydra.run.dir=...)")
    return UserError(f"cannot write {path}: {err.strerror or err}; choose another output folder (hydra.run.dir=...)")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # alive, owned by someone else
        return True
    return True


def read_claim(marker: Path) -> dict:
    """The RUNNING marker's fields ("pid 12", "host h", "started ..."), {} when unreadable."""
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    return dict(line.split(" ", 1) for line in lines if " " in line)


def claim_text() -> str:
    return (f"pid {os.getpid()}\nhost {socket.gethostname()}\n"
            f"started {datetime.now().isoformat(timespec='seconds')}\n")


class RunFolder:
    """A claimed run folder that remembers what this run wrote into it."""

    def __init__(self, path: Path, created_root: Path | None):
        self.path = path
        self.created_root = created_root     # the topmost folder this run (or its launch) created
        self.written: list[Path] = []        # files this run created, in order
        self.made: list[Path] = []           # folders this run created inside path
        self.notes: list[str] = []
        self.log_handler: logging.Handler | None = None

    @classmethod
    def claim(cls, path: str | Path) -> RunFolder:
        path = Path(path).absolute()
        created_root = launch_created(path) or topmost_missing(path)
        refuse_finished_or_foreign(path)
        check_creatable(path, "hydra.run.dir")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise storage_error(path, err) from None
        folder = cls(path, created_root)
        folder.take_marker()
        return folder

    def take_marker(self) -> None:
        marker = self.path / RUNNING_MARKER
        for _ in range(2):
            try:
                descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self.take_over_stale(marker)
                continue
            except OSError as err:
                raise storage_error(marker, err) from None
            self.written.append(marker)
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(claim_text())
            except OSError as err:   # a full disk: take back the claim and the folders made for it
                self.discard()
                raise storage_error(marker, err) from None
            if (self.path / RESULT_FILE).exists():   # another run finished between our check and the claim
                self.discard()
                refuse_finished_or_foreign(self.path)
            return
        raise UserError(f"{self.path} is being claimed by another run at this moment; choose another output folder")

    def take_over_stale(self, marker: Path) -> None:
        claim = read_claim(marker)
        pid, host = int(claim.get("pid", "0") or 0), claim.get("host", "")
        if host and host != socket.gethostname():
            raise UserError(f"{self.path} is in use by run pid {pid} on host {host} (started {claim.get('started')}); "
                            "wait for it or choose another output folder; delete its RUNNING file if that run is dead")
        if pid and process_alive(pid):
            raise UserError(f"{self.path} is in use by run pid {pid} (started {claim.get('started', '?')}); "
                            "wait for it to finish or choose another output folder (hydra.run.dir=...)")
        stale = marker.with_name(f".{RUNNING_MARKER}.stale-{os.getpid()}")
        try:
            os.replace(marker, stale)   # atomic: of two runs taking over, only one moves the marker
        except FileNotFoundError:
            return
        stale.unlink()
        note = f"took over the folder from a run that died (pid {pid or '?'}, started {claim.get('started', '?')})"
        self.notes.append(note)
        log.warning("%s: %s", self.path, note)

    def confined(self, relative: str | Path) -> Path:
        """A path inside the run folder; anything that would land outside it is refused."""
        target = (self.path / relative).resolve()
        if not target.is_relative_to(self.path.resolve()) or target == self.path.resolve():
            raise UserError(f"refusing to write {relative!r} outside the run folder {self.path}")
        return target

    def make_parents(self, target: Path) -> None:
        missing = [p for p in reversed(target.parents) if p.is_relative_to(self.path) and not p.exists()]
        for folder in missing:
            folder.mkdir()
            self.made.append(folder)

    def write_text(self, relative: str | Path, text: str) -> Path:
        """Write a new file of this run, through a temporary name so that it is complete or absent."""
        target = self.confined(relative)
        staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        try:
            self.make_parents(target)
            staging.write_text(text, encoding="utf-8")
            os.replace(staging, target)
        except OSError as err:
            staging.unlink(missing_ok=True)
            raise storage_error(target, err) from None
        self.written.append(target)
        return target

    def write_json(self, relative: str, record: dict) -> Path:
        try:
            text = json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError as err:   # NaN or infinity: not JSON; a bug upstream must not produce a broken file
            raise RuntimeError(f"{relative}: a value is not a finite number ({err})") from None
        return self.write_text(relative, text)

    def start_log(self) -> None:
        """The run's log file (Hydra's own file log is off so that nothing is written before the claim)."""
        target = self.confined(LOG_FILE)
        self.log_handler = logging.FileHandler(target, encoding="utf-8")
        self.log_handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
        logging.getLogger().addHandler(self.log_handler)
        self.written.append(target)

    def stop_log(self) -> None:
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()
            self.log_handler = None

    def finish(self, result: dict) -> Path:
        """result.json last: a folder without it is not a finished run."""
        path = self.write_json(RESULT_FILE, result)
        self.stop_log()
        (self.path / RUNNING_MARKER).unlink(missing_ok=True)
        return path

    def fail(self, error: BaseException) -> None:
        """An unexpected error: keep what was written for the post-mortem, mark the folder FAILED."""
        self.stop_log()
        try:
            (self.path / FAILED_MARKER).write_text(f"{type(error).__name__}: {error}\n", encoding="utf-8")
        except OSError:
            pass   # a full disk: the RUNNING marker stays, which also says the run did not finish
        else:
            (self.path / RUNNING_MARKER).unlink(missing_ok=True)

    def discard(self) -> None:
        """A user error: delete exactly what this run created, and nothing else."""
        self.stop_log()
        for path in reversed(self.written):
            path.unlink(missing_ok=True)
        for folder in reversed(self.made):
            remove_if_empty(folder)
        remove_created_folders(self.path, self.created_root)


def remove_created_folders(path: Path, created_root: Path | None) -> None:
    """Remove path and the parents up to created_root while they are empty: the folders a launch made."""
    if created_root is None:
        return
    for folder in [path, *path.parents]:
        if not folder.is_relative_to(created_root) or not remove_if_empty(folder):
            break


def remove_if_empty(folder: Path) -> bool:
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def is_run_file(name: str) -> bool:
    """What a harness run leaves in its folder: its files, and a killed run's staging files and stale markers."""
    staged = STAGING.fullmatch(name)
    return name in UNFINISHED_RUN_FILES or bool(staged and staged[1] in UNFINISHED_RUN_FILES | {RESULT_FILE})


def refuse_finished_or_foreign(path: Path) -> None:
    """Only a new or empty folder, or an unfinished run's folder, may hold a run."""
    if not path.is_dir():
        return
    if (path / RESULT_FILE).exists():
        raise UserError(f"{path} already holds a finished run; choose another output folder "
                        "(hydra.run.dir=...) so that no earlier result is overwritten")
    foreign = sorted(p.name for p in path.iterdir() if not is_run_file(p.name))
    if foreign:
        raise UserError(f"{path} is not empty (it holds {', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}) "
                        "and is not a run folder; give a new or empty folder (hydra.run.dir=...)")
