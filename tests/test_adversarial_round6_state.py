"""Round 6: never lose a user's data, and one line for bad input.

Each case builds its input in tmp_path, runs the real CLI in a child process and checks the exit code, the one
error line, and a checksum of the surrounding tree (tests/adversarial.py). Earlier rounds covered run, sweep and
report folders, claims, pipes, Ctrl-C and SIGTERM; these are the cases they left: symbolic links in a loop and files
that cannot be read, stores (the cache, an MLflow database) put inside the output folder, a result.json nested
beyond what a JSON parser follows, and two harness-score commands writing one --out at once."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial import REPO, Outcome, assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round3 import user_files
from tests.test_adversarial_run import Setup, base_args, make_setup

SCORE = ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "--resamples", "20"]


def refused_run(setup: Setup, extra: list[str], *fragments: str, cache: Path | None = None) -> None:
    """harness-run refused with one line, and nothing under the case's folder changed (the cache aside)."""
    cache = cache or setup.root / "cache"
    before = tree_checksum(setup.root, exclude=(cache,))
    outcome = run_cli("run", [*base_args(setup), *extra], cwd=setup.root, env={"HARNESS_CACHE_DIR": str(cache)})
    assert_one_line_error(outcome, *fragments)
    assert tree_checksum(setup.root, exclude=(cache,)) == before


# ---------------------------------------------------------------- symbolic links in a loop

def loop(link: Path, to: str | None = None) -> None:
    """link -> to -> link (to defaults to link itself)."""
    if link.exists() or link.is_symlink():
        link.unlink()
    os.symlink(to or link.name, link)
    if to:
        os.symlink(link.name, link.parent / to)


def source_in_a_loop(t: Setup) -> tuple[list[str], str]:
    loop(t.data / "a.txt", "b.txt")
    return [], f"document 'a': {t.data / 'a.txt'} is a symbolic link in a loop"


def data_root_in_a_loop(t: Setup) -> tuple[list[str], str]:
    loop(t.root / "corpus")
    return [f"data.root={t.root / 'corpus'}"], f"data.root: {t.root / 'corpus'} is a symbolic link in a loop"


def reference_dir_in_a_loop(t: Setup) -> tuple[list[str], str]:
    loop(t.data / "refs")
    t.manifest(reference_dir="refs")
    return [], f"reference_dir: {t.data / 'refs'} is a symbolic link in a loop"


def manifest_in_a_loop(t: Setup) -> tuple[list[str], str]:
    loop(t.data / "manifest.yaml")
    return [], f"{t.data / 'manifest.yaml'}: is a symbolic link in a loop"


def output_file_in_a_loop(t: Setup) -> tuple[list[str], str]:
    (t.root / "outputs").mkdir()
    loop(t.root / "outputs" / "a.txt")
    return ["model=files", f"model.path={t.root / 'outputs'}"], "a.txt is a symbolic link in a loop"


@pytest.mark.parametrize("case", [source_in_a_loop, data_root_in_a_loop, reference_dir_in_a_loop, manifest_in_a_loop,
                                  output_file_in_a_loop])
def test_a_symbolic_link_in_a_loop_is_named_in_one_line(tmp_path, case):
    """A document, data.root or reference_dir that is a link in a loop (a -> b -> a): a RuntimeError traceback
    ('Symlink loop from ...'), exit 1, and a FAILED run folder left behind; the manifest read 'no manifest'."""
    setup = make_setup(tmp_path)
    extra, said = case(setup)
    refused_run(setup, extra, said, "point it at a file or folder")


