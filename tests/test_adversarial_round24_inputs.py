"""Round 24 on inputs: configs of the user's own, in a folder named with Hydra's --config-dir (-cd), and a primary
config of theirs named with --config-name (-cn).

A -m sweep is composed job by job before its first job runs (harness.cli.check_overrides), but from conf/'s
config.yaml alone: `harness-run --config-dir my_conf -m experiment=mine` was refused ("unknown experiment config
'mine'"), and `-cd my_conf -cn mine -m ...` read Hydra's "Cannot find primary config" in several lines (exit 1), where
the same commands without -m ran. Round 23's refusal of hydra.job.chdir=true read the command line only: set in such
a config file, the job ran inside its run folder and a relative data.root was refused as "data folder
'<run folder>/my_data' not found"; hydra.output_subdir set there let Hydra write its record before any check."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import CONF_DIR
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_compare import write_dataset

QUICK = ["model=identity", "alignment.embeddings=false"]


def harness_run(user: Path, arguments: list[str]):
    return run_cli("run", arguments, cwd=user, env={"HARNESS_CACHE_DIR": str(user.parent / "cache")})


def users_folder(tmp_path: Path, experiments: dict[str, str]) -> Path:
    """The user's working folder: a data set (my_data) and a config folder (my_conf) with these experiments."""
    user = tmp_path / "user"
    (user / "my_conf" / "experiment").mkdir(parents=True)
    write_dataset(user / "my_data")
    for name, body in experiments.items():
        (user / "my_conf" / "experiment" / f"{name}.yaml").write_text(f"# @package _global_\n{body}", encoding="utf-8")
    return user


OWNED_IN_A_FILE = {"hydra.job.chdir": ("hydra:\n  job:\n    chdir: true\n", "hydra.job.chdir=True", "relative paths"),
                   "hydra.output_subdir": ("hydra:\n  output_subdir: .hydra\n", "hydra.output_subdir=.hydra",
                                           "Hydra's record")}


@pytest.mark.parametrize("setting", list(OWNED_IN_A_FILE))
@pytest.mark.parametrize("sweep", [False, True])
def test_a_hydra_setting_the_harness_owns_set_in_a_config_file_is_refused_before_anything_is_written(
        tmp_path: Path, setting: str, sweep: bool):
    body, said, why = OWNED_IN_A_FILE[setting]
    user = users_folder(tmp_path, {"mine": body})
    before = tree_checksum(user)
    folder = ["-m", "model.name=x,y", "hydra.sweep.dir=sweep"] if sweep else ["hydra.run.dir=run"]
    outcome = harness_run(user, ["--config-dir", "my_conf", "experiment=mine", *QUICK, "data.root=my_data", *folder])
    assert_one_line_error(outcome, said, "set in a config file", why, "take it out of that file")
    assert tree_checksum(user) == before


