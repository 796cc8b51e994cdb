"""Round 17 (state): where harness-compare, harness-score and tracking write and what they read (a helper's round of
2026-12-06).

- a run folder that is a symbolic link inside a folder harness-compare searches (a run linked into a sweep or into
  results/): the search does not follow links, and it left the run out of `--list` and of the comparison without a
  word, though every other run folder it leaves out is named. It is now named on stderr (and in the report's list of
  skipped runs), with the fix: name the link on the command line.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import run
from harness.config import compose_config
from tests.adversarial import run_cli, tree_checksum
from tests.test_adversarial_compare import write_dataset


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("round17")
    data = write_dataset(base / "data")
    folder = base / "runs" / "identity"
    run(compose_config([f"data.root={data}", f"cache.dir={base / 'cache'}", "alignment.embeddings=false",
                        "model=identity"]), folder)
    return folder


@pytest.mark.parametrize("listing", [True, False])
def test_a_linked_run_folder_in_a_searched_folder_is_named_not_passed_over(tmp_path, finished_run, listing):
    results = tmp_path / "results"
    (results / "mine").mkdir(parents=True)
    (results / "mine" / "linked").symlink_to(finished_run)
    before = tree_checksum(tmp_path)
    arguments = ["--list", str(results)] if listing else [str(results), "--out", str(tmp_path / "report")]
    outcome = run_cli("compare", arguments, cwd=tmp_path)
    # the only run under results/ is behind the link: nothing to compare, and the message says why
    assert outcome.code == 2, outcome.stderr
    assert "linked" in outcome.stderr and "symbolic link" in outcome.stderr, outcome.stderr
    assert "name it on the command line" in outcome.stderr, outcome.stderr
    assert tree_checksum(tmp_path) == before


def test_a_linked_run_beside_a_real_one_is_warned_about(tmp_path, finished_run):
    results = tmp_path / "results"
    results.mkdir()
    shutil.copytree(finished_run, results / "real")
    (results / "linked").symlink_to(finished_run)
    outcome = run_cli("compare", ["--list", str(results)], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr
    assert "1 finished run" in outcome.stdout
    assert any(line.startswith("warning: skipped") and "linked" in line and "symbolic link" in line
               for line in outcome.error_lines), outcome.stderr
    named = run_cli("compare", ["--list", str(results / "linked")], cwd=tmp_path)   # the fix the warning names
    assert named.code == 0 and "1 finished run" in named.stdout, named.stderr
