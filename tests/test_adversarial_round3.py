"""Round 3 of the adversarial matrix: output paths and config values the first two rounds did not try.

Each case runs the real CLI in a child process as a user would and checks the exit code, the one error line and a
checksum of the whole surrounding tree (tests/adversarial.py): a refused command leaves nothing behind.
- a NaN or infinite number in the config: the run went through to the end, then died on writing result.json (a
  traceback, exit 1, a FAILED folder left behind);
- harness-score --out that cannot be made (a link to a disk that is not mounted, a path under a file, a name that is
  not UTF-8): a traceback, in the last case after half the output folder was written;
- harness-compare --out that is a link to a disk that is not mounted: the report folder was made where the link
  points, in place of the disk.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
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
