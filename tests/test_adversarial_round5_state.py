"""Round 5: never lose or corrupt a user's data, and state that stays true.

Each case builds its input in tmp_path, runs the real CLI in a child process and checks the exit code, the one
error line, and a checksum of the surrounding tree (tests/adversarial.py). Earlier rounds covered run folders,
claims, sweeps, full disks and Ctrl-C; these are the cases they left: files of the user's that bear a report's
names, SIGTERM (a scheduler's time limit), a tracking store at a file MLflow did not make, and a cache folder
name read from a file with its line end."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.adversarial import LOG_RECORD, REPO, assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_run import base_args, make_setup

SOURCE = "Le chat est sur la table.\nIl fait beau aujourd'hui.\nNous allons au marché demain matin.\n"
REFERENCE = "The cat is on the table.\nThe weather is nice today.\nWe are going to the market tomorrow morning.\n"
SYSTEMS = {"sysA": "The cat is on the table.\nIt is nice today.\nWe go to the market tomorrow.\n",
           "sysB": "Cat on table.\nWeather nice.\nMarket tomorrow morning.\n"}


RESAMPLES = 20


def score_systems_in(root: Path) -> Path:
    """The two SYSTEMS scored by harness-score in root: OUT/sysA and OUT/sysB, finished runs to compare."""
    (root / "src.txt").write_text(SOURCE, encoding="utf-8")
    (root / "ref.txt").write_text(REFERENCE, encoding="utf-8")
    for name, text in SYSTEMS.items():
        (root / f"{name}.txt").write_text(text, encoding="utf-8")
    done = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", *[f"{n}.txt" for n in SYSTEMS],
                             "--resamples", str(RESAMPLES), "--out", "out"], cwd=root,
                   env={"HARNESS_CACHE_DIR": str(root / "cache")})
    assert done.code == 0, done.stderr[-3000:]
    return root / "out"


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    return score_systems_in(tmp_path_factory.mktemp("scored"))


def runs_here(scored: Path, tmp_path: Path) -> list[str]:
    """Copies of the two finished runs under tmp_path (a case may change what surrounds them)."""
    for name in SYSTEMS:
        shutil.copytree(scored / name, tmp_path / "runs" / name)
    return [str(tmp_path / "runs" / name) for name in SYSTEMS]


# ---------------------------------------------------------------- report folders that hold the user's files

def own_report_page(out: Path) -> None:
    out.mkdir()
    (out / "report.html").write_text("<html>my own report, written by hand</html>\n", encoding="utf-8")


def own_charts(out: Path) -> None:
    (out / "charts").mkdir(parents=True)
    (out / "charts" / "figure1.png").write_bytes(b"\x89PNG my figure")


def own_leaderboard_and_json(out: Path) -> None:
    out.mkdir()
    (out / "leaderboard.csv").write_text("system,score\nmine,1\n", encoding="utf-8")
    (out / "comparison.json").write_text('{"my": "notes"}\n', encoding="utf-8")


def own_group_folder(out: Path) -> None:
    (out / "comparison_1").mkdir(parents=True)
    (out / "comparison_1" / "report.html").write_text("<html>mine</html>\n", encoding="utf-8")


@pytest.mark.parametrize("make, named", [(own_report_page, "report.html"), (own_charts, "charts"),
                                         (own_leaderboard_and_json, "comparison.json"),
                                         (own_group_folder, "comparison_1")])
def test_files_of_the_users_that_bear_a_reports_names_are_not_replaced(scored, tmp_path, make, named):
    """A folder holding the user's own report.html, charts/ or leaderboard.csv was taken for an earlier report:
    "note: replaced the earlier report", exit 0, and the user's files deleted (names alone made a report)."""
    runs = runs_here(scored, tmp_path)
    make(tmp_path / "thesis")
    untouched = tree_checksum(tmp_path)
    outcome = run_cli("compare", [*runs, "--out", str(tmp_path / "thesis"), "--resamples", "20"], cwd=tmp_path)
    assert_one_line_error(outcome, f"--out {tmp_path / 'thesis'} already holds other files", named,
                          "name a new or empty folder")
    assert tree_checksum(tmp_path) == untouched


# ---------------------------------------------------------------- SIGTERM (kill, timeout, a scheduler's time limit)

