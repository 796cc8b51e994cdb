"""Adversarial round 9: the Python API (from harness import compose_config, run), as a notebook uses it.

Runs called one after another in one process, the default folder, a relative folder, a folder holding the user's
files, an application that initialized Hydra itself, and what a run leaves in the process (log handlers, Hydra's
global state) for the next one.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from harness import compose_config, config, run
from harness.cli import is_job_override
from harness.errors import UserError
from tests.adversarial import tree_checksum
from tests.test_adversarial_run import make_setup


def identity_config(tmp_path: Path, *overrides: str):
    setup = make_setup(tmp_path)
    return compose_config([f"data.root={setup.data}", "model=identity", "metrics=[bleu]", "alignment.embeddings=false",
                           *overrides])


def test_two_runs_started_in_one_second_without_a_folder_get_two_folders(tmp_path, monkeypatch):
    """Broke (round 9): run(cfg) twice in a notebook's loop, within one second (a cached or identity run takes
    less): the default folder results/<date>/<time>_<model> was the same, and the second run was refused with
    '... already holds a finished run; choose another output folder (hydra.run.dir=...)'."""
    cfg = identity_config(tmp_path)
    monkeypatch.chdir(tmp_path)

    class OneSecond(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 5, 8, 0, 0)
    monkeypatch.setattr(config, "datetime", OneSecond)
    run(cfg)
    run(cfg)
    folders = sorted(p.name for p in (tmp_path / "results" / "2026-12-05").iterdir())
    assert folders == ["08-00-00_identity", "08-00-00_identity-2"]
    assert all((tmp_path / "results" / "2026-12-05" / name / "result.json").is_file() for name in folders)


def test_a_relative_folder_is_read_from_the_working_folder(tmp_path, monkeypatch):
    """Held (round 9): run(cfg, "runs/first") writes into <working folder>/runs/first, and nothing elsewhere."""
    cfg = identity_config(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache", elsewhere / "runs"))
    run(cfg, "runs/first")
    assert (elsewhere / "runs" / "first" / "result.json").is_file()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache", elsewhere / "runs")) == before


def test_a_folder_holding_the_users_files_is_refused_naming_output_dir_and_left_as_it_is(tmp_path):
    """Broke (round 9): the refusal was right and left the files alone, but told an API caller to set
    hydra.run.dir, which run() does not read: '... give a new or empty folder (hydra.run.dir=...)'. It names
    output_dir now; harness-run still names hydra.run.dir."""
    cfg = identity_config(tmp_path)
    mine = tmp_path / "notebook"
    mine.mkdir()
    (mine / "analysis.ipynb").write_text("{}", encoding="utf-8")
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    with pytest.raises(UserError) as refused:
        run(cfg, mine)
    assert str(refused.value) == (f"{mine} is not empty (it holds analysis.ipynb) and is not a run folder; give a new "
                                  "or empty folder (output_dir=...)")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_a_finished_run_given_again_names_output_dir(tmp_path):
    """Broke (round 9): as above, for a folder that holds a finished run."""
    cfg = identity_config(tmp_path)
    run(cfg, tmp_path / "done")
    with pytest.raises(UserError, match=r"already holds a finished run; choose another output folder "
                                        r"\(output_dir=\.\.\.\)"):
        run(cfg, tmp_path / "done")


def test_compose_config_works_beside_an_application_that_initialized_hydra_itself(tmp_path):
    """Broke (round 9): a notebook that called hydra.initialize(...) for its own configs (outside a with-block, as
    Hydra's compose API examples do) could not compose the harness's: 'ValueError: GlobalHydra is already
    initialized'. The caller's Hydra is given back as it was."""
    own = tmp_path / "own_conf"
    own.mkdir()
    (own / "app.yaml").write_text("greeting: hello\n", encoding="utf-8")
    context = initialize_config_dir(config_dir=str(own), version_base="1.3")
    theirs = GlobalHydra.instance().hydra
    try:
        assert compose_config(["model=identity"]).model.name == "identity"
        assert GlobalHydra.instance().hydra is theirs
        from hydra import compose
        assert compose(config_name="app").greeting == "hello"
    finally:
        context.__exit__(None, None, None)
    assert not GlobalHydra.instance().is_initialized()


def test_two_runs_in_one_process_keep_their_logs_and_leave_no_handler_behind(tmp_path, caplog):
    """Held (round 9): with logging at INFO (logging.basicConfig(level=logging.INFO) in a notebook), each run.log
    holds its own run's lines only, a refused run in between included, and the root logger's handlers are what
    they were before."""
    caplog.set_level(logging.INFO)
    cfg = identity_config(tmp_path)
    handlers = list(logging.getLogger().handlers)
    run(cfg, tmp_path / "first")
    with pytest.raises(UserError):
        run(compose_config([f"data.root={tmp_path / 'nowhere'}", "model=identity"]), tmp_path / "refused")
    run(cfg, tmp_path / "second")
    assert logging.getLogger().handlers == handlers
    first = (tmp_path / "first" / "run.log").read_text(encoding="utf-8")
    second = (tmp_path / "second" / "run.log").read_text(encoding="utf-8")
    assert first.count("fr->en: 3 segments") == second.count("fr->en: 3 segments") == 1
    assert "nowhere" not in second + first
    assert not (tmp_path / "refused").exists()


def test_a_bad_experiment_name_is_refused_by_compose_config_too(tmp_path):
    """Broke (round 9): compose_config(["experiment=../model/identity"]) composed the model config as an
    experiment."""
    with pytest.raises(UserError, match=r"experiment=\.\./model/identity: not an experiment name"):
        compose_config(["experiment=../model/identity"])


# ---------------------------------------------------------------- what the hub said, in an earlier run

class Hub:
    """The model hub as huggingface_hub's HfApi sees it: answering or not, and the commit 'main' names."""

    def __init__(self):
        self.answers, self.main = False, "a" * 40

    def head(self, *args, **kwargs):
        if not self.answers:
            raise ConnectionError("Name or service not known")

    def model_info(self, model_id, revision=None, timeout=None):
        return type("Info", (), {"sha": self.main})()


@pytest.fixture
def hub(monkeypatch):
    import huggingface_hub
    import huggingface_hub.utils
    from harness.translate.backends import hf_loading
    answering = Hub()
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(huggingface_hub.utils, "get_session", lambda: answering)
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda: answering)
    hf_loading.hub_unreachable.cache_clear()
    hf_loading.resolved_revision.cache_clear()
    yield answering
    hf_loading.hub_unreachable.cache_clear()
    hf_loading.resolved_revision.cache_clear()


