"""Round 4 of the adversarial matrix: what the first three rounds did not try, each found broken and fixed.

Each case runs the real CLI in a child process as a user would and checks the exit code, the one error line and a
checksum of the whole surrounding tree (tests/adversarial.py), or the numbers a comparison that goes ahead prints:
- harness-compare --metrics naming a metric twice ranked it twice and counted it twice in the Holm correction;
- one reference file named twice (a manifest's `reference: [ref.txt, ./ref.txt]`, harness-score -r ref.txt -r ref.txt)
  was scored as two references, its signatures saying nrefs:2 (harness-score's message said to rename the files);
- harness-score --override of what the command sets itself: model=identity scored the source under the hypothesis
  file's name, model.path or data.root made it read other files, hydra.run.dir was ignored;
- an override with shell-hostile characters ($(...), ;, a quote): Hydra's "mismatched input '(' expecting <EOF>"
  named neither the override nor the fix (quoting);
- an interpolation that cannot be resolved (${oc.env:NAME} of a variable that is not set): a traceback, exit 1 and a
  FAILED folder with hydra.run.dir given; Hydra's warnings and a message naming hydra.run.dir without it;
- harness-compare --out inside a finished run's folder wrote the report into the run (harness-run and harness-score
  refuse a folder inside a run's; harness-score's message did not name --out);
- a UTF-32 file was called UTF-16, with an iconv command that garbles it; UTF-16 without a byte-order mark was
  'binary (NUL bytes)';
- a path that exists but is not what is needed was called missing: data.root naming a file ('not found'), a
  manifest.yaml or a model=files <id>.txt that is a folder or a named pipe ('no manifest; write one', 'add doc.txt')
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

import pytest

from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round3 import user_files
from tests.test_adversarial_round3_scores import HYPOTHESIS, REFERENCE, SOURCE, lines, write
from tests.test_adversarial_run import base_args, make_setup


def refused(tmp_path: Path, entry: str, arguments: list[str], cwd: Path, *fragments: str) -> None:
    """harness-run (entry "run") or harness-score ("score") refuses with one line and changes nothing."""
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli(entry, arguments, cwd=cwd, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, *fragments)
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def line_aligned_set(folder: Path, references: list[str]) -> Path:
    """A one-document line-aligned data set (src.txt, ref.txt) naming the references listed."""
    write(folder / "src.txt", lines(SOURCE))
    write(folder / "ref.txt", lines(REFERENCE))
    write(folder / "manifest.yaml", "target_lang: en\nalignment: lines\ndocuments:\n  - {id: doc, lang: fr, "
          f"file: src.txt, reference: [{', '.join(references)}], relation: parallel}}\n")
    return folder


def outputs(folder: Path) -> Path:
    write(folder / "doc.txt", lines(HYPOTHESIS))
    return folder


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """Two systems scored by harness-score: OUT/sysA and OUT/sysB, finished runs to compare."""
    base = tmp_path_factory.mktemp("scored")
    user = user_files(base)
    outcome = run_cli("score", ["-q", "-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "sysB.txt",
                                "--out", str(base / "out"), "--resamples", "20"], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(base / "cache")})
    assert outcome.code == 0, outcome.stderr[-2000:]
    return base / "out"


def compared(scored: Path, report: Path, *options: str) -> dict:
    outcome = run_cli("compare", [str(scored / "sysA"), str(scored / "sysB"), "--resamples", "50", "--out",
                                  str(report), *options], cwd=report.parent)
    assert outcome.code == 0, outcome.stderr[-2000:]
    return json.loads((report / "comparison.json").read_text(encoding="utf-8"))


def test_a_metric_named_twice_is_ranked_and_corrected_for_once(scored, tmp_path):
    twice = compared(scored, tmp_path / "twice", "--metrics", "bleu", "chrf", "bleu")
    once = compared(scored, tmp_path / "once", "--metrics", "bleu", "chrf")
    assert [m["name"] for m in twice["metrics"]] == ["bleu", "chrf"]
    assert twice["rows"] == once["rows"]


@pytest.mark.parametrize("references", [["ref.txt", "ref.txt"], ["ref.txt", "./ref.txt"]])
def test_a_reference_named_twice_in_a_manifest_is_refused(tmp_path, references):
    data = line_aligned_set(tmp_path / "data", references)
    arguments = ["model=files", f"model.path={outputs(tmp_path / 'outputs')}", f"data.root={data}",
                 f"hydra.run.dir={tmp_path / 'run'}"]
    refused(tmp_path, "run", arguments, tmp_path, "document 'doc': reference", "is named twice",
            "name each reference file once")


def test_a_reference_given_twice_to_harness_score_is_refused_as_one_file(tmp_path):
    user = user_files(tmp_path)
    arguments = ["-r", "ref.txt", "-r", str(user / "ref.txt"), "-s", "src.txt", "--src-lang", "fr", "sysA.txt",
                 "--out", str(tmp_path / "out")]
    refused(tmp_path, "score", arguments, user, "--reference ref.txt is named twice", "name each reference file once")


@pytest.mark.parametrize("override", ["model=identity", "model.path=/etc", "model.name=other", "data.root=/tmp",
                                      "data.documents=[src]", "hydra.run.dir=elsewhere", "backend=identity",
                                      "+model.path=/other"])
def test_harness_score_refuses_an_override_of_what_it_sets_itself(tmp_path, override):
    user = user_files(tmp_path)
    arguments = ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--out", str(tmp_path / "out"),
                 "--override", override]
    refused(tmp_path, "score", arguments, user, f"--override {override}: harness-score sets", "leave it out")


@pytest.mark.parametrize("name", ["$(touch pwned)", "a;b", "it's", "`id`"])
def test_an_override_with_shell_characters_names_itself_and_a_quoting_that_works(tmp_path, name):
    setup = make_setup(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), f"model.name={name}"], cwd=tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, f"model.name={name}", "cannot be read", "quote a value")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    [quoted] = shlex.split(outcome.error_lines[0].split("for the shell: ")[1])   # the fix, as the shell passes it
    done = run_cli("run", [*base_args(setup), quoted], cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert done.code == 0, done.stderr[-2000:]
    assert json.loads((setup.run_dir / "result.json").read_text(encoding="utf-8"))["model"]["name"] == name
    assert not (tmp_path / "pwned").exists()


UNSET = "${oc.env:HARNESS_ROUND4_NOT_SET}"


@pytest.mark.parametrize("override, arguments", [
    (f"model.name={UNSET}", []),
    (f"model.name={UNSET}", ["hydra.run.dir=given"]),
    (f"generation.batch_size={UNSET}", ["hydra.run.dir=given"]),
    (f"model.name={UNSET}", ["-m"]),
])
def test_an_interpolation_that_cannot_be_resolved_is_one_line_naming_its_key(tmp_path, override, arguments):
    setup = make_setup(tmp_path)
    run_arguments = ["model=identity", f"data.root={setup.data}", "alignment.embeddings=false", *arguments, override]
    key = override.partition("=")[0]
    refused(tmp_path, "run", sorted(run_arguments, key=lambda a: a != "-m"), tmp_path,
            f"error: {key}: its value cannot be resolved", "HARNESS_ROUND4_NOT_SET", "set what it refers to")


def test_harness_score_names_an_interpolation_that_cannot_be_resolved(tmp_path):
    user = user_files(tmp_path)
    arguments = ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--out", str(tmp_path / "out"),
                 "--override", f"generation.batch_size={UNSET}"]
    refused(tmp_path, "score", arguments, user, "error: generation.batch_size: its value cannot be resolved")


@pytest.mark.parametrize("entry", ["compare", "score"])
@pytest.mark.parametrize("inside", ["report", "hypotheses/report"])
def test_an_out_inside_a_run_folder_is_refused(scored, tmp_path, entry, inside):
    user = user_files(tmp_path)
    run = tmp_path / "run"
    shutil.copytree(scored / "sysA", run)
    arguments = ([str(scored / "sysA"), str(scored / "sysB"), "--resamples", "20"] if entry == "compare" else
                 ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt"])
    refused(tmp_path, entry, [*arguments, "--out", str(run / inside)], user, f"--out {run / inside} is inside the "
            f"run folder {run}", "choose an output folder outside it")


@pytest.mark.parametrize("encoding, named", [("utf-32", "UTF-32"), ("utf-32-be", None), ("utf-16-le", "UTF-16LE"),
                                             ("utf-16-be", "UTF-16BE"), ("utf-16", "UTF-16")])
def test_a_wide_encoding_is_named_with_a_conversion_that_reads_it(tmp_path, encoding, named):
    user = user_files(tmp_path)
    text = lines(HYPOTHESIS[:3])
    (user / "wide.txt").write_bytes(text.encode(encoding))
    arguments = ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "wide.txt", "--out", str(tmp_path / "out")]
    if named is None:   # UTF-32 without a byte-order mark: NUL bytes, no guess
        return refused(tmp_path, "score", arguments, user, "wide.txt: file looks binary")
    refused(tmp_path, "score", arguments, user, f"wide.txt: file is {named}; convert it to UTF-8 (iconv -f {named} -t "
            "UTF-8)")
    assert (user / "wide.txt").read_bytes().decode(named).lstrip("\ufeff") == text   # the encoding named reads it


def data_root_a_file(setup) -> tuple[list[str], list[str]]:
    return [f"data.root={setup.data / 'manifest.yaml'}"], ["manifest.yaml' is not a folder", "set data.root"]


def manifest_a_folder(setup) -> tuple[list[str], list[str]]:
    (setup.data / "manifest.yaml").unlink()
    (setup.data / "manifest.yaml").mkdir()
    return [], ["manifest.yaml: is a folder, not a file"]


def manifest_a_pipe(setup) -> tuple[list[str], list[str]]:
    (setup.data / "manifest.yaml").unlink()
    os.mkfifo(setup.data / "manifest.yaml")
    return [], ["manifest.yaml: is not a regular file", "save the text to a file"]


def output_a_folder(setup) -> tuple[list[str], list[str]]:
    (setup.root / "outputs" / "a.txt").mkdir(parents=True)
    return ["model=files", f"model.path={setup.root / 'outputs'}"], ["outputs/a.txt: is a folder, not a file"]


def output_a_pipe(setup) -> tuple[list[str], list[str]]:
    (setup.root / "outputs").mkdir()
    os.mkfifo(setup.root / "outputs" / "a.txt")
    return ["model=files", f"model.path={setup.root / 'outputs'}"], ["outputs/a.txt: is not a regular file"]


@pytest.mark.parametrize("case", [data_root_a_file, manifest_a_folder, manifest_a_pipe, output_a_folder,
                                  output_a_pipe])
def test_a_path_that_is_there_but_is_no_file_is_called_what_it_is(tmp_path, case):
    setup = make_setup(tmp_path)
    extra, fragments = case(setup)
    refused(tmp_path, "run", [*base_args(setup), *extra], tmp_path, *fragments)
