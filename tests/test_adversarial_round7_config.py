"""Round 7: configuration, sweeps and the cache.

Each case runs the real CLI in a child process (tests/adversarial.py) and checks the exit code, the one error line,
and that nothing under the case's folder changed. Earlier rounds covered ranges, types, unknown keys and
unresolvable interpolations of the run's own settings, and a cache that is corrupt, foreign, locked or read-only;
these are the cases they left: values a range check let through that the alignment search cannot add up, a setting
removed with ~, an empty selection of documents, output folders (hydra.run.dir, hydra.sweep.dir) whose
interpolation cannot be resolved, a sweep whose every job would be refused for its settings, and a cache whose
tables a newer harness widened."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.cache import TranslationCache, content_key
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_run import base_args, make_setup


def refused(tmp_path: Path, arguments: list[str], *fragments: str) -> None:
    """harness-run refused with one line, exit 2, and nothing under tmp_path changed (the cache aside)."""
    cache = tmp_path / "cache"
    before = tree_checksum(tmp_path, exclude=(cache,))
    outcome = run_cli("run", arguments, cwd=tmp_path, env={"HARNESS_CACHE_DIR": str(cache)})
    assert_one_line_error(outcome, *fragments)
    assert tree_checksum(tmp_path, exclude=(cache,)) == before


# ---------------------------------------------------------------- settings a range check let through

@pytest.mark.parametrize("override, fragments", [
    # a finite skip score so large that the search's sums overflow: a RuntimeError traceback, exit 1, FAILED
    ("crosslingual.skip=-1e308", ("crosslingual.skip=-1e+308", "between -10 and 10")),
    ("crosslingual.skip=1e308", ("crosslingual.skip=1e+308", "between -10 and 10")),
    # a negative penalty is a bonus; this one overflowed the same way
    ("crosslingual.bead_penalty={1-1:-1e308}", ("crosslingual.bead_penalty", ">= 0")),
    # an empty selection ran every document of the data set, without a word
    ("data.documents=[]", ("data.documents=[]", "null")),
    # a setting removed with ~ left it without a value: a MissingMandatoryValue traceback, exit 1, folder FAILED
    ("~metrics", ("metrics: has no value", "metrics=...", "~metrics")),
    # model=files without model.path: a TypeError traceback from the files backend, exit 1
    ("model=files", ("model.path: has no value", "model.path=DIR")),
], ids=["skip-low", "skip-high", "bead-penalty-negative", "no-documents", "removed-metrics", "files-without-path"])
def test_a_setting_the_run_cannot_use_is_one_line_before_anything_runs(tmp_path, override, fragments):
    setup = make_setup(tmp_path)
    refused(tmp_path, [*base_args(setup), override], *fragments)
    assert not setup.run_dir.exists()


# ---------------------------------------------------------------- output folders

@pytest.mark.parametrize("arguments, knob", [
    # a warning of Hydra's per callback (5 lines each) before the error line
    (["hydra.run.dir=${oc.env:ADV7A_UNSET_FOLDER}"], "hydra.run.dir"),
    # a traceback, exit 1
    (["-m", "hydra.sweep.dir=${oc.env:ADV7A_UNSET_FOLDER}", "model.name=a,b"], "hydra.sweep.dir"),
], ids=["run", "sweep"])
def test_an_output_folder_that_cannot_be_resolved_is_one_line(tmp_path, arguments, knob):
    setup = make_setup(tmp_path)
    flags = [a for a in arguments if a.startswith("-")]
    others = [a for a in base_args(setup) if not a.startswith("hydra.run.dir")]
    refused(tmp_path, [*flags, *others, *[a for a in arguments if a not in flags]],
            knob, "ADV7A_UNSET_FOLDER", "cannot be resolved")


# ---------------------------------------------------------------- sweeps

def test_a_sweep_whose_jobs_would_all_refuse_their_settings_is_refused_before_the_first(tmp_path):
    """data.max_segments with model=files: each of 50 jobs made its folder, was marked FAILED and said so in its own
    error line; a contradiction of settings is refused before any job runs, as a bad range is."""
    setup = make_setup(tmp_path)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "a.txt").write_text("Hello.\n", encoding="utf-8")
    paths = ",".join([str(outputs)] * 3)
    others = [a for a in base_args(setup) if not a.startswith(("hydra.run.dir", "model="))]
    refused(tmp_path, ["-m", *others, "model=files", f"model.path={paths}", "data.max_segments=2",
                       f"hydra.sweep.dir={tmp_path / 'sweep'}"], "data.max_segments=2", "model=files")
    assert not (tmp_path / "sweep").exists()


# ---------------------------------------------------------------- the cache

def widened_cache(path: Path) -> None:
    """A cache a newer harness wrote: the same tables, each with one more column (a nullable one)."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE translations (key TEXT PRIMARY KEY, output TEXT NOT NULL, checksum TEXT, "
                       "created REAL)")
    connection.commit()
    connection.close()


def test_a_cache_whose_tables_a_newer_harness_widened_is_read_and_written(tmp_path):
    """Its rows were written as three values into four columns: 'unreadable or corrupt ... move it away', exit 2,
    and the user told to throw away a good cache."""
    path = tmp_path / "translations.sqlite"
    widened_cache(path)
    key = content_key("fingerprint", "fr", "en", "Bonjour.")
    cache = TranslationCache(path)
    cache.put_many({key: "Hello."})
    assert cache.get_many([key]) == {key: "Hello."}
    cache.close()
