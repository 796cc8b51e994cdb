"""Round 12 (b): never lose or corrupt a user's data; misuse fails cleanly.

Each case runs the real CLI in a child process (tests/adversarial.py) on a tiny data set in tmp_path, with
model=identity or model=files, and checks what the user sees (exit code, the lines on stderr) and what is left on
disk (tree_checksum of the user's files, no partial folder, no temporary file). A write that fails half-way is a
child whose RLIMIT_FSIZE is small (the file being written grows past it: EFBIG, as a full disk or a quota stops it
half-way), which works as root too, where a read-only folder does not. Earlier rounds covered a disk full before the
run, a read-only results folder or cache mount, a cache that is not a database or another program's, a cache
location that is a file or a folder, a cache inside the run folder or --out, result.json nested too deep, older
formats, killed and failed runs in the index, a folder of the user's (bearing run names or not, hydra.run.dir=.),
an --out holding the user's report names, and two commands racing for one folder. These are the cases they left:
a write that fails half-way through result.json (new and resumed folder), a resumed run's log, the translation
cache (new and existing file), harness-score's copies of the test set and of a hypothesis file, its result.json
and its lock file (ENOSPC where it is made), and harness-compare's report (new, and over an earlier one); a cache
file emptied, cut in half, with a stray write-ahead log, or of another version's table shape; harness-score's
record of an --out edited, emptied or replaced by a folder; a run's result.json replaced by an empty file, garbage,
a JSON list, a future schema version or a folder, read by --list and by a comparison; hydra.run.dir at the data
folder, a parent of it, a link into it, a path through '..' into it, or ~ holding the user's files; harness-score's
--out at the working folder or a link to it; model.path of model=files at another run's folder or at the results
folder; harness-compare --out at one of the runs it compares or the folder holding them; and two runs given the same
hydra.run.dir one after the other.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness import writer_lock
from harness.errors import UserError
from harness.results.run_folder import Claim
from harness.score_files import RECORD_FILE, ScoreRequest, score_systems
from tests.adversarial import REPO, Outcome, assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_round5_state import RESAMPLES, SYSTEMS, runs_here, score_systems_in
from tests.test_adversarial_round11_interrupted import score_files_in
from tests.test_adversarial_run import base_args, make_setup

NO_CACHE = "cache.enabled=false"
# run in the child: the disk fills (RLIMIT_FSIZE: a file written past the limit fails with EFBIG, as on a full disk or
# over a quota) from the moment the function named WHERE ("module:attribute.path") is called, then the command
FILLS_UP = """
import importlib, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
module, _, attributes = sys.argv.pop(1).partition(":")
limit = int(sys.argv.pop(1))
*path, name = attributes.split(".")
owner = importlib.import_module(module)
for part in path:
    owner = getattr(owner, part)
original = getattr(owner, name)
def filled(*args, **kwargs):
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return original(*args, **kwargs)
setattr(owner, name, filled)
from harness.cli import {entry}_main
{entry}_main()
"""
RESULT_JSON = "harness.results.run_folder:RunFolder.finish"   # every file but result.json (about 13 kB) written
RESULT_LIMIT = 8000


def run_filling(entry: str, where: str, max_file_bytes: int, args: list[str], cwd: Path,
                env: dict | None = None) -> Outcome:
    """run_cli in a child whose disk fills once `where` is called: no file may grow past max_file_bytes."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(cwd / "cache"), **(env or {})}
    done = subprocess.run([sys.executable, "-c", FILLS_UP.format(entry=entry), where, str(max_file_bytes), *args],
                          cwd=cwd, env=environment, capture_output=True, text=True, errors="backslashreplace",
                          timeout=300)
    return Outcome(done.returncode, done.stdout, done.stderr)


def temporary_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".tmp-" in p.name or ".pending-" in p.name
                  or ".partial-" in p.name)


def failed_marker(folder: Path, pid: int = 999999) -> None:
    """A folder left FAILED by an earlier run (its process gone), which the next run into it resumes."""
    folder.mkdir(parents=True)
    (folder / "FAILED").write_text("UserError: earlier\n" + Claim(pid, os.uname().nodename, "2026-12-01T00:00:00",
                                                                   None).text())


