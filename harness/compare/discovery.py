"""Discovery: the finished runs behind harness-compare's arguments (run folders, sweep folders, a results/ folder to
search, files, globs), each read once into its typed record and named for the tables. Run folders that hold no
finished run (RUNNING, FAILED) are named and left out, never passed over in silence.
"""
from __future__ import annotations

import glob
import json
import re
import socket
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from harness.errors import LINK_LOOP, UserError, in_a_loop, unknown_name
from harness.results.results import RunRecord, as_run_record, read_record
from harness.results.run_folder import (FAILED_MARKER, RESULT_FILE, RUNNING_MARKER, SWEEP_MARKER, SWEEP_RECORD,
                                        TRACKING_STORES, Claim, is_run_folder)


@dataclass(frozen=True)
class Run:
    name: str
    path: Path
    result: RunRecord    # a result dict given here is typed by the one reader, RunRecord.from_dict (harness.results.records)

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", as_run_record(self.result))


def natural_key(path: Path) -> list:
    """Sweep jobs sort as 0, 1, 2, ... 10, not 0, 1, 10, 2."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


@dataclass(frozen=True)
class Skipped:
    """A run folder left out of the comparison because it holds no finished run, and why."""
    path: Path
    state: str
    reason: str

    def describe(self) -> str:
        return f"{self.path} is {self.state}: {self.reason}"


@dataclass
class Collection:
    runs: list[Run]
    skipped: list[Skipped]
    searched: bool = False   # some runs were found by searching folders, not named one by one


def matching_paths(argument: str) -> list[Path]:
    if not glob.has_magic(argument):
        return [Path(argument)]
    return [Path(p) for p in sorted(glob.glob(argument), key=natural_key)]


def marker_lines(marker: Path, limit: int = 300) -> list[str]:
    """A marker's non-empty lines (what failed, or which process claimed the folder), cut to a readable length."""
    with marker.open(encoding="utf-8", errors="replace") as handle:
        text = handle.read(limit)
    return [line.strip() for line in text.splitlines() if line.strip()]


def unfinished_state(folder: Path) -> Skipped | None:
    """Why a folder that looks like a run folder has no result.json, or None when it is no run folder at all."""
    if (folder / FAILED_MARKER).is_file():
        error = marker_lines(folder / FAILED_MARKER)
        return Skipped(folder, "FAILED", error[0] if error else "stopped on an error it did not record")
    if (folder / RUNNING_MARKER).is_file():
        return Skipped(folder, "RUNNING", running_state(folder / RUNNING_MARKER))
    if (folder / ".hydra").is_dir():
        return Skipped(folder, "unfinished", f"no {RESULT_FILE}, no {RUNNING_MARKER} or {FAILED_MARKER} marker")
    return None


def running_state(marker: Path) -> str:
    """What a RUNNING marker says: a run whose process is gone on this host was killed (or its machine stopped), and
    the same command resumes it; one whose process lives on this host is running; a claim this host cannot check
    may still run."""
    claim = Claim.read(marker)
    if claim is not None and claim.host == socket.gethostname():
        if claim.holder_alive():
            return f"still running ({claim.describe()}); compare it once it has finished"
        return (f"killed: its process is gone ({claim.describe()}); run its command again with this folder as "
                "hydra.run.dir (or its sweep's as hydra.sweep.dir) to resume it")
    lines = ", ".join(marker_lines(marker))
    return "still running or was killed" + (f" ({lines})" if lines else "")


