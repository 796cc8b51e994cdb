"""Round 17 (state): where harness-compare, harness-score and tracking write and what they read (a helper's round of
2026-12-06).

- a run folder that is a symbolic link inside a folder harness-compare searches (a run linked into a sweep or into
  results/): the search does not follow links, and it left the run out of `--list` and of the comparison without a
  word, though every other run folder it leaves out is named. It is now named on stderr (and in the report's list of
  skipped runs), with the fix: name the link on the command line.
- tracking=mlflow with tracking.uri at a folder of the user's (file:///home/me/notes, or a bare path) under MLflow's
  file store (MLFLOW_ALLOW_FILE_STORE=true): MLflow added its .trash/ and an experiment folder to the user's folder,
  and printed two tracebacks ("Malformed experiment 'sub'") for the user's own subfolder, exit 0. Refused before the
  run, in one line, as a SQLite file of another program is; a new or empty folder, or an MLflow file store, is used.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from harness import run
from harness.cli import default_out
from harness.config import compose_config
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
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


@pytest.mark.parametrize("form", ["file://{folder}", "{folder}"])
def test_a_file_store_at_the_users_folder_is_refused_before_the_run(tmp_path, form):
    pytest.importorskip("mlflow")
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "thesis.tex").write_text("precious\n")
    (mine / "sub" / "notes.txt").write_text("mine\n")
    data = write_dataset(tmp_path / "data")
    before = tree_checksum(tmp_path)
    arguments = ["model=identity", f"data.root={data}", "alignment.embeddings=false", "tracking=mlflow",
                 f"tracking.uri={form.format(folder=mine)}", f"hydra.run.dir={tmp_path / 'run'}"]
    env = {"MLFLOW_ALLOW_FILE_STORE": "true", "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    outcome = run_cli("run", arguments, cwd=tmp_path, env=env)
    assert_one_line_error(outcome, f"tracking.uri={form.format(folder=mine)}", "not an MLflow store", "tracking=none")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before

    store = tmp_path / "store"   # a new folder becomes a store, and a store is used again
    for _ in range(2):
        arguments[-2:] = [f"tracking.uri={form.format(folder=store)}", f"hydra.run.dir={tmp_path / 'run' / str(_)}"]
        outcome = run_cli("run", arguments, cwd=tmp_path, env=env)
        assert outcome.code == 0, outcome.stderr[-3000:]


def test_a_default_output_folder_of_the_same_second_is_a_new_one(tmp_path, monkeypatch):
    """harness-compare (or harness-score) without --out twice in one second took the same results/comparisons/<date>/
    <time>: the second replaced the first's report, with only a note, though no one had named the folder."""
    monkeypatch.chdir(tmp_path)
    moment = datetime(2026, 12, 6, 15, 30, 0)
    first = default_out("comparisons", moment)
    assert first == Path("results/comparisons/2026-12-06/15-30-00")
    first.mkdir(parents=True)
    second = default_out("comparisons", moment)
    assert second == Path("results/comparisons/2026-12-06/15-30-00-2")
    second.mkdir()
    assert default_out("score", moment) == Path("results/score/2026-12-06/15-30-00")
    assert default_out("comparisons", moment) == Path("results/comparisons/2026-12-06/15-30-00-3")


def test_a_file_store_mlflow_will_not_open_names_the_fixes_for_a_folder(tmp_path, monkeypatch):
    """tracking.uri at a folder (MLflow's file store, which MLflow 3 opens only with MLFLOW_ALLOW_FILE_STORE=true) was
    told 'the MLflow store does not answer ...; start the tracking server', where there is no server to start."""
    pytest.importorskip("mlflow")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    data = write_dataset(tmp_path / "data")
    before = tree_checksum(tmp_path)
    uri = f"file://{tmp_path / 'store'}"
    outcome = run_cli("run", ["model=identity", f"data.root={data}", "alignment.embeddings=false", "tracking=mlflow",
                              f"tracking.uri={uri}", f"hydra.run.dir={tmp_path / 'run'}"],
                      cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, f"tracking.uri={uri}: MLflow's file store", "sqlite:///",
                          "MLFLOW_ALLOW_FILE_STORE=true to use the folder", "tracking=none")
    assert "tracking server" not in outcome.error_lines[0]
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
