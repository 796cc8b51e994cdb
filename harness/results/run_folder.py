"""The run folder's lifecycle in one place: claim, write, finish, fail, discard; and the sweep folder's claim.

A folder is a run folder of ours by its marker alone: RUNNING (a run works there, or was killed there), FAILED (a
run stopped there on an error, which the marker names) or result.json (a finished run). Both markers hold the claim
of the run that wrote them: its pid, its process's start time, its host and its start. A file or folder of the
user's that bears a marker's name but no claim is no marker, and the names a run also writes (.hydra/, run.log,
hypotheses/, ...) mean nothing on their own: a folder holding them without a marker is the user's, and is refused.

The claim resolves the path once (~ expanded, symbolic links followed, a link to nothing refused); every later
comparison uses the resolved path. Only a new or empty folder, or an unfinished run's folder (FAILED, or RUNNING of
a process that is gone), can be claimed; a finished run, a folder of the user's, or a folder inside another run's
folder is refused before a byte is written. The marker is written whole under a temporary name and hard-linked into
place, which fails when a marker is there: no reader ever sees a half-written claim, and of runs claiming at once
only one links. Claimers of one folder on one host also take turns (an flock on the folder), so that two runs
taking over one dead run's claim cannot both win. A claim is stale when its process is gone, or when its pid now
belongs to a process that started at another time (the pid was reused).

The run records every file and folder it creates. A user error in a folder the run found new or empty deletes
exactly those, and the folder itself when this launch created it (Hydra's launcher makes the folder before the run
starts, so the launch records, in HARNESS_NEW_FOLDER_ROOT, the topmost folder that did not exist before it). In a
folder it resumed, or as a sweep's job, the run marks the folder FAILED with the error instead and keeps what is
there. A crash or Ctrl-C marks the folder FAILED too, keeping what was written for the post-mortem.

A sweep folder (hydra.sweep.dir) is claimed the same way, by its SWEEP marker: a new or empty folder, or an earlier
sweep's folder, which a re-run resumes; never a folder of the user's.
"""
from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil
import yaml

from harness.errors import (LINK_LOOP, Terminated, UserError, dangling_link, is_disk_full, looping_link,
                            require_utf8)

RESULT_FILE = "result.json"
RUNNING_MARKER = "RUNNING"   # the claim of the run working in this folder (or killed in it)
FAILED_MARKER = "FAILED"     # the error a run stopped on, then its claim
SWEEP_MARKER = "SWEEP"       # in a sweep folder: the claim of the launch that made it
SWEEP_RECORD = "multirun.yaml"   # in a sweep folder: Hydra's record of the sweep's config and overrides
LOG_FILE = "run.log"
TRACKING_ARTIFACTS = "mlartifacts"   # MLflow's artifact store beside results/mlflow.db (harness.track.tracking) ...
TRACKING_STORES = {TRACKING_ARTIFACTS, "mlruns"}   # ... and MLflow's default: copies of result.json, no run folders
NEW_FOLDER_ROOT = "HARNESS_NEW_FOLDER_ROOT"   # set by the launch: the topmost folder it created
CLAIM_DEBRIS = re.compile(rf"\.(?:{RUNNING_MARKER}|{SWEEP_MARKER})\.tmp-\d+")   # a claimer killed mid-claim
MARKER_READ_LIMIT = 8192       # a marker is a few lines; a large file bearing its name is no marker
PROCESS_START_TOLERANCE = 1.0  # seconds: the same process reads the same start time; a reused pid started later
NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS}   # FAT, exFAT and some network mounts
INTERRUPTED = "interrupted (Ctrl-C)"
TERMINATED = "terminated (SIGTERM)"
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- paths

def resolved(path: str | Path, knob: str) -> Path:
    """An output folder as every check compares it: ~ expanded, absolute, symbolic links followed. A link to
    nothing (a disk that is not mounted) is refused rather than followed into a folder made in its place."""
    if str(path) != str(path).strip():   # a copied path's line end, a quoted space: a second folder beside the one meant
        raise UserError(f"{knob}={str(path)!r}: the folder name begins or ends with white space or a line break; "
                        "remove it")
    absolute = Path(path).expanduser().absolute()
    require_utf8(str(absolute), knob)
    return followed(absolute, knob)


