"""Round 9: sweeps, resume after a crash, the results index and harness-compare, MLflow tracking.

Each case runs the real CLI in a child process (tests/adversarial.py) on a tiny data set in tmp_path, with
model=identity, and checks what the user sees (exit code, the lines on stderr) and what is left on disk. Earlier
rounds covered a user error in one job of a sweep, a sweep killed and run again, a read-only or unreachable store
and a store that fills up; these are the cases they left: a job that crashes (a bug, not a user error), a second
launch into a sweep folder (while the first runs, or another sweep afterwards), SIGTERM to a parallel sweep, a run
killed while it scores, while it writes a file, or between its result and its marker, runs that a search finds
killed, failed, of an older format or of other data, a source or reference edited between two runs, a tracking
store whose artifact folder or parent is a file, an MLflow run whose logging fails half-way, and a sweep's parent
run when a job fails, when the sweep is interrupted and when it is resumed."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial import REPO, Outcome, assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round2_runs import sweep_args
from tests.test_adversarial_run import Setup, base_args, make_setup
from tests.test_adversarial_state import SLOW, start_run

CRASHES_AT_TWO = "backend._target_=tests.backends_for_tests.CrashesAtBatchSizeTwoBackend"


def cache_env(tmp_path: Path) -> dict[str, str]:
    return {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}


def scores(folder: Path) -> list[dict]:
    """Every document's scores as result.json holds them (document metrics, aligned metrics)."""
    record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    return [{"metrics": d["metrics"], "aligned": d["aligned"]} for d in record["documents"]]


def wait_for(path: Path, child: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while not path.exists() and child.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"{path} never appeared"


# ---------------------------------------------------------------- sweeps: a job that crashes

@pytest.mark.parametrize("launcher", ["basic", "local_parallel"])
def test_a_job_that_crashes_is_recorded_and_the_other_jobs_are_compared(tmp_path, launcher):
    """A bug in one job (a RuntimeError, not a user error): Hydra re-raised it once every job had run, so the sweep
    ended on its traceback, exit 1, with no comparison of the jobs that finished and no line saying which failed."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    (tmp_path / "CRASH").touch()
    outcome = run_cli("run", [*sweep_args(sweep, str(setup.data), CRASHES_AT_TWO, "cache.enabled=false",
                                          "generation.batch_size=1,2,3"), f"hydra/launcher={launcher}"],
                      cwd=tmp_path, env=cache_env(tmp_path))
    assert outcome.code == 1, outcome.stderr[-3000:]
    errors = [line for line in outcome.error_lines if line.startswith("error:")]
    assert errors[-1].startswith("error: 1 of 3 jobs failed (1_identity)"), errors
    assert f"hydra.sweep.dir={sweep}" in errors[-1]
    assert (sweep / "1_identity" / "FAILED").read_text().startswith("RuntimeError: CUDA error")
    assert not (sweep / "1_identity" / "result.json").exists()
    comparison = json.loads((sweep / "comparison" / "comparison.json").read_text())
    assert len(comparison["systems"]) == 2, comparison["systems"]
    assert [(Path(s["run_dir"]).name, s["state"]) for s in comparison["skipped"]] == [("1_identity", "FAILED")]


def test_a_user_error_in_a_job_with_hydra_verbose_shows_its_traceback_and_the_sweep_goes_on(tmp_path):
    """hydra.verbose=true (the traceback of a user error, asked for): the job's error was re-raised, so Hydra ended
    the sweep on it once every job had run, with no comparison and no line naming the failed job."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    outcome = run_cli("run", [*sweep_args(sweep, f"{setup.data},{tmp_path / 'nowhere'}"), "hydra.verbose=true"],
                      cwd=tmp_path, env=cache_env(tmp_path))
    assert outcome.code == 1 and "Traceback" in outcome.stderr, outcome.stderr[-3000:]
    errors = [line for line in outcome.error_lines if line.startswith("error:")]
    assert errors == [f"error: {sweep / '1_identity'}: data folder '{tmp_path / 'nowhere'}' not found; set data.root to "
                      "a folder with a manifest.yaml", f"error: 1 of 2 jobs failed (1_identity); fix the cause and run "
                      f"the same command with hydra.sweep.dir={sweep} to finish the sweep (its finished jobs are kept)"]
    assert len(json.loads((sweep / "comparison" / "comparison.json").read_text())["systems"]) == 1