@pytest.mark.parametrize("flag", ["--config-dir", "-cd"])
def test_a_sweep_of_the_users_own_experiments_runs_as_a_single_run_of_one_does(tmp_path: Path, flag: str):
    user = users_folder(tmp_path, {"bleu_only": "metrics: [bleu]\n", "chrf_only": "metrics: [chrf]\n"})
    outcome = harness_run(user, [flag, "my_conf", "-m", "experiment=bleu_only,chrf_only", *QUICK, "data.root=my_data",
                                 "hydra.sweep.dir=sweep"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    configs = sorted((user / "sweep").glob("*/.hydra/config.yaml"))
    assert [c.read_text().split("metrics:\n- ")[1].split("\n")[0] for c in configs] == ["bleu", "chrf"]


def primary_config(user: Path, metrics: str) -> None:
    """my_conf/mine.yaml: the harness's config.yaml with the user's document metrics."""
    text = (CONF_DIR / "config.yaml").read_text(encoding="utf-8")
    lines = [f"metrics: {metrics}" if line.startswith("metrics:") else line for line in text.splitlines()]
    assert lines != text.splitlines()
    (user / "my_conf" / "mine.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_sweep_from_the_users_primary_config_is_checked_and_runs_from_it(tmp_path: Path):
    user = users_folder(tmp_path, {})
    primary_config(user, "[chrf]")
    outcome = harness_run(user, ["-cd", "my_conf", "-cn", "mine", "-m", "model.name=x,y", *QUICK,
                                 "data.root=my_data", "hydra.sweep.dir=sweep"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert all("metrics:\n- chrf\n" in c.read_text() for c in (user / "sweep").glob("*/.hydra/config.yaml"))


def test_a_misspelt_metric_in_the_users_primary_config_is_refused_before_the_sweep_folder(tmp_path: Path):
    user = users_folder(tmp_path, {})
    primary_config(user, "[chrff]")
    before = tree_checksum(user)
    outcome = harness_run(user, ["-cd", "my_conf", "-cn", "mine", "-m", "model.name=x,y", *QUICK,
                                 "data.root=my_data", "hydra.sweep.dir=sweep"])
    assert_one_line_error(outcome, "unknown metric 'chrff'")
    assert tree_checksum(user) == before


@pytest.mark.parametrize("flags, said", [(["-m", "--cfg", "job"], "--cfg and -m given together"),
                                         (["--run", "-m"], "--run and -m given together"),
                                         (["--cfg=job", "--info"], "--cfg and --info given together")])
def test_two_things_for_a_launch_to_do_are_one_line(tmp_path: Path, flags: list[str], said: str):
    """`-m --cfg job` (a sweep's config printed) ended in Hydra's traceback: 'ValueError: Only one of --run,
    --multirun, --cfg, --info and --shell_completion can be specified'."""
    user = users_folder(tmp_path, {})
    before = tree_checksum(user)
    outcome = harness_run(user, [*flags, "model=identity,files", "data.root=my_data"])
    assert_one_line_error(outcome, said, "give one")
    assert tree_checksum(user) == before


def test_the_config_is_printed_with_hydra_mode_multirun_as_hydra_prints_it(tmp_path: Path):
    """hydra.mode=MULTIRUN counts as -m (round 23), except beside --cfg, which prints the config: it read as
    '--cfg and -m given together'."""
    user = users_folder(tmp_path, {})
    outcome = harness_run(user, ["--cfg", "job", "hydra.mode=MULTIRUN", "model=identity", "data.root=my_data"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert "root: my_data" in outcome.stdout


@pytest.mark.parametrize("removed", ["~model", "~metrics"])
def test_a_setting_removed_with_a_tilde_is_one_line_and_leaves_no_folder(tmp_path: Path, removed: str):
    """Own (round 24): `harness-run model=identity ~model` printed Hydra's 4-line warning that the run folder's
    callback raised MissingMandatoryValue, then the one line; and Hydra, its folder's check skipped, made the run
    folder, which stayed behind empty."""
    user = users_folder(tmp_path, {})
    before = tree_checksum(user)
    outcome = harness_run(user, ["model=identity", removed, "data.root=my_data", "hydra.run.dir=run"])
    assert_one_line_error(outcome, f"{removed[1:]}: has no value", f"drop the {removed}")
    assert tree_checksum(user) == before


def test_a_sweep_written_in_a_config_file_is_checked_job_by_job_before_its_folder(tmp_path: Path):
    """Own (round 24): hydra.sweeper.params in an experiment (a sweep written in a config file, which Hydra's sweeper
    runs before the command line's) was not among the jobs checked before the first ran: `metrics: "[bleu],[blue]"`
    wrote the sweep folder, failed the second job (exit 1), and said '1 of 1 jobs failed'."""
    sweep = "hydra:\n  sweeper:\n    params:\n      metrics: \"{}\"\n"
    user = users_folder(tmp_path, {"typo": sweep.format("[bleu],[blue]"), "good": sweep.format("[bleu],[chrf]")})
    before = tree_checksum(user)
    common = ["-cd", "my_conf", "-m", *QUICK, "data.root=my_data", "hydra.sweep.dir=sweep"]
    outcome = harness_run(user, [*common, "experiment=typo"])
    assert_one_line_error(outcome, "unknown metric 'blue'")
    assert tree_checksum(user) == before
    outcome = harness_run(user, [*common, "experiment=good", "model.name=a,b"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert [f"job {k} of 4" in outcome.stderr for k in range(1, 5)] == [True] * 4
    assert len(list((user / "sweep").glob("*/result.json"))) == 4


def test_a_config_folder_that_is_not_there_is_one_line_for_a_sweep_too(tmp_path: Path):
    """Own (round 24): `-m -cd my_cnof` printed Hydra's 2-line warning that the search path's folder is not available,
    then its 'Additional config directory ... not found' (exit 1); a single run said it in one line (exit 2)."""
    user = users_folder(tmp_path, {})
    before = tree_checksum(user)
    outcome = harness_run(user, ["-m", "-cd", "my_cnof", "model.name=x,y", *QUICK, "data.root=my_data",
                                 "hydra.sweep.dir=sweep"])
    assert_one_line_error(outcome, "--config-dir my_cnof: no such folder", "give the folder that holds your configs")
    assert tree_checksum(user) == before


def test_a_primary_config_of_the_users_without_a_newer_setting_names_the_setting_and_where_to_copy_it(tmp_path):
    """A config.yaml copied before a setting was added lacks it: the line said only to give it or drop a ~ the user
    never wrote."""
    user = users_folder(tmp_path, {})
    primary_config(user, "[chrf]")
    config = user / "my_conf" / "mine.yaml"
    config.write_text(config.read_text().replace("  null_error_z:", "  # null_error_z:"), encoding="utf-8")
    outcome = harness_run(user, ["-cd", "my_conf", "-cn", "mine", *QUICK, "data.root=my_data", "hydra.run.dir=run"])
    assert_one_line_error(outcome, "diagnostics.null_error_z: has no value", "older conf/config.yaml",
                          "copy the setting from the harness's")
    assert not (user / "run").exists()


@pytest.mark.parametrize("sweep", [False, True])
def test_a_config_folder_written_from_the_home_folder_is_read_from_there(tmp_path: Path, sweep: bool):
    """Own (round 24): `--config-dir=~/my_conf` (no shell expands ~ after '=') was read by Hydra as the folder '~' in
    the working folder: 'Additional config directory .../~/my_conf not found', in several lines for a sweep (exit 1),
    whose pre-check had expanded it."""
    user = users_folder(tmp_path, {"bleu_only": "metrics: [bleu]\n"})
    folder = ["-m", "model.name=x,y", "hydra.sweep.dir=out"] if sweep else ["hydra.run.dir=out"]
    outcome = run_cli("run", ["--config-dir=~/my_conf", "experiment=bleu_only", *folder, *QUICK, "data.root=my_data"],
                      cwd=user, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(user)})
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert len(list((user / "out").glob("**/result.json"))) == (2 if sweep else 1)
