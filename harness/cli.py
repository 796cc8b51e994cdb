"""Hydra entry points; the only place that turns errors into messages and exit codes.

User errors (bad input, unknown names, impossible settings) print one line and exit 2, with no
traceback; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import itertools
import logging
import os
import re
import shlex
import signal
import sys
import threading
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Callable

import hydra
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobStatus
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import InterpolationResolutionError, OmegaConfBaseException

from harness import progress
from harness.compare.compare import check_resamples, compare_collection
from harness.compare.comparison import Comparison
from harness.compare.discovery import Skipped, collect_runs
from harness.config import (CONF_DIR, LaunchFlags, check_experiment_names, check_interpolations, check_launch,
                            check_model_folder_name, compose_launch, composition_message, is_hydra_setting,
                            job_settings, refuse_missing_values, refuse_owned_hydra_settings,
                            refuse_owned_hydra_values, register_schemas, to_plain, unresolvable)
from harness.data.languages import language_code
from harness.errors import Terminated, UserError, first_line, is_disk_full, unknown_name
from harness.pipeline import check_settings, run
from harness.progress import quiet_library_bars
from harness.compare.reports.tables import (GROUP_FOLDER_NAME, ReportPlace, comparison_table, group_folder,
                                           results_table, run_summary_table, terminal_text)
from harness.results.records import RunRecord
from harness.results.results import read_record
from harness.results.run_folder import (FAILED_MARKER, RUNNING_MARKER, SWEEP_MARKER, SWEEP_RECORD, Claim,
                                        abandon_launch, claim_sweep_folder, finished_job, make_launch_folder, resolved,
                                        unfinished_jobs)
from harness.compare.reports.run_index import list_runs
from harness.score_files import (COMPARISON_DIR, ScoreRequest, run_folder_name, score_systems, system_config,
                                 system_names)
from harness.compare.significance import DEFAULT_RESAMPLES, environment_seed
from harness.track.tracking import (Store, check_store, end_sweep, interrupt_sweep, log_finished_run, require_mlflow,
                                    start_sweep)

EXIT_USER_ERROR = 2       # refused: nothing ran, nothing was written
EXIT_PARTLY_FAILED = 1    # it ran, but a sweep's job failed or a finished run was not logged: each said so in a line
EXIT_BUG = 1              # an error that is no user error, after its traceback, as Python exits on one
EXIT_INTERRUPTED = 130    # Ctrl-C, as shells report SIGINT
EXIT_TERMINATED = 143     # SIGTERM, as shells report it
JOB_FINISHED, JOB_REUSED, JOB_FAILED = "finished", "reused", "failed"   # hydra_run's return: Hydra's JobReturn
failed_jobs: dict[str, str] = {}   # this launch's failures that did not stop it (a sweep's job folder name -> why) ...
not_logged: list[str] = []         # ... and runs a tracking store did not take; run_main exits 1 when there are any
sweep_jobs: list[int] = []         # the number of jobs of this launch's -m sweep, once counted (run_main)
sweep_launch: dict[str, object] = {}   # this launch's sweep folder ("folder") and tracking store ("store"), claimed
job_started = False                # hydra_run was called: Hydra composed the config without error
# Hydra's documented switch: its errors (a misspelled override) are raised to the caller instead of printed over
# several lines with exit 1, so that run_main says them in one line with exit 2
HYDRA_RAISES = "HYDRA_FULL_ERROR"
log = logging.getLogger(__name__)


def fail(message: str) -> None:
    print(f"error: {terminal_text(message)}", file=sys.stderr)
    sys.exit(EXIT_USER_ERROR)


def show(text: str) -> None:
    """Print on stdout, where tables go (logs go to stderr). A reader that has gone away (`| head -1`) ends the
    output, not the command: the rest of stdout is dropped (Python's documented way: stdout onto /dev/null) and the
    work goes on, so that the report is still written and the exit code is the command's own."""
    try:
        print("\n".join(terminal_text(line) for line in text.split("\n")), flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def expand_sweeps(arguments: list[str], params: dict[str, str] | None = None) -> list[list[str]]:
    """Every job's override list of a command line (one list without -m sweeps), after the sweep that a config file
    writes (`params`: hydra.sweeper.params, which Hydra's sweeper puts first), hydra.* left out except
    hydra.searchpath, which adds the user's own config folders (a model or backend kept outside conf/)."""
    written = [f"{key}={value}" for key, value in (params or {}).items()]
    tokens = [a for a in written + overrides_of(arguments) if is_job_override(a)]
    choices = []
    for override in OverridesParser.create().parse_overrides(tokens):
        key = override.get_key_element()
        values = list(override.sweep_string_iterator()) if override.is_sweep_override() else [
            override.get_value_element_as_str()]
        choices.append([f"{key}={value}" for value in values])
    return [list(job) for job in itertools.product(*choices)]


# Hydra's flags that take a value (hydra/_internal/utils.py's get_args_parser): the value is no override
HYDRA_VALUE_FLAGS = ("--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd", "--package", "-p",
                     "--experimental-rerun")


def overrides_of(arguments: list[str]) -> list[str]:
    """The overrides among harness-run's arguments: key=value, and ~key (a deletion needs no value: left out, a
    sweep's ~key was not composed before its launch, and a key that is not there read Hydra's message in several
    lines, exit 1); not a flag, nor the value of a flag of Hydra's (-cd ~/conf)."""
    return [argument for before, argument in zip(["", *arguments], arguments)
            if not argument.startswith("-") and before not in HYDRA_VALUE_FLAGS
            and ("=" in argument or argument.startswith("~"))]


def is_job_override(argument: str) -> bool:
    return not is_hydra_setting(argument)


BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"   # Hydra's own, the default


def sweeper_params(cfg: DictConfig) -> dict[str, str]:
    """The sweep a config file writes (hydra.sweeper.params), as Hydra's basic sweeper runs it; another sweeper
    (Optuna's, Ax's) reads its params as a search space, whose jobs are not known before it runs."""
    params = cfg.hydra.sweeper.get("params") if cfg.hydra.sweeper.get("_target_") == BASIC_SWEEPER else None
    return to_plain(params) if params else {}


def sweep_jobs_of(arguments: list[str], flags: LaunchFlags) -> list[list[str]]:
    """Every job of a -m sweep: the sweep a config file writes (hydra.sweeper.params, read from the config composed
    without the command line's sweeps, as Hydra composes it), then the command line's."""
    parser = OverridesParser.create()
    fixed = [a for a in overrides_of(arguments) if not parser.parse_override(a).is_sweep_override()]
    return expand_sweeps(arguments, sweeper_params(compose_launch(fixed, flags)))


def check_overrides(arguments: list[str]) -> int:
    """Compose every job of a -m sweep before the first runs, with Hydra's own settings (a launcher's, a config group
    of Hydra's), so a typo fails fast with exit 2 before Hydra writes the sweep folder; the number of jobs. A single
    run is composed once, by Hydra (HYDRA_RAISES): its composition error reaches run_main, and its settings are
    checked by the run before it writes anything (harness.pipeline.prepare). A sweep written in a config file
    (hydra.sweeper.params) was not checked: `metrics: "[bleu],[blue]"` there wrote the sweep folder and failed a job
    (exit 1), which said '1 of 1 jobs failed' of 2."""
    launch_settings = [a for a in overrides_of(arguments) if is_hydra_setting(a)]
    try:
        flags = LaunchFlags.of(arguments)
        jobs = sweep_jobs_of(arguments, flags)
        folders = []
        for number, job in enumerate(jobs):
            cfg = compose_launch([*job, *launch_settings], flags)
            folders.append(check_launch(cfg, number))
            cfg = job_settings(cfg)
            check_settings(cfg)
            require_mlflow(cfg.tracking)
        check_job_folders(folders)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as err:
        fail(composition_message(err, arguments))
    except UserError as err:
        fail(str(err))
    return len(jobs)


SWEEP_COMPARISON = "comparison"   # a sweep's report, beside its jobs' folders (comparison_<n>: one per data set)


def check_job_folders(folders: list[str | None]) -> None:
    """Each job of a -m sweep in a folder of its own inside the sweep folder (hydra.sweep.subdir, resolved per job;
    None where the launcher gives what it reads). Jobs given one folder ran the first and refused the next as 'a
    finished run of other overrides' after the launch, whose fix (the same command again) refused it again; '.' put a
    job in the sweep folder itself, '../x' outside it (its comparison found no run), 'comparison' where the sweep's
    report is written."""
    first_in: dict[str, int] = {}
    for number, folder in enumerate(folders):
        if folder is None:
            continue
        name = os.path.normpath(folder)
        top = name.split(os.sep)[0]
        if os.path.isabs(name) or top in (os.curdir, os.pardir, SWEEP_MARKER, SWEEP_RECORD, SWEEP_COMPARISON) \
                or GROUP_FOLDER_NAME.fullmatch(top):
            why = ("is not a folder inside the sweep folder" if os.path.isabs(name) or top in (os.curdir, os.pardir) else
                   "is where the sweep keeps its own record or report")
            raise UserError(f"hydra.sweep.subdir: job {number}'s folder '{folder}' {why}; give each job a folder of its "
                            "own inside hydra.sweep.dir, or leave hydra.sweep.subdir out (its default: "
                            "${hydra.job.num}_<model.name>)")
        first = first_in.setdefault(name.casefold(), number)
        if first != number:
            raise UserError(f"hydra.sweep.subdir: jobs {first} and {number} would both run in the folder '{folder}' of "
                            "the sweep (the second refused once the first finished); put ${hydra.job.num} in it, or "
                            "leave hydra.sweep.subdir out (its default: ${hydra.job.num}_<model.name>)")


def hydra_records(cfg: DictConfig) -> dict[str, str]:
    """Hydra's record of the run (.hydra/), written by the run once it has claimed its folder: Hydra's own
    copy is switched off (hydra.output_subdir: null) because Hydra writes it before any check."""
    hydra_cfg = HydraConfig.get()
    return {".hydra/config.yaml": OmegaConf.to_yaml(cfg),
            ".hydra/hydra.yaml": OmegaConf.to_yaml({"hydra": hydra_cfg}),
            ".hydra/overrides.yaml": OmegaConf.to_yaml(hydra_cfg.overrides.task)}


def raise_terminated(signum: int, frame) -> None:
    raise Terminated()


def stop_on_sigterm() -> None:
    """SIGTERM stops a command as Ctrl-C does (its default ended the process where it stood: no line, the run
    folder left RUNNING as if still working, a report's staging folder left behind)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_terminated)


def stop_interrupted(where: str, stop: KeyboardInterrupt) -> None:
    """Ctrl-C or SIGTERM: one line that says what was left, exit 130 or 143."""
    said, code = (("terminated (SIGTERM)", EXIT_TERMINATED) if isinstance(stop, Terminated)
                  else ("interrupted", EXIT_INTERRUPTED))
    print(f"{said}{': ' if where else ''}{terminal_text(where)}", file=sys.stderr)
    end_at_once_on_another_stop(code)
    sys.exit(code)


def end_at_once_on_another_stop(code: int) -> None:
    """Once its line is said the process may still wait, for the multilingual encoder it was loading in the background
    (harness.align.encoder.load_in_background): a second Ctrl-C or SIGTERM then ends it at once with the same exit
    code, where the interpreter's shutdown printed a traceback. Only where the interpreter will wait for a thread: a
    caller's process that catches the exit keeps its own handlers."""
    main = threading.main_thread()
    if threading.current_thread() is main and any(thread is not main and not thread.daemon and thread.is_alive()
                                                  for thread in threading.enumerate()):
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: os._exit(code))


def interrupted(folder: Path, sweep_dir: Path | None, stop: KeyboardInterrupt) -> None:
    """Ctrl-C or SIGTERM in a run: where it stopped and how to resume it."""
    resume = f"hydra.sweep.dir={sweep_dir}" if sweep_dir else f"hydra.run.dir={folder}"
    state = left_as(folder)
    stop_interrupted(f"{folder} {state}; run the same command with {resume} to resume it" if state else
                     "before the run started", stop)


def left_as(folder: Path) -> str:
    """How a run stopped by Ctrl-C or SIGTERM left its folder: marked FAILED, or, stopped again while it was being
    marked, still under this process's RUNNING claim (which the next run takes over); "" when it had not claimed it."""
    if (folder / FAILED_MARKER).is_file():
        return "is marked FAILED"
    claim = Claim.read(folder / RUNNING_MARKER)
    if claim is not None and claim.pid == os.getpid():
        return "is left unfinished (its RUNNING marker stays)"
    return ""


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def hydra_run(cfg: DictConfig) -> str:
    global job_started
    job_started = True
    hydra_cfg = HydraConfig.get()
    output_dir = Path(hydra_cfg.runtime.output_dir)
    sweep_dir = Path(hydra_cfg.sweep.dir) if hydra_cfg.mode == RunMode.MULTIRUN else None
    quiet_library_bars()   # after Hydra has set up logging (--quiet), before any model library is imported
    if sweep_dir:
        announce_job(hydra_cfg.job.num, list(hydra_cfg.overrides.task))
    try:
        if sweep_dir and finished_job(output_dir, list(hydra_cfg.overrides.task)):
            log.info("%s: finished by an earlier launch of this sweep; kept as it is", output_dir)
            return JOB_REUSED
        result = run(cfg, output_dir, hydra_records(cfg), keep_failed=sweep_dir is not None, knob="hydra.run.dir")
    except UserError as err:
        if sweep_dir is None and hydra_cfg.verbose:   # hydra.verbose=true: the user asked for the traceback
            raise
        if sweep_dir is None:
            fail(str(err))
        return job_failed(output_dir, err, with_traceback=bool(hydra_cfg.verbose))
    except KeyboardInterrupt as stop:
        if sweep_dir:
            interrupt_sweep(Store.of(cfg.tracking), sweep_dir)
        interrupted(output_dir, sweep_dir, stop)
    except Exception as err:
        if sweep_dir is None:
            raise
        return job_failed(output_dir, err, with_traceback=True)
    try:
        show_run(RunRecord.from_dict(result), output_dir)   # the typed record harness-compare reads from result.json
    except KeyboardInterrupt as stop:
        if sweep_dir:   # the sweep is not finished: run_main says how to resume it
            raise
        stop_interrupted(f"the run is finished ({output_dir}); its table was not all printed", stop)
    return JOB_FINISHED


def show_run(record: RunRecord, output_dir: Path) -> None:
    show(results_table(record))
    summaries = run_summary_table(record)
    if summaries:
        show("\n" + summaries)
    show(f"\nrun folder: {output_dir}")


def job_failed(output_dir: Path, err: Exception, with_traceback: bool) -> str:
    """A job of a sweep that failed (the run marked its folder FAILED): a line naming it, after the traceback of a crash
    (a bug) or of a user error under hydra.verbose=true; then the sweep goes on: the other jobs run and are compared,
    the summary names the job, run_main exits 1. Hydra re-raised a job's error once every job had run, which left the
    finished jobs uncompared and the failed one unnamed."""
    if with_traceback:
        log.error("%s: the job failed; the sweep goes on with its other jobs", output_dir, exc_info=err)
    print(f"error: {output_dir}: {first_line(err)}", file=sys.stderr)
    failed_jobs[output_dir.name] = first_line(err)
    return JOB_FAILED


def sweep_stopped() -> str:
    """Ctrl-C or SIGTERM outside a run, in a sweep (a parallel launcher's wait for its workers, or the comparison):
    where the sweep is and how to resume it; its tracked parent run ends KILLED."""
    folder = sweep_launch.get("folder")
    if folder is None:
        return ""
    interrupt_sweep(sweep_launch.get("store"), folder)
    return (f"the sweep in {folder} stopped before its end; run the same command with hydra.sweep.dir={folder} to "
            "resume it")


def announce_job(number: int, overrides: list[str]) -> None:
    """The overall line of a sweep's job ("job 2 of 3: model=opus_mt"), also the prefix of its progress lines; a
    parallel launcher's worker process did not count the jobs and says "job 2"."""
    progress.job[:] = [f"job {number + 1}" + "".join(f" of {count}" for count in sweep_jobs)]
    log.info("%s: %s", progress.job[0], " ".join(overrides))


def harness_version() -> str:
    return f"mt-harness {metadata.version('mt-harness')}"


QUIET_FLAGS = ("--quiet", "-q")
QUIET_OVERRIDES = ("++hydra.job_logging.handlers.console.level=WARNING",
                   "++hydra.hydra_logging.handlers.console.level=WARNING")


def expand_quiet(arguments: list[str]) -> list[str]:
    """--quiet as the Hydra overrides it stands for: the console shows warnings and errors only, so no INFO lines
    and no progress bars (the results table is printed all the same; run.log keeps every line). They go before
    the first override, because Hydra wants its overrides in one run."""
    if not any(argument in QUIET_FLAGS for argument in arguments):
        return arguments
    kept = [argument for argument in arguments if argument not in QUIET_FLAGS]
    first = next((k for k, argument in enumerate(kept) if "=" in argument and not argument.startswith("-")), len(kept))
    return kept[:first] + list(QUIET_OVERRIDES) + kept[first:]


MULTIRUN_FLAGS = ("-m", "--multirun")


def multirun_first(arguments: list[str]) -> list[str]:
    """-m where a user writes it, after an override too: Hydra's parser wants its overrides in one run, and answered
    `harness-run model=x -m model.name=a,b` with its 8-line usage ('unrecognized arguments: model.name=a,b').
    hydra.mode=MULTIRUN, Hydra's other way to ask for a sweep, counts as -m: such a sweep skipped the check of every
    job before the first runs, and wrote its folder for a misspelt metric."""
    flags = [a for a in arguments if a in MULTIRUN_FLAGS]
    if not flags and not hydra_modes(arguments) and any(asks_multirun(a) for a in arguments):
        flags = [MULTIRUN_FLAGS[0]]
    return flags + [a for a in arguments if a not in MULTIRUN_FLAGS]


HYDRA_MODES = {"--run": "--run", "-r": "--run", "--multirun": "-m", "-m": "-m", "--cfg": "--cfg", "-c": "--cfg",
               "--info": "--info", "-i": "--info", "--shell-completion": "--shell-completion",
               "-sc": "--shell-completion"}   # Hydra's flags of what a launch does, of which it takes one


def hydra_modes(arguments: list[str]) -> list[str]:
    return sorted({HYDRA_MODES[a.partition("=")[0]] for a in arguments if a.partition("=")[0] in HYDRA_MODES})


def refuse_two_modes(arguments: list[str]) -> None:
    """`-m --cfg job` (print a sweep's config) ended in Hydra's traceback, 'ValueError: Only one of --run,
    --multirun, --cfg, --info and --shell_completion can be specified'."""
    modes = hydra_modes(arguments)
    if len(modes) > 1:
        raise UserError(f"{' and '.join(modes)} given together: harness-run does one of --run (a run, the default), "
                        "-m (a sweep), --cfg (print the config), --info and --shell-completion at a time; give one")


def asks_multirun(argument: str) -> bool:
    key, _, value = argument.partition("=")
    return key == "hydra.mode" and value.strip().upper() == "MULTIRUN"


HOME_VALUE = re.compile(r"^(--config-dir|-cd|[^-=][^=]*)=(~[^/,]*)(?=/|$)")


def expand_home(arguments: list[str]) -> list[str]:
    """`hydra.run.dir=~/x` as the user means it: a shell expands ~ only at the start of a word, and Hydra's
    override grammar has no ~ at the start of a value (a lexer error). So too `--config-dir=~/conf`, which Hydra
    read as the folder '~' in the working folder."""
    return [HOME_VALUE.sub(lambda m: f"{m[1]}={os.path.expanduser(m[2])}", argument) for argument in arguments]


def run_main() -> None:
    """harness-run: translate and score with config overrides, e.g. `harness-run model=identity`."""
    if "--version" in sys.argv[1:]:
        show(harness_version())
        return
    stop_on_sigterm()
    sys.argv[1:] = expand_home(expand_quiet(multirun_first(sys.argv[1:])))
    register_schemas()
    try:
        refuse_two_modes(sys.argv[1:])
        check_experiment_names(sys.argv[1:])
        refuse_owned_hydra_settings(sys.argv[1:])
    except UserError as err:
        fail(str(err))
    try:
        if set(MULTIRUN_FLAGS) & set(sys.argv[1:]):
            sweep_jobs[:] = [check_overrides(sys.argv[1:])]
        else:
            os.environ[HYDRA_RAISES] = "1"
        hydra_run()
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as err:
        if job_started:   # raised by the run itself, not by composing its config: a bug, with its traceback
            raise
        fail(composition_message(err, sys.argv[1:]))
    except KeyboardInterrupt as stop:   # outside a run (composing, a parallel sweep's wait, its comparison)
        stop_interrupted(sweep_stopped(), stop)
    if failed_jobs or not_logged:
        sys.exit(EXIT_PARTLY_FAILED)


class OneLineArgumentParser(argparse.ArgumentParser):
    """Usage mistakes as one error line (exit 2), like every other user error."""

    def error(self, message: str) -> None:
        fail(f"{message}; see {self.prog} --help")

    def parse_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        self.refuse_dashed_files(args)
        return super().parse_args(args, namespace)

    def refuse_dashed_files(self, args: list[str]) -> None:
        """A file whose name starts with a dash is read as options: '-sys.txt' as '-s ys.txt' (the source option
        with its value glued on), which left no hypothesis file or named another source."""
        options = args[:args.index("--")] if "--" in args else args
        dashed = next((arg for arg in options if arg.startswith("-") and arg not in self._option_string_actions
                       and Path(arg).exists()), None)
        if dashed:
            self.error(f"'{dashed}' is read as options, not as the file of that name; name the file ./{dashed}")


def folder_argument(text: str) -> Path:
    """--out as given: an empty one ('') named the working folder, and was refused for what the working folder held."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name; give the folder to write")
    return Path(text)


def compare_arguments() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="harness-compare", description="Compare finished runs: leaderboard with "
                                     "95% intervals, paired significance tests, charts and an HTML report.")
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR",
                        help="run folders, sweep folders, globs, or a folder to search (results/): its runs are "
                             "compared per data set")
    parser.add_argument("--list", action="store_true", help="list the finished runs under the folders, one line "
                        "each, and compare nothing")
    parser.add_argument("--version", action="version", version=harness_version())
    parser.add_argument("--baseline", help="the system the others are tested against (default: the first run)")
    parser.add_argument("--out", type=folder_argument, help="report folder (default: results/comparisons/<date>/<time>)")
    parser.add_argument("--metrics", nargs="+", action="extend",   # given twice, both count: the second replaced the first
                        help="metrics to compare (default: those every run has)")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                        help="bootstrap resamples and randomization trials")
    parser.add_argument("--all-pairs", action="store_true", help="also test every pair of systems (a win matrix "
                        "per metric), not only each system against the baseline and its neighbours in the ranking")
    return parser


def publish(comparisons: list[Comparison], place: ReportPlace,
            fix: str = "choose another folder with --out") -> list[Path]:
    """Write the reports into place whole; say so when an earlier report there was replaced. fix: what to do when the
    report cannot be written (harness-compare and harness-score: --out; a sweep: the harness-compare that writes it)."""
    from harness.compare.reports.page import publish_comparisons   # matplotlib: imported only for a comparison
    try:
        pages, replaced = publish_comparisons(comparisons, place)
    except OSError as err:
        why = "no space left on the device" if is_disk_full(err) else err.strerror or str(err)
        raise UserError(f"cannot write the report into {place.folder}: {why}; {fix}") from err
    if replaced:
        print(f"note: replaced the earlier report in {terminal_text(place.folder)}", file=sys.stderr)
    return pages


def show_comparisons(comparisons: list[Comparison], pages: list[Path]) -> None:
    for number, (comparison, page) in enumerate(zip(comparisons, pages), start=1):
        if len(comparisons) > 1:
            show(f"\n== group {number} of {len(comparisons)}: data set {comparison.data.root}, "
                 f"{len(comparison.systems)} run{'s' if len(comparison.systems) != 1 else ''}")
        show(comparison_table(comparison))
        show(f"\nreport: {page}")


def warn_skipped(skipped: list[Skipped]) -> None:
    for folder in skipped:
        print(f"warning: skipped {terminal_text(folder.describe())}", file=sys.stderr)


def default_out(kind: str, now: datetime | None = None) -> Path:
    """The output folder of a harness-compare or harness-score without --out: results/<kind>/<date>/<time>, with
    -2, -3... where an earlier command of the same second has it (its report was replaced, with a note, though no
    one had named the folder)."""
    stamped = Path("results", kind, (now or datetime.now()).strftime("%Y-%m-%d/%H-%M-%S"))
    numbered = (stamped.with_name(f"{stamped.name}-{n}") for n in itertools.count(2))
    return next(folder for folder in itertools.chain([stamped], numbered)
                if not (folder.exists() or folder.is_symlink()))


def compare_main() -> None:
    """harness-compare: compare finished runs, e.g. `harness-compare results/multirun/2026-11-22/08-00-00`."""
    args = compare_arguments().parse_args()
    args.metrics = args.metrics and [name for value in args.metrics for name in value.split(",") if name]   # bleu,ter
    stop_on_sigterm()
    folder = args.out or default_out("comparisons")
    pages: list[Path] = []
    try:
        if args.list:
            refuse_comparison_options(args)
            index, collection = list_runs(args.runs)
            warn_skipped(collection.skipped)
            show(index)
            return
        check_resamples(args.resamples)   # before the runs are read: a search of a large folder takes a while
        seed = environment_seed()
        place = ReportPlace.of(folder)
        collection = collect_runs(args.runs)
        warn_skipped(collection.skipped)
        compared = compare_collection(collection, args.baseline, args.metrics, args.resamples, seed,
                                      all_pairs=args.all_pairs)
        warn_skipped(compared.skipped)
        pages = publish(compared.comparisons, place)
        show_comparisons(compared.comparisons, pages)
    except UserError as err:
        fail(str(err))
    except KeyboardInterrupt as stop:   # the report is published whole or not at all (ReportPlace.publish)
        stop_interrupted(report_written(pages) if pages else "no report written", stop)


COMPARISON_OPTIONS = {"baseline": None, "out": None, "metrics": None, "resamples": DEFAULT_RESAMPLES,
                      "all_pairs": False}   # harness-compare's options that shape a comparison, and their defaults


def refuse_comparison_options(args: argparse.Namespace) -> None:
    """--list compares nothing: an option of the comparison given with it was ignored, exit 0 (--baseline nope too)."""
    given = [f"--{name.replace('_', '-')}" for name, default in COMPARISON_OPTIONS.items()
             if getattr(args, name) != default]
    if given:
        raise UserError(f"--list lists the runs and compares nothing, so {', '.join(given)} would do nothing; leave "
                        f"{'it' if len(given) == 1 else 'them'} out, or drop --list to compare")


def report_written(pages: list[Path]) -> str:
    """Ctrl-C or SIGTERM while the tables of a published report were printed (into a pager, a slow terminal)."""
    return f"the report is written ({', '.join(map(str, pages))}); its tables were not all printed"


def score_arguments() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="harness-score", description="Score hypothesis files of a line-aligned test "
                                   "set against its reference file(s), as `sacrebleu REF -i HYP` does, plus the "
                                   "harness's diagnostics: one run folder per system, then the comparison.")
    parser.add_argument("hypotheses", nargs="+", type=Path, metavar="HYP", help="hypothesis files, one line per "
                        "source line; each is a system named after its file")
    parser.add_argument("-r", "--reference", action="append", type=Path, required=True, dest="references",
                        help="reference file; repeat -r for several references (-r ref1.txt -r ref2.txt, as sacrebleu "
                        "ref1.txt ref2.txt): a file after -r's one file is read as a hypothesis file")
    parser.add_argument("-s", "--source", type=Path, required=True, help="source file (relation, adequacy, COMET)")
    parser.add_argument("--src-lang", help="source language code, e.g. fr (required, here or in -l)")
    parser.add_argument("--tgt-lang", help="target language code (default: en)")
    parser.add_argument("-l", "--language-pair", metavar="SRC-TGT", help="both codes as sacrebleu's -l takes them, "
                        "e.g. fr-en")
    parser.add_argument("--out", type=folder_argument, help="output folder, new or empty (default: results/score/<date>/<time>)")
    parser.add_argument("--baseline", help="the system the others are tested against (default: the first file)")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                        help="bootstrap resamples and randomization trials")
    parser.add_argument("--all-pairs", action="store_true", help="also test every pair of systems (a win matrix "
                        "per metric)")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="a harness-run config override for every run, e.g. metrics=[bleu,chrf,comet]; repeatable")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only on the console (each "
                        "run.log keeps every line)")
    parser.add_argument("--version", action="version", version=harness_version())
    return parser


LOG_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"   # run.log's, and harness-run's console


def score_logging(quiet: bool) -> None:
    """What harness-run's Hydra logging does, without Hydra: INFO into each run.log, and onto stderr unless quiet."""
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter(LOG_FORMAT))
    console.setLevel(logging.WARNING if quiet else logging.INFO)
    logging.getLogger().addHandler(console)
    logging.getLogger().setLevel(logging.INFO)
    quiet_library_bars()