def test_a_crashed_job_is_finished_by_the_same_command_once_the_cause_is_gone(tmp_path):
    """The cause of the crash gone, the same command finishes the sweep: the crashed job's folder is resumed (its
    FAILED marker names the crash), the finished ones are kept as they were."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    args = sweep_args(sweep, str(setup.data), CRASHES_AT_TWO, "cache.enabled=false", "generation.batch_size=1,2")
    (tmp_path / "CRASH").touch()
    assert run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path)).code == 1
    kept = (sweep / "0_identity" / "result.json").read_bytes()
    (tmp_path / "CRASH").unlink()
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    assert (sweep / "0_identity" / "result.json").read_bytes() == kept
    assert "resumed a run that failed (RuntimeError: CUDA error" in (sweep / "1_identity" / "result.json").read_text()
    assert len(json.loads((sweep / "comparison" / "comparison.json").read_text())["systems"]) == 2


# ---------------------------------------------------------------- sweeps: a second sweep in the folder

def test_a_second_sweep_into_a_sweep_folder_in_use_is_refused_in_one_line(tmp_path):
    """The same sweep started twice at once into one folder: the second joined the first, called the job the first
    was running 'failed' ('1 of 2 jobs failed ... run the same command'), and both wrote the comparison."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    args = sweep_args(sweep, str(setup.data), SLOW, "cache.enabled=false", "generation.batch_size=1,2")
    first = start_run(args, tmp_path, tmp_path / "cache")
    try:
        wait_for(sweep / "0_identity" / "RUNNING", first)
        before = tree_checksum(tmp_path, exclude=(sweep, tmp_path / "cache"))
        outcome = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
        assert_one_line_error(outcome, f"{sweep} is in use by the sweep pid {first.pid}", "hydra.sweep.dir=")
        assert tree_checksum(tmp_path, exclude=(sweep, tmp_path / "cache")) == before
    finally:
        _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr[-3000:]
    assert sorted(p.parent.name for p in sweep.glob("*/result.json")) == ["0_identity", "1_identity"]


def test_another_sweep_into_a_finished_sweeps_folder_is_refused_before_it_writes(tmp_path):
    """A sweep of other overrides into an earlier sweep's folder: Hydra overwrote the earlier sweep's multirun.yaml,
    every job was refused in a line of its own, the comparison was rewritten, and the summary said '2 of 2 jobs
    failed ... run the same command with hydra.sweep.dir=...', which fails again."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    done = run_cli("run", sweep_args(sweep, str(setup.data), "generation.batch_size=1,2"), cwd=tmp_path,
                   env=cache_env(tmp_path))
    assert done.code == 0, done.stderr[-3000:]
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", sweep_args(sweep, str(setup.data), "generation.num_beams=1,2"), cwd=tmp_path,
                      env=cache_env(tmp_path))
    assert_one_line_error(outcome, f"{sweep} holds another sweep", "generation.batch_size=1,2",
                          "give a new hydra.sweep.dir")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_the_same_sweep_run_again_with_quiet_is_the_same_sweep(tmp_path):
    """--quiet adds Hydra's own overrides, not the sweep's: the sweep is resumed, not refused as another."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    args = sweep_args(sweep, str(setup.data), "generation.batch_size=1,2")
    assert run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path)).code == 0
    again = run_cli("run", [*args, "--quiet"], cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]


def test_ctrl_c_in_a_sweep_says_how_to_resume_and_the_same_command_finishes_it(tmp_path):
    """Ctrl-C in the second job: one line naming the job's folder and the command that resumes it, exit 130; the same
    command finishes every job and keeps the first as it was."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    args = sweep_args(sweep, str(setup.data), SLOW, "cache.enabled=false", "generation.batch_size=1,2")
    child = start_run(args, tmp_path, tmp_path / "cache")
    wait_for(sweep / "1_identity" / "RUNNING", child)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    lines = [line for line in Outcome(child.returncode, "", stderr).error_lines]
    assert child.returncode == 130 and "Traceback" not in stderr, stderr[-3000:]
    assert lines == [f"interrupted: {sweep / '1_identity'} is marked FAILED; run the same command with "
                     f"hydra.sweep.dir={sweep} to resume it"], lines
    kept = (sweep / "0_identity" / "result.json").read_bytes()
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    assert (sweep / "0_identity" / "result.json").read_bytes() == kept
    assert "resumed a run that failed (interrupted (Ctrl-C))" in (sweep / "1_identity" / "result.json").read_text()


# ---------------------------------------------------------------- resume after SIGKILL

KILLED_AT = """
import os, signal, sys
import harness.pipeline as pipeline
import harness.results.run_folder as run_folder
where = sys.argv.pop(1)
if where == "scoring":   # killed when the translations are done and the alignment and scoring begin
    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    pipeline.align_and_score = killed
