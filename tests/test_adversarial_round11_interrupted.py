"""Round 11: interrupted and concurrent work never loses or corrupts data.

Each case starts the real CLI in a child process (tests/adversarial.py), stops it with SIGINT, SIGTERM or SIGKILL at
a stage it announces itself (a stall installed in the child touches TRANSLATING in its working folder, or a marker
the harness writes appears; never a guessed sleep), then checks the exit code and its one line, what is left on
disk (no temporary file in the user's folders, an unfinished folder marked, an earlier report where it was), and
that the same command run again completes with what an uninterrupted command gives. Earlier rounds covered Ctrl-C
and SIGTERM in a run, a score and a compare's chart writing, SIGKILL of a run while it scores or writes its files,
sweeps killed or interrupted in a job, and two commands racing for one folder; these are the moments and pairs they
left: a comparison killed or stopped while it writes its report, while it swaps an earlier report for the new one
(--out a folder or a link to one) or while it prints its tables, and a file of the user's put into --out meanwhile;
a run stopped while it claims its folder (new, or a failed run's it resumes), while it translates (its folder a link
to the user's, which the user then adds a note to), while it writes an alignment file or result.json, while a first
Ctrl-C is being recorded, while it prints its table, and a second Ctrl-C while it ends; a sweep stopped while it
claims its folder or writes its comparison, linked to the user's folder, or refused for its store on resuming;
harness-score stopped while it checks its inputs, reads a system or writes its comparison, or killed outright (not
resumed: a strict xfail); harness-compare and
--list reading a run that is being written; two runs through two links to one folder; a cache folder that is a link,
to nothing or shared by two runs at once, one killed.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from harness.cache import entry_checksum
from tests.adversarial import LOG_RECORD, REPO, Outcome, assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round2_runs import sweep_args
from tests.test_adversarial_round5_state import RESAMPLES, SOURCE, REFERENCE, SYSTEMS, runs_here, score_systems_in
from tests.test_adversarial_round9_state import scores
from tests.test_adversarial_run import Setup, base_args, make_setup
from tests.test_adversarial_state import SLOW

STALLING = "backend._target_=tests.backends_for_tests.StallingBackend"
STALLED = Path("TRANSLATING")   # what a stall installed in a child touches in its working folder (as StallingBackend)


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    return score_systems_in(tmp_path_factory.mktemp("scored"))


def score_files_in(folder: Path) -> None:
    """The source, reference and two systems' files round 5 scores, in folder."""
    (folder / "src.txt").write_text(SOURCE, encoding="utf-8")
    (folder / "ref.txt").write_text(REFERENCE, encoding="utf-8")
    for name, text in SYSTEMS.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def start(code: str, args: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(cwd / "cache"), **(env or {})}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, child: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while not path.exists() and child.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"{path} never appeared ({child.poll()})"


def stop_when(path: Path, child: subprocess.Popen, signum: int) -> list[str]:
    """Send signum once path appears; the child's stderr lines besides the log (none is a traceback)."""
    wait_for(path, child)
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr[-3000:]
    return [line for line in stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]


# ---------------------------------------------------------------- a comparison stopped while it publishes its report

WRITING_REPORT = ("from tests.backends_for_tests import stall_writing_report; stall_writing_report(); "
                  "from harness.cli import compare_main; compare_main()")
# stalls once the earlier report at --out is moved aside, before the new report takes its place
SWAPPING_REPORT = """
import pathlib, time
rename = pathlib.Path.rename
def stalled(self, target):
    moved = rename(self, target)
    if ".replaced-" in pathlib.Path(target).name:
        pathlib.Path("TRANSLATING").touch()
        time.sleep(120)
    return moved
pathlib.Path.rename = stalled
from harness.cli import compare_main
compare_main()
"""
STAGES = {"writing": WRITING_REPORT, "swapping": SWAPPING_REPORT}


def compare_args(runs: list[str], out: Path) -> list[str]:
    return [*runs, "--resamples", str(RESAMPLES), "--out", str(out)]


def hidden_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".report."))


