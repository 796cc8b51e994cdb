"""Round 3 of the adversarial matrix: output paths and config values the first two rounds did not try.

Each case runs the real CLI in a child process as a user would and checks the exit code, the one error line and a
checksum of the whole surrounding tree (tests/adversarial.py): a refused command leaves nothing behind.
- a NaN or infinite number in the config: the run went through to the end, then died on writing result.json (a
  traceback, exit 1, a FAILED folder left behind);
- harness-score --out that cannot be made (a link to a disk that is not mounted, a path under a file, a name that is
  not UTF-8): a traceback, in the last case after half the output folder was written;
- harness-compare --out that is a link to a disk that is not mounted: the report folder was made where the link
  points, in place of the disk;
- --resamples beyond memory (a numpy traceback), and Ctrl-C in harness-score and harness-compare (a traceback where
  harness-run says one line).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.builders import REPO
from tests.test_adversarial_run import base_args, make_setup

SOURCE = ["Bonjour à tous les amis de la ville.", "Le chat dort sur le canapé rouge.",
          "Il pleut beaucoup à Paris ce matin."]
REFERENCE = ["Hello to all the friends of the city.", "The cat sleeps on the red sofa.",
             "It is raining a lot in Paris this morning."]
SYSTEM_A = ["Hello to all friends of the town.", "The cat is sleeping on the red couch.",
            "It rains a lot in Paris this morning."]
SYSTEM_B = ["Hello everyone in the city.", "The cat sleeps on the sofa.", "It is raining in Paris."]


@pytest.mark.parametrize("override, key", [
    ("diagnostics.parallel_min_gap=nan", "diagnostics.parallel_min_gap=nan"),
    ("crosslingual.skip=-inf", "crosslingual.skip=-inf"),
    ("alignment.weights={embedding:0,chrf:inf,length:1}", "alignment.weights.chrf=inf"),
])
def test_a_number_that_is_not_finite_is_refused_before_the_run(tmp_path, override, key):
    setup = make_setup(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), override], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, key, "must be a finite number")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def user_files(tmp_path: Path) -> Path:
    user = tmp_path / "user"
    user.mkdir()
    for name, lines in (("src", SOURCE), ("ref", REFERENCE), ("sysA", SYSTEM_A), ("sysB", SYSTEM_B)):
        (user / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return user


def link_to_an_unmounted_disk(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "out").symlink_to(tmp_path / "unmounted" / "disk")
    return str(tmp_path / "out"), "is a symbolic link to"


def under_a_file(tmp_path: Path) -> tuple[str, str]:
    return str(tmp_path / "user" / "sysA.txt" / "out"), "sysA.txt is a file, not a folder"


def not_utf8(tmp_path: Path) -> tuple[str, str]:
    return os.fsdecode(bytes(tmp_path) + b"/r\xe9sultats"), "the path is not UTF-8"


@pytest.mark.parametrize("out", [link_to_an_unmounted_disk, under_a_file, not_utf8])
def test_a_score_out_that_cannot_be_made_is_one_line_and_writes_nothing(tmp_path, out):
    user = user_files(tmp_path)
    folder, fragment = out(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("score", ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                                "--out", folder], cwd=user, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, "--out", fragment)
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_a_compare_out_that_links_to_an_unmounted_disk_is_refused_not_made(tmp_path):
    user = user_files(tmp_path)
    scored = run_cli("score", ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                               "--out", str(tmp_path / "scored"), "--resamples", "20"], cwd=user,
                     env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert scored.code == 0, scored.stderr[-2000:]
    folder, fragment = link_to_an_unmounted_disk(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("compare", [str(tmp_path / "scored" / "sysA"), str(tmp_path / "scored" / "sysB"),
                                  "--resamples", "20", "--out", folder], cwd=tmp_path)
    assert_one_line_error(outcome, "--out", fragment)
    assert not (tmp_path / "unmounted").exists()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.mark.parametrize("resamples", ["0", "-5"])
def test_a_score_refused_for_its_resamples_is_refused_before_it_writes(tmp_path, resamples):
    """The comparison's --resamples was checked after every system was scored: exit 2, and OUT left full."""
    user = user_files(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("score", ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                                "--out", str(tmp_path / "out"), "--resamples", resamples], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, f"--resamples {resamples}: needs at least 1")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.mark.parametrize("resamples", ["100001", "99999999999999999999"])
def test_a_compare_with_more_resamples_than_memory_allows_is_one_line(tmp_path, resamples):
    """--resamples 99999999999999999999 ended in numpy's OverflowError traceback; a large count in a MemoryError."""
    user = user_files(tmp_path)
    scored = run_cli("score", ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                               "--out", str(tmp_path / "scored"), "--resamples", "20"], cwd=user,
                     env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert scored.code == 0, scored.stderr[-2000:]
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("compare", [str(tmp_path / "scored" / "sysA"), str(tmp_path / "scored" / "sysB"),
                                  "--resamples", resamples, "--out", str(tmp_path / "report")], cwd=tmp_path)
    assert_one_line_error(outcome, f"--resamples {resamples}: at most 100000")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_ctrl_c_in_a_score_is_one_line_exit_130_and_the_unfinished_run_marked(tmp_path):
    """harness-score printed a traceback on Ctrl-C (harness-run says one line)."""
    user = user_files(tmp_path)
    stalling = ("from tests.backends_for_tests import stall_reading_files; stall_reading_files(); "
                "from harness.cli import score_main; score_main()")
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    child = subprocess.Popen([sys.executable, "-c", stalling, "-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang",
                              "fr", "sysA.txt", "--out", str(tmp_path / "out")], cwd=user, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (user / "TRANSLATING").exists() and time.time() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert child.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and lines == [
        f"interrupted: {tmp_path / 'out'} keeps the systems scored so far; run the same command again to finish"], stderr[-3000:]
    assert (tmp_path / "out" / "sysA" / "FAILED").read_text().startswith("interrupted")


def test_ctrl_c_in_a_compare_is_one_line_exit_130_and_writes_no_report(tmp_path, monkeypatch, capsys):
    from harness import cli

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "collect_runs", interrupt)
    monkeypatch.setattr(sys, "argv", ["harness-compare", str(tmp_path), "--out", str(tmp_path / "report")])
    with pytest.raises(SystemExit) as stopped:
        cli.compare_main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "interrupted: no report written\n"
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("resamples", ["0", "100001"])
def test_compare_checks_its_resamples_before_it_reads_any_run(tmp_path, resamples):
    """The count was checked per comparable group, after every run under the folders had been read."""
    outcome = run_cli("compare", [str(tmp_path / "nothing here"), "--resamples", resamples], cwd=tmp_path)
    assert_one_line_error(outcome, f"--resamples {resamples}: ")