def followed(absolute: Path, knob: str) -> Path:
    """An absolute path with its symbolic links followed; a link to nothing, or a loop of links, refused."""
    link = dangling_link(absolute)
    if link is not None:
        raise UserError(f"{knob}={absolute}: {link} is a symbolic link to {os.readlink(link)}, which does not "
                        "exist (a disk that is not mounted?); mount or create it, or choose another output folder")
    loop = looping_link(absolute)
    if loop is not None:
        raise UserError(f"{knob}={absolute}: {loop} {LINK_LOOP}, or choose another output folder")
    try:
        return absolute.resolve()
    except (OSError, RuntimeError) as err:   # a loop of links
        raise UserError(f"{knob}={absolute}: cannot follow its symbolic links ({err}); choose another output "
                        "folder") from None


def refuse_store_inside(store: Path, setting: str, folder: Path, kind: str = "output folder",
                        holds: str = "one run's files") -> None:
    """A store that every run uses (the translation cache, an MLflow database) may not lie inside a run's output
    folder: a run refused there takes back its own files, not the store, so the folder is left holding it, no run
    folder, and the same command is then refused for it. Nor in the data folder (kind, holds), which runs only read."""
    try:
        inside = Path(store).expanduser().absolute().resolve().is_relative_to(folder)
    except (OSError, RuntimeError):   # a loop of links: the store's own check names it
        return
    if inside:
        raise UserError(f"{setting} lies inside the {kind} {folder}, which holds {holds} and not a store every run "
                        "uses; point it outside that folder")


def topmost_missing(path: Path) -> Path | None:
    """The highest ancestor of path (or path itself) that does not exist yet; None when path exists."""
    if path.exists():
        return None
    while not path.parent.exists():
        path = path.parent
    return path


def check_creatable(path: Path, knob: str) -> None:
    """Refuse a folder that cannot be made (a file in the way, a read-only parent) before anything is written."""
    existing = next(p for p in [path, *path.parents] if p.exists())
    if not existing.is_dir():
        raise UserError(f"{knob}={path}: {existing} is a file, not a folder; choose another output folder")
    if not os.access(existing, os.W_OK | os.X_OK) or is_read_only(existing):
        raise UserError(f"{knob}={path}: {existing} is not writable (read-only file system or no permission); "
                        "choose a writable output folder")