@pytest.mark.parametrize("linked", [False, True])
@pytest.mark.parametrize("stage", STAGES)
def test_a_comparison_killed_while_it_publishes_leaves_nothing_once_run_again(scored, tmp_path, stage, linked):
    """SIGKILL while the report was written (its staging folder .report.partial-PID half full) or while an earlier
    report was swapped for the new one: the same command run again wrote its report, and the killed one's folders
    stayed beside it for good, hidden (.report.partial-PID half a report; .report.replaced-PID the earlier report,
    gone from --out, which the new one 'replaced' without saying so). Linked: --out a symbolic link to the report
    folder, whose target the report replaces."""
    runs = runs_here(scored, tmp_path)
    assert run_cli("compare", compare_args(runs, tmp_path / "report"), cwd=tmp_path).code == 0
    out = tmp_path / "link" if linked else tmp_path / "report"
    if linked:
        out.symlink_to(tmp_path / "report")
    child = start(STAGES[stage], compare_args(runs, out), tmp_path)
    stop_when(tmp_path / STALLED, child, signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL
    (tmp_path / STALLED).unlink()
    again = run_cli("compare", compare_args(runs, out), cwd=tmp_path)
    assert again.code == 0, again.stderr[-3000:]
    assert (tmp_path / "report" / "comparison.json").is_file() and out.is_symlink() == linked
    assert f"note: replaced the earlier report in {tmp_path / 'report'}" in again.error_lines, again.error_lines
    assert hidden_leftovers(tmp_path) == []


def test_the_folders_a_live_comparison_or_another_host_publishes_beside_out_are_left_alone(tmp_path):
    """Only a dead process's leftovers on this host are cleared: a comparison publishing at this moment (a live pid),
    or one on another machine sharing the folder (its pid means nothing here), keeps its folders."""
    from harness.compare.reports.tables import ASIDE, STAGING, ReportPlace, publish_folder

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(ended.stdout)
    live = publish_folder(tmp_path / "report", STAGING, os.getpid())
    elsewhere = [tmp_path / f".report.{kind}-{dead}@another-host" for kind in (STAGING, ASIDE)]
    for folder in [live, *elsewhere]:
        folder.mkdir()
        (folder / "comparison.json").write_text("{}", encoding="utf-8")
    before = tree_checksum(tmp_path)
    ReportPlace.of(tmp_path / "report")
    assert tree_checksum(tmp_path) == before
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_ctrl_c_or_sigterm_while_an_earlier_report_is_swapped_keeps_it_in_place(scored, tmp_path, signum, code,
                                                                                 said):
    """Ctrl-C or SIGTERM after the earlier report was moved aside: 'no report written', and the earlier report was
    gone from --out, hidden under .report.replaced-PID."""
    runs = runs_here(scored, tmp_path)
    assert run_cli("compare", compare_args(runs, tmp_path / "report"), cwd=tmp_path).code == 0
    earlier = tree_checksum(tmp_path)
    child = start(SWAPPING_REPORT, compare_args(runs, tmp_path / "report"), tmp_path)
    lines = stop_when(tmp_path / STALLED, child, signum)
    assert child.returncode == code and lines == [f"{said}: no report written"], (child.returncode, lines)
    (tmp_path / STALLED).unlink()
    assert tree_checksum(tmp_path) == earlier


# ---------------------------------------------------------------- a sweep stopped while it writes its comparison

SWEEP_WRITING_REPORT = WRITING_REPORT.replace("compare_main", "run_main")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL])
def test_a_sweep_stopped_while_it_writes_its_comparison_is_finished_by_the_same_command(tmp_path, signum):
    """Ctrl-C or SIGKILL once every job is finished, while the sweep writes its comparison: the same command keeps
    every job as it is, writes the comparison, and leaves no half-written one in the sweep folder."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    args = sweep_args(sweep, str(setup.data), "generation.batch_size=1,2")
    child = start(SWEEP_WRITING_REPORT, args, tmp_path)
    lines = stop_when(tmp_path / STALLED, child, signum)
    if signum == signal.SIGINT:
        assert child.returncode == 130 and lines == [
            f"interrupted: the sweep in {sweep} stopped before its end; run the same command with "
            f"hydra.sweep.dir={sweep} to resume it"], (child.returncode, lines)
    (tmp_path / STALLED).unlink()
    kept = {job: (sweep / job / "result.json").read_bytes() for job in ("0_identity", "1_identity")}
    again = run_cli("run", args, cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert again.code == 0, again.stderr[-3000:]
    assert {job: (sweep / job / "result.json").read_bytes() for job in kept} == kept
    assert len(json.loads((sweep / "comparison" / "comparison.json").read_text())["systems"]) == 2
    assert sorted(p.name for p in sweep.iterdir() if p.name.startswith(".")) == []


# ---------------------------------------------------------------- a run folder that is a link to the user's folder

def clean_scores(setup: Setup, *extra: str) -> list[dict]:
    """The scores of the same run uninterrupted, in a folder of its own with a cache of its own."""
    clean = setup.root / "clean"
    done = run_cli("run", [*base_args(setup), f"hydra.run.dir={clean}", *extra], cwd=setup.root,
                   env={"HARNESS_CACHE_DIR": str(setup.root / "clean_cache")})
    assert done.code == 0, done.stderr[-3000:]
    return scores(clean)


def translating(run_dir: Path, child: subprocess.Popen) -> Path:
    """The run's log once it says it is translating (the first batch of the slow backend is in flight)."""
    log_file = run_dir / "run.log"
    deadline = time.time() + 120
    while child.poll() is None and time.time() < deadline:
        if log_file.is_file() and "to translate" in log_file.read_text(encoding="utf-8", errors="replace"):
            return log_file
        time.sleep(0.05)
    raise AssertionError(f"{log_file} never said it was translating ({child.poll()})")


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_run_folder_linked_to_the_users_folder_stopped_mid_translation_resumes_through_the_link(tmp_path, signum,
                                                                                                   code, said):
    """hydra.run.dir a symbolic link to an empty folder of the user's, stopped while it translates; the user then
    puts notes.txt into the folder: the same command resumes through the link, keeps the note and the link, and
    scores what an uninterrupted run scores."""
    setup = make_setup(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    setup.run_dir.parent.mkdir()
    setup.run_dir.symlink_to(mine)
    args = [*base_args(setup), SLOW, "generation.batch_size=1"]
    child = start("from harness.cli import run_main; run_main()", args, tmp_path)
    translating(mine, child)
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=120)
    lines = [line for line in stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]
    assert child.returncode == code and lines == [
        f"{said}: {setup.run_dir} is marked FAILED; run the same command with hydra.run.dir={setup.run_dir} to "
        "resume it"], (child.returncode, stderr[-3000:])
    assert (mine / "FAILED").is_file() and not (mine / "RUNNING").exists()
    (mine / "notes.txt").write_text("my notes on this run\n", encoding="utf-8")
    again = run_cli("run", args, cwd=tmp_path)
    assert again.code == 0, again.stderr[-3000:]
    assert setup.run_dir.is_symlink() and (mine / "notes.txt").read_text() == "my notes on this run\n"
    assert scores(mine) == clean_scores(setup, SLOW, "generation.batch_size=1")
    assert [p.name for p in mine.rglob(".*.tmp-*")] == [] and not (mine / "FAILED").exists()