@pytest.mark.parametrize("option", ["-r", "-s", "hypothesis"])
def test_harness_score_names_an_input_that_is_a_link_in_a_loop(tmp_path, option):
    """-r loop.txt: a RuntimeError traceback; a hypothesis file in a loop read 'a link to loop.txt, which does not
    exist', though loop.txt is there."""
    user = user_files(tmp_path)
    loop(user / "loop.txt")
    arguments = {"-r": ["-r", "loop.txt", "-s", "src.txt", "sysA.txt"], "-s": ["-r", "ref.txt", "-s", "loop.txt",
                 "sysA.txt"], "hypothesis": ["-r", "ref.txt", "-s", "src.txt", "loop.txt"]}[option]
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("score", [*arguments, "--src-lang", "fr", "--out", str(tmp_path / "out")], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, "loop.txt", "is a symbolic link in a loop")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_an_output_file_linked_out_of_model_path_is_called_a_link_not_a_bad_id(tmp_path):
    """model=files with OUTPUTS/a.txt a symbolic link to a file elsewhere: refused, but with 'use plain file names as
    ids', about the id 'a', which is one."""
    setup = make_setup(tmp_path)
    (tmp_path / "outputs").mkdir()
    (tmp_path / "elsewhere.txt").write_text("The city council voted.\n", encoding="utf-8")
    os.symlink(tmp_path / "elsewhere.txt", tmp_path / "outputs" / "a.txt")
    refused_run(setup, ["model=files", f"model.path={tmp_path / 'outputs'}"],
                f"{tmp_path / 'outputs' / 'a.txt'} leads to {tmp_path / 'elsewhere.txt'}, outside model.path",
                "copy the file into model.path")


# ---------------------------------------------------------------- files that cannot be read

def test_a_file_that_cannot_be_read_is_one_line(tmp_path):
    """A file open() takes but read() refuses (chmod 000 for a user who is not root, another user's file, a failing
    disk) was an OSError traceback. Here: /proc/self/mem, which every process opens and none reads at offset 0
    (EIO), as the tests may run as root, whom chmod 000 does not stop."""
    user = user_files(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("score", [*SCORE, "/proc/self/mem", "--out", str(tmp_path / "out")], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, "/proc/self/mem: cannot be read (Input/output error)", "chmod u+r")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


# ---------------------------------------------------------------- stores inside the output folder

@pytest.mark.parametrize("cache", ["runs/run", "runs/run/cache"])
def test_a_cache_inside_the_run_folder_is_refused_before_it_is_made(tmp_path, cache):
    """HARNESS_CACHE_DIR at (or in) the new run folder, with a bad input: the run took back its own files, not the cache
    it had made there, and left the folder holding translations.sqlite, no run folder: the same command, the input
    fixed, was then refused ('runs/run is not empty (it holds cache)')."""
    setup = make_setup(tmp_path)
    setup.write("a.txt", "   \n")
    refused_run(setup, [], f"cache.dir={tmp_path / cache} (HARNESS_CACHE_DIR) lies inside the output folder "
                f"{setup.run_dir}", "point it outside", cache=tmp_path / cache)
    assert not (tmp_path / "runs").exists()


def test_a_cache_inside_harness_scores_out_is_refused_before_it_is_made(tmp_path):
    """HARNESS_CACHE_DIR=out/cache with --out out: the language check made out/cache/translations.sqlite, then the
    command refused --out, which it had just made, as 'already exists and is not an empty folder'."""
    user = user_files(tmp_path)
    before = tree_checksum(tmp_path)
    outcome = run_cli("score", [*SCORE, "sysA.txt", "--out", str(tmp_path / "out")], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "out" / "cache")})
    assert_one_line_error(outcome, "lies inside the output folder", str(tmp_path / "out"))
    assert tree_checksum(tmp_path) == before


def test_an_mlflow_database_inside_the_run_folder_is_refused_before_it_is_made(tmp_path):
    """tracking.uri=sqlite:///RUN/mlflow.db: the store's check made the database in the new run folder, then the run
    refused its own folder as 'not empty (it holds mlflow.db)' and left it so."""
    pytest.importorskip("mlflow")
    setup = make_setup(tmp_path)
    uri = f"sqlite:///{setup.run_dir / 'mlflow.db'}"
    refused_run(setup, ["tracking=mlflow", f"tracking.uri={uri}"], f"tracking.uri={uri} lies inside the output folder")
    assert not (tmp_path / "runs").exists()


def test_an_mlflow_store_at_a_folder_is_one_line_at_once(tmp_path):
    """tracking.uri=sqlite:///FOLDER: MLflow retried for a minute and a half, printing its warnings, before the line."""
    pytest.importorskip("mlflow")
    setup = make_setup(tmp_path)
    (tmp_path / "store").mkdir()
    uri = f"sqlite:///{tmp_path / 'store'}"
    refused_run(setup, ["tracking=mlflow", f"tracking.uri={uri}"], f"{tmp_path / 'store'} is a folder, not a "
                "database file")