def is_read_only(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


def make_launch_folder(path: str | Path, knob: str) -> Path:
    """Called by the launch before the launcher would make path: check it, make it, and remember which
    folder this launch created (the launcher's own mkdir then finds it made). The resolved path."""
    path = resolved(path, knob)
    check_creatable(path, knob)
    refuse_inside_a_run(path)
    missing = topmost_missing(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        remove_created_folders(path, missing)   # the parents made before the leaf failed (a name too long)
        raise storage_error(path, err) from None
    os.environ[NEW_FOLDER_ROOT] = str(missing) if missing else ""
    return path


def launch_created(path: Path) -> Path | None:
    """The topmost folder this launch created above (or at) path (resolved), if the launch recorded one."""
    root = os.environ.get(NEW_FOLDER_ROOT)
    if root and path.is_relative_to(root):
        return Path(root)
    return None


def storage_error(path: Path, err: OSError, knob: str = "hydra.run.dir") -> UserError:
    """A write that the disk refused, as one line that says what to do (knob: where the output folder is chosen)."""
    if is_disk_full(err):
        return UserError(f"cannot write {path}: no space left on the device; free some space or choose another "
                         f"output folder ({knob}=...)")
    if err.errno == errno.ENAMETOOLONG:
        longest = max(path.parts, key=len)
        return UserError(f"cannot write {path}: a name of {len(longest)} characters, longer than the file system "
                         f"allows; shorten it (a run folder's name ends with model.name) or choose another output "
                         f"folder ({knob}=...)")
    return UserError(f"cannot write {path}: {err.strerror or err}; choose another output folder ({knob}=...)")


# ---------------------------------------------------------------- claims

@dataclass(frozen=True)
class Claim:
    """Who claimed a folder, as its marker says."""
    pid: int
    host: str
    started: str                          # when the run started
    process_started: float | None = None  # when its process started (None in markers of older versions)

    @classmethod
    def of_this_process(cls) -> Claim:
        return cls(os.getpid(), socket.gethostname(), datetime.now().isoformat(timespec="seconds"),
                   psutil.Process().create_time())

    def text(self) -> str:
        return (f"pid {self.pid}\nprocess_started {self.process_started}\nhost {self.host}\n"
                f"started {self.started}\n")

    @classmethod
    def read(cls, marker: Path) -> Claim | None:
        """The claim a marker holds; None when the path is no marker of ours (missing, a folder, a link, other text)."""
        if marker.is_symlink() or not marker.is_file():
            return None
        try:
            with marker.open(encoding="utf-8") as handle:
                lines = handle.read(MARKER_READ_LIMIT).splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        fields = dict(line.split(" ", 1) for line in lines if " " in line)
        try:
            started = fields.get("process_started", "None")
            return cls(int(fields["pid"]), fields["host"], fields["started"],
                       None if started == "None" else float(started))
        except (KeyError, ValueError):
            return None

    def holder_alive(self) -> bool:
        """Whether the claiming process still runs (on this host): its pid exists and, where the claim recorded
        it, that process started when the claimer did (a reused pid belongs to a later process)."""
        try:
            process_started = psutil.Process(self.pid).create_time()
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:   # cannot tell: take it for alive
            return True
        return self.process_started is None or abs(process_started - self.process_started) < PROCESS_START_TOLERANCE

    def describe(self) -> str:
        return f"pid {self.pid}, started {self.started}"


def write_durably(path: Path, text: str) -> None:
    """A whole file, on disk before it is published (a power cut must not leave a linked but empty marker)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def publish_marker(marker: Path, text: str) -> None:
    """Put a complete marker in place, never replacing one: FileExistsError when a marker is there.

    Written under a temporary name, then hard-linked to the marker's name. A file system without hard links gets
    an exclusive create and write, whose short window readers see as an empty marker, which they never take over."""
    staging = marker.with_name(f".{marker.name}.tmp-{os.getpid()}")
    try:
        write_durably(staging, text)
        try:
            os.link(staging, marker)
        except FileExistsError:
            raise
        except OSError as err:
            if err.errno not in NO_HARD_LINKS:
                raise
            with open(marker, "x", encoding="utf-8") as handle:
                handle.write(text)
    finally:
        staging.unlink(missing_ok=True)


@contextmanager
def claimers_take_turns(folder: Path) -> Iterator[None]:
    """An exclusive flock on the folder while it is claimed. Where the file system has none (some network mounts),
    the hard link alone decides, which still lets only one of two new claims through."""
    descriptor = None
    try:
        descriptor = os.open(folder, os.O_RDONLY)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError as err:
        log.debug("%s: no flock here (%s); the marker's hard link alone decides", folder, err)
    try:
        yield
    finally:
        if descriptor is not None:
            os.close(descriptor)


def failure_text(error: BaseException) -> str:
    """The FAILED marker's first line: what stopped the run."""
    if isinstance(error, KeyboardInterrupt):
        return TERMINATED if isinstance(error, Terminated) else INTERRUPTED
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0] if message else ''}"[:1000]


# ---------------------------------------------------------------- what a folder holds

def refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_result(path: Path) -> object:
    """A result.json's JSON (NaN and infinity refused: a run never writes them). OSError when it cannot be read;
    ValueError (json.JSONDecodeError, UnicodeDecodeError) or RecursionError when it is no JSON."""
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse_constant)


def damaged_result(folder: Path) -> str | None:
    """Why the result.json of a run folder (beside its run.log or .hydra/ record) is no JSON: cut short by a full
    disk or a machine that stopped, or overwritten; None when it reads, or is no such file. A run writes result.json
    last, whole, under a temporary name: a damaged one is the harness's own, and its run unfinished, which the same
    command runs again in place."""
    result = folder / RESULT_FILE
    if result.is_symlink() or not result.is_file() or not has_run_record(folder):
        return None
    try:
        parse_result(result)
    except ValueError as err:   # json.JSONDecodeError, UnicodeDecodeError, NaN
        return str(err)
    except RecursionError:
        return "nested deeper than a JSON reader follows"
    except OSError:   # cannot tell (no permission): taken for finished, as before
        return None
    return None   # JSON, even of no run's shape ({}): kept, never written over


