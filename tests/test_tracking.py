"""tracking=mlflow: runs logged to a real local SQLite MLflow store in tmp_path and read back with MlflowClient;
a sweep through the real harness-run (joblib launcher, jobs in other processes) nested under its parent run;
the store's failures, and a missing MLflow, as one-line errors that lose no run."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import run
from harness.config import compose_config
from harness.errors import UserError
from harness.track.tracking import PARENT_RUN_FILE, Store, flatten, log_finished_run, log_run, mlflow_name, require_mlflow
from tests.adversarial import REPO, assert_one_line_error, run_cli
from tests.test_adversarial_compare import write_dataset

UNREACHABLE = "http://127.0.0.1:9"          # the discard port: nothing listens there
NO_RETRIES = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}


@pytest.fixture(scope="module")
def mlflow_client():
    pytest.importorskip("mlflow", reason="tracking=mlflow needs the tracking extra: pip install -e '.[tracking]'")
    from mlflow.tracking import MlflowClient
    return MlflowClient


@pytest.fixture(scope="module")
def data_set(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("tracking") / "data")


@pytest.fixture(scope="module")
def finished(data_set) -> Path:
    folder = data_set.parent / "runs" / "identity"
    run(compose_config([f"data.root={data_set}", "model=identity", "alignment.embeddings=false",
                        f"cache.dir={data_set.parent / 'cache'}"]), folder)
    return folder


def all_runs(client, experiment: str) -> list:
    return client.search_runs([client.get_experiment_by_name(experiment).experiment_id])


def test_a_run_is_logged_with_its_config_scores_signatures_and_files(mlflow_client, finished, tmp_path):
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    run_id = log_run(Store(uri, "tests"), finished, ["model=identity", "alignment.embeddings=false"])
    logged = mlflow_client(uri).get_run(run_id)
    result = json.loads((finished / "result.json").read_text(encoding="utf-8"))
    params, metrics, tags = logged.data.params, logged.data.metrics, logged.data.tags
    assert params["model.name"] == "identity" and params["alignment.embeddings"] == "False"
    assert json.loads(params["metrics"]) == result["config"]["metrics"]
    for document in result["documents"]:
        for name, score in document["metrics"].items():
            assert metrics[f"doc/{document['id']}/{name.replace('+', 'p')}"] == score["score"]
            assert tags[f"signature/{name.replace('+', 'p')}"] == score["signature"]
        for name, score in document["aligned"].items():
            assert metrics[f"doc/{document['id']}/aligned_{name.replace('+', 'p')}"] == score["score"]
        assert metrics[f"doc/{document['id']}/adequacy"] == document["diagnostics"]["adequacy"]
        assert metrics[f"doc/{document['id']}/output_english"] == document["diagnostics"]["output_language"]["english"]
    chrf = [d["metrics"]["chrf"]["score"] for d in result["documents"]]   # both documents are parallel
    assert metrics["mean/chrf"] == pytest.approx(sum(chrf) / 2, abs=1e-4)
    assert metrics["lang/fr/chrf"] == metrics["mean/chrf"] and tags["means_over"] == "parallel documents: a, b"
    assert tags["override.alignment.embeddings"] == "false" and tags["model"] == "identity"
    assert tags["run_dir"] == str(finished.resolve()) and logged.info.status == "FINISHED"
    assert logged.info.run_name == "identity"
    artifacts = {a.path for a in mlflow_client(uri).list_artifacts(run_id)}
    assert artifacts == {"result.json", "hypotheses", "alignment"}
    assert {a.path for a in mlflow_client(uri).list_artifacts(run_id, "hypotheses")} == {"hypotheses/a.txt",
                                                                                        "hypotheses/b.txt"}
    assert (tmp_path / "store" / "mlartifacts").is_dir()   # beside the database, not in the working folder


def test_a_store_that_fails_at_the_end_costs_the_log_not_the_run(mlflow_client, finished, tmp_path, monkeypatch):
    """One line that says so (harness-run prints it under the table and exits 1), the run folder untouched."""
    for name, value in NO_RETRIES.items():
        monkeypatch.setenv(name, value)
    copy = shutil.copytree(finished, tmp_path / "run")
    before = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    with pytest.raises(UserError, match=r"run NOT logged to MLflow \(http://127.0.0.1:9\)") as raised:
        log_finished_run(Store(UNREACHABLE, "tests"), copy, [], None)
    assert f"the run folder {copy} is complete" in str(raised.value) and "\n" not in str(raised.value)
    assert {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


def test_a_sweep_logs_each_job_under_one_parent_with_the_comparison(mlflow_client, data_set, tmp_path):
    """The default store (sqlite:///results/mlflow.db, relative to where harness-run runs) and the joblib
    launcher, whose jobs run in other processes and find the parent run in the sweep folder."""
    done = run_cli("run", ["-m", "hydra/launcher=local_parallel", f"data.root={data_set}", "model=identity",
                           "generation.batch_size=1,2", "alignment.embeddings=false", "tracking=mlflow",
                           "tracking.experiment=sweeps", "hydra.sweep.dir=sweep"], cwd=tmp_path, timeout=600)
    assert done.code == 0, done.stderr[-3000:]
    client = mlflow_client(f"sqlite:///{tmp_path / 'results' / 'mlflow.db'}")
    runs = all_runs(client, "sweeps")
    parent_id = (tmp_path / "sweep" / PARENT_RUN_FILE).read_text(encoding="utf-8").strip()
    children = [r for r in runs if r.info.run_id != parent_id]
    assert len(runs) == 3 and {r.data.tags["mlflow.parentRunId"] for r in children} == {parent_id}
    assert sorted(r.info.run_name for r in children) == ["0_identity", "1_identity"]
    assert sorted(r.data.params["generation.batch_size"] for r in children) == ["1", "2"]
    assert {a.path for a in client.list_artifacts(parent_id)} == {"comparison"}
    assert "report.html" in {Path(a.path).name for a in client.list_artifacts(parent_id, "comparison")}
    assert client.get_run(parent_id).info.status == "FINISHED"


def test_an_unreachable_store_stops_the_run_before_anything_runs(mlflow_client, data_set, tmp_path):
    done = run_cli("run", [f"data.root={data_set}", "model=identity", "tracking=mlflow",
                           f"tracking.uri={UNREACHABLE}", "hydra.run.dir=out/run"], cwd=tmp_path, env=NO_RETRIES)
    assert_one_line_error(done, f"tracking.uri={UNREACHABLE}", "does not answer", "tracking=none")
    assert not (tmp_path / "out").exists()


def test_without_mlflow_tracking_fails_first_with_the_install_command(data_set, tmp_path):
    """MLflow hidden from the child process (sys.modules['mlflow'] = None is Python's way to block an import)."""
    code = "import sys; sys.modules['mlflow'] = None; from harness.cli import run_main; run_main()"
    done = subprocess.run([sys.executable, "-c", code, f"data.root={data_set}", "model=identity", "tracking=mlflow",
                           "hydra.run.dir=out/run"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ('error: tracking=mlflow needs MLflow, which is not installed; install it with '
                                   'pip install "mt-harness[tracking]", or run with tracking=none')
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, message", [("none", None), ("wandb", "tracking.name=wandb: unknown tracker"),
                                           ("mlflow", "tracking.uri is not set; use tracking=mlflow")])
def test_tracking_names(name, message):
    tracking = compose_config([f"tracking.name={name}"]).tracking
    if message is None:
        require_mlflow(tracking)   # tracking=none needs nothing
        assert Store.of(tracking) is None
    else:
        with pytest.raises(UserError, match=message):
            require_mlflow(tracking)


def test_the_mlflow_config_names_the_default_store():
    tracking = compose_config(["tracking=mlflow"]).tracking
    assert Store.of(tracking) == Store("sqlite:///results/mlflow.db", "mt-harness")


@pytest.mark.parametrize("name, logged", [("chrf++", "chrfpp"), ("doc/002/aligned_chrf++", "doc/002/aligned_chrfpp"),
                                          ("summary vs_reference rouge1", "summary vs_reference rouge1"),
                                          ("evaluate:bertscore@f1", "evaluate_bertscore_f1"), ("a|b", "a_b")])
def test_names_as_mlflow_accepts_them(name, logged):
    assert mlflow_name(name) == logged


def test_config_flattened_to_dotted_params():
    config = {"model": {"name": "m", "lang_codes": {}, "prompt": {"examples": {"fr": [["a", "b"]]}}},
              "metrics": ["bleu", "chrf"], "data": {"max_segments": None}}
    assert flatten(config) == {"model.name": "m", "model.lang_codes": "{}", "model.prompt.examples.fr": '[["a", "b"]]',
                               "metrics": '["bleu", "chrf"]', "data.max_segments": "None"}
