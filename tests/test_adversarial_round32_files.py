"""Round 32 on the user's files and processes under hostile conditions: where each job of a sweep writes, and a
hypothesis file edited while harness-score works.

A -m sweep puts each job in hydra.sweep.dir/<hydra.sweep.subdir>, the subdir resolved per job. A subdir that gives
two jobs one folder (`same`, `${model.name}` over a sweep of seeds) ran the first job and refused the second after the
launch as 'a finished run of other overrides' (exit 1), with the fix 'run the same command ... to finish the sweep',
which refused it again; `.` ran the job in the sweep folder itself (refused after the launch), `../x` outside the
sweep folder (its comparison found no run: 'no comparison written'), `comparison` in the folder the sweep's report
goes to. Each is now one line before the sweep folder is made.

harness-score checked every hypothesis file first, then copied each into --out just before its system was scored,
reading it again: a file edited meanwhile (its system after others, a tool still writing it) was copied unchecked and
refused under the name of its copy in --out, which the clean-up then removed with every finished system. The copy is
now written from the text that was checked.

A large binary file handed in as a text file (a model's weights, by a glob or a tab completion) was read whole before
the check that calls it binary: 37 s and 4 GB of memory for 2 GB, a MemoryError traceback where less was left. Its
first 64 KiB now decide. harness-score stopped by Ctrl-C or SIGTERM while it composed its overrides (its first
second) printed a traceback and exited 1; now one line. An output folder (run, sweep, report, --out, cache) at a
symbolic link in a loop was said to be a link to a file that does not exist, with 'mount or create it' as the fix.
A reference or hypothesis holding U+FFFD (characters lost to a conversion from another encoding) was scored as it stood
with no word; now a note names it, as control characters are named. A cache file that is a pipe, a link to a device
or a link to nothing was opened by SQLite (a disk 'full or failing'; /dev/null-journal written; the file a link names
made outside the cache folder); now one line says what it is. model.path at a file (model=files
model.path=my_outputs.txt) read 'folder not found'.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import score_files
from harness.score_files import ScoreRequest, score_systems
from tests.adversarial import REPO, Outcome, assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_compare import write_dataset

QUICK = ["model=identity", "alignment.embeddings=false", "data.root=my_data", "metrics=[bleu]"]


def harness_run(user: Path, arguments: list[str]):
    return run_cli("run", arguments, cwd=user, env={"HARNESS_CACHE_DIR": str(user.parent / "cache")})


@pytest.mark.parametrize("sweep, folder, fragments", [
    (["generation.seed=1,2", "hydra.sweep.subdir=same"], None, ["jobs 0 and 1", "'same'", "${hydra.job.num}"]),
    (["generation.seed=1,2", "hydra.sweep.subdir=${model.name}"], None, ["jobs 0 and 1", "'identity'"]),
    (["model.name=Run,run", "hydra.sweep.subdir=${model.name}"], None, ["jobs 0 and 1", "'run'"]),
    (["hydra.sweep.subdir=."], "sweep", ["job 0's folder '.'", "not a folder inside the sweep folder"]),
    (["hydra.sweep.subdir=../escaped"], "escaped", ["'../escaped'", "not a folder inside the sweep folder"]),
    (["hydra.sweep.subdir=comparison"], "sweep/comparison", ["'comparison'", "the sweep keeps its own"]),
], ids=["one-name", "model-name", "case-apart", "the-sweep-folder", "outside", "the-report-folder"])
def test_sweep_jobs_without_a_folder_of_their_own_are_refused_before_the_launch(tmp_path, sweep, folder, fragments):
    user = tmp_path / "user"
    write_dataset(user / "my_data")
    before = tree_checksum(user)
    outcome = harness_run(user, ["-m", *QUICK, "hydra.sweep.dir=sweep", *sweep])
    assert_one_line_error(outcome, "hydra.sweep.subdir", *fragments)
    assert tree_checksum(user) == before   # no sweep folder, no job folder, nothing of the user's touched
    assert folder is None or not (user / folder).exists()


def test_a_sweep_whose_subdir_names_each_job_still_runs(tmp_path):
    user = tmp_path / "user"
    write_dataset(user / "my_data")
    outcome = harness_run(user, ["-m", *QUICK, "generation.seed=1,2", "hydra.sweep.dir=sweep",
                                 "hydra.sweep.subdir=seed_${generation.seed}"])
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert all((user / "sweep" / name / "result.json").is_file() for name in ("seed_1", "seed_2"))


SOURCE = ["Le maire a ouvert une ligne de tram lundi.", "Le conseil a voté un gros budget."]
REFERENCE = ["The mayor opened a tram line on Monday.", "The council voted a large budget."]


def test_a_hypothesis_file_edited_while_earlier_systems_are_scored_is_scored_as_checked(tmp_path, monkeypatch):
    """sysB.txt is cut to one line once sysA's run is done (a tool rewriting it): the error named
    OUT/inputs/sysB/src.txt, a file the clean-up removed, and sysA's finished run went with it."""
    for name, lines in (("src", SOURCE), ("ref", REFERENCE), ("sysA", REFERENCE), ("sysB", REFERENCE)):
        (tmp_path / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    scored = score_files.run

    def run_then_edit(cfg, folder, *args, **kwargs):
        result = scored(cfg, folder, *args, **kwargs)
        (tmp_path / "sysB.txt").write_text("a line the check never saw\n", encoding="utf-8")
        return result

    monkeypatch.setattr(score_files, "run", run_then_edit)
    request = ScoreRequest(Path("src.txt"), [Path("ref.txt")], [Path("sysA.txt"), Path("sysB.txt")], "fr",
                           overrides=["metrics=[bleu]", "alignment.embeddings=false"])
    folders = score_systems(request, tmp_path / "out")
    assert [folder.name for folder in folders] == ["sysA", "sysB"]
    assert all((folder / "result.json").is_file() for folder in folders)
    copy = tmp_path / "out" / "inputs" / "sysB" / "src.txt"
    assert copy.read_bytes() == (tmp_path / "sysA.txt").read_bytes()   # the text checked, byte for byte
    assert (tmp_path / "sysB.txt").read_text(encoding="utf-8") == "a line the check never saw\n"


# run in the child: the process may grow by HEADROOM bytes of address space from the moment harness-score checks its
# inputs (RLIMIT_AS; a machine with little memory left, or a container's limit), then the command
LITTLE_MEMORY = """
import resource, sys
from harness import score_files
headroom = int(sys.argv.pop(1))
checked = score_files.check_inputs
def with_little_memory(*args, **kwargs):
    size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + headroom, resource.RLIM_INFINITY))
    return checked(*args, **kwargs)
score_files.check_inputs = with_little_memory
from harness.cli import score_main
score_main()
"""
HEADROOM = 512 << 20
WEIGHTS = 1 << 30   # a model's weights: binary, and larger than the memory left


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads the process's size from /proc")
def test_a_large_binary_file_named_as_a_hypothesis_is_refused_from_its_start(tmp_path):
    """model.bin named by mistake (a glob, a tab completion): read whole before the check that calls it binary (a
    2 GB file: 37 s and 4 GB of memory), which a machine with less memory left answered with a MemoryError traceback;
    now one line, from the file's first 64 KiB."""
    for name, lines in (("src", SOURCE), ("ref", REFERENCE)):
        (tmp_path / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    with open(tmp_path / "model.bin", "wb") as weights:   # sparse: no disk space taken
        weights.truncate(WEIGHTS)
    before = tree_checksum(tmp_path)
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", LITTLE_MEMORY, str(HEADROOM), "-r", "ref.txt", "-s", "src.txt",
                           "--src-lang", "fr", "model.bin", "--out", "out"], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, errors="backslashreplace", timeout=300)
    assert_one_line_error(Outcome(done.returncode, done.stdout, done.stderr), "model.bin", "looks binary")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before