# ---------------------------------------------------------------- harness-score stopped by a scheduler

def test_sigterm_in_a_score_is_one_line_exit_143_and_leaves_nothing_in_the_users_folder(tmp_path):
    """SIGTERM (a scheduler's time limit) while harness-score reads the first system: exit 143, one line saying what
    was kept, the system's run marked FAILED, and the user's folder as it was."""
    user = tmp_path / "user"
    user.mkdir()
    score_files_in(user)
    untouched = tree_checksum(user)
    code = ("from tests.backends_for_tests import stall_reading_files; stall_reading_files(); "
            "from harness.cli import score_main; score_main()")
    child = start(code, ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                         "--out", str(tmp_path / "out")], user, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    lines = stop_when(user / STALLED, child, signal.SIGTERM)
    assert child.returncode == 143 and lines == [
        f"terminated (SIGTERM): {tmp_path / 'out'} keeps the systems scored so far; run the same command again to finish"]
    assert (tmp_path / "out" / "sysA" / "FAILED").read_text().startswith("terminated (SIGTERM)\n")
    assert not (tmp_path / "out" / "sysB").exists()
    (user / STALLED).unlink()
    assert tree_checksum(user) == untouched


# ---------------------------------------------------------------- a comparison reading a run that is being written

def test_a_comparison_of_a_run_being_written_says_it_is_running_and_leaves_it_alone(tmp_path):
    """harness-compare and --list over a finished run and one in the middle of translating: the running one was
    'still running or was killed', although its process was there to ask; the comparison goes ahead without it and
    changes nothing in it."""
    setup = make_setup(tmp_path)
    done = run_cli("run", [*base_args(setup), f"hydra.run.dir={tmp_path / 'results' / 'done'}"], cwd=tmp_path,
                   env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert done.code == 0, done.stderr[-3000:]
    live = tmp_path / "results" / "live"
    child = start("from harness.cli import run_main; run_main()",
                  [*base_args(setup), f"hydra.run.dir={live}", STALLING, "cache.enabled=false"], tmp_path)
    wait_for(tmp_path / STALLED, child)
    try:
        claim = (live / "RUNNING").read_text().splitlines()
        as_it_was = tree_checksum(live)
        listed = run_cli("compare", ["results", "--list"], cwd=tmp_path)
        compared = run_cli("compare", ["results", "--resamples", "20", "--out", "report"], cwd=tmp_path)
        assert tree_checksum(live) == as_it_was
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=120)
    pid, started = claim[0].split()[1], claim[3].split(" ", 1)[1]
    for outcome in (listed, compared):
        assert outcome.code == 0, outcome.stderr[-3000:]
        assert [line for line in outcome.error_lines if "live" in line] == [
            f"warning: skipped results/live is RUNNING: still running (pid {pid}, started {started}); compare it once "
            "it has finished"], outcome.error_lines


