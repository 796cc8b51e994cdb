"""Round 15: settings and inputs that undid the harness's guarantees (a helper's round of 2026-12-06).

- hydra.output_subdir: Hydra wrote its record (config.yaml, hydra.yaml, overrides.yaml) there before any check, so
  `hydra.output_subdir=..` replaced a user's config.yaml in the working folder, a refused run (a data folder that
  does not exist) still wrote it, and a run refused for a folder that holds a finished run replaced that run's
  .hydra/ record. The harness writes .hydra/ itself once the run has claimed its folder: the setting is refused in
  one line, exit 2, before anything is written, in a single run and a -m sweep.
- a log level logging does not know (hydra.job_logging.root.level=debug, lower case): Hydra made the run's folder,
  then raised a 58-line traceback (exit 1) setting up logging and left the folder behind. Refused in one line naming
  the levels, exit 2, nothing made; a level logging knows (WARNING, 10, --quiet's) still runs.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_compare import write_dataset


def harness_run(user: Path, arguments: list[str]):
    return run_cli("run", arguments, cwd=user, env={"HARNESS_CACHE_DIR": str(user.parent / "cache")})


@pytest.mark.parametrize("subdir", ["..", ".", ".hydra", "{user}/mine"])
@pytest.mark.parametrize("sweep", [False, True])
def test_hydra_output_subdir_is_refused_before_anything_is_written(tmp_path, subdir, sweep):
    user = tmp_path / "user"
    (user / "mine").mkdir(parents=True)
    (user / "config.yaml").write_text("my config\n")
    (user / "mine" / "config.yaml").write_text("precious\n")
    data = write_dataset(user / "data")
    before = tree_checksum(user)
    folder = ["-m", "model.name=x,y", "hydra.sweep.dir=sweep"] if sweep else ["hydra.run.dir=run"]
    outcome = harness_run(user, ["model=identity", f"data.root={data}", *folder,
                                 f"hydra.output_subdir={subdir.format(user=user)}"])
    assert_one_line_error(outcome, "hydra.output_subdir=", "leave it out")
    assert tree_checksum(user) == before


def test_a_finished_runs_record_is_kept_when_output_subdir_is_given(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    data = write_dataset(user / "data")
    assert harness_run(user, ["model=identity", f"data.root={data}", "hydra.run.dir=run"]).code == 0
    before = tree_checksum(user)
    outcome = harness_run(user, ["model=identity", "model.name=other", f"data.root={data}", "hydra.run.dir=run",
                                 "hydra.output_subdir=.hydra"])
    assert_one_line_error(outcome, "hydra.output_subdir=.hydra")
    assert tree_checksum(user) == before


@pytest.mark.parametrize("override", ["hydra.job_logging.root.level=debug", "hydra.hydra_logging.root.level=LOUD",
                                      "++hydra.job_logging.handlers.console.level=Warning"])
def test_an_unknown_log_level_is_refused_before_the_folder_is_made(tmp_path, override):
    user = tmp_path / "user"
    user.mkdir()
    data = write_dataset(user / "data")
    before = tree_checksum(user)
    outcome = harness_run(user, ["model=identity", f"data.root={data}", "hydra.run.dir=run", override])
    assert_one_line_error(outcome, override.lstrip("+"), "not a logging level", "DEBUG")
    assert tree_checksum(user) == before


@pytest.mark.parametrize("override", ["hydra.job_logging.root.level=WARNING", "hydra.job_logging.root.level=10", "-q"])
def test_a_known_log_level_runs(tmp_path, override):
    user = tmp_path / "user"
    user.mkdir()
    data = write_dataset(user / "data")
    outcome = harness_run(user, ["model=identity", f"data.root={data}", "hydra.run.dir=run", override])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert (user / "run" / "result.json").is_file()