# ---------------------------------------------------------------- a write that fails half-way

@pytest.mark.parametrize("resumed", [False, True], ids=["new-folder", "resumed-folder"])
def test_result_json_cut_off_by_a_full_disk_is_one_line_and_leaves_no_half_file(tmp_path, resumed):
    """The disk fills while result.json is written: one line naming it; a new folder is taken back whole, a resumed
    one is marked FAILED with the error and keeps what it held; no half result.json, no temporary file."""
    setup = make_setup(tmp_path)
    if resumed:
        failed_marker(setup.run_dir)
        (setup.run_dir / "notes.txt").write_text("kept\n")
    before = tree_checksum(tmp_path, exclude=(setup.run_dir,))
    outcome = run_filling("run", RESULT_JSON, RESULT_LIMIT, [*base_args(setup), NO_CACHE], tmp_path)
    assert_one_line_error(outcome, "result.json", "no space left")
    assert tree_checksum(tmp_path, exclude=(setup.run_dir,)) == before
    assert temporary_files(tmp_path) == []
    if resumed:
        assert (setup.run_dir / "notes.txt").read_text() == "kept\n"
        assert "no space left" in (setup.run_dir / "FAILED").read_text()
        assert not (setup.run_dir / "result.json").exists()
    else:
        assert not setup.run_dir.parent.exists()


def test_a_resumed_run_whose_log_cannot_grow_says_so_once_and_records_it(tmp_path):
    """The earlier run's run.log has filled what the disk allows: the resumed run's log lines cannot be appended.
    logging's default printed '--- Logging error ---' and a traceback on stderr for every line, and closing the log
    raised: the finished run was marked FAILED beside its result.json, with a traceback. Now the run finishes and the
    loss is said once and recorded in result.json."""
    setup = make_setup(tmp_path)
    failed_marker(setup.run_dir)
    (setup.run_dir / "run.log").write_text("x" * (RESULT_LIMIT * 2 - 10) + "\n")
    outcome = run_filling("run", "harness.pipeline:evaluate", RESULT_LIMIT * 2, [*base_args(setup), NO_CACHE],
                          tmp_path)
    assert outcome.code == 0, outcome.stderr[-3000:]
    assert not (setup.run_dir / "FAILED").exists() and not (setup.run_dir / "RUNNING").exists()
    assert "Traceback" not in outcome.stderr and "Logging error" not in outcome.stderr, outcome.stderr[-3000:]
    notes = json.loads((setup.run_dir / "result.json").read_text())["run"]["notes"]
    assert any("run.log" in note for note in notes), notes
    assert sum("run.log" in line for line in outcome.stderr.splitlines()) == 1, outcome.stderr[-3000:]


@pytest.mark.parametrize("existing", [False, True], ids=["new-cache", "existing-cache"])
def test_a_cache_write_cut_off_is_one_line_that_does_not_call_the_cache_corrupt(tmp_path, existing):
    """SQLite cannot grow the cache (or its write-ahead log): one line that says the cache cannot be written, not
    that it is corrupt with an mv of it as the fix; the run folder taken back; an existing cache still serves."""
    setup = make_setup(tmp_path)
    if existing:
        assert run_cli("run", [*base_args(setup), "hydra.run.dir=first"], tmp_path,
                       env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")}).code == 0
        (setup.data / "a.txt").write_text("Un tout autre texte, pour une autre traduction du document.\n" * 40)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_filling("run", "harness.pipeline:evaluate", 4096, base_args(setup), tmp_path)
    assert_one_line_error(outcome, "cache", "cannot be written")
    assert "corrupt" not in outcome.stderr and "mv " not in outcome.stderr
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    assert not setup.run_dir.exists()
    if existing:
        with sqlite3.connect(tmp_path / "cache" / "translations.sqlite") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


SCORE_ARGS = ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "--resamples", str(RESAMPLES)]