# ---------------------------------------------------------------- a cache folder that is a symbolic link

@pytest.mark.parametrize("below", ["", "sub"])
def test_a_cache_folder_linked_to_a_disk_that_is_not_mounted_is_called_so(tmp_path, below):
    """HARNESS_CACHE_DIR a symbolic link (or a folder under one) to a disk that is not mounted: 'cache folder ...:
    File exists', which sent the user looking for a file in the way."""
    setup = make_setup(tmp_path)
    link = tmp_path / "cache_link"
    link.symlink_to(tmp_path / "usb" / "mt-cache")
    cache = link / below if below else link
    untouched = tree_checksum(tmp_path)
    outcome = run_cli("run", base_args(setup), cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(cache)})
    assert_one_line_error(outcome, f"cache folder {cache}: {link} is a symbolic link to {tmp_path / 'usb' / 'mt-cache'}"
                          ", which does not exist (a disk that is not mounted?)", "HARNESS_CACHE_DIR")
    assert tree_checksum(tmp_path) == untouched


def test_runs_through_a_linked_cache_folder_and_its_target_at_once_share_one_sound_cache(tmp_path):
    """Two runs at once, one reaching the cache through a symbolic link to its folder, the other by the folder itself,
    the first killed (SIGKILL) in the middle of translating: the second finishes, the cache passes SQLite's
    integrity check with every row's checksum sound, and the killed run run again scores what an uninterrupted
    run scores."""
    setup = make_setup(tmp_path)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache_link").symlink_to(tmp_path / "cache")
    slow = [SLOW, "generation.batch_size=1"]
    killed = start("from harness.cli import run_main; run_main()", [*base_args(setup), *slow], tmp_path,
                   env={"HARNESS_CACHE_DIR": str(tmp_path / "cache_link")})
    other = start("from harness.cli import run_main; run_main()",
                  [*base_args(setup), *slow, f"hydra.run.dir={tmp_path / 'other'}"], tmp_path)
    translating(setup.run_dir, killed)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=120)
    _, stderr = other.communicate(timeout=120)
    assert other.returncode == 0, stderr[-3000:]
    with closing(sqlite3.connect(tmp_path / "cache" / "translations.sqlite")) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = connection.execute("SELECT key, output, checksum FROM translations").fetchall()
    assert rows and all(checksum == entry_checksum(key, output) for key, output, checksum in rows)
    again = run_cli("run", [*base_args(setup), *slow], cwd=tmp_path,
                    env={"HARNESS_CACHE_DIR": str(tmp_path / "cache_link")})
    assert again.code == 0, again.stderr[-3000:]
    assert scores(setup.run_dir) == scores(tmp_path / "other") == clean_scores(setup, *slow)


# ---------------------------------------------------------------- a run stopped while it claims its folder

CLAIMING = """
import os, pathlib, time
import harness.results.run_folder as run_folder
link = os.link
def stalled(source, target):
    link(source, target)
    if os.path.basename(target) == "RUNNING":   # the claim is published, the run not yet started
        pathlib.Path("TRANSLATING").touch()
        time.sleep(120)
run_folder.os.link = stalled
from harness.cli import run_main
run_main()
"""


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_run_stopped_while_it_claims_its_folder_leaves_nothing(tmp_path, signum, code, said):
    """Ctrl-C or SIGTERM just after the run published its claim: 'before the run started', and yet the new folder
    stayed, holding the dead run's RUNNING marker, which --list then named as a killed run to resume."""
    setup = make_setup(tmp_path)
    untouched = tree_checksum(tmp_path)
    child = start(CLAIMING, base_args(setup), tmp_path)
    lines = stop_when(tmp_path / STALLED, child, signum)
    assert child.returncode == code and lines == [f"{said}: before the run started"], (child.returncode, lines)
    (tmp_path / STALLED).unlink()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == untouched


