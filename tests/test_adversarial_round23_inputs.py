"""Round 23 on inputs: `hydra.job.chdir=true` (a habit from Hydra before 1.2, where it was the default) ran the job
inside its run folder, so every relative path given was read from there: `model=files model.path=hyps` with hyps/ in
the working folder failed with "model.path 'hyps': folder not found", and `data.root=my_data` with "data folder
'<run folder>/my_data' not found", with no word of why. The harness writes into the run folder by its full path and
needs no change of folder, so the setting is refused in one line that says so, exit 2, nothing written; false (the
harness's own setting) still runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_compare import write_dataset


def harness_run(user: Path, arguments: list[str]):
    return run_cli("run", arguments, cwd=user, env={"HARNESS_CACHE_DIR": str(user.parent / "cache")})


@pytest.mark.parametrize("value", ["true", "True", "1"])
@pytest.mark.parametrize("sweep", [False, True])
def test_running_inside_the_run_folder_is_refused_before_anything_is_written(tmp_path: Path, value: str, sweep: bool):
    user = tmp_path / "user"
    user.mkdir()
    write_dataset(user / "my_data")
    before = tree_checksum(user)
    folder = ["-m", "model.name=x,y", "hydra.sweep.dir=sweep"] if sweep else ["hydra.run.dir=run"]
    outcome = harness_run(user, ["model=identity", "data.root=my_data", *folder, f"hydra.job.chdir={value}"])
    assert_one_line_error(outcome, f"hydra.job.chdir={value}", "relative paths", "leave it out")
    assert tree_checksum(user) == before


def test_the_harness_own_setting_still_runs_with_relative_paths(tmp_path: Path):
    user = tmp_path / "user"
    user.mkdir()
    write_dataset(user / "my_data")
    outcome = harness_run(user, ["model=identity", "data.root=my_data", "hydra.run.dir=run", "hydra.job.chdir=false"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert (user / "run" / "result.json").is_file()