@pytest.mark.parametrize("where, limit", [
    ("harness.score_files:write_data_set", 50),
    ("harness.score_files:copied_hypothesis", 50),
    (RESULT_JSON, RESULT_LIMIT),
], ids=["source-copy", "hypothesis-copy", "result-json"])
def test_harness_score_cut_off_while_it_writes_out_is_one_line_and_leaves_nothing(tmp_path, where, limit):
    """The disk fills while harness-score copies the test set into OUT/data, a hypothesis file into OUT/inputs, or
    writes a system's result.json: a traceback (an OSError out of shutil) left OUT half made; now one line naming
    --out and nothing of OUT is left."""
    score_files_in(tmp_path)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_filling("score", where, limit, [*SCORE_ARGS, *[f"{n}.txt" for n in SYSTEMS], "--out", "out"],
                          tmp_path)
    assert_one_line_error(outcome, str(tmp_path / "out"), "no space left", "--out")
    assert not (tmp_path / "out").exists()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_harness_score_whose_lock_file_cannot_be_made_leaves_nothing(tmp_path, monkeypatch):
    """writer_lock.hold was called after OUT/data was made and outside the clean-up: a full disk (or quota) when it
    made its lock file left OUT/data behind and reached the user as a traceback (an OSError, not a UserError)."""
    score_files_in(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))

    def disk_full(lock_file: Path) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(lock_file))

    monkeypatch.setattr(writer_lock, "hold", disk_full)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    request = ScoreRequest(Path("src.txt"), [Path("ref.txt")], [Path("sysA.txt")], "fr")
    with pytest.raises(UserError, match="no space left") as raised:
        score_systems(request, tmp_path / "out")
    assert "--out" in str(raised.value) and str(tmp_path / "out") in str(raised.value)
    assert not (tmp_path / "out").exists()
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    return score_systems_in(tmp_path_factory.mktemp("scored"))


@pytest.mark.parametrize("earlier", [False, True], ids=["new-report", "over-an-earlier-report"])
def test_a_report_cut_off_by_a_full_disk_is_one_line_and_an_earlier_report_stays(scored, tmp_path, earlier):
    """The disk fills while the report is written into its staging folder: one line naming --out; no staging or
    set-aside folder is left beside it, and an earlier report there stays byte for byte."""
    runs = runs_here(scored, tmp_path)
    out = tmp_path / "report"
    if earlier:
        assert run_cli("compare", [*runs, "--resamples", str(RESAMPLES), "--out", str(out)], tmp_path).code == 0
    before = tree_checksum(tmp_path)
    outcome = run_filling("compare", "harness.compare.reports.page:publish_comparisons", 3000,
                          [*runs, "--resamples", str(RESAMPLES), "--out", str(out)], tmp_path)
    assert_one_line_error(outcome, "report", str(out), "no space left", "--out")
    assert tree_checksum(tmp_path) == before
    assert temporary_files(tmp_path) == [] and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------- files of ours edited or replaced by the user

def cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def stray_log(path: Path) -> None:
    path.with_name(path.name + "-wal").write_bytes(b"not a write-ahead log\n" * 100)


def other_version(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE translations (id INTEGER PRIMARY KEY, source TEXT, target TEXT)")
        connection.execute("INSERT INTO translations (source, target) VALUES ('a', 'b')")
    connection.close()


@pytest.mark.parametrize("damage, works", [
    (lambda path: path.write_bytes(b""), True),
    (stray_log, True),
    (cut_in_half, False),
    (other_version, False),
], ids=["emptied", "stray-wal", "cut-in-half", "other-versions-tables"])
def test_a_cache_file_damaged_by_hand_is_used_afresh_or_refused_and_kept(tmp_path, damage, works):
    """An emptied cache, or one with a stray write-ahead log, is a cache: the run gives the first run's scores. One cut
    in half or with another version's table shape is refused in one line and left as it was (never deleted)."""
    setup = make_setup(tmp_path)
    cache = tmp_path / "cache" / "translations.sqlite"
    first = run_cli("run", [*base_args(setup), "hydra.run.dir=first"], tmp_path,
                    env={"HARNESS_CACHE_DIR": str(cache.parent)})
    assert first.code == 0, first.stderr[-3000:]
    damage(cache)
    kept = cache.read_bytes()
    outcome = run_cli("run", base_args(setup), tmp_path, env={"HARNESS_CACHE_DIR": str(cache.parent)})
    if works:
        assert outcome.code == 0, outcome.stderr[-3000:]
        scores = [json.loads((folder / "result.json").read_text())["documents"][0]["metrics"]
                  for folder in (tmp_path / "first", setup.run_dir)]
        assert scores[0] == scores[1]
    else:
        assert_one_line_error(outcome, str(cache), "HARNESS_CACHE_DIR")
        assert cache.read_bytes() == kept and not setup.run_dir.exists()


@pytest.mark.parametrize("replace", [
    lambda path: path.write_text("{not json"),
    lambda path: path.write_text(""),
    lambda path: path.write_text("[1, 2]"),
    lambda path: (path.unlink(), path.mkdir(), (path / "mine.txt").write_text("mine\n")),
], ids=["garbage", "empty", "json-list", "a-folder"])
def test_harness_scores_record_edited_by_hand_is_refused_and_out_left_as_it_is(tmp_path, replace):
    """The record harness-score keeps in --out (what it was made for) is edited: the same command over it is refused in
    one line and nothing in --out changes."""
    score_files_in(tmp_path)
    args = [*SCORE_ARGS, "sysA.txt", "--out", "out"]
    env = {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    assert run_cli("score", args, tmp_path, env=env).code == 0
    replace(tmp_path / "out" / RECORD_FILE)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("score", args, tmp_path, env=env)
    assert_one_line_error(outcome, "--out", "out")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def future_schema(path: Path) -> None:
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "schema_version": 99}))


