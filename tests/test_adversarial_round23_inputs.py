"""Round 23 on inputs: `hydra.job.chdir=true` (a habit from Hydra before 1.2, where it was the default) ran the job
inside its run folder, so every relative path given was read from there: `model=files model.path=hyps` with hyps/ in
the working folder failed with "model.path 'hyps': folder not found", and `data.root=my_data` with "data folder
'<run folder>/my_data' not found", with no word of why. The harness writes into the run folder by its full path and
needs no change of folder, so the setting is refused in one line that says so, exit 2, nothing written; false (the
harness's own setting) still runs.

A -m sweep is composed job by job before its first job runs, so that a typo is refused before the sweep folder is
written; the metrics' names were not among the checks then (only the summary metrics'). `metrics=[blue]`,
`alignment.segment_metrics=[bleu,tre]`, or an evaluate: metric without allow_metric_code=true wrote the sweep folder
and failed every job (exit 1). They are refused now before anything is written, exit 2, as in a single run. A sweep
asked for with hydra.mode=MULTIRUN (Hydra's other way to ask for one) skipped that check altogether: it counts as -m."""
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


@pytest.mark.parametrize("override, named", [("metrics=[blue]", "unknown metric 'blue'"),
                                             ("alignment.segment_metrics=[bleu,tre]", "unknown metric 'tre'"),
                                             ("alignment.corpus_metrics=[chrf,evaluate:x]", "allow_metric_code=true")])
@pytest.mark.parametrize("asked", ["-m", "hydra.mode=MULTIRUN"])
def test_a_sweep_with_a_metric_that_cannot_run_is_refused_before_its_folder_is_written(tmp_path: Path, override: str,
                                                                                      named: str, asked: str):
    user = tmp_path / "user"
    user.mkdir()
    data = write_dataset(user / "data")
    before = tree_checksum(user)
    outcome = harness_run(user, [asked, "model=identity", "model.name=x,y", f"data.root={data}", override,
                                 "hydra.sweep.dir=sweep"])
    assert_one_line_error(outcome, named)
    assert tree_checksum(user) == before


def test_a_sweep_asked_for_with_hydra_mode_runs_every_job(tmp_path: Path):
    user = tmp_path / "user"
    user.mkdir()
    data = write_dataset(user / "data")
    outcome = harness_run(user, ["model=identity", "model.name=x,y", f"data.root={data}", "hydra.mode=MULTIRUN",
                                 "hydra.sweep.dir=sweep"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert (user / "sweep" / "0_x" / "result.json").is_file() and (user / "sweep" / "1_y" / "result.json").is_file()
