"""Round 25 on comparisons of runs edited by hand: harness-compare and the results index read every key of result.json
as its record declares it.

A result.json whose key held a value of another JSON type than the one written (`"run": null`, `"notes": null`,
`"diagnostics": {"relation": []}`, `"versions": {"git_commit": 123}`, `"unmatched_source": null`, `"cleaning":
null`, a segment's `"src": 5` or a segment score `null`) passed the reader's checks, which looked at the scores,
segments and statistics only, and both `harness-compare RUN RUN` and `harness-compare --list` ended in a Python
traceback (AttributeError, TypeError, KeyError) far from the file. The check now walks every key of the records
(harness.results.records.Record.malformed), and the diagnostics' keys the readers take.

A folder of runs in which one run folder's result.json is a symbolic link to another run's (a run filed twice):
`harness-compare runs/` compared the run with itself, under names such as 'sysA@//tmp/.../sysA#1' and '#3', and the
extra test entered each Holm family (sysA against sysB: p 0.090 instead of the 0.045 of the two runs alone);
`--list` listed it twice. A search now takes each result file once and names the folder it left out.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum

SOURCE = ["Le chat est noir.", "Il fait beau.", "Je mange une pomme."]
REFERENCE = ["The cat is black.", "The weather is nice.", "I eat an apple."]
SYSTEMS = {"sysA": ["The cat is black.", "It is nice.", "I am eating an apple."],
           "sysB": ["It is a black cat.", "The weather is good.", "I eat apples."]}


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """Two finished runs of a line-aligned test set, made by harness-score."""
    folder = tmp_path_factory.mktemp("scored")
    for name, lines in {"src": SOURCE, "ref": REFERENCE, **SYSTEMS}.items():
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                             "--out", "runs"], cwd=folder, env={"HARNESS_CACHE_DIR": str(folder / "cache")})
    assert done.code == 0, done.stderr[-2000:]
    return folder / "runs"


def set_key(result: dict, path: tuple, value: object) -> None:
    for key in path[:-1]:
        result = result[key]
    result[path[-1]] = value


EDITS = [  # (the key, the value written by hand, the dotted name the error gives)
    (("run",), None, "run"),
    (("run", "notes"), None, "run.notes"),
    (("versions", "git_commit"), 123, "versions.git_commit"),
    (("backend_stats",), [], "backend_stats"),
    (("data", "target_lang"), ["en"], "data.target_lang"),
    (("documents", 0, "relation"), None, "documents[0].relation"),
    (("documents", 0, "cleaning"), None, "documents[0].cleaning"),
    (("documents", 0, "unmatched_source"), None, "documents[0].unmatched_source"),
    (("documents", 0, "alignment"), "lines", "documents[0].alignment"),
    (("documents", 0, "diagnostics", "relation"), [], "documents[0].diagnostics.relation"),
    (("documents", 0, "diagnostics", "output_language"), {"verdict": "on_target"},
     "documents[0].diagnostics.output_language.english"),
    (("documents", 0, "segments", 0, "src"), 5, "documents[0].segments[0].src"),
    (("documents", 0, "segments", 0, "scores", "chrf"), None, "documents[0].segments[0].scores.chrf"),
    (("documents", 0, "metrics", "chrf", "score"), True, "documents[0].metrics.chrf.score"),   # a bool is no number
    (("documents", 0, "aligned", "chrf", "name"), None, "documents[0].aligned.chrf.name"),
]


def edited_copy(scored: Path, tmp_path: Path, path: tuple, value: object) -> Path:
    runs = tmp_path / "runs"
    shutil.copytree(scored, runs)
    result_file = runs / "sysA" / "result.json"
    result = json.loads(result_file.read_text(encoding="utf-8"))
    set_key(result, path, value)
    result_file.write_text(json.dumps(result), encoding="utf-8")
    return runs


@pytest.mark.parametrize("path, value, named", EDITS, ids=[".".join(map(str, edit[0])) for edit in EDITS])
def test_a_key_edited_to_another_type_is_one_line_naming_it(scored, tmp_path, path, value, named):
    runs = edited_copy(scored, tmp_path, path, value)
    before = tree_checksum(tmp_path)
    done = run_cli("compare", ["runs/sysA", "runs/sysB", "--out", "comparison"], cwd=tmp_path)
    assert_one_line_error(done, "runs/sysA/result.json", named, "edited or damaged")
    assert tree_checksum(tmp_path) == before and not (tmp_path / "comparison").exists()
    assert runs.is_dir()


@pytest.mark.parametrize("path, value, named", EDITS, ids=[".".join(map(str, edit[0])) for edit in EDITS])
def test_the_index_names_a_run_edited_to_another_type_and_lists_the_others(scored, tmp_path, path, value, named):
    edited_copy(scored, tmp_path, path, value)
    done = run_cli("compare", ["--list", "runs"], cwd=tmp_path)
    assert done.code == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    warning = [line for line in done.error_lines if "runs/sysA" in line]
    assert len(warning) == 1 and named in warning[0], done.stderr[-2000:]
    assert "runs/sysB" in done.stdout and "1 finished run;" in done.stdout


def test_the_runs_as_written_still_compare(scored, tmp_path):
    shutil.copytree(scored, tmp_path / "runs")
    done = run_cli("compare", ["runs/sysA", "runs/sysB", "--out", "comparison"], cwd=tmp_path)
    assert done.code == 0, done.stderr[-2000:]
    assert (tmp_path / "comparison" / "report.html").is_file()


def test_a_result_linked_into_another_folder_is_one_run_in_a_search(scored, tmp_path):
    shutil.copytree(scored, tmp_path / "runs")
    (tmp_path / "runs" / "again").mkdir()
    (tmp_path / "runs" / "again" / "result.json").symlink_to("../sysA/result.json")
    alone = run_cli("compare", ["runs/sysA", "runs/sysB", "--out", "alone"], cwd=tmp_path)
    searched = run_cli("compare", ["runs", "--out", "searched"], cwd=tmp_path)
    assert alone.code == 0 and searched.code == 0, searched.stderr[-2000:]
    noted = ("skipped runs/again (the run of runs/sysA: its result.json and that run's are one file (a symbolic "
             "link), so the run is compared once)\n")
    assert searched.stdout.replace("searched", "alone").replace(noted, "") == alone.stdout
    assert [line for line in searched.error_lines if "runs/again" in line] == [
        "warning: skipped runs/again is the run of runs/sysA: its result.json and that run's are one file (a symbolic "
        "link), so the run is compared once"]
    listed = run_cli("compare", ["--list", "runs"], cwd=tmp_path)
    assert "2 finished runs;" in listed.stdout and "runs/again" not in listed.stdout


def test_the_folder_left_out_still_names_its_run_as_the_baseline(scored, tmp_path):
    shutil.copytree(scored, tmp_path / "runs")
    (tmp_path / "runs" / "again").mkdir()
    (tmp_path / "runs" / "again" / "result.json").symlink_to("../sysA/result.json")
    done = run_cli("compare", ["runs", "--baseline", "runs/again", "--out", "searched"], cwd=tmp_path)
    assert done.code == 0, done.stderr[-2000:]
    assert "baseline" in next(line for line in done.stdout.splitlines() if line.startswith("src ") and " sysA " in line)


def test_a_document_id_written_twice_is_named(scored, tmp_path):
    """A result holding one document twice under its id (a hand edit: a run scores each document once) was compared
    with both under that id, alone, and called 'different documents' beside another run: now named in one line."""
    runs = tmp_path / "runs"
    shutil.copytree(scored, runs)
    result_file = runs / "sysA" / "result.json"
    result = json.loads(result_file.read_text(encoding="utf-8"))
    result["documents"].append(result["documents"][0])
    result_file.write_text(json.dumps(result), encoding="utf-8")
    before = tree_checksum(tmp_path)
    for arguments in (["runs/sysA"], ["runs/sysA", "runs/sysB"]):
        done = run_cli("compare", [*arguments, "--out", "out"], cwd=tmp_path)
        assert_one_line_error(done, "documents[1].id (the id of documents[0] again)")
        assert tree_checksum(tmp_path) == before


@pytest.mark.parametrize("metric", ["chrf", "ter"])
def test_statistics_edited_past_the_float_range_are_one_line(scored, tmp_path, metric):
    """A segment's stored count edited to 1e308: the counts summed to inf, and numpy's two-line RuntimeWarning
    ('overflow encountered in reduce') came before the one-line error."""
    runs = tmp_path / "runs"
    shutil.copytree(scored, runs)
    result_file = runs / "sysA" / "result.json"
    result = json.loads(result_file.read_text(encoding="utf-8"))
    for segment in result["documents"][0]["segments"]:
        segment["statistics"][metric][0] = 1e308
    result_file.write_text(json.dumps(result), encoding="utf-8")
    before = tree_checksum(tmp_path)
    done = run_cli("compare", ["runs/sysA", "runs/sysB", "--out", "out"], cwd=tmp_path)
    assert_one_line_error(done, "sysA", f"its stored {metric} score")
    assert "RuntimeWarning" not in done.stderr
    assert tree_checksum(tmp_path) == before