# run in the child: the signal named arrives while harness-score composes its overrides (a second or so of its start)
STOPPED_WHILE_CHECKING = """
import os, signal, sys
from harness import cli
stop = getattr(signal, sys.argv.pop(1))
checked = cli.checked_overrides
def stopped(*args, **kwargs):
    os.kill(os.getpid(), stop)
    return checked(*args, **kwargs)
cli.checked_overrides = stopped
cli.score_main()
"""


@pytest.mark.parametrize("stop, code, said", [("SIGTERM", 143, "terminated (SIGTERM)"), ("SIGINT", 130, "interrupted")])
def test_harness_score_stopped_while_it_checks_its_overrides_says_so_in_one_line(tmp_path, stop, code, said):
    """harness-score checked its overrides outside the block that turns Ctrl-C and SIGTERM into one line: stopped then
    (its first second), it printed a traceback of Hydra's composing and exited 1."""
    for name, lines in (("src", SOURCE), ("ref", REFERENCE), ("sysA", REFERENCE)):
        (tmp_path / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    before = tree_checksum(tmp_path)
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", STOPPED_WHILE_CHECKING, stop, "-r", "ref.txt", "-s", "src.txt",
                           "--src-lang", "fr", "sysA.txt", "--out", "out"], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, errors="backslashreplace", timeout=300)
    assert done.returncode == code, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"{said}: nothing was written"]
    assert tree_checksum(tmp_path) == before


def loop_in(folder: Path) -> Path:
    (folder / "la").symlink_to("lb")
    (folder / "lb").symlink_to("la")
    return folder / "la"