def holds_result(folder: Path) -> bool:
    """A finished run is here: its result.json, unless that is damaged (damaged_result)."""
    return (folder / RESULT_FILE).exists() and damaged_result(folder) is None


def has_run_record(folder: Path) -> bool:
    """The log every run writes, or the .hydra/ record of a command-line run."""
    return (folder / LOG_FILE).is_file() or (folder / ".hydra").is_dir()


def is_run_folder(folder: Path) -> bool:
    """A run of ours lives here: a claim, or a finished run (result.json beside the log every run writes, or the
    .hydra/ record of a command-line run). Used to refuse, never to claim."""
    return (any(Claim.read(folder / marker) for marker in (RUNNING_MARKER, FAILED_MARKER))
            or ((folder / RESULT_FILE).is_file() and has_run_record(folder)))


def refuse_inside_a_run(path: Path, knob: str = "") -> None:
    """A folder inside another run's folder would mix into that run (and be hidden from harness-compare, which
    stops searching at a run folder)."""
    for parent in path.parents:
        if is_run_folder(parent):
            raise UserError(f"{knob + ' ' if knob else ''}{path} is inside the run folder {parent}; choose an output "
                            "folder outside it")


def contents(folder: Path) -> list[str]:
    """What a folder holds, less what a claimer killed mid-claim left."""
    return sorted(p.name for p in folder.iterdir() if not CLAIM_DEBRIS.fullmatch(p.name))


def foreign_folder(path: Path, held: list[str], kind: str, knob: str) -> UserError:
    shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
    return UserError(f"{path} is not empty (it holds {shown}) and is not a {kind} folder; give a new or empty "
                     f"folder ({knob}=...)")


def unfinished_run(path: Path, knob: str = "hydra.run.dir") -> str | None:
    """Refuse a folder that may not hold this run; what it holds when it is an unfinished run's (to resume), None
    when it is new or empty. knob: where the output folder is chosen (hydra.run.dir, the API's output_dir)."""
    if not path.exists() or not contents(path):
        return None
    damaged = damaged_result(path)
    if damaged:
        return f"resumed a run whose {RESULT_FILE} was damaged ({damaged}); running it again"
    if (path / RESULT_FILE).exists():
        raise UserError(f"{path} already holds a finished run; choose another output folder "
                        f"({knob}=...) so that no earlier result is overwritten")
    failed, running = Claim.read(path / FAILED_MARKER), Claim.read(path / RUNNING_MARKER)
    if failed:
        return f"resumed a run that failed ({first_marker_line(path / FAILED_MARKER)})"
    if running:
        return ""   # the claim decides: a live run refuses, a dead one is taken over
    if (path / RUNNING_MARKER).is_file() and (path / RUNNING_MARKER).stat().st_size == 0:
        raise UserError(f"{path / RUNNING_MARKER} is empty: a run is writing its claim this moment (an older "
                        f"mt-harness), or one was killed while writing it; choose another output folder ({knob}=...), "
                        "or delete it if no run works there")
    raise foreign_folder(path, contents(path), "run", knob)


def first_marker_line(marker: Path) -> str:
    with marker.open(encoding="utf-8", errors="replace") as handle:
        return handle.readline().strip()


# ---------------------------------------------------------------- the run folder

class RunLog(logging.FileHandler):
    """run.log. A write the disk refuses (full, a quota, a file size limit) ends the file, with one warning on the
    console and a note in result.json (run.notes), where logging's own handler printed a traceback for every later
    line and one more on closing the file, which failed the finished run."""

    def __init__(self, path: Path, note: Callable[[str], None]):
        super().__init__(path, encoding="utf-8")
        self.note = note
        self.lost = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.lost:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        self.stop_writing(error)

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as err:
            self.stop_writing(err)

    def close(self) -> None:
        try:
            super().close()
        except OSError as err:   # the lines still buffered could not be written either
            self.stop_writing(err)

    def stop_writing(self, error: OSError) -> None:
        if self.lost:
            return
        self.lost = True
        self.note(f"{LOG_FILE} is incomplete: it could not be written from "
                  f"{datetime.now().isoformat(timespec='seconds')} on ({error.strerror or error}); the console showed "
                  "every line")