elif where == "RUNNING":   # killed when result.json is written, before the RUNNING marker goes
    import pathlib
    unlink = pathlib.Path.unlink
    def killed_unlink(self, missing_ok=False):
        if self.name == "RUNNING" and (self.parent / "result.json").is_file():
            os.kill(os.getpid(), signal.SIGKILL)
        unlink(self, missing_ok=missing_ok)
    pathlib.Path.unlink = killed_unlink
else:                    # killed when the file `where` is written whole under its temporary name, before its rename
    replace = os.replace
    def killed_replace(source, target):
        if os.path.basename(str(target)) == where:
            os.kill(os.getpid(), signal.SIGKILL)
        replace(source, target)
    run_folder.os.replace = killed_replace
from harness.cli import run_main
run_main()
"""


def killed_run(where: str, args: list[str], cwd: Path, env: dict) -> int:
    done = subprocess.run([sys.executable, "-c", KILLED_AT, where, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **env})
    return done.returncode


@pytest.mark.parametrize("where", ["scoring", "a.txt", "result.json"])
def test_a_run_killed_then_run_again_gives_the_uninterrupted_scores_and_leaves_no_half_written_file(tmp_path, where):
    """SIGKILL while the run scores, while it writes a hypothesis file, or while it writes result.json, then the same
    command: the scores of an uninterrupted run. The killed run's half-written file (.result.json.tmp-PID, complete
    but for its rename) stayed in the finished run's folder beside result.json."""
    setup = make_setup(tmp_path)
    args = base_args(setup)
    assert killed_run(where, args, tmp_path, cache_env(tmp_path)) == -signal.SIGKILL
    assert (setup.run_dir / "RUNNING").is_file() and not (setup.run_dir / "result.json").exists()
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    clean = run_cli("run", [*args, f"hydra.run.dir={tmp_path / 'clean'}"], cwd=tmp_path,
                    env={"HARNESS_CACHE_DIR": str(tmp_path / "fresh_cache")})
    assert clean.code == 0, clean.stderr[-3000:]
    assert scores(setup.run_dir) == scores(tmp_path / "clean")
    for name in ("hypotheses/a.txt", "scored/a.hyp.txt", "scored/a.ref.txt"):
        assert (setup.run_dir / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()
    leftovers = [str(p.relative_to(setup.run_dir)) for p in setup.run_dir.rglob(".*.tmp-*")]
    assert leftovers == [], leftovers
    assert "took over the folder from a run that died" in (setup.run_dir / "result.json").read_text()


def test_a_sweep_killed_between_a_jobs_result_and_its_marker_is_finished_by_the_same_command(tmp_path):
    """SIGKILL after job 0 wrote result.json, before its RUNNING marker went: the same command kept the finished job
    (rightly) and ran the other, then said '1 of 2 jobs failed (0_identity)', exit 1, the marker being there, and so
    again at every re-run: the sweep could never be finished."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    args = sweep_args(sweep, str(setup.data), "generation.batch_size=1,2")
    assert killed_run("RUNNING", args, tmp_path, cache_env(tmp_path)) == -signal.SIGKILL
    assert (sweep / "0_identity" / "result.json").is_file() and (sweep / "0_identity" / "RUNNING").is_file()
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    assert not any(line.startswith("error:") for line in again.error_lines), again.error_lines
    assert len(json.loads((sweep / "comparison" / "comparison.json").read_text())["systems"]) == 2


# ---------------------------------------------------------------- the results index and harness-compare

def finished_run(setup: Setup, folder: Path, *extra: str) -> Path:
    done = run_cli("run", [*base_args(setup), f"hydra.run.dir={folder}", *extra], cwd=setup.root,
                   env=cache_env(setup.root))
    assert done.code == 0, done.stderr[-3000:]
    return folder


def test_the_index_lists_finished_runs_and_names_a_killed_a_failed_and_an_older_run(tmp_path):
    """results/ holding a finished run, one killed (RUNNING of a dead process), one FAILED and one of an older result
    format: the finished one is listed, each other one named in a warning line, no traceback, exit 0. The killed run
    read 'still running or was killed': the user could wait for a run that nothing runs."""
    setup = make_setup(tmp_path)
    results = tmp_path / "results"
    finished_run(setup, results / "done")
    assert killed_run("result.json", [*base_args(setup), f"hydra.run.dir={results / 'killed'}"], tmp_path,
                      cache_env(tmp_path)) == -signal.SIGKILL
    shutil.copytree(results / "done", results / "old")
    record = json.loads((results / "old" / "result.json").read_text())
    (results / "old" / "result.json").write_text(json.dumps({**record, "schema_version": 1}))
    (results / "failed").mkdir()
    (results / "failed" / "FAILED").write_text("RuntimeError: boom\npid 1\nhost h\nstarted s\n")
    outcome = run_cli("compare", [str(results), "--list"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-3000:]
    assert "1 finished run;" in outcome.stdout and "results/done" in outcome.stdout
    warned = sorted(line.split(" is ")[0] for line in outcome.error_lines)
    assert warned == [f"warning: skipped {results / name}" for name in ("failed", "killed", "old")], \
        outcome.error_lines
    killed = next(line for line in outcome.error_lines if f"{results / 'killed'} is" in line)
    assert "is RUNNING: killed: its process is gone" in killed and "hydra.run.dir" in killed, killed
    assert "Traceback" not in outcome.stderr


def test_runs_of_other_data_found_by_a_search_are_never_ranked_in_one_table(tmp_path):
    """Two data sets under one results/ folder: a group each, never one leaderboard."""
    setup = make_setup(tmp_path)
    finished_run(setup, tmp_path / "results" / "a")
    (tmp_path / "other").mkdir()
    other = make_setup(tmp_path / "other")
    finished_run(other, tmp_path / "results" / "b")
    outcome = run_cli("compare", [str(tmp_path / "results"), "--resamples", "20", "--out", str(tmp_path / "report")],
                      cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-3000:]
    assert "group 1 of 2" in outcome.stdout and "group 2 of 2" in outcome.stdout


@pytest.mark.parametrize("edited, word, said", [
    ("ref.txt", "twelve", "the reference sentences of 'identity@b'"),
    ("ref.txt", "twelve", "(the reference was edited between the runs, or split otherwise)"),   # round 18: not
    # 'runs from different segmentations', which the two were not
    ("a.txt", "douze", "are not comparable: different source sentences")])
def test_runs_whose_data_was_edited_between_them_are_not_compared(tmp_path, edited, word, said):
    """The same data folder, a word of the reference or of the source changed between two runs (the same file names,
    the same number of sentences): refused, not ranked. The source edited was ranked in one table, though the two
    systems translated different texts; a search puts such runs in groups of their own (and leaves out, with a
    warning, runs whose references disagree: tests/test_adversarial_round2_tables.py)."""
    setup = make_setup(tmp_path)
    finished_run(setup, tmp_path / "results" / "a")
    setup.write(edited, (setup.data / edited).read_text().replace(word, "13"))
    finished_run(setup, tmp_path / "results" / "b")
    outcome = run_cli("compare", [str(tmp_path / "results" / "a"), str(tmp_path / "results" / "b"), "--resamples",
                                  "20", "--out", str(tmp_path / "report")], cwd=tmp_path)
    assert_one_line_error(outcome, said)
    assert not (tmp_path / "report").exists()
    if edited == "a.txt":
        searched = run_cli("compare", [str(tmp_path / "results"), "--resamples", "20", "--out",
                                       str(tmp_path / "report")], cwd=tmp_path)
        assert searched.code == 0 and "group 1 of 2" in searched.stdout, searched.stderr[-3000:]


# ---------------------------------------------------------------- tracking=mlflow

@pytest.fixture()
def mlflow_client():
    pytest.importorskip("mlflow", reason="tracking=mlflow needs the tracking extra: pip install -e '.[tracking]'")
    from mlflow.tracking import MlflowClient
    return MlflowClient


def store_runs(client, uri: str) -> dict[str, object]:
    """The store's runs by name."""
    mlflow = client(uri)
    experiment = mlflow.get_experiment_by_name("mt-harness")
    return {r.info.run_name: r for r in mlflow.search_runs([experiment.experiment_id])} if experiment else {}


def tracked(tmp_path: Path) -> tuple[str, list[str]]:
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    return uri, ["tracking=mlflow", f"tracking.uri={uri}"]


def test_an_artifact_folder_that_is_a_file_is_refused_before_the_run(tmp_path, mlflow_client):
    """The store's artifact folder (mlartifacts/ beside mlflow.db) replaced by a file: the run ran to its end, then
    'run NOT logged to MLflow ([Errno 20] Not a directory ...)', exit 1, and an MLflow run left RUNNING."""
    setup = make_setup(tmp_path)
    uri, tracking = tracked(tmp_path)
    finished_run(setup, tmp_path / "first", *tracking)
    shutil.rmtree(tmp_path / "store" / "mlartifacts")
    (tmp_path / "store" / "mlartifacts").write_text("my notes\n")
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), *tracking], cwd=tmp_path, env=cache_env(tmp_path))
    assert_one_line_error(outcome, f"tracking.uri={uri}", f"{tmp_path / 'store' / 'mlartifacts'} is a file",
                          "tracking=none")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    assert [r.info.status for r in store_runs(mlflow_client, uri).values()] == ["FINISHED"]


