"""harness-score: hypothesis files scored against reference files without a manifest, through the pipeline and
harness-compare, as a user runs it (a child process); the user's folder is checksummed before and after."""
from __future__ import annotations

import json
import os

import pytest

from benchmarks.line_scoring import cli_scores, damaged, parallel_lines, second_reference, write_lines
from harness.results.results import read_record
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum

LINES = 60


@pytest.fixture
def test_set(tmp_path):
    """The user's folder: src.txt, ref.txt, ref2.txt and two systems' outputs."""
    user = tmp_path / "user"
    source, reference = parallel_lines(LINES)
    write_lines(user / "src.txt", source)
    write_lines(user / "ref.txt", reference)
    write_lines(user / "ref2.txt", second_reference(reference))
    write_lines(user / "sysA.txt", damaged(reference, "all"))
    write_lines(user / "sysB.txt", damaged(reference, "dropped_words"))
    return user


def score(user, *args, cwd=None):
    return run_cli("score", list(args), cwd or user, {"HARNESS_CACHE_DIR": str(user.parent / "cache")})


def test_two_systems_two_references_give_run_folders_and_a_comparison_and_touch_no_user_file(test_set):
    before = tree_checksum(test_set)
    out = test_set.parent / "out"
    outcome = score(test_set, "-r", "ref.txt", "-r", "ref2.txt", "-s", "src.txt", "--src-lang", "fr",
                    "sysA.txt", "sysB.txt", "--out", str(out), "--resamples", "50")
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert tree_checksum(test_set) == before
    assert "sysA" in outcome.stdout and "sysB" in outcome.stdout and "baseline: sysA" in outcome.stdout
    comparison = json.loads((out / "comparison" / "comparison.json").read_text(encoding="utf-8"))
    assert [system["name"] for system in comparison["systems"]] == ["sysA", "sysB"]
    for system in ("sysA", "sysB"):
        record = read_record(out / system)
        document = record.documents[0]
        cli = {name: s["score"] for name, s in
               cli_scores([test_set / "ref.txt", test_set / "ref2.txt"], test_set / f"{system}.txt").items()}
        assert {name: document.aligned[name].score for name in cli} == cli
        assert record.backend == "files" and record.model_name == system
        compared = {row["metric"]: row["score"] for row in comparison["rows"] if row["system"] == system}
        assert compared == cli   # harness-compare recomputes them from the stored lines, both references included


def test_one_system_prints_its_run_table(test_set):
    outcome = score(test_set, "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt",
                    "--out", str(test_set.parent / "out"))
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert "aln BLEU" in outcome.stdout and "run folder:" in outcome.stdout
    assert read_record(test_set.parent / "out" / "sysA").documents[0].aligned["bleu"].score == \
        cli_scores([test_set / "ref.txt"], test_set / "sysA.txt")["bleu"]["score"]


def test_the_default_output_folder_is_under_results_in_the_working_folder(test_set, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    outcome = score(test_set, "-r", str(test_set / "ref.txt"), "-s", str(test_set / "src.txt"), "--src-lang", "fr",
                    str(test_set / "sysA.txt"), cwd=work)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert len(list(work.glob("results/score/*/*/sysA/result.json"))) == 1


@pytest.mark.parametrize("case, arguments, fragments", [
    ("hypothesis one line short", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "short.txt"],
     ["short.txt", f"{LINES - 1} lines", f"source has {LINES}"]),
    ("reference one line long", ["-r", "long.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt"],
     ["long.txt", f"{LINES + 1} lines"]),
    ("missing hypothesis", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "nothere.txt"],
     ["nothere.txt", "not found"]),
    ("two systems of one name", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "a/sysA.txt"],
     ["'sysA'", "different names"]),
    ("unknown language", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "french", "sysA.txt"], ["french"]),
    # own (2026-12-06, round 15): the runs were scored and logged to no store, exit 0, no word
    ("tracking override", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--override",
                           "tracking=mlflow"], ["--override tracking=mlflow", "logs to no tracking store"]),
    ("misspelt override", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--override",
                           "metric=[bleu]"], ["metric"]),
    ("unknown baseline", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                          "--baseline", "sysX"], ["sysX", "sysA"]),
    ("no reference", ["-s", "src.txt", "--src-lang", "fr", "sysA.txt"], ["--reference", "harness-score --help"]),
    # own (2026-12-04): these said "fix lang in the manifest", the manifest this command writes itself
    ("source not in --src-lang", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "tr", "sysA.txt"],
     ["--src-lang: src.txt: declared 'tr' (Turkish)", "fix --src-lang"]),
    ("references not in --tgt-lang", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "--tgt-lang", "de",
                                      "sysA.txt"], ["--tgt-lang: ref.txt: declared 'de' (German)", "fix --tgt-lang"]),
    # own (2026-12-04): both were called 'not found'; reading the pipe would have waited for ever
    ("hypothesis a named pipe", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "pipe.txt"],
     ["pipe.txt: is not a regular file", "save the text to a file"]),
    ("hypothesis a link to a moved file", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "moved.txt"],
     ["moved.txt: is a link to", "old/sysA.txt, which does not exist"]),
])
def test_bad_input_is_one_line_and_writes_nothing(test_set, case, arguments, fragments):
    write_lines(test_set / "short.txt", damaged(parallel_lines(LINES)[1], "all")[:-1])
    write_lines(test_set / "long.txt", [*parallel_lines(LINES)[1], "one more"])
    write_lines(test_set / "a" / "sysA.txt", parallel_lines(LINES)[1])
    os.mkfifo(test_set / "pipe.txt")
    (test_set / "moved.txt").symlink_to(test_set / "old" / "sysA.txt")
    before = tree_checksum(test_set.parent, exclude=(test_set.parent / "cache",))
    outcome = score(test_set, *arguments, "--out", str(test_set.parent / "out"))
    assert_one_line_error(outcome, *fragments)
    assert tree_checksum(test_set.parent, exclude=(test_set.parent / "cache",)) == before