def test_a_resumed_run_stopped_while_it_claims_the_folder_keeps_it_marked_and_resumable(tmp_path):
    """Ctrl-C just after a run resuming a failed run's folder published its claim (the earlier FAILED marker already
    gone): the folder is marked FAILED again with everything the earlier run wrote, never left unmarked (then it
    would be refused as a folder of the user's), and the same command then finishes it."""
    setup = make_setup(tmp_path)
    failed = start("from harness.cli import run_main; run_main()", [*base_args(setup), STALLING], tmp_path)
    stop_when(tmp_path / STALLED, failed, signal.SIGTERM)
    (tmp_path / STALLED).unlink()
    earlier = tree_checksum(setup.run_dir, exclude=(setup.run_dir / "FAILED", setup.run_dir / "run.log"))
    child = start(CLAIMING, base_args(setup), tmp_path)
    lines = stop_when(tmp_path / STALLED, child, signal.SIGINT)
    assert child.returncode == 130 and lines == [
        f"interrupted: {setup.run_dir} is marked FAILED; run the same command with hydra.run.dir={setup.run_dir} to "
        "resume it"], lines
    assert (setup.run_dir / "FAILED").read_text().startswith("interrupted (Ctrl-C)\n")
    assert tree_checksum(setup.run_dir, exclude=(setup.run_dir / "FAILED", setup.run_dir / "run.log")) == earlier
    again = run_cli("run", base_args(setup), cwd=tmp_path)
    assert again.code == 0, again.stderr[-3000:]
    assert scores(setup.run_dir) == clean_scores(setup)


# ---------------------------------------------------------------- a second Ctrl-C while the process ends