def test_a_store_under_a_file_is_named_as_such(tmp_path, mlflow_client):
    """tracking.uri=sqlite:///FILE/mlflow.db, FILE a file of the user's: 'the MLflow store does not answer ([Errno 17]
    File exists ...); start the tracking server', which no server would fix."""
    setup = make_setup(tmp_path)
    (tmp_path / "store").write_text("my notes\n")
    uri, tracking = tracked(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), *tracking], cwd=tmp_path, env=cache_env(tmp_path))
    assert_one_line_error(outcome, f"tracking.uri={uri}", f"{tmp_path / 'store'} is a file, not a folder")
    assert "tracking server" not in outcome.stderr
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_a_store_deleted_between_two_runs_is_made_anew(tmp_path, mlflow_client):
    setup = make_setup(tmp_path)
    uri, tracking = tracked(tmp_path)
    finished_run(setup, tmp_path / "first", *tracking)
    (tmp_path / "store" / "mlflow.db").unlink()
    finished_run(setup, tmp_path / "second", *tracking)
    assert {name: r.info.status for name, r in store_runs(mlflow_client, uri).items()} == {"second": "FINISHED"}


def test_an_mlflow_run_whose_logging_fails_half_way_is_marked_failed(tmp_path, mlflow_client, monkeypatch):
    """The store takes the run, its params and metrics, then fails on the artifacts: the MLflow run stayed RUNNING
    for ever, as if the harness were still working."""
    from mlflow.tracking import MlflowClient

    from harness import run
    from harness.config import compose_config
    from harness.errors import UserError
    from harness.track.tracking import Store, log_finished_run
    setup = make_setup(tmp_path)
    folder = tmp_path / "run"
    run(compose_config([*base_args(setup)[:2], "alignment.embeddings=false", f"cache.dir={tmp_path / 'cache'}"]),
        folder)
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(MlflowClient, "log_artifact", disk_full)
    with pytest.raises(UserError, match="NOT logged"):
        log_finished_run(Store(uri, "mt-harness"), folder, [], None)
    assert [r.info.status for r in store_runs(mlflow_client, uri).values()] == ["FAILED"]