def test_systems_named_as_the_commands_own_folders_are_scored_beside_them(test_set):
    """Own (2026-12-04): data.txt, inputs.txt or comparison.txt as a hypothesis file was refused (or, as one of
    two systems, scored and then refused at the comparison, leaving the runs behind): their run folders were the
    command's own data/, inputs/ and comparison/ folders."""
    for name in ("data", "inputs", "comparison"):
        write_lines(test_set / f"{name}.txt", damaged(parallel_lines(LINES)[1], "dropped_words"))
    out = test_set.parent / "out"
    outcome = score(test_set, "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "data.txt", "inputs.txt",
                    "comparison.txt", "sysA.txt", "--out", str(out), "--resamples", "50")
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert "data in data-system/" in outcome.stdout
    comparison = json.loads((out / "comparison" / "comparison.json").read_text(encoding="utf-8"))
    assert [system["name"] for system in comparison["systems"]] == ["data", "inputs", "comparison", "sysA"]
    for name in ("data", "inputs", "comparison"):
        assert read_record(out / f"{name}-system").model_name == name
    assert (out / "data" / "manifest.yaml").is_file() and (out / "inputs" / "data").is_dir()



def test_systems_named_in_any_script_keep_their_names(test_set):
    """Own (2026-12-05): a file name's letters outside ASCII were replaced, so 百度.txt and 谷歌.txt were both the
    system 'system' (refused: "would both be the system 'system'") and système.txt read 'syst_me'. A name keeps
    its letters in any script, composed (NFC: a decomposed è is the same name as a composed one)."""
    decomposed = "syste\u0300me"
    for name in ("百度", "谷歌", decomposed):
        write_lines(test_set / f"{name}.txt", damaged(parallel_lines(LINES)[1], "dropped_words"))
    out = test_set.parent / "out"
    outcome = score(test_set, "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "百度.txt", "谷歌.txt",
                    f"{decomposed}.txt", "--out", str(out), "--resamples", "50")
    assert outcome.code == 0, outcome.stderr[-2000:]
    comparison = json.loads((out / "comparison" / "comparison.json").read_text(encoding="utf-8"))
    assert [system["name"] for system in comparison["systems"]] == ["百度", "谷歌", "système"]
    assert all(read_record(out / name).model_name == name for name in ("百度", "谷歌", "système"))



def test_an_output_folder_named_with_any_character_is_scored_into(test_set):
    """Own (2026-12-05): harness-score hands its folders to the run as Hydra overrides (data.root=OUT/data), so an
    --out (or a working folder, which the default --out is under) with an accent, a comma, parentheses, brackets,
    '#' or a quote ended in a traceback of Hydra's override grammar, and left OUT behind, half made."""
    out = test_set.parent / "résultats, copie (2) [v1] #3 l'essai"
    outcome = score(test_set, "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--out", str(out))
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert read_record(out / "sysA").model_name == "sysA"
    config = json.loads((out / "sysA" / "result.json").read_text(encoding="utf-8"))["config"]
    assert config["data"]["root"] == str(out / "data") and config["model"]["path"] == str(out / "inputs" / "sysA")


def test_an_output_folder_whose_name_holds_an_interpolation_mark_is_refused_in_one_line(test_set):
    """Own (2026-12-05): an --out such as 'o${x}' was composed as written, then read as an interpolation by Hydra's
    instantiate when the backend was built: a traceback (InterpolationKeyError, exit 1) and OUT left half made."""
    before = tree_checksum(test_set.parent, exclude=(test_set.parent / "cache",))
    outcome = score(test_set, "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt",
                    "--out", str(test_set.parent / "o${x}"))
    assert_one_line_error(outcome, "a folder name holding '${' is read by the run's config as an interpolation")
    assert tree_checksum(test_set.parent, exclude=(test_set.parent / "cache",)) == before


def test_two_files_for_one_run_folder_are_refused(test_set):
    write_lines(test_set / "data.txt", parallel_lines(LINES)[1])
    write_lines(test_set / "data-system.txt", parallel_lines(LINES)[1])
    outcome = score(test_set, "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "data.txt", "data-system.txt",
                    "--out", str(test_set.parent / "out"))
    assert_one_line_error(outcome, "data.txt and data-system.txt would both be the system 'data-system'")
    assert not (test_set.parent / "out").exists()


def test_an_output_folder_that_holds_files_is_refused(test_set):
    (test_set.parent / "out").mkdir()
    (test_set.parent / "out" / "mine.txt").write_text("keep me", encoding="utf-8")
    before = tree_checksum(test_set.parent, exclude=(test_set.parent / "cache",))
    outcome = score(test_set, "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt",
                    "--out", str(test_set.parent / "out"))
    assert_one_line_error(outcome, "not an empty folder")
    assert tree_checksum(test_set.parent, exclude=(test_set.parent / "cache",)) == before