SLOW_ENCODER_LOAD = """
import functools, time
import harness.align.encoder as encoder
encoder.encoder_backend = functools.lru_cache(maxsize=1)(lambda: time.sleep(120))   # the load in the background
from harness.cli import run_main
run_main()
"""


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_ctrl_c_while_the_process_ends_is_no_traceback(tmp_path, second):
    """Ctrl-C while translating, then Ctrl-C (or a scheduler's SIGTERM) again while the process, its line said,
    waits for the multilingual encoder it was loading in the background: 'Exception ignored in: <module
    'threading'>', a traceback and KeyboardInterrupt on the console after the one line."""
    setup = make_setup(tmp_path)
    stderr_file = tmp_path / "stderr.txt"
    with stderr_file.open("w") as stderr:
        child = subprocess.Popen([sys.executable, "-c", SLOW_ENCODER_LOAD, *base_args(setup), SLOW,
                                  "generation.batch_size=1"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr,
                                 env={**os.environ, "PYTHONPATH": str(REPO),
                                      "HARNESS_CACHE_DIR": str(tmp_path / "cache")})
        translating(setup.run_dir, child)
        child.send_signal(signal.SIGINT)
        deadline = time.time() + 60
        while "interrupted:" not in stderr_file.read_text() and time.time() < deadline:
            time.sleep(0.05)
        child.send_signal(second)
        child.wait(timeout=60)
    said = [line for line in stderr_file.read_text().splitlines() if line.strip() and not LOG_RECORD.match(line)]
    assert child.returncode == 130 and said == [
        f"interrupted: {setup.run_dir} is marked FAILED; run the same command with hydra.run.dir={setup.run_dir} to "
        "resume it"], (child.returncode, said)


MARKING_FAILED = """
import pathlib, time
import harness.results.run_folder as run_folder
write_durably = run_folder.write_durably
def stalled(path, text):
    if path.name.startswith(".FAILED.tmp"):   # the first Ctrl-C is being recorded
        pathlib.Path("TRANSLATING").touch()
        time.sleep(120)
    write_durably(path, text)
run_folder.write_durably = stalled
from harness.cli import run_main
run_main()
"""


def test_a_second_ctrl_c_while_the_folder_is_marked_says_where_the_run_stopped(tmp_path):
    """Ctrl-C while translating, and again while the folder was being marked FAILED: 'interrupted: before the run
    started', though the run had claimed its folder and written into it (its RUNNING marker stays, which the same
    command takes over). The line names the folder and how to resume it, and the same command does."""
    setup = make_setup(tmp_path)
    child = start(MARKING_FAILED, [*base_args(setup), SLOW, "generation.batch_size=1"], tmp_path)
    translating(setup.run_dir, child)
    child.send_signal(signal.SIGINT)
    lines = stop_when(tmp_path / STALLED, child, signal.SIGINT)
    assert child.returncode == 130 and lines == [
        f"interrupted: {setup.run_dir} is left unfinished (its RUNNING marker stays); run the same command with "
        f"hydra.run.dir={setup.run_dir} to resume it"], lines
    (tmp_path / STALLED).unlink()
    again = run_cli("run", [*base_args(setup), SLOW, "generation.batch_size=1"], cwd=tmp_path)
    assert again.code == 0, again.stderr[-3000:]
    assert scores(setup.run_dir) == clean_scores(setup, SLOW, "generation.batch_size=1")


# ---------------------------------------------------------------- harness-score stopped while it compares

def test_a_score_stopped_while_it_compares_says_how_to_compare_what_it_scored(tmp_path):
    """Ctrl-C once every system was scored, while harness-score wrote the comparison: 'keeps the systems scored so
    far; score again into a new --out', which scores every system again. The line gives the harness-compare command
    that finishes the job, and that command writes the comparison an uninterrupted harness-score writes."""
    user = tmp_path / "user"
    user.mkdir()
    score_files_in(user)
    options = ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysB.txt", "sysA.txt", "--resamples",
               str(RESAMPLES), "--all-pairs"]
    env = {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    code = ("from tests.backends_for_tests import stall_writing_report; stall_writing_report(); "
            "from harness.cli import score_main; score_main()")
    child = start(code, [*options, "--out", str(tmp_path / "out")], user, env=env)
    lines = stop_when(user / STALLED, child, signal.SIGINT)
    (user / STALLED).unlink()
    out = tmp_path / "out"
    command = (f"harness-compare {out / 'sysB'} {out / 'sysA'} --out {out / 'comparison'} --resamples {RESAMPLES} "
               "--all-pairs")
    assert child.returncode == 130 and lines == [
        f"interrupted: {out} holds every system's run but not their comparison; write it with: {command}"], lines
    finished = run_cli("compare", command.split()[1:], cwd=user)
    assert finished.code == 0, finished.stderr[-3000:]
    uninterrupted = run_cli("score", [*options, "--out", str(tmp_path / "clean")], cwd=user, env=env)
    assert uninterrupted.code == 0, uninterrupted.stderr[-3000:]
    for name in ("leaderboard.csv", "ranking.csv"):
        assert (out / "comparison" / name).read_bytes() == (tmp_path / "clean" / "comparison" / name).read_bytes()


def test_a_sweep_stopped_while_it_claims_its_folder_leaves_nothing(tmp_path):
    """Ctrl-C just after a sweep published its SWEEP claim, before its first job: 'interrupted', and the new sweep
    folder stayed, holding the claim, so that a run given that folder was refused as a folder of the user's."""
    setup = make_setup(tmp_path)
    untouched = tree_checksum(tmp_path)
    child = start(CLAIMING.replace('"RUNNING"', '"SWEEP"'), sweep_args(tmp_path / "sweep", str(setup.data),
                                                                      "generation.batch_size=1,2"), tmp_path)
    lines = stop_when(tmp_path / STALLED, child, signal.SIGINT)
    assert child.returncode == 130 and lines == ["interrupted"], (child.returncode, lines)
    (tmp_path / STALLED).unlink()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == untouched


def test_a_sweep_refused_for_its_store_on_resuming_keeps_its_folder_resumable(tmp_path):
    """A tracked sweep run again (to resume it) while its MLflow store is broken (its artifact folder a file): refused
    in one line, rightly, but the launch had taken over the sweep's SWEEP claim and then removed it, so that once the
    store was mended the same command refused the sweep's own folder as a folder of the user's."""
    pytest.importorskip("mlflow", reason="tracking=mlflow needs the tracking extra: pip install -e '.[tracking]'")
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    args = sweep_args(sweep, str(setup.data), "generation.batch_size=1,2", "tracking=mlflow", f"tracking.uri={uri}")
    env = {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    first = run_cli("run", args, cwd=tmp_path, env=env)
    assert first.code == 0, first.stderr[-3000:]
    artifacts = tmp_path / "store" / "mlartifacts"
    kept = artifacts.with_name("kept")
    artifacts.rename(kept)
    artifacts.write_text("my notes\n")
    refused = run_cli("run", args, cwd=tmp_path, env=env)
    assert_one_line_error(refused, f"{artifacts} is a file")
    artifacts.unlink()
    kept.rename(artifacts)
    again = run_cli("run", args, cwd=tmp_path, env=env)
    assert again.code == 0, again.stderr[-3000:]


# ---------------------------------------------------------------- two processes through links to one folder

def test_two_runs_through_two_links_to_one_folder_one_is_refused_and_the_other_left_alone(tmp_path):
    """Two runs at once whose hydra.run.dir are two symbolic links to one folder of the user's: the second is refused in
    one line naming the first's pid, and nothing of the first changes."""
    setup = make_setup(tmp_path)
    (tmp_path / "mine").mkdir()
    for name in ("first", "second"):
        (tmp_path / name).symlink_to(tmp_path / "mine")
    child = start("from harness.cli import run_main; run_main()",
                  [*base_args(setup), f"hydra.run.dir={tmp_path / 'first'}", STALLING, "cache.enabled=false"], tmp_path)
    wait_for(tmp_path / STALLED, child)
    try:
        as_it_was = tree_checksum(tmp_path)
        second = run_cli("run", [*base_args(setup), f"hydra.run.dir={tmp_path / 'second'}"], cwd=tmp_path)
        assert_one_line_error(second, f"{tmp_path / 'mine'} is in use by run pid {child.pid}")
        assert tree_checksum(tmp_path) == as_it_was
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=120)


def test_a_sweep_folder_linked_to_the_users_folder_stopped_in_a_job_resumes_through_the_link(tmp_path):
    """hydra.sweep.dir a symbolic link to an empty folder of the user's, SIGTERM in the second job: the line names the
    sweep as given, and the same command through the link keeps the first job and finishes the second."""
    setup = make_setup(tmp_path)
    (tmp_path / "mine").mkdir()
    sweep = tmp_path / "sweep"
    sweep.symlink_to(tmp_path / "mine")
    args = sweep_args(sweep, str(setup.data), SLOW, "cache.enabled=false", "generation.batch_size=1,2")
    child = start("from harness.cli import run_main; run_main()", args, tmp_path)
    translating(tmp_path / "mine" / "1_identity", child)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=120)
    said = [line for line in stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]
    assert child.returncode == 143 and said == [
        f"terminated (SIGTERM): {sweep / '1_identity'} is marked FAILED; run the same command with "
        f"hydra.sweep.dir={sweep} to resume it"], (child.returncode, said)
    kept = (tmp_path / "mine" / "0_identity" / "result.json").read_bytes()
    again = run_cli("run", args, cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert again.code == 0, again.stderr[-3000:]
    assert sweep.is_symlink() and (tmp_path / "mine" / "0_identity" / "result.json").read_bytes() == kept
    assert len(json.loads((tmp_path / "mine" / "comparison" / "comparison.json").read_text())["systems"]) == 2


def test_a_score_stopped_while_it_checks_its_inputs_says_nothing_was_written(tmp_path):
    """Ctrl-C while harness-score checked its files' languages, before it made --out: 'OUT keeps the systems scored so
    far; score again into a new --out', about a folder that does not exist."""
    user = tmp_path / "user"
    user.mkdir()
    score_files_in(user)
    untouched = tree_checksum(tmp_path)
    code = """
import pathlib, time
import harness.score_files as score_files
def stalled(*args):
    pathlib.Path("TRANSLATING").touch()
    time.sleep(120)
score_files.check_languages = stalled
from harness.cli import score_main
score_main()
"""
    child = start(code, ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--out",
                         str(tmp_path / "out")], user, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    lines = stop_when(user / STALLED, child, signal.SIGINT)
    assert child.returncode == 130 and lines == ["interrupted: nothing was written"], lines
    (user / STALLED).unlink()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == untouched


PRINTING = """
import pathlib, time
import harness.cli as cli
def stalled(text):   # stalls as a pager or a slow terminal does once the work is done
    pathlib.Path("TRANSLATING").touch()
    time.sleep(120)
cli.show = stalled
cli.{main}()
"""


def test_a_comparison_stopped_while_it_prints_its_tables_says_its_report_is_written(scored, tmp_path):
    """Ctrl-C while the tables were printed (into a pager or a slow terminal), the report already in place: 'no report
    written', and the user ran the comparison again for a report that was there."""
    runs = runs_here(scored, tmp_path)
    child = start(PRINTING.format(main="compare_main"), compare_args(runs, tmp_path / "report"), tmp_path)
    lines = stop_when(tmp_path / STALLED, child, signal.SIGINT)
    assert child.returncode == 130 and lines == [
        f"interrupted: the report is written ({tmp_path / 'report' / 'report.html'}); its tables were not all "
        "printed"], lines
    assert (tmp_path / "report" / "comparison.json").is_file()


def test_a_run_stopped_while_it_prints_its_table_says_it_is_finished(tmp_path):
    """Ctrl-C while the run's table was printed, result.json written: a bare 'interrupted', exit 130, as if the run
    had not finished. The line names the finished run's folder."""
    setup = make_setup(tmp_path)
    child = start(PRINTING.format(main="run_main"), base_args(setup), tmp_path)
    lines = stop_when(tmp_path / STALLED, child, signal.SIGINT)
    assert child.returncode == 130 and lines == [
        f"interrupted: the run is finished ({setup.run_dir}); its table was not all printed"], lines
    assert (setup.run_dir / "result.json").is_file() and not (setup.run_dir / "RUNNING").exists()


PAUSED_WRITING_REPORT = """
import pathlib, time
from harness.compare.reports import page
write_charts = page.write_charts
def paused(comparison, folder):   # says so (TRANSLATING) and waits until the test removes it
    marker = pathlib.Path("TRANSLATING")
    marker.touch()
    while marker.exists():
        time.sleep(0.05)
    return write_charts(comparison, folder)
page.write_charts = paused
from harness.cli import compare_main
compare_main()
"""


def test_a_file_of_the_users_put_into_out_while_the_comparison_runs_is_named_and_kept(scored, tmp_path):
    """The user put notes.txt into --out (an earlier report) while the comparison wrote the new one: nothing was
    overwritten, rightly, but the line blamed 'another comparison' for a report written there; it names the file."""
    runs = runs_here(scored, tmp_path)
    assert run_cli("compare", compare_args(runs, tmp_path / "report"), cwd=tmp_path).code == 0
    child = start(PAUSED_WRITING_REPORT, compare_args(runs, tmp_path / "report"), tmp_path)
    wait_for(tmp_path / STALLED, child)
    (tmp_path / "report" / "notes.txt").write_text("my notes on this report\n", encoding="utf-8")
    as_it_is = tree_checksum(tmp_path)
    (tmp_path / STALLED).unlink()
    _, stderr = child.communicate(timeout=120)
    assert_one_line_error(Outcome(child.returncode, "", stderr), f"--out {tmp_path / 'report'}: notes.txt appeared "
                          "there while this comparison ran; nothing was overwritten and this report was not written")
    assert tree_checksum(tmp_path) == {k: v for k, v in as_it_is.items() if k != STALLED.name}


def test_a_users_note_put_into_a_new_run_folder_before_the_run_refuses_its_data_is_kept(tmp_path):
    """notes.txt put into the new run folder while the run read its data set, which it then refused (a document
    without text): the run takes back exactly what it wrote, and the note and its folder stay."""
    setup = make_setup(tmp_path)
    setup.write("a.txt", "   \n")
    code = """
import pathlib, time
import harness.pipeline as pipeline
load_dataset = pipeline.load_dataset
def paused(*args):   # says so (TRANSLATING) and waits until the test removes it
    marker = pathlib.Path("TRANSLATING")
    marker.touch()
    while marker.exists():
        time.sleep(0.05)
    return load_dataset(*args)
pipeline.load_dataset = paused
from harness.cli import run_main
run_main()
"""
    child = start(code, base_args(setup), tmp_path)
    wait_for(tmp_path / STALLED, child)
    (setup.run_dir / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (tmp_path / STALLED).unlink()
    _, stderr = child.communicate(timeout=120)
    assert_one_line_error(Outcome(child.returncode, "", stderr), "a.txt: document is empty")
    assert sorted(p.name for p in setup.run_dir.iterdir()) == ["notes.txt"]


WRITING_FILE = """
import os, pathlib, sys, time
import harness.results.run_folder as run_folder
where = sys.argv.pop(1)
replace = os.replace
def stalled(source, target):   # the file is whole under its temporary name, not yet in place
    if os.path.basename(str(target)) == where:
        pathlib.Path("TRANSLATING").touch()
        time.sleep(120)
    replace(source, target)
run_folder.os.replace = stalled
from harness.cli import run_main
run_main()
"""


@pytest.mark.parametrize("where, signum, code", [("a.tsv", signal.SIGINT, 130), ("result.json", signal.SIGTERM, 143)])
def test_a_run_stopped_while_it_writes_a_file_leaves_no_part_of_it_and_resumes(tmp_path, where, signum, code):
    """Ctrl-C while an alignment file is written, SIGTERM while result.json is: the folder is marked FAILED with no
    temporary file and no result.json, and the same command scores what an uninterrupted run scores."""
    setup = make_setup(tmp_path)
    child = start(WRITING_FILE, [where, *base_args(setup)], tmp_path)
    stop_when(tmp_path / STALLED, child, signum)
    (tmp_path / STALLED).unlink()
    assert child.returncode == code and (setup.run_dir / "FAILED").is_file()
    assert not (setup.run_dir / "result.json").exists() and list(setup.run_dir.rglob(".*.tmp-*")) == []
    again = run_cli("run", base_args(setup), cwd=tmp_path)
    assert again.code == 0, again.stderr[-3000:]
    assert scores(setup.run_dir) == clean_scores(setup)
    assert list(setup.run_dir.rglob(".*.tmp-*")) == []


def test_a_score_killed_outright_is_finished_by_the_same_command(tmp_path):
    """SIGKILL (a power cut, the OOM killer) while harness-score read its first system: the same command finishes the
    job, as harness-run resumes a killed run."""
    user = tmp_path / "user"
    user.mkdir()
    score_files_in(user)
    options = ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt", "--resamples",
               str(RESAMPLES), "--out", str(tmp_path / "out")]
    env = {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    code = ("from tests.backends_for_tests import stall_reading_files; stall_reading_files(); "
            "from harness.cli import score_main; score_main()")
    child = start(code, options, user, env=env)
    stop_when(user / STALLED, child, signal.SIGKILL)
    (user / STALLED).unlink()
    again = run_cli("score", options, cwd=user, env=env)
    assert again.code == 0, again.stderr[-3000:]
    assert (tmp_path / "out" / "comparison" / "comparison.json").is_file()