def start(code: str, args: list[str], cwd: Path) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(cwd / "cache")}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def terminate_when_stalled(child: subprocess.Popen, cwd: Path) -> list[str]:
    """SIGTERM once the child says it is stalled (TRANSLATING); its stderr's lines besides the log."""
    deadline = time.time() + 120
    while not (cwd / "TRANSLATING").exists() and time.time() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr[-3000:]
    return [line for line in stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]


def test_sigterm_in_a_run_is_one_line_exit_143_and_marks_the_folder_failed(tmp_path):
    """SIGTERM (a SLURM time limit, `timeout`, `kill`) ended the process where it stood: exit -15, not a line, and
    RUNNING left behind, so that --list called the dead run 'still running or was killed'."""
    setup = make_setup(tmp_path)
    stalling = "backend._target_=tests.backends_for_tests.StallingBackend"
    child = start("from harness.cli import run_main; run_main()", [*base_args(setup), stalling], tmp_path)
    lines = terminate_when_stalled(child, tmp_path)
    assert child.returncode == 143
    assert lines == [f"terminated (SIGTERM): {setup.run_dir} is marked FAILED; run the same command with "
                     f"hydra.run.dir={setup.run_dir} to resume it"]
    assert (setup.run_dir / "FAILED").read_text().startswith("terminated (SIGTERM)\npid ")
    assert not (setup.run_dir / "RUNNING").exists() and not (setup.run_dir / "result.json").exists()


def test_sigterm_in_a_compare_leaves_no_half_written_report(scored, tmp_path):
    """SIGTERM while the report was written left its staging folder (.report.partial-<pid>) with half a report."""
    runs = runs_here(scored, tmp_path)
    untouched = tree_checksum(tmp_path)
    code = ("from tests.backends_for_tests import stall_writing_report; stall_writing_report(); "
            "from harness.cli import compare_main; compare_main()")
    child = start(code, [*runs, "--resamples", "20", "--out", str(tmp_path / "report")], tmp_path)
    lines = terminate_when_stalled(child, tmp_path)
    assert child.returncode == 143 and lines == ["terminated (SIGTERM): no report written"]
    (tmp_path / "TRANSLATING").unlink()
    assert tree_checksum(tmp_path) == untouched


# ---------------------------------------------------------------- tracking.uri at a file that is not MLflow's store

def another_programs_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
        connection.execute("INSERT INTO notes VALUES ('chapter 1')")
        connection.commit()


def not_a_database(path: Path) -> None:
    path.write_text("my notes, not a database\n", encoding="utf-8")


@pytest.mark.parametrize("make, said", [(another_programs_database, "is another program's database (tables: notes)"),
                                        (not_a_database, "is not an SQLite database")])
@pytest.mark.parametrize("sweep", [False, True], ids=["run", "sweep"])
def test_a_tracking_store_at_a_file_mlflow_did_not_make_is_refused_before_the_run(tmp_path, make, said, sweep):
    """tracking.uri=sqlite:///notes.db at another program's database: MLflow added its 70 tables to it (exit 0);
    at a file that is no database: exit 0, the run unlogged, and only a Hydra UserWarning about a DatabaseError."""
    pytest.importorskip("mlflow")
    setup = make_setup(tmp_path)
    make(tmp_path / "notes.db")
    untouched = tree_checksum(tmp_path)
    uri = f"sqlite:///{tmp_path / 'notes.db'}"
    args = ["-m", *base_args(setup)[:2], f"hydra.sweep.dir={tmp_path / 'sweep'}"] if sweep else base_args(setup)
    outcome = run_cli("run", [*args, "alignment.embeddings=false", "tracking=mlflow", f"tracking.uri={uri}"],
                      cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, f"tracking.uri={uri}: {tmp_path / 'notes.db'} {said}", "tracking=none")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == untouched


# ---------------------------------------------------------------- the environment

@pytest.mark.parametrize("cache_dir", ["{root}/cache\n", " {root}/cache", "{root}/cache\t"])
def test_a_cache_folder_name_with_a_line_break_or_space_at_its_end_is_refused(tmp_path, cache_dir):
    """HARNESS_CACHE_DIR read from a file with its line end: a new, empty folder 'cache\\n' was made beside the user's
    cache, in silence, and every translation was done again into it."""
    setup = make_setup(tmp_path)
    (tmp_path / "cache").mkdir()
    untouched = tree_checksum(tmp_path)
    outcome = run_cli("run", base_args(setup), cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": cache_dir.format(root=tmp_path)})
    assert_one_line_error(outcome, "cache.dir=", "white space or a line break", "HARNESS_CACHE_DIR")
    assert tree_checksum(tmp_path) == untouched