@pytest.mark.parametrize("entry, arguments", [
    ("run", [*QUICK, "hydra.run.dir={out}"]),
    ("run", ["-m", *QUICK, "hydra.sweep.dir={out}"]),
    ("compare", ["run", "--out", "{out}"]),
    ("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--out", "{out}"]),
    ("run", [*QUICK, "hydra.run.dir=new", "cache.dir={out}"]),
], ids=["run-folder", "sweep-folder", "report-folder", "score-out", "cache-folder"])
@pytest.mark.parametrize("below", [False, True], ids=["the-link", "below-it"])
def test_an_output_folder_at_a_link_in_a_loop_is_called_one(tmp_path, entry, arguments, below):
    """Such a link was said to lead to a file that 'does not exist (a disk that is not mounted?)', with the fix 'mount
    or create it': the file it names exists, a link back (and the cache folder read 'File exists')."""
    user = tmp_path / "user"
    write_dataset(user / "my_data")
    for name, lines in (("src", SOURCE), ("ref", REFERENCE), ("sysA", REFERENCE)):
        (user / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    if entry == "compare":
        assert harness_run(user, [*QUICK, "hydra.run.dir=run"]).code == 0
    out = loop_in(user) / "sub" if below else loop_in(user)
    before = tree_checksum(user)
    outcome = run_cli(entry, [argument.format(out=out) for argument in arguments], cwd=user,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, f"{user / 'la'} is a symbolic link in a loop")
    assert "does not exist" not in outcome.stderr
    assert tree_checksum(user) == before


def test_text_that_lost_characters_to_another_encoding_is_named_in_a_note(tmp_path):
    """A reference that went through a lossy conversion (Latin-1 read as UTF-8 with its errors replaced: every accent
    a U+FFFD) and a hypothesis file alike were scored as they stood, every system against the damaged reference, with
    no word: the file is valid UTF-8, so nothing refused it."""
    source = ["Le maire a inauguré la ligne de tramway lundi.", "Le conseil a voté un budget très élevé."]
    reference = ["The mayor opened the tram line on Monday.", "The council voted a very high budget, café included."]
    lossy = [line.encode("latin-1").decode("utf-8", errors="replace") for line in reference]
    for name, lines in (("src", source), ("ref", lossy), ("sysA", lossy)):
        (tmp_path / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    done = run_cli("score", ["-r", "ref.txt", "-s", "src.txt", "--src-lang", "fr", "sysA.txt", "--out", "out"],
                   cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert done.code == 0, done.stderr[-2000:]
    notes = [line for line in done.stdout.splitlines() if "U+FFFD" in line]
    assert [note.split(": ")[2] for note in notes] == [
        "the reference ref.txt holds the replacement character U+FFFD on 1 of its 2 lines, which a conversion from "
        "another encoding puts for each character it could not read", "the output holds the replacement character "
        "U+FFFD on 1 of its 2 lines, which a conversion from another encoding puts for each character it could not "
        "read"], done.stdout[-3000:]
    assert all("iconv -f ENCODING -t UTF-8" in note for note in notes)


@pytest.mark.parametrize("make, said", [
    (lambda cache: os.mkfifo(cache / "translations.sqlite"), "is not a regular file (a pipe, a device or a socket)"),
    (lambda cache: os.mkfifo(cache.parent / "pipe") or (cache / "translations.sqlite").symlink_to(cache.parent / "pipe"),
     "is not a regular file"),
    (lambda cache: (cache / "translations.sqlite").symlink_to(cache.parent / "elsewhere.sqlite"),
     "is a symbolic link to"),
], ids=["pipe", "link-to-a-pipe", "link-to-nothing"])
def test_a_cache_file_that_is_no_database_file_is_called_what_it_is(tmp_path, make, said):
    """SQLite opened what it found there: a pipe, or a link to one or to /dev/null (a way to switch a cache off, which
    also wrote /dev/null-journal beside the device where it could; not built here, so that no failure writes into
    /dev), read 'the disk reported an I/O error (full, over a quota or a file size limit, or failing); free some
    space'; a link to nothing had SQLite make the file it names, outside the cache folder."""
    user = tmp_path / "user"
    write_dataset(user / "my_data")
    cache = tmp_path / "cache"
    cache.mkdir()
    make(cache)
    before = tree_checksum(tmp_path)
    outcome = harness_run(user, [*QUICK, "hydra.run.dir=run"])
    assert_one_line_error(outcome, f"cache {cache / 'translations.sqlite'} {said}", "move it away",
                          "cache.enabled=false")
    assert "disk" not in outcome.error_lines[0]
    assert tree_checksum(tmp_path) == before
    assert not (tmp_path / "elsewhere.sqlite").exists()


def test_model_path_at_a_file_is_not_called_missing(tmp_path):
    """model=files model.path=my_outputs.txt, a file where a folder of <doc_id>.txt files is read: 'folder not found',
    which sent the user looking for a typo in a name that is there."""
    user = tmp_path / "user"
    write_dataset(user / "my_data")
    (user / "my_outputs.txt").write_text("The cat sleeps.\n", encoding="utf-8")
    before = tree_checksum(user)
    outcome = harness_run(user, ["model=files", "model.path=my_outputs.txt", "data.root=my_data", "hydra.run.dir=run"])
    assert_one_line_error(outcome, "model.path 'my_outputs.txt': is not a folder", "a folder of <doc_id>.txt files")
    assert "not found" not in outcome.stderr
    assert tree_checksum(user) == before