def subfolders(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """The folders a search looks into: not hidden ones, symbolic links (no loops) or MLflow's stores, which hold
    copies of result.json (harness.track.tracking); and the links to folders it does not follow, named, since a run
    linked into a sweep or into results/ was left out of the comparison and of --list without a word."""
    try:
        children = list(folder.iterdir())
    except OSError:   # a folder this user cannot list holds nothing to compare
        return [], []
    searched = sorted((child for child in children if child.is_dir() and not child.name.startswith(".")
                       and child.name not in TRACKING_STORES), key=natural_key)
    return ([child for child in searched if not child.is_symlink()],
            [Skipped(child, "a symbolic link", "a search does not follow links (they can loop, or find a run twice); "
                     f"name it on the command line (harness-compare {child}) to take the runs there")
             for child in searched if child.is_symlink()])


def folder_contents(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """A run folder's result.json, or those of every run folder at any depth below (a sweep folder, a whole
    results/ folder), and the unfinished run folders among them."""
    if (folder / RESULT_FILE).is_file():
        return [folder / RESULT_FILE], []
    if (folder / RESULT_FILE).exists():   # a FIFO would block the reader; a folder or a device is no result either
        return [], [Skipped(folder, "unreadable", f"its {RESULT_FILE} is {not_a_file(folder / RESULT_FILE)}, not "
                            "a regular file, so no run wrote it; leave this folder out of the comparison")]
    own_state = unfinished_state(folder)
    if own_state:
        return [], [own_state]
    found: list[Path] = []
    children, skipped = subfolders(folder)
    for child in children:
        files, unfinished = folder_contents(child)
        found += files
        skipped += unfinished
    return found, skipped


def result_files(argument: str) -> tuple[list[Path], list[Skipped]]:
    """The result.json files behind one command-line argument (a run folder, a sweep folder, a file or a glob)
    and the run folders in it that hold no finished run."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for path in matching_paths(argument):
        own = sweep_record(path) or comparison_report(path)
        if own:
            skipped.append(own)
        elif path.is_file():
            refuse_file_inside_a_run(path)
            found.append(path)
        elif path.is_dir():
            files, unfinished = folder_contents(path)
            found += files
            skipped += unfinished
    return found, skipped


SWEEP_RECORDS = (SWEEP_MARKER, SWEEP_RECORD)   # beside a sweep's job folders: the harness's claim, Hydra's record


def sweep_record(path: Path) -> Skipped | None:
    """A sweep folder's record of itself, which `harness-compare sweep/*` passes beside the job folders: named and
    left out (it was refused as 'not JSON', and the comparison of the sweep's runs with it)."""
    if path.name in SWEEP_RECORDS and path.is_file() and (path.parent / SWEEP_MARKER).is_file():
        return Skipped(path, "the sweep's own record", "no run; its runs are the job folders beside it")
    return None


COMPARISON_FILE = "comparison.json"   # the record a report writes (harness.compare.reports.tables.REPORT_FILES)
COMPARISON_KEYS = {"created", "harness_version", "baseline", "systems", "metrics"}   # Comparison.as_record's


def holds_a_comparison(folder: Path) -> bool:
    """Whether the folder's comparison.json is one a report wrote: a file of that name is not enough."""
    try:
        record = json.loads((folder / COMPARISON_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):   # RecursionError: nested thousands deep, so no report's
        return False
    return isinstance(record, dict) and COMPARISON_KEYS <= record.keys()


def comparison_report(path: Path) -> Skipped | None:
    """A report folder of harness-compare (a sweep's comparison/, results/comparisons/<date>/<time>), which a glob
    passes beside the runs: named and left out (it was refused as holding no result.json)."""
    if path.is_dir() and not (path / RESULT_FILE).exists() and holds_a_comparison(path):
        return Skipped(path, "a comparison report", "harness-compare's report of runs, not a run")
    return None


def not_a_file(path: Path) -> str:
    """What a path that is no regular file is, as a user would name it."""
    kinds = [(path.is_dir, "a folder"), (path.is_fifo, "a FIFO (named pipe)"), (path.is_socket, "a socket"),
             (path.is_block_device, "a device"), (path.is_char_device, "a device")]
    return next((name for is_kind, name in kinds if is_kind()), "not a file")


def refuse_file_inside_a_run(path: Path) -> None:
    """A run's other files (run.log, .hydra/config.yaml, hypotheses/...) are no result: the run folder is what to pass."""
    if path.name == RESULT_FILE:
        return
    folder = next((parent for parent in path.parents if is_run_folder(parent)), None)
    if folder is not None:
        raise UserError(f"'{path}' is a file inside the run folder {folder}, not a result; pass the run folder "
                        f"({folder}), a folder of runs, or its {RESULT_FILE}")


def path_suffix(folder: Path, depth: int) -> str:
    return "/".join(folder.parts[-depth:])


def reads_as(name: str) -> str:
    """A name as it reads: composed (NFC), without the format characters that show nothing (a zero-width joiner
    or space), its spaces (any: U+00A0 too) one between words and none at the ends: café in NFC and in NFD,
    sysA, sys<ZWJ>A and 'sysA ' read the same; a name of spaces reads as nothing."""
    shown = unicodedata.normalize("NFC", "".join(c for c in name if unicodedata.category(c) != "Cf"))
    return " ".join(shown.split())


def unique_names(paths: list[Path], results: list[RunRecord]) -> list[str]:
    """Systems are named by their model; runs of one model, or of models whose names read the same (reads_as),
    are told apart by as much of their run folder's path as it takes (job 0_identity of two sweeps:
    sweep_a/0_identity, sweep_b/0_identity), and so is a model whose name reads as nothing."""
    names = [result.model_name for result in results]
    looks = [reads_as(name) for name in names]
    folders = [path.resolve().parent for path in paths]
    for depth in range(0, max(len(folder.parts) for folder in folders) + 1):
        labels = [name if depth == 0 or (looks.count(look) == 1 and look) else f"{name}@{path_suffix(folder, depth)}"
                  for name, look, folder in zip(names, looks, folders)]
        shown = {reads_as(label) for label in labels}
        if len(shown) == len(labels) and "" not in shown:
            return labels
    return [f"{label}#{number}" for number, label in enumerate(labels, start=1)]


def check_cut_files_run(path: Path, result: RunRecord) -> None:
    """A files run made with data.max_segments scored whole output files against a cut source: harness versions
    before issue 16 wrote such results (the files backend now refuses the setting); their scores mean nothing."""
    cut = result.max_segments
    if result.backend == "files" and cut:
        raise UserError(f"{path}: model=files with data.max_segments={cut}: whole output files were scored against "
                        f"the first {cut} source sentences, so its scores compare with nothing; re-run it without "
                        "data.max_segments")


def not_finished_message(skipped: list[Skipped]) -> str:
    """Every folder's reason; the advice for runs not finished where some are (an unreadable one names its own fix)."""
    waiting = any(s.state in ("FAILED", "RUNNING", "unfinished") for s in skipped)
    return (f"no finished run to compare: {'; '.join(s.describe() for s in skipped)}"
            + ("; wait for the runs to finish, or re-run the failed ones" if waiting else ""))


def named_files(arguments: list[str]) -> set[Path]:
    """The result files named one by one (a result.json, or a run folder), as opposed to found by a search."""
    return {path.resolve() / RESULT_FILE if path.is_dir() else path.resolve()
            for argument in arguments for path in matching_paths(argument)}


def read_run(path: Path) -> RunRecord:
    result = read_record(path)
    check_cut_files_run(path, result)
    return result


def read_found(files: list[Path], named: set[Path]) -> tuple[list[Path], list[RunRecord], list[Skipped]]:
    """Results named one by one must be readable; one found by searching a folder that cannot be read is named
    and left out, like an unfinished run."""
    kept, results, skipped = [], [], []
    for path in files:
        try:
            results.append(read_run(path))
            kept.append(path)
        except UserError as err:
            if path.resolve() in named:
                raise
            skipped.append(Skipped(path.parent, "unreadable", str(err)))
    return kept, results, skipped


def nothing_found(argument: str) -> UserError:
    """Why an argument holds no run: a pattern that matches nothing, a path that is not there, or a folder
    without any result.json."""
    if glob.has_magic(argument) and not matching_paths(argument):
        return UserError(f"'{argument}' matches no file or folder; check the pattern, or pass run folders, a sweep "
                         "folder or a results folder")
    if in_a_loop(Path(argument)):
        return UserError(f"{argument} {LINK_LOOP}")
    if not Path(argument).exists():
        return UserError(f"'{argument}' does not exist; pass finished run folders, a sweep folder or a results "
                         "folder")
    if not Path(argument).is_dir():
        return UserError(f"'{argument}' is {not_a_file(Path(argument))}, not a regular file or folder; pass finished "
                         "run folders, a sweep folder or a results folder")
    return UserError(f"'{argument}': no {RESULT_FILE} found; pass finished run folders or a sweep folder")


def once_each(matched: list[Path], earlier: list[Path]) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """The result files not met before (in `earlier`, or earlier in `matched`), and those met again with the path
    they were first met by: a result.json linked to another run's is that run, which a search found twice and
    compared with itself (a test more in each Holm family, so the other p-values rose)."""
    first = {path.resolve(): path for path in earlier}
    for path in sorted(matched, key=Path.is_symlink):   # a run's own file before a link to it
        first.setdefault(path.resolve(), path)
    return ([path for path in matched if first[path.resolve()] is path],
            [(path, first[path.resolve()]) for path in matched if first[path.resolve()] is not path])


def collect_runs(arguments: list[str]) -> Collection:
    """The finished runs behind the command-line arguments, and the unfinished run folders among them."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for argument in arguments:
        matched, unfinished = result_files(argument)
        if not matched and not unfinished:
            raise nothing_found(argument)
        new, repeated = once_each(matched, files)
        if matched and not new:   # `harness-compare A A` (a typo for A B?) would compare A alone, in silence
            skipped.append(Skipped(Path(argument), "already given", "its runs are compared once"))
        else:
            skipped += [Skipped(path.parent, f"the run of {first.parent}", f"its {RESULT_FILE} and that run's are "
                                "one file (a symbolic link), so the run is compared once") for path, first in repeated]
        files += new
        skipped += unfinished
    named = named_files(arguments)
    files, results, unreadable = read_found(files, named)
    skipped += unreadable
    if not files:
        raise UserError(not_finished_message(skipped))
    runs = [Run(name, path.parent, result) for name, path, result in zip(unique_names(files, results), files, results)]
    return Collection(runs, skipped, searched=any(path.resolve() not in named for path in files))


def load_runs(arguments: list[str]) -> list[Run]:
    return collect_runs(arguments).runs


def baseline_index(runs: list[Run], baseline: str) -> int | None:
    """Which run the baseline names (a system's name, its run folder, or its result.json, as a run is given to
    harness-compare either way); None when none."""
    names = [run.name for run in runs]
    if baseline in names:
        return names.index(baseline)
    results = [(run.path / RESULT_FILE).resolve() for run in runs]   # a folder whose result.json links to a run's too
    named = Path(baseline)
    result = (named if named.name == RESULT_FILE and named.is_file() else named / RESULT_FILE).resolve()
    return results.index(result) if result in results else None


def unknown_baseline(runs: list[Run], baseline: str) -> UserError:
    """Why the baseline names no run: it is the model of several runs, named apart by their folders, or no name."""
    namesakes = [run.name for run in runs if run.result.model_name == baseline]
    if len(namesakes) > 1:
        return UserError(f"--baseline {baseline} names {len(namesakes)} runs ({', '.join(namesakes)}); pass one of "
                         "these names, or the run folder")
    return unknown_name("baseline system", baseline, [run.name for run in runs])


def order_with_baseline(runs: list[Run], baseline: str | None) -> list[Run]:
    """The baseline (a system's name or its run folder; default: the first run) first, the others in the order given."""
    if baseline is None:
        return runs
    chosen = baseline_index(runs, baseline)
    if chosen is None:
        raise unknown_baseline(runs, baseline)
    return [runs[chosen]] + runs[:chosen] + runs[chosen + 1:]