def test_a_sweep_with_a_failed_job_marks_its_parent_run_failed_and_its_resume_finishes_it(tmp_path, mlflow_client):
    """One job of two failed: the sweep's parent run was marked FINISHED in MLflow, the sweep exiting 1. The same
    command, the cause fixed, made a second parent run: the sweep's jobs were split between two parents, the first
    one FINISHED."""
    setup = make_setup(tmp_path)
    uri, tracking = tracked(tmp_path)
    sweep = tmp_path / "sweep"
    args = [*sweep_args(sweep, f"{setup.data},{tmp_path / 'later'}"), *tracking]
    assert run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path)).code == 1
    parent = (sweep / "mlflow_parent_run_id").read_text().strip()
    assert mlflow_client(uri).get_run(parent).info.status == "FAILED"
    shutil.copytree(setup.data, tmp_path / "later")
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    runs = store_runs(mlflow_client, uri)
    assert set(runs) == {"0_identity", "1_identity", str(sweep)}
    assert runs[str(sweep)].info.run_id == parent and runs[str(sweep)].info.status == "FINISHED"
    assert {runs[job].data.tags["mlflow.parentRunId"] for job in ("0_identity", "1_identity")} == {parent}


def test_the_sweep_summary_and_the_parent_run_agree_under_the_joblib_launcher(tmp_path, mlflow_client):
    """The jobs run in worker processes: the parent run learns of the failed job from its marker, as the summary."""
    setup = make_setup(tmp_path)
    uri, tracking = tracked(tmp_path)
    sweep = tmp_path / "sweep"
    outcome = run_cli("run", [*sweep_args(sweep, f"{setup.data},{tmp_path / 'nowhere'}"), *tracking,
                              "hydra/launcher=local_parallel"], cwd=tmp_path, env=cache_env(tmp_path))
    assert outcome.code == 1, outcome.stderr[-3000:]
    assert mlflow_client(uri).get_run((sweep / "mlflow_parent_run_id").read_text().strip()).info.status == "FAILED"


