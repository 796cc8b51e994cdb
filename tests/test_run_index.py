"""The results index (harness-compare --list) and harness-compare on a whole results/ folder, through the real CLI
on a folder holding finished runs of two data sets, an unfinished run, a damaged result.json and an MLflow
artifact store's copy of a result.json."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import run
from harness.config import compose_config
from harness.results.run_folder import RUNNING_MARKER, TRACKING_ARTIFACTS
from tests.adversarial import run_cli
from tests.test_adversarial_compare import write_dataset, write_references_as_outputs

SOURCES_B = {"a": "Depuis ce matin, le chat dort sur le sofa. Aujourd'hui il fait beau en ville. "
                  "Les enfants s'amusent au parc.",
             "b": "La réunion débute à neuf heures. Le directeur présente aux employés le nouveau projet."}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """results/ as a user's would look: runs of data sets set_a (two systems) and set_b (one, in a sweep)."""
    base = tmp_path_factory.mktemp("index")
    set_a, set_b = write_dataset(base / "set_a"), write_dataset(base / "set_b", SOURCES_B)
    outputs = write_references_as_outputs(base / "outputs")
    common = [f"cache.dir={base / 'cache'}", "alignment.embeddings=false"]
    finished = base / "results"
    run(compose_config([f"data.root={set_a}", "model=identity", *common]), finished / "2026-11-28/09-00-00_identity")
    run(compose_config([f"data.root={set_a}", "model=files", f"model.path={outputs}", *common]),
        finished / "2026-11-28/09-05-00_files")
    run(compose_config([f"data.root={set_b}", "model=identity", *common]),
        finished / "multirun/2026-11-28/10-00-00/0_identity")
    running = finished / "multirun/2026-11-28/10-00-00/1_gemma3_270m"
    (running / ".hydra").mkdir(parents=True)
    (running / RUNNING_MARKER).write_text("pid 999999\n", encoding="utf-8")
    (finished / "2026-11-28/damaged").mkdir()
    (finished / "2026-11-28/damaged/result.json").write_text('{"schema_version": 2, "model": ', encoding="utf-8")
    copy = finished / TRACKING_ARTIFACTS / "1" / "abc" / "artifacts"
    copy.mkdir(parents=True)
    shutil.copy(finished / "2026-11-28/09-00-00_identity/result.json", copy / "result.json")
    return finished


def parallel_mean_chrf(folder: Path) -> float:
    """The mean document chrF over the parallel documents, computed from result.json directly."""
    documents = json.loads((folder / "result.json").read_text(encoding="utf-8"))["documents"]
    scores = [d["metrics"]["chrf"]["score"] for d in documents if d["relation"] == "parallel"]
    return sum(scores) / len(scores)


def test_list_shows_one_line_per_finished_run_and_names_what_it_skips(results):
    done = run_cli("compare", ["--list", "results"], cwd=results.parent)
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line for line in lines if "parallel)" in line]
    assert len(rows) == 3, done.stdout   # the MLflow store's copy of a result.json is no run
    by_folder = {row.split()[-1]: row for row in rows}
    assert set(by_folder) == {"results/2026-11-28/09-00-00_identity", "results/2026-11-28/09-05-00_files",
                              "results/multirun/2026-11-28/10-00-00/0_identity"}
    identity = by_folder["results/2026-11-28/09-00-00_identity"].split()
    assert identity[2:5] == ["identity", "set_a", "2"] and "(2 parallel)" in by_folder[
        "results/2026-11-28/09-00-00_identity"]
    assert float(identity[-2]) == pytest.approx(parallel_mean_chrf(results / "2026-11-28/09-00-00_identity"), abs=0.05)
    files = by_folder["results/2026-11-28/09-05-00_files"].split()
    assert files[2:4] == ["files", "set_a"] and float(files[-2]) == pytest.approx(100.0, abs=0.05)
    assert by_folder["results/multirun/2026-11-28/10-00-00/0_identity"].split()[3] == "set_b"
    assert "3 finished runs" in done.stdout
    assert "1_gemma3_270m is RUNNING" in done.stderr and "damaged is unreadable" in done.stderr
    assert "Traceback" not in done.stderr


def test_compare_a_results_folder_compares_each_data_set_apart(results, tmp_path):
    done = run_cli("compare", ["results", "--resamples", "50", "--out", str(tmp_path / "out")], cwd=results.parent)
    assert done.code == 0, done.stderr
    assert "group 1 of 2" in done.stdout and "group 2 of 2" in done.stdout
    systems = {}
    for group in ("comparison_1", "comparison_2"):
        comparison = json.loads((tmp_path / "out" / group / "comparison.json").read_text(encoding="utf-8"))
        assert (tmp_path / "out" / group / "report.html").is_file()
        systems[Path(comparison["data"]["root"]).name] = sorted(s["name"] for s in comparison["systems"])
    # names are unique over every run found, so the two identity runs keep their folder in their name
    assert systems == {"set_a": ["files", "identity@09-00-00_identity"], "set_b": ["identity@0_identity"]}
    assert "warning: skipped" in done.stderr and "damaged is unreadable" in done.stderr
    again = run_cli("compare", ["results", "--resamples", "50", "--out", str(tmp_path / "out")], cwd=results.parent)
    assert again.code == 0, again.stderr   # an earlier grouped report is replaced, not taken for foreign files
    (tmp_path / "out" / "comparison_1" / "notes.txt").write_text("mine", encoding="utf-8")
    refused = run_cli("compare", ["results", "--out", str(tmp_path / "out")], cwd=results.parent)
    assert refused.code == 2 and "already holds other files (comparison_1)" in refused.stderr


def test_runs_named_one_by_one_must_still_be_comparable(results, tmp_path):
    named = ["results/2026-11-28/09-00-00_identity", "results/multirun/2026-11-28/10-00-00/0_identity"]
    done = run_cli("compare", [*named, "--out", str(tmp_path / "out")], cwd=results.parent)
    assert done.code == 2 and "not comparable" in done.stderr and not (tmp_path / "out").exists()


def test_a_damaged_result_named_one_by_one_is_still_an_error(results, tmp_path):
    done = run_cli("compare", ["--list", "results/2026-11-28/damaged"], cwd=results.parent)
    assert done.code == 2 and "not valid JSON" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_baseline_applies_to_the_group_that_holds_it(results, tmp_path):
    done = run_cli("compare", ["results", "--baseline", "files", "--resamples", "50", "--out", str(tmp_path / "out")],
                   cwd=results.parent)
    assert done.code == 0, done.stderr
    baselines = {}
    for group in ("comparison_1", "comparison_2"):
        comparison = json.loads((tmp_path / "out" / group / "comparison.json").read_text(encoding="utf-8"))
        baselines[Path(comparison["data"]["root"]).name] = comparison["baseline"]
    assert baselines == {"set_a": "files", "set_b": "identity@0_identity"}


def test_a_baseline_in_no_group_is_an_error(results, tmp_path):
    done = run_cli("compare", ["results", "--baseline", "file", "--out", str(tmp_path / "out")], cwd=results.parent)
    assert done.code == 2 and "unknown baseline system 'file'" in done.stderr and "Did you mean 'files'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 3   # the two skipped folders, then the one error line
    assert not (tmp_path / "out").exists()