class RunFolder:
    """A claimed run folder that remembers what this run wrote into it."""

    def __init__(self, path: Path, created_root: Path | None, knob: str = "hydra.run.dir"):
        self.path = path                     # resolved, once
        self.knob = knob                     # where the folder was chosen, named in errors
        self.created_root = created_root     # the topmost folder this run (or its launch) created
        self.own_claim = Claim.of_this_process()
        self.resumed = False                 # the folder held an unfinished run's files
        self.written: list[Path] = []        # files this run created, in order
        self.made: list[Path] = []           # folders this run created inside path
        self.notes: list[str] = []
        self.log_handler: RunLog | None = None

    @classmethod
    def claim(cls, path: str | Path, knob: str = "hydra.run.dir") -> RunFolder:
        path = resolved(path, knob)
        created_root = launch_created(path) or topmost_missing(path)
        check_creatable(path, knob)
        refuse_inside_a_run(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise storage_error(path, err, knob) from None
        folder = cls(path, created_root, knob)
        try:
            with claimers_take_turns(path):
                folder.take(unfinished_run(path, knob))
        except BaseException as err:
            folder.abandon_claim(err)
            remove_created_folders(path, created_root)
            raise
        return folder

    def abandon_claim(self, error: BaseException) -> None:
        """Stopped while it claimed the folder (Ctrl-C, SIGTERM), after its marker was published: a folder that holds
        nothing but this claim is left as it was found; one that holds an earlier run's files is marked FAILED, as a
        run stopped later marks it."""
        if Claim.read(self.path / RUNNING_MARKER) != self.own_claim:
            return
        if contents(self.path) == [RUNNING_MARKER]:
            (self.path / RUNNING_MARKER).unlink()
        else:
            self.fail(error)

    def take(self, unfinished: str | None) -> None:
        """Publish this run's RUNNING marker (taking over a dead run's), then drop a resumed run's FAILED marker:
        RUNNING now marks the folder, and the note keeps what had failed."""
        marker = self.path / RUNNING_MARKER
        self.resumed = unfinished is not None
        try:
            try:
                publish_marker(marker, self.own_claim.text())
            except FileExistsError:
                self.take_over(marker)
                publish_marker(marker, self.own_claim.text())
        except FileExistsError:
            raise UserError(f"{self.path} is being claimed by another run at this moment; choose another output "
                            "folder") from None
        except OSError as err:
            raise storage_error(marker, err, self.knob) from None
        self.written.append(marker)
        if holds_result(self.path):   # the run working here finished between our look and our claim
            marker.unlink()
            unfinished_run(self.path, self.knob)
        if unfinished:
            (self.path / FAILED_MARKER).unlink(missing_ok=True)
            self.add_note(unfinished)

    def take_over(self, marker: Path) -> None:
        """Remove the RUNNING marker of a run that is gone; refuse one that lives, or that this host cannot check."""
        claim = Claim.read(marker)
        if claim is None:
            raise FileExistsError(marker)
        if claim.host != socket.gethostname():
            raise UserError(f"{self.path} is in use by run pid {claim.pid} on host {claim.host} (started "
                            f"{claim.started}); wait for it or choose another output folder; delete its RUNNING file "
                            "if that run is dead")
        if claim.holder_alive():
            raise UserError(f"{self.path} is in use by run pid {claim.pid} (started {claim.started}); wait for it "
                            f"to finish or choose another output folder ({self.knob}=...)")
        marker.unlink(missing_ok=True)   # the claimers take turns: nobody else removes or publishes meanwhile
        remove_staging_files(self.path, claim.pid)
        self.add_note(f"took over the folder from a run that died ({claim.describe()})")

    def add_note(self, note: str) -> None:
        self.notes.append(note)
        log.warning("%s: %s", self.path, note)

    def confined(self, relative: str | Path) -> Path:
        """A path inside the run folder; anything that would land outside it is refused."""
        target = (self.path / relative).resolve()
        if not target.is_relative_to(self.path) or target == self.path:
            raise UserError(f"refusing to write {relative!r} outside the run folder {self.path}")
        return target

    def make_parents(self, target: Path) -> None:
        missing = [p for p in reversed(target.parents) if p.is_relative_to(self.path) and not p.exists()]
        for folder in missing:
            folder.mkdir()
            self.made.append(folder)

    def write_text(self, relative: str | Path, text: str) -> Path:
        """Write a file of this run through a temporary name, so that it is complete or absent: whatever stops the
        write (a full disk, a text that is not UTF-8, Ctrl-C) leaves no temporary file behind."""
        target = self.confined(relative)
        data = text.encode("utf-8")
        staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        new = not target.exists()
        try:
            self.make_parents(target)
            staging.write_bytes(data)
            os.replace(staging, target)
        except BaseException as err:
            staging.unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise storage_error(target, err, self.knob) from None
            raise
        if new:
            self.written.append(target)
        return target

    def write_json(self, relative: str, record: dict) -> Path:
        try:
            text = json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError as err:   # NaN or infinity: not JSON; a bug upstream must not produce a broken file
            raise RuntimeError(f"{relative}: a value is not a finite number ({err})") from None
        return self.write_text(relative, text)

    def start_log(self) -> None:
        """The run's log file (Hydra's own file log is off so that nothing is written before the claim); a resumed
        run appends to the earlier run's log."""
        target = self.confined(LOG_FILE)
        new = not target.exists()
        self.log_handler = RunLog(target, self.add_note)
        self.log_handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
        logging.getLogger().addHandler(self.log_handler)
        if new:
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
        """Mark the folder FAILED with the error (and this run's claim), keeping what was written."""
        self.stop_log()
        marker = self.path / FAILED_MARKER
        staging = marker.with_name(f".{FAILED_MARKER}.tmp-{os.getpid()}")
        try:
            write_durably(staging, f"{failure_text(error)}\n{self.own_claim.text()}")
            os.replace(staging, marker)   # this run holds the folder: a FAILED there is an earlier attempt's
        except OSError:
            return   # a full disk: the RUNNING marker stays, which also says the run did not finish
        finally:
            staging.unlink(missing_ok=True)
        (self.path / RUNNING_MARKER).unlink(missing_ok=True)

    def give_up(self, error: UserError, keep: bool = False) -> None:
        """A user error: take back what this run wrote into a folder it found new or empty; a folder it resumed,
        or one it is asked to keep (a sweep's job), is marked FAILED with the error instead."""
        if keep or self.resumed:
            self.fail(error)
        else:
            self.discard()

    def discard(self) -> None:
        """Delete exactly what this run created, and nothing else."""
        self.stop_log()
        for path in reversed(self.written):
            path.unlink(missing_ok=True)
        for folder in reversed(self.made):
            remove_if_empty(folder)
        remove_created_folders(self.path, self.created_root)


def remove_staging_files(folder: Path, pid: int) -> None:
    """The files a run killed while it wrote them left under their temporary names (.NAME.tmp-PID, write_text): a
    finished run's folder would hold them beside the files they would have become."""
    for path in folder.rglob(f".*.tmp-{pid}"):
        if path.is_file() and not path.is_symlink():
            path.unlink()


def remove_created_folders(path: Path, created_root: Path | None) -> None:
    """Remove path and the parents up to created_root while they are empty: the folders a launch made."""
    if created_root is None:
        return
    for folder in [path, *path.parents]:
        if not folder.is_relative_to(created_root):
            break
        if os.path.isdir(folder) and not remove_if_empty(folder):   # one a failed mkdir never made is passed over
            break


def remove_if_empty(folder: Path) -> bool:
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


# ---------------------------------------------------------------- the sweep folder

def claim_sweep_folder(path: str | Path, overrides: list[str]) -> Path:
    """hydra.sweep.dir, before Hydra writes multirun.yaml into it: a new or empty folder, or an earlier launch's of
    this sweep (its SWEEP marker, the same overrides), which a re-run resumes; never a folder of the user's, another
    sweep's, or that of a sweep still running. The resolved path."""
    knob = "hydra.sweep.dir"
    path = resolved(path, knob)
    if path.is_dir() and contents(path) and not Claim.read(path / SWEEP_MARKER):
        raise foreign_folder(path, contents(path), "sweep", knob)
    refuse_unwritable_sweep_record(path / SWEEP_RECORD, knob)
    refuse_another_sweep(path, overrides)
    make_launch_folder(path, knob)
    try:
        with claimers_take_turns(path):
            take_sweep_marker(path / SWEEP_MARKER)
    except OSError as err:
        remove_created_folders(path, launch_created(path))
        raise storage_error(path / SWEEP_MARKER, err, knob) from None
    except BaseException:   # Ctrl-C or SIGTERM once the marker may be published
        abandon_launch(path)
        raise
    return path


def take_sweep_marker(marker: Path) -> None:
    """Put this launch's claim in the SWEEP marker, in place of an earlier launch's that is gone: a second launch
    joining a sweep that runs would take over its jobs' folders as failed and write its comparison meanwhile."""
    claim = Claim.read(marker)
    if claim is not None and claim.host == socket.gethostname() and claim.holder_alive():
        raise UserError(f"{marker.parent} is in use by the sweep pid {claim.pid} (started {claim.started}); wait for "
                        "it to finish, or run this sweep into another folder (hydra.sweep.dir=...)")
    marker.unlink(missing_ok=True)
    publish_marker(marker, Claim.of_this_process().text())


def refuse_unwritable_sweep_record(record: Path, knob: str) -> None:
    """Hydra writes the sweep's record (multirun.yaml) at every launch, through a link and not over a folder: a link
    would have it overwrite the file the link names, a folder would end the launch in a traceback."""
    if record.is_symlink() or (record.exists() and not record.is_file()):
        what = "a link" if record.is_symlink() else "not a file"
        raise UserError(f"{record} is {what}, where Hydra writes the sweep's record of its config; move it away (the "
                        f"sweep's runs are kept and resumed), or give a new {knob}")


def refuse_another_sweep(path: Path, overrides: list[str]) -> None:
    """A sweep folder resumes the sweep of the same overrides; Hydra would overwrite another sweep's multirun.yaml,
    and every job of this one would be refused in a line of its own."""
    earlier = sweep_overrides(path / SWEEP_RECORD)
    if earlier is not None and earlier != overrides:
        raise UserError(f"{path} holds another sweep (overrides: {' '.join(earlier)}); give a new hydra.sweep.dir, or "
                        "run that sweep's command to resume it")


def sweep_overrides(record: Path) -> list[str] | None:
    """The command-line overrides of the sweep whose record (multirun.yaml) this is; None when there is none to read."""
    try:
        overrides = yaml.safe_load(record.read_text(encoding="utf-8"))["hydra"]["overrides"]["task"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError):
        return None
    return [str(override) for override in overrides] if isinstance(overrides, list) else None


def unfinished_jobs(sweep_dir: Path) -> dict[str, str]:
    """A sweep's job folders that hold a FAILED or RUNNING claim and no result.json, each with the marker's first line
    (what failed, or which process was working there when the sweep ended). A RUNNING marker beside result.json is
    that of a run killed after it had written its result (result.json is written last): the job is finished."""
    jobs = {}
    for folder in sorted(p for p in sweep_dir.iterdir() if p.is_dir() and not holds_result(p)):
        marker = next((folder / m for m in (FAILED_MARKER, RUNNING_MARKER) if Claim.read(folder / m)), None)
        if marker is not None:
            jobs[folder.name] = first_marker_line(marker)
    return jobs


def finished_job(folder: Path, overrides: list[str]) -> bool:
    """A sweep run again (the same hydra.sweep.dir): a job whose folder holds the finished run of the same overrides
    (its .hydra/overrides.yaml) is kept as it is; one of other overrides is another sweep's, and refused."""
    if not holds_result(folder):   # none yet, or a damaged one: the job runs (again)
        return False
    try:
        recorded = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        recorded = None
    if recorded != overrides:
        raise UserError(f"{folder} holds a finished run of other overrides ({recorded}); run this sweep with a new "
                        "hydra.sweep.dir")
    return True


def abandon_launch(path: str | Path) -> None:
    """A launch refused or stopped after it made its folder: remove the SWEEP marker it wrote where the folder holds
    nothing else, then the folders it made. An earlier launch's sweep folder keeps the marker (a dead launch's, which
    the next launch takes over): without it, the folder of its jobs would be refused as a folder of the user's."""
    path = Path(path).expanduser().absolute().resolve()
    claim = Claim.read(path / SWEEP_MARKER)
    if claim is not None and claim.pid == os.getpid() and contents(path) == [SWEEP_MARKER]:
        (path / SWEEP_MARKER).unlink()
    remove_created_folders(path, launch_created(path))