RESULT_REPLACEMENTS = {
    "empty": lambda path: path.write_text(""),
    "garbage": lambda path: path.write_bytes(b"\x00\xff garbage"),
    "json-list": lambda path: path.write_text("[]"),
    "future-schema": future_schema,
    "a-folder": lambda path: (path.unlink(), path.mkdir()),
}


@pytest.mark.parametrize("replace", RESULT_REPLACEMENTS.values(), ids=RESULT_REPLACEMENTS.keys())
def test_a_result_json_replaced_is_named_and_skipped_by_the_index_and_the_comparison(scored, tmp_path, replace):
    """One run's result.json emptied, garbage, of another shape, of a future schema version or a folder: --list and a
    comparison of the folder name it as skipped (a warning line each) and go on with the other runs; the other run is
    listed; nothing is written into the runs."""
    runs = runs_here(scored, tmp_path)
    replace(Path(runs[1]) / "result.json")
    before = tree_checksum(tmp_path)
    listed = run_cli("compare", ["--list", str(tmp_path / "runs")], tmp_path)
    assert listed.code == 0, listed.stderr[-3000:]
    assert "Traceback" not in listed.stderr
    assert [line for line in listed.error_lines if line.startswith("warning: skipped")], listed.stderr
    assert "sysA" in listed.stdout and "sysB" not in listed.stdout.replace(str(tmp_path), "")
    compared = run_cli("compare", [*runs, "--out", str(tmp_path / "report")], tmp_path)
    assert compared.code in (0, 2) and "Traceback" not in compared.stderr, compared.stderr[-3000:]
    assert any("sysB" in line and "result.json" in line for line in compared.error_lines), compared.stderr
    shutil.rmtree(tmp_path / "report", ignore_errors=True)   # one run compared alone: a report of sysA
    assert tree_checksum(tmp_path) == before


# ---------------------------------------------------------------- output folders at the user's data

def data_folder(setup) -> str:
    return str(setup.data)


def parent_of_data(setup) -> str:
    return str(setup.root)


def link_into_data(setup) -> str:
    (setup.root / "shortcut").symlink_to(setup.data)
    return str(setup.root / "shortcut")


def dots_into_data(setup) -> str:
    (setup.root / "elsewhere").mkdir()
    return str(setup.root / "elsewhere" / ".." / "data")


def home_like(setup) -> str:
    (setup.root / "home" / "Documents").mkdir(parents=True)
    (setup.root / "home" / ".bashrc").write_text("export PATH\n")
    return "~"


@pytest.mark.parametrize("where", [data_folder, parent_of_data, link_into_data, dots_into_data, home_like],
                         ids=lambda f: f.__name__)
def test_hydra_run_dir_at_the_users_data_is_refused_and_nothing_changes(tmp_path, where):
    setup = make_setup(tmp_path)
    run_dir = where(setup)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), f"hydra.run.dir={run_dir}"], tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path / "home")})
    assert_one_line_error(outcome, "not empty", "hydra.run.dir")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


