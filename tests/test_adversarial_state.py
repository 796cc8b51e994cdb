"""Issue 16, the cases that need state: two runs at once, a damaged cache, models whose content or commit
changes under the same name, a full or read-only disk, and the run folder's own bookkeeping."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import run
from harness.translate.backends.hf_causal import CausalLMBackend
from harness.cache import TranslationCache
from harness.config import GenerationSpec, ModelSpec, PromptSpec, compose_config
from harness.errors import UserError
from harness.results.run_folder import RunFolder
from tests.builders import build_marian
from tests.adversarial import REPO, assert_one_line_error, run_cli, tree_checksum
from tests.conftest import SEEDS
from tests.test_adversarial_run import base_args, make_setup

SLOW = "backend._target_=tests.backends_for_tests.SlowUpperBackend"


def start_run(args: list[str], cwd: Path, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(cache)}
    return subprocess.Popen([sys.executable, "-c", "from harness.cli import run_main; run_main()", *args],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_into_one_folder_at_once_one_is_refused_and_the_other_finishes_intact(tmp_path):
    """Issue 16 (2): both exited 0 and the folder mixed one run's result.json with the other's record."""
    args = ["model=identity", SLOW, f"data.root={SEEDS}", "data.documents=[000]", "generation.batch_size=1",
            "alignment.embeddings=false", f"hydra.run.dir={tmp_path / 'shared'}"]
    first = start_run([*args, "model.name=first"], tmp_path, tmp_path / "cache")
    deadline = time.time() + 60
    while not (tmp_path / "shared" / "RUNNING").exists() and time.time() < deadline:
        time.sleep(0.05)
    second = start_run([*args, "model.name=second"], tmp_path, tmp_path / "cache")
    second_out, second_err = second.communicate(timeout=300)
    first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 2 and "is in use by run pid" in second_err, second_err[-2000:]
    result = json.loads((tmp_path / "shared" / "result.json").read_text())
    assert result["model"]["name"] == "first"
    assert "model.name=first" in (tmp_path / "shared" / ".hydra" / "overrides.yaml").read_text()


def corrupt_rows(cache_file: Path, table: str, change) -> int:
    with sqlite3.connect(cache_file) as connection:
        rows = connection.execute(f"SELECT key, output FROM {table}").fetchall()
        for key, output in rows:
            connection.execute(f"UPDATE {table} SET output = ? WHERE key = ?", (change(output), key))
    return len(rows)


def wrong_alignment(output: str) -> str:
    """Valid JSON, valid beads, wrong pairs: every bead pairs source sentence 0 with reference sentence 0
    (rows that are not alignments, such as cached cosines, get other numbers)."""
    record = json.loads(output)
    if isinstance(record, dict):
        record["beads"] = [[[0], [0], 0.99] for _ in record["beads"]]
    else:
        record = [0.5 for _ in record]
    return json.dumps(record)


@pytest.mark.parametrize("table, change", [
    ("translations", lambda output: "\x00garbage\x00"),
    ("alignments", wrong_alignment),
], ids=["garbage-translations", "wrong-alignment"])
def test_damaged_cache_rows_are_recomputed_and_the_run_says_so(tmp_path, table, change):
    """Issue 16 (7): garbage rows were scored; a wrong alignment row changed 002's aligned chrF 7.0 -> 17.3."""
    args = ["model=identity", f"data.root={SEEDS}", "data.documents=[002]", "alignment.embeddings=false"]
    clean = run_cli("run", [*args, f"hydra.run.dir={tmp_path / 'clean'}"], tmp_path,
                    env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert clean.code == 0, clean.stderr[-2000:]
    damaged = corrupt_rows(tmp_path / "cache" / "translations.sqlite", table, change)
    again = run_cli("run", [*args, f"hydra.run.dir={tmp_path / 'again'}"], tmp_path,
                    env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert again.code == 0, again.stderr[-2000:]
    assert f"degraded: {damaged} cache entries failed their checksum and were recomputed" in again.stdout
    first, second = (json.loads((tmp_path / name / "result.json").read_text())["documents"][0]
                     for name in ("clean", "again"))
    assert second["metrics"] == first["metrics"] and second["aligned"] == first["aligned"]
    assert second["segments"] == first["segments"]
    assert (tmp_path / "again" / "hypotheses" / "002.txt").read_bytes() == \
        (tmp_path / "clean" / "hypotheses" / "002.txt").read_bytes()


def test_a_retrained_local_model_at_the_same_path_is_not_served_from_the_cache(tmp_path):
    """Issue 16 (6): a local folder was keyed by its path, so new weights reused every old translation."""
    texts = ["Kanada ve Japonya.", "Bu plan bir anlaşmadır."]
    folder = build_marian(tmp_path / "marian", texts)
    overrides = [f"data.root={SEEDS}", "model=opus_mt", f"model.model_id={folder}", "data.documents=[002]",
                 "data.max_segments=3", "generation.max_new_tokens=4", "generation.device=cpu",
                 "alignment.embeddings=false"]
    first = run(compose_config(overrides), tmp_path / "first")
    build_marian(tmp_path / "marian", texts, seed=1)   # retrained: same path, other weights
    second = run(compose_config(overrides), tmp_path / "second")
    assert first["documents"][0]["cache_hits"] == 0 and second["documents"][0]["cache_hits"] == 0
    assert first["model"]["resolved"][0]["content_sha256"] != second["model"]["resolved"][0]["content_sha256"]
    third = run(compose_config(overrides), tmp_path / "third")
    assert third["documents"][0]["cache_hits"] == 3


def test_the_chat_template_setting_is_part_of_the_causal_lm_cache_key(tiny_causal_lm):
    """Issue 16 (6): model.prompt.use_chat_template changed the prompts but not the key."""
    def key(mode: str) -> dict:
        model = ModelSpec(name="tiny", model_id=str(tiny_causal_lm), prompt=PromptSpec(use_chat_template=mode))
        return CausalLMBackend(model, GenerationSpec(device="cpu")).fingerprint("fr", "en")
    assert key("never") != key("always")
    assert key("never") == key("never")


def identity_of(model_id: str, revision: str, hub_cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_CACHE": str(hub_cache), "HF_HUB_OFFLINE": "1"}
    code = ("import json; from harness.translate.backends.hf_loading import model_identity; "
            f"print(json.dumps(model_identity({model_id!r}, {revision!r})))")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_a_moving_hub_revision_is_keyed_by_the_commit_it_resolves_to(tmp_path):
    """Issue 16 (6): revision main (a moving branch) was keyed by the string 'main'."""
    refs = tmp_path / "hub" / "models--org--tiny" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("a" * 40)
    before = identity_of("org/tiny", "main", tmp_path / "hub")
    (refs / "main").write_text("b" * 40)
    after = identity_of("org/tiny", "main", tmp_path / "hub")
    assert json.loads(before.stdout)["commit"] == "a" * 40 and json.loads(after.stdout)["commit"] == "b" * 40
    missing = identity_of("org/unknown", "main", tmp_path / "hub")
    assert missing.returncode != 0 and "cannot load model 'org/unknown' (revision main)" in missing.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs, filled up: a full disk for real (needs root, as in CI and on these machines). Room first for an
    MLflow store's empty database (tests/test_adversarial_round2_runs.py): 954 KB with mlflow 3.17, 1,032 KB with 3.18,
    which no longer fitted the 1 MiB this was."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> None:
    with (folder / "filler").open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


def test_a_full_disk_for_the_run_folder_is_one_line_and_leaves_nothing(tmp_path, small_disk):
    setup = make_setup(tmp_path)
    (small_disk / "runs").mkdir()
    fill(small_disk)
    before = tree_checksum(tmp_path, exclude=(tmp_path / "cache",))
    outcome = run_cli("run", [*base_args(setup), f"hydra.run.dir={small_disk / 'runs' / 'run'}"], tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, "no space left on the device")
    assert tree_checksum(tmp_path, exclude=(tmp_path / "cache",)) == before
    assert not (small_disk / "runs" / "run").exists()


def test_a_full_disk_for_the_cache_is_one_line(tmp_path, small_disk):
    setup = make_setup(tmp_path)
    fill(small_disk)
    outcome = run_cli("run", base_args(setup), tmp_path, env={"HARNESS_CACHE_DIR": str(small_disk / "cache")})
    assert_one_line_error(outcome, "cache", "full")
    assert not setup.run_dir.exists()


def test_a_read_only_results_folder_is_one_line(tmp_path, small_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    setup = make_setup(tmp_path)
    outcome = run_cli("run", [*base_args(setup), f"hydra.run.dir={small_disk / 'run'}"], tmp_path,
                      env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(outcome, "is not writable")


def test_the_run_folder_refuses_writes_outside_itself_and_non_finite_numbers(tmp_path):
    folder = RunFolder.claim(tmp_path / "run")
    for escape in ("../outside.txt", "/tmp/absolute.txt", "hypotheses/../../x.txt"):
        with pytest.raises(UserError, match="outside the run folder"):
            folder.write_text(escape, "x")
    with pytest.raises(RuntimeError, match="not a finite number"):
        folder.write_json("result.json", {"score": float("nan")})
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "run" / "result.json").exists()


def test_discard_removes_only_what_the_run_made(tmp_path):
    (tmp_path / "existing").mkdir()
    folder = RunFolder.claim(tmp_path / "existing" / "new" / "run")
    folder.write_text("hypotheses/a.txt", "x")
    (tmp_path / "existing" / "user_file.txt").write_text("mine")   # appears while the run works
    folder.discard()
    assert not (tmp_path / "existing" / "new").exists()
    assert (tmp_path / "existing" / "user_file.txt").read_text() == "mine"


def test_a_cache_written_before_checksums_is_recomputed_once(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE translations (key TEXT PRIMARY KEY, output TEXT NOT NULL)")
        connection.execute("INSERT INTO translations VALUES ('k', 'old output')")
    cache = TranslationCache(path)
    assert cache.get_many(["k"]) == {} and cache.rejected == 1
    cache.put_many({"k": "new output"})
    assert cache.get_many(["k"]) == {"k": "new output"}