def test_ctrl_c_in_a_tracked_sweep_ends_its_parent_run_and_the_resume_finishes_it(tmp_path, mlflow_client):
    """Ctrl-C in a sweep's job: the sweep's parent run stayed RUNNING in MLflow for ever (no end callback runs)."""
    setup = make_setup(tmp_path)
    uri, tracking = tracked(tmp_path)
    sweep = tmp_path / "sweep"
    args = [*sweep_args(sweep, str(setup.data), SLOW, "cache.enabled=false", "generation.batch_size=1,2"), *tracking]
    child = start_run(args, tmp_path, tmp_path / "cache")
    wait_for(sweep / "1_identity" / "RUNNING", child)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr[-3000:]
    parent = (sweep / "mlflow_parent_run_id").read_text().strip()
    assert mlflow_client(uri).get_run(parent).info.status == "KILLED"
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    runs = store_runs(mlflow_client, uri)
    assert runs[str(sweep)].info.run_id == parent and runs[str(sweep)].info.status == "FINISHED"


def test_a_job_finished_but_not_logged_when_the_sweep_was_killed_is_logged_by_the_resume(tmp_path, mlflow_client):
    """SIGKILL after job 0 wrote its result, before it was logged: the same command kept the job as finished and
    never logged it; MLflow's sweep lacked that run, and nothing said so."""
    setup = make_setup(tmp_path)
    uri, tracking = tracked(tmp_path)
    sweep = tmp_path / "sweep"
    args = [*sweep_args(sweep, str(setup.data), "generation.batch_size=1,2"), *tracking]
    assert killed_run("RUNNING", args, tmp_path, cache_env(tmp_path)) == -signal.SIGKILL
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    runs = store_runs(mlflow_client, uri)
    parent = (sweep / "mlflow_parent_run_id").read_text().strip()
    assert set(runs) == {"0_identity", "1_identity", str(sweep)}
    assert {runs[job].data.tags["mlflow.parentRunId"] for job in ("0_identity", "1_identity")} == {parent}
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))   # a third launch logs nothing twice
    assert again.code == 0 and len(store_runs(mlflow_client, uri)) == 3, again.stderr[-3000:]



def marker_pids(sweep: Path) -> list[int]:
    return [int(line.split()[1]) for marker in sweep.glob("*/RUNNING")
            for line in marker.read_text().splitlines() if line.startswith("pid ")]


def test_sigterm_to_a_parallel_sweep_says_how_to_resume_it_and_ends_its_parent_run(tmp_path, mlflow_client):
    """SIGTERM (a scheduler's time limit) to a joblib sweep: the workers' jobs stop in the main process's wait, where
    no run handles it: 'terminated (SIGTERM)' alone, nothing about the sweep or how to resume it, and the MLflow parent
    run left RUNNING."""
    import psutil
    setup = make_setup(tmp_path)
    uri, tracking = tracked(tmp_path)
    sweep = tmp_path / "sweep"
    args = [*sweep_args(sweep, str(setup.data), SLOW, "cache.enabled=false", "generation.batch_size=1,2"), *tracking,
            "hydra/launcher=local_parallel"]
    child = start_run(args, tmp_path, tmp_path / "cache")
    wait_for(sweep / "0_identity" / "RUNNING", child)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 143 and "Traceback" not in stderr, stderr[-3000:]
    said = [line for line in Outcome(143, "", stderr).error_lines if " mlflow." not in line]   # MLflow's own log
    assert said == [f"terminated (SIGTERM): the sweep in {sweep} stopped before its end; run the same command with "
                    f"hydra.sweep.dir={sweep} to resume it"], said
    assert mlflow_client(uri).get_run((sweep / "mlflow_parent_run_id").read_text().strip()).info.status == "KILLED"
    deadline = time.time() + 60   # the workers the launcher stopped are gone before the sweep is resumed
    while any(psutil.pid_exists(pid) for pid in marker_pids(sweep)) and time.time() < deadline:
        time.sleep(0.1)
    again = run_cli("run", args, cwd=tmp_path, env=cache_env(tmp_path))
    assert again.code == 0, again.stderr[-3000:]
    assert sorted(p.parent.name for p in sweep.glob("*/result.json")) == ["0_identity", "1_identity"]