@pytest.mark.parametrize("out", [".", "link", "sub/.."], ids=["working-folder", "link-to-it", "dots"])
def test_harness_score_out_at_the_folder_of_its_inputs_is_refused_and_nothing_changes(tmp_path, out):
    work = tmp_path / "work"
    work.mkdir()
    score_files_in(work)
    (work / "link").symlink_to(work)
    (work / "sub").mkdir()
    before = tree_checksum(work)
    outcome = run_cli("score", [*SCORE_ARGS, "sysA.txt", "--out", out], work,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, "--out", "not an empty folder")
    assert tree_checksum(work) == before


@pytest.mark.parametrize("at", ["run", "results"], ids=["another-runs-folder", "the-results-folder"])
def test_model_path_at_a_run_folder_names_model_path_and_where_the_hypotheses_are(tmp_path, at):
    """model=files reads <model.path>/<id>.txt; pointed at a finished run's folder (whose outputs are in hypotheses/)
    or at the results folder holding runs, it is one line naming model.path, and nothing of either changes."""
    setup = make_setup(tmp_path)
    env = {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    assert run_cli("run", base_args(setup), tmp_path, env=env).code == 0
    path = setup.run_dir if at == "run" else setup.run_dir.parent
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", ["model=files", f"model.path={path}", f"data.root={setup.data}",
                              f"hydra.run.dir={tmp_path / 'second'}", "alignment.embeddings=false"], tmp_path, env=env)
    assert_one_line_error(outcome, "model.path")
    if at == "run":
        assert "hypotheses" in outcome.error_lines[0], outcome.error_lines
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    assert not (tmp_path / "second").exists()


@pytest.mark.parametrize("out", ["one-of-the-runs", "their-folder"])
def test_compare_out_at_a_run_it_compares_is_refused_and_the_runs_stay(scored, tmp_path, out):
    runs = runs_here(scored, tmp_path)
    folder = runs[0] if out == "one-of-the-runs" else str(tmp_path / "runs")
    before = tree_checksum(tmp_path)
    outcome = run_cli("compare", [*runs, "--resamples", str(RESAMPLES), "--out", folder], tmp_path)
    assert_one_line_error(outcome, "--out", folder)
    assert tree_checksum(tmp_path) == before


def test_a_second_run_into_the_same_folder_is_refused_and_the_first_result_stays(tmp_path):
    """Two commands given the same hydra.run.dir one after the other: the second, with another setting, is refused;
    the first run's folder is byte for byte as it was."""
    setup = make_setup(tmp_path)
    env = {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    assert run_cli("run", base_args(setup), tmp_path, env=env).code == 0
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), "metrics=[bleu]"], tmp_path, env=env)
    assert_one_line_error(outcome, "already holds a finished run", "hydra.run.dir")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


def test_a_sweeps_comparison_cut_off_by_a_full_disk_is_said_and_its_runs_stay(tmp_path):
    """The disk fills when the sweep writes its comparison: both jobs stay finished, the comparison is not half
    written (no staging folder), and a warning says why there is none and the command that writes it: it said 'File
    too large; choose another folder with --out', an option harness-run does not have."""
    setup = make_setup(tmp_path)
    sweep = tmp_path / "sweep"
    outcome = run_filling("run", "harness.compare.reports.page:publish_comparisons", 3000,
                          ["-m", *base_args(setup)[:2], "alignment.embeddings=false", f"hydra.sweep.dir={sweep}",
                           "generation.batch_size=1,2"], tmp_path)
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    assert sorted(p.name for p in sweep.iterdir() if (p / "result.json").is_file()) == ["0_identity", "1_identity"]
    assert not (sweep / "comparison").exists() and temporary_files(tmp_path) == []
    assert [p.name for p in sweep.iterdir() if p.name.startswith(".")] == []
    said = [line for line in outcome.stderr.splitlines() if "no comparison written" in line]
    assert len(said) == 1 and "no space left" in said[0], outcome.stderr[-3000:]
    assert f"write it later with: harness-compare {sweep}" in said[0] and "--out" not in said[0], said