def checked_overrides(overrides: list[str]) -> None:
    """Compose a run's config with the overrides first, so that a typo fails before anything is written."""
    try:
        check_settings(system_config(Path("."), Path("."), "check", overrides))
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as err:
        fail(composition_message(err, overrides))
    except UserError as err:
        fail(str(err))


def score_languages(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[str, str]:
    """The source and target codes from --src-lang/--tgt-lang or sacrebleu's -l SRC-TGT (fr-en), which a user of
    sacrebleu writes first: it was 'unrecognized arguments: -l'. Both ways at once must agree."""
    src, tgt = args.src_lang, args.tgt_lang
    if args.language_pair:
        pair_src, dash, pair_tgt = args.language_pair.partition("-")
        if not (dash and pair_src and pair_tgt):
            parser.error(f"-l {args.language_pair}: give the pair as SRC-TGT, e.g. -l fr-en")
        if (src or pair_src) != pair_src or (tgt or pair_tgt) != pair_tgt:
            parser.error(f"-l {args.language_pair} disagrees with --src-lang {src or pair_src} --tgt-lang "
                         f"{tgt or pair_tgt}; give the languages one way")
        for code in (pair_src, pair_tgt):   # named as written: -l fr-zh-Hant was "--tgt-lang: unknown ... 'zh-Hant'"
            try:
                language_code(code, f"-l {args.language_pair}")
            except UserError as err:
                parser.error(str(err))
        src, tgt = pair_src, pair_tgt
    if src is None:
        parser.error("the following arguments are required: --src-lang (or -l SRC-TGT, e.g. -l fr-en)")
    return src, "en" if tgt is None else tgt   # an empty --tgt-lang= (an unset $TGT) is refused, not read as en


def score_main() -> None:
    """harness-score: score files without a manifest, e.g. `harness-score -r ref.txt -s src.txt --src-lang fr a.txt`."""
    parser = score_arguments()
    args = parser.parse_args()
    args.src_lang, args.tgt_lang = score_languages(args, parser)
    stop_on_sigterm()
    score_logging(args.quiet)
    out = args.out or default_out("score")
    request = ScoreRequest(args.source, args.references, args.hypotheses, args.src_lang, args.tgt_lang, args.override)
    folders: list[Path] = []
    pages: list[Path] = []
    try:
        checked_overrides(args.override)   # a second of composing: a Ctrl-C or SIGTERM there is said in one line too
        if args.baseline and args.baseline not in system_names(args.hypotheses):
            raise unknown_name("baseline system", args.baseline, system_names(args.hypotheses))
        check_resamples(args.resamples)
        seed = environment_seed()         # before the systems are scored, as the other checks of the command line
        folders = score_systems(request, out)
        if len(folders) == 1:
            show(results_table(read_record(folders[0])))
            show(f"\nrun folder: {folders[0]}")
            return
        compared = compare_collection(collect_runs([str(folder) for folder in folders]), args.baseline, None,
                                      args.resamples, seed, all_pairs=args.all_pairs)
        warn_skipped(compared.skipped)
        pages = publish(compared.comparisons, ReportPlace.of(out / COMPARISON_DIR))
        show_comparisons(compared.comparisons, pages)
        renamed = [f"{name} in {run_folder_name(name)}/" for name in system_names(args.hypotheses)
                   if run_folder_name(name) != name]
        show(f"run folders: {out}/<system>" + (f" ({', '.join(renamed)})" if renamed else ""))
    except UserError as err:
        fail(str(err))
    except KeyboardInterrupt as stop:   # each system's run folder is finished, or marked FAILED by the run
        stop_interrupted(report_written(pages) if pages else where_the_score_stopped(out, folders, args), stop)


def where_the_score_stopped(out: Path, folders: list[Path], args: argparse.Namespace) -> str:
    """What harness-score stopped by Ctrl-C or SIGTERM left, and what to do: nothing (stopped while it checked its
    inputs, --out not made yet); every system scored (the comparison to write); the systems scored so far."""
    if len(folders) > 1:
        return comparison_left_to_write(out, folders, args)
    if not out.is_dir() or not any(out.iterdir()):
        return "nothing was written"
    return f"{out} keeps the systems scored so far; run the same command again to finish"


def comparison_left_to_write(out: Path, folders: list[Path], args: argparse.Namespace) -> str:
    """harness-score stopped once every system was scored: the harness-compare command that writes the comparison it
    would have written (its runs in the command's order, so the same baseline; its options)."""
    command = ["harness-compare", *map(str, folders), "--out", str(out / COMPARISON_DIR)]
    command += ["--baseline", args.baseline] if args.baseline else []
    command += ["--resamples", str(args.resamples)] if args.resamples != DEFAULT_RESAMPLES else []
    command += ["--all-pairs"] if args.all_pairs else []
    return f"{out} holds every system's run but not their comparison; write it with: {shlex.join(command)}"


class RunFolderCallback(Callback):
    """Registered in conf/config.yaml: before the launcher makes the run (or sweep) folder, refuse one that
    cannot be made and remember which folders this launch creates, so that a failed run removes only those."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        self.prepare(lambda: check_interpolations(config) or refuse_owned_hydra_values(config)
                     or refuse_missing_values(job_settings(config)) or check_model_folder_name(config.model.name)
                     or make_launch_folder(config.hydra.run.dir, "hydra.run.dir"))

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.prepare(lambda: self.claim_sweep(config))

    @staticmethod
    def claim_sweep(config: DictConfig) -> Path:
        """The sweep's folder, claimed, and remembered for a stop outside its runs (sweep_stopped)."""
        sweep_launch["folder"] = claim_sweep_folder(config.hydra.sweep.dir, list(config.hydra.overrides.task))
        return sweep_launch["folder"]

    @staticmethod
    def prepare(make: Callable[[], Path]) -> None:
        """An error here is said in one line: Hydra turns a callback's exception into a warning of several lines, and
        then fails on the same folder name again (hydra.run.dir=${oc.env:UNSET}: both; a sweep's: a traceback)."""
        try:
            make()
        except UserError as err:
            fail(str(err))
        except InterpolationResolutionError as err:
            fail(str(unresolvable(err)))


class CompareSweepCallback(Callback):
    """Registered in conf/config.yaml: at the end of a -m sweep, write the comparison into the sweep folder.

    Runs of a sweep over data sets cannot share a table: each comparable group gets its own folder.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            collection = collect_runs([str(sweep_dir)])
            compared = compare_collection(collection)
            for folder in collection.skipped + compared.skipped:
                log.warning("not in the comparison: %s", folder.describe())
            count = len(compared.comparisons)
            folders = [sweep_dir / SWEEP_COMPARISON] if count == 1 else [group_folder(sweep_dir, n, count)
                                                                     for n in range(1, count + 1)]
            fix = f"write it later with: harness-compare {shlex.quote(str(sweep_dir))}"
            show_comparisons(compared.comparisons, [page for comparison, folder in zip(compared.comparisons, folders)
                                                    for page in publish([comparison], ReportPlace.of(folder), fix)])
        except UserError as err:   # a finished sweep stays finished: say why there is no comparison
            log.warning("no comparison written for %s: %s", sweep_dir, err)
        for job, why in unfinished_jobs(sweep_dir).items():   # also the jobs of worker processes (joblib, SLURM)
            failed_jobs.setdefault(job, why)
        if failed_jobs:
            jobs = len(expand_sweeps(list(config.hydra.overrides.task), sweeper_params(config)))
            print(f"error: {len(failed_jobs)} of {jobs} jobs failed ({', '.join(failed_jobs)}); "
                  f"fix the cause and run the same command with hydra.sweep.dir={sweep_dir} to finish the sweep (its "
                  "finished jobs are kept)", file=sys.stderr)


class TrackingCallback(Callback):
    """Registered in conf/config.yaml: with tracking=mlflow, every finished run is logged, a sweep's runs under
    a parent run (harness.track.tracking). A store that does not answer stops the launch before anything runs."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        self.refuse_unless(lambda: self.check_tracking(config.tracking, config.hydra.run.dir),
                           Path(config.hydra.run.dir))

    @staticmethod
    def check_tracking(tracking: DictConfig, run_dir: str) -> None:
        """A single run's tracking settings (a sweep's were checked job by job in check_overrides), then its store,
        which may not lie in the run's folder."""
        require_mlflow(tracking)
        store = Store.of(tracking)
        if store:
            check_store(store, resolved(run_dir, "hydra.run.dir"))

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        store, sweep_dir = Store.of(config.tracking), Path(config.hydra.sweep.dir)
        if store:
            self.refuse_unless(lambda: start_sweep(store, sweep_dir, list(config.hydra.overrides.task)), sweep_dir)
            sweep_launch["store"] = store

    def on_job_end(self, config: DictConfig, job_return, **kwargs) -> None:
        store = Store.of(config.tracking)
        finished = job_return.status == JobStatus.COMPLETED and job_return.return_value in (JOB_FINISHED, JOB_REUSED)
        if store and finished:
            sweep_dir = Path(config.hydra.sweep.dir) if config.hydra.mode == RunMode.MULTIRUN else None
            self.say_if_not_logged(lambda: log_finished_run(store, Path(config.hydra.runtime.output_dir),
                                                            list(config.hydra.overrides.task), sweep_dir,
                                                            unless_logged=job_return.return_value == JOB_REUSED))

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        store = Store.of(config.tracking)
        if store:
            self.say_if_not_logged(lambda: end_sweep(store, Path(config.hydra.sweep.dir), list(failed_jobs)))

    # Hydra turns an error raised in a callback into a warning and goes on: an error that is no user error (a bug)
    # let a run go on unchecked, or end unlogged with exit 0. Each is said with its traceback here instead.

    @staticmethod
    def say_if_not_logged(log_it: Callable[[], None]) -> None:
        """A store that fails after the run: one line under the run's table; harness-run exits 1 at the end."""
        try:
            log_it()
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            not_logged.append(str(err))
        except Exception as err:
            log.error("MLflow logging failed: %s", first_line(err), exc_info=err)
            not_logged.append(first_line(err))

    @staticmethod
    def refuse_unless(start: Callable[[], object], folder: Path) -> None:
        """Run the tracking start; on a user error, take back what this launch made (its folder), then exit 2; on
        another error the same, with its traceback, and exit 1."""
        try:
            start()
        except UserError as err:
            abandon_launch(folder)
            fail(str(err))
        except Exception as err:
            abandon_launch(folder)
            log.error("the tracking store could not be checked, so nothing ran: %s", first_line(err), exc_info=err)
            sys.exit(EXIT_BUG)
