"""Round 26 on launching: a sweep folder whose record Hydra writes at every launch, and overrides that Hydra cannot
apply from the command line.

A finished sweep is resumed by its own command (the same hydra.sweep.dir). With its multirun.yaml replaced by a
folder, the re-run ended in OmegaConf's IsADirectoryError traceback; replaced by a link, Hydra wrote through the link
over the file it names. hydra.sweeper.params set on the command line (.x="a,b", +.x=..., ={x: ...}) ended in an
OmegaConf traceback, a sweep's or a single run's. A deletion (~key) of a -m sweep was not composed before the launch,
so a key that is not there read Hydra's message in several lines with exit 1."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_compare import write_dataset

QUICK = ["model=identity", "alignment.embeddings=false", "data.root=my_data"]
SWEEP = ["-m", *QUICK, "metrics=[bleu],[chrf]", "hydra.sweep.dir=sweep"]


def harness_run(user: Path, arguments: list[str]):
    return run_cli("run", arguments, cwd=user, env={"HARNESS_CACHE_DIR": str(user.parent / "cache")})


def users_folder(tmp_path: Path) -> Path:
    user = tmp_path / "user"
    write_dataset(user / "my_data")
    return user


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory) -> Path:
    """A user's folder holding a finished sweep of two jobs (made once: the cases copy it)."""
    user = users_folder(tmp_path_factory.mktemp("round26"))
    outcome = harness_run(user, SWEEP)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert (user / "sweep" / "multirun.yaml").is_file()
    return user


def copy_of(user: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "user"
    shutil.copytree(user, copy, symlinks=True)
    return copy


def test_a_sweep_record_replaced_by_a_folder_is_one_line_and_the_sweep_is_kept(finished_sweep: Path, tmp_path: Path):
    user = copy_of(finished_sweep, tmp_path)
    (user / "sweep" / "multirun.yaml").unlink()
    (user / "sweep" / "multirun.yaml").mkdir()
    before = tree_checksum(user)
    outcome = harness_run(user, SWEEP)
    assert_one_line_error(outcome, "multirun.yaml is not a file", "move it away", "hydra.sweep.dir")
    assert tree_checksum(user) == before


def test_a_sweep_record_replaced_by_a_link_does_not_write_over_the_file_it_names(finished_sweep: Path,
                                                                                 tmp_path: Path):
    user = copy_of(finished_sweep, tmp_path)
    notes = user / "notes.yaml"
    notes.write_text("my notes: kept\n", encoding="utf-8")
    (user / "sweep" / "multirun.yaml").unlink()
    (user / "sweep" / "multirun.yaml").symlink_to(notes)
    before = tree_checksum(user)
    outcome = harness_run(user, SWEEP)
    assert_one_line_error(outcome, "multirun.yaml is a link", "move it away")
    assert notes.read_text(encoding="utf-8") == "my notes: kept\n"
    assert tree_checksum(user) == before


def test_the_same_sweep_run_again_with_its_record_in_place_is_resumed(finished_sweep: Path, tmp_path: Path):
    user = copy_of(finished_sweep, tmp_path)
    outcome = harness_run(user, SWEEP)
    assert outcome.code == 0, outcome.stderr[-2000:]


@pytest.mark.parametrize("override", ['hydra.sweeper.params.metrics="[bleu],[chrf]"',
                                      '+hydra.sweeper.params.metrics="[bleu],[chrf]"',
                                      '++hydra.sweeper.params.metrics="[bleu],[chrf]"',
                                      'hydra.sweeper.params={metrics:"[bleu],[chrf]"}'])
@pytest.mark.parametrize("sweep", [True, False])
def test_the_sweepers_params_on_the_command_line_are_one_line_that_says_where_they_go(tmp_path: Path, override: str,
                                                                                       sweep: bool):
    user = users_folder(tmp_path)
    before = tree_checksum(user)
    folder = ["-m", "hydra.sweep.dir=sweep"] if sweep else ["hydra.run.dir=run"]
    outcome = harness_run(user, [*QUICK, override, *folder])
    assert_one_line_error(outcome, "hydra.sweeper.params", "config file", "key=a,b with -m")
    assert tree_checksum(user) == before


@pytest.mark.parametrize("deletion, said", [("~nonexistent", "'nonexistent' does not exist"),
                                            ("~metrics", "metrics: has no value")])
def test_a_deletion_in_a_sweep_is_composed_before_the_sweep_folder_is_made(tmp_path: Path, deletion: str, said: str):
    user = users_folder(tmp_path)
    before = tree_checksum(user)
    outcome = harness_run(user, ["-m", *QUICK, "metrics=[bleu],[chrf]", deletion, "hydra.sweep.dir=sweep"])
    assert_one_line_error(outcome, said)
    assert tree_checksum(user) == before


def test_a_config_folder_whose_name_starts_with_a_tilde_is_no_deletion(tmp_path: Path):
    """The value of a flag of Hydra's (-cd) is not an override, whatever its first character."""
    user = users_folder(tmp_path)
    (user / "~conf" / "experiment").mkdir(parents=True)
    (user / "~conf" / "experiment" / "bleu_only.yaml").write_text("# @package _global_\nmetrics: [bleu]\n",
                                                                 encoding="utf-8")
    outcome = harness_run(user, ["-cd", "~conf", "-m", *QUICK, "experiment=bleu_only", "hydra.sweep.dir=sweep"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert len(list((user / "sweep").glob("*/result.json"))) == 1