def test_a_later_run_in_the_process_asks_the_hub_again(tmp_path, hub):
    """Broke (round 9): what the hub said was remembered for the life of the process. A notebook whose first run
    found the network down ran every later run offline ('the model hub ... is unreachable (Name or service not
    known)') after it came back; and a model pushed to the hub after the first run kept the first run's commit
    in the key, while transformers loaded the new 'main': the new weights' outputs cached, and recorded in
    result.json, as the old commit's."""
    from harness.translate.backends.hf_loading import hub_offline_reason, model_identity
    cfg = identity_config(tmp_path)
    assert "unreachable" in hub_offline_reason()
    hub.answers = True
    run(cfg, tmp_path / "first")
    assert hub_offline_reason() is None
    assert model_identity("org/model", "main")["commit"] == "a" * 40
    hub.main = "b" * 40   # a new version pushed
    run(cfg, tmp_path / "second")
    assert model_identity("org/model", "main")["commit"] == "b" * 40


def test_one_config_run_twice_gives_the_same_result_the_second_from_the_cache(tmp_path):
    """Held (round 9): run() leaves the config it is given as it was; the second run reads every output from the
    cache and writes the same hypotheses and scores."""
    cfg = identity_config(tmp_path)
    before = OmegaConf.to_yaml(cfg)
    first = run(cfg, tmp_path / "first")
    second = run(cfg, tmp_path / "second")
    assert OmegaConf.to_yaml(cfg) == before and first["config"] == second["config"]
    assert [d["metrics"] for d in first["documents"]] == [d["metrics"] for d in second["documents"]]
    assert second["backend_stats"].get("translated_segments", 0) == 0 < first["backend_stats"]["translated_segments"]
    assert ((tmp_path / "first" / "hypotheses" / "a.txt").read_bytes()
            == (tmp_path / "second" / "hypotheses" / "a.txt").read_bytes())


@pytest.mark.parametrize("override, message", [
    ("model=opus", "unknown model config 'opus'. Did you mean 'opus_mt'?"),
    ("generation.beams=4", "unknown config key 'generation.beams'. Did you mean 'generation.num_beams'?"),
    ("generation.batch_size=abc", "generation.batch_size=abc: generation.batch_size takes a whole number"),
    ("model.name=$(touch x)", "override 'model.name=$(touch x)' cannot be read"),
])
def test_a_bad_override_given_to_compose_config_is_harness_runs_one_line(override, message):
    """Broke (round 9): the API's compose_config raised Hydra's own errors, over several lines ("In 'config': Could
    not find 'model/opus'\\n\\nAvailable options in 'model':\\n\\tfiles\\n..."), where harness-run says one line
    naming the input and the fix; it raises that line now, as a UserError."""
    with pytest.raises(UserError) as refused:
        compose_config([override])
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_hydras_own_settings_given_to_compose_config_are_refused_not_dropped(tmp_path):
    """Broke (round 9): compose_config(["hydra.run.dir=mine", ...]) composed without a word, and run(cfg) wrote into
    results/<date>/<time>_<model>, not the folder asked for; hydra.searchpath (the user's own config folders) is
    still taken."""
    with pytest.raises(UserError, match=r"^hydra\.run\.dir=mine: a setting of Hydra's, which harness-run reads .*"
                                        r"give the folder to run\(cfg, output_dir=\.\.\.\)$"):
        compose_config(["hydra.run.dir=mine", "model=identity"])
    own = tmp_path / "myconf" / "experiment"
    own.mkdir(parents=True)
    (own / "mine.yaml").write_text("# @package _global_\ndata:\n  max_segments: 7\n", encoding="utf-8")
    cfg = compose_config([f"hydra.searchpath=[file://{own.parent}]", "experiment=mine"])
    assert cfg.data.max_segments == 7


@pytest.mark.parametrize("override", ["hydra/launcher=local_parallel", "+hydra.job.chdir=true", "~hydra"])
def test_hydras_group_choices_are_refused_by_compose_config_as_harness_run_leaves_them_to_hydra(override):
    """One predicate (config.is_hydra_setting) says what is Hydra's own: harness-run leaves those overrides to Hydra's
    launch, compose_config refuses them. A launcher chosen in compose_config was composed and then ignored by run(),
    which launches nothing; the two commands decided with predicates of their own, which disagreed on it."""
    assert not is_job_override(override)
    with pytest.raises(UserError, match=r"a setting of Hydra's, which harness-run reads and compose_config and run\(\) "
                                        r"do not; leave it out$"):
        compose_config([override, "model=identity"])