# ---------------------------------------------------------------- JSON nested beyond a parser's reach

NESTED = "[" * 100_000 + "]" * 100_000   # valid JSON that Python's json module cannot read (RecursionError)


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """Two systems scored by harness-score into OUT (OUT/sysA and OUT/sysB), finished runs to compare."""
    user = user_files(tmp_path_factory.mktemp("scored"))
    outcome = run_cli("score", [*SCORE, "sysA.txt", "sysB.txt", "--out", str(user / "out")], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(user / "cache")})
    assert outcome.code == 0, outcome.stderr[-3000:]
    return user / "out"


def runs_here(scored: Path, tmp_path: Path) -> list[str]:
    for name in ("sysA", "sysB"):
        shutil.copytree(scored / name, tmp_path / "runs" / name)
    return [str(tmp_path / "runs" / name) for name in ("sysA", "sysB")]


def test_a_result_nested_beyond_the_json_readers_reach_is_one_line(scored, tmp_path):
    """A result.json of 100,000 nested lists (valid JSON): a RecursionError traceback from json.loads, exit 1."""
    runs = runs_here(scored, tmp_path)
    (Path(runs[1]) / "result.json").write_text(NESTED, encoding="utf-8")
    before = tree_checksum(tmp_path)
    outcome = run_cli("compare", [*runs, "--resamples", "20", "--out", str(tmp_path / "report")], cwd=tmp_path)
    assert_one_line_error(outcome, f"{runs[1]}/result.json: not a valid result file (nested deeper")
    assert tree_checksum(tmp_path) == before


def test_an_out_folder_whose_comparison_json_is_nested_deep_is_the_users(scored, tmp_path):
    """--out at a folder of the user's with a comparison.json nested deep: a RecursionError traceback, exit 1."""
    runs = runs_here(scored, tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "comparison.json").write_text(NESTED, encoding="utf-8")
    before = tree_checksum(tmp_path)
    outcome = run_cli("compare", [*runs, "--resamples", "20", "--out", str(tmp_path / "mine")], cwd=tmp_path)
    assert_one_line_error(outcome, "already holds other files (comparison.json)")
    assert tree_checksum(tmp_path) == before


@pytest.mark.parametrize("again", ["same", "link"])
def test_a_run_given_twice_to_harness_compare_is_said_to_be_compared_once(scored, tmp_path, again):
    """harness-compare A A (a typo for A B?), or A and a link to it: a report of A alone, exit 0, and not a word."""
    runs = runs_here(scored, tmp_path)
    second = runs[0] if again == "same" else str(tmp_path / "alias")
    if again == "link":
        os.symlink(runs[0], second)
    outcome = run_cli("compare", [runs[0], second, "--resamples", "20", "--out", str(tmp_path / "report")],
                      cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-3000:]
    assert outcome.error_lines == [f"warning: skipped {second} is already given: its runs are compared once"]


# ---------------------------------------------------------------- two harness-score commands, one --out

TAKEN_MEANWHILE = """
import harness.score_files as score_files
checked = score_files.check_creatable

def taken_meanwhile(out, knob):   # another harness-score takes --out between this one's look and its write
    checked(out, knob)
    (out / "data" / "references").mkdir(parents=True)
    (out / "data" / "references" / "ref.txt").write_text("theirs")

score_files.check_creatable = taken_meanwhile
from harness.cli import score_main
score_main()
"""


def test_an_out_taken_by_another_harness_score_meanwhile_is_one_line_and_left_to_it(tmp_path):
    """Two harness-score commands started in the same second (one default --out, results/score/<date>/<time>) both
    found it empty: the second died on a FileExistsError traceback (exit 1) or wrote into the first one's folder."""
    user = user_files(tmp_path)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", TAKEN_MEANWHILE, *SCORE, "sysA.txt", "--out", str(out)], cwd=user,
                          env={**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(tmp_path / "cache")},
                          capture_output=True, text=True)
    assert_one_line_error(Outcome(done.returncode, done.stdout, done.stderr),
                          f"--out {out} was taken by another harness-score at this moment", "name a new folder")
    assert [str(p.relative_to(out)) for p in sorted(out.rglob("*"))] == ["data", "data/references",
                                                                         "data/references/ref.txt"]
    assert (out / "data" / "references" / "ref.txt").read_text() == "theirs"
