"""A conversion killed outright (SIGKILL, the OOM killer) leaves its temporary folder in the cache (1.1 GB for the
dequantized Gemma): the next conversion into the same cache folder removes it, and never the folder of a writer that
is still at work, in this process or another (harness.cache_folders: the writer's flock)."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.cache_folders import WRITER_LOCK, publish_folder, staged_folder
from tests.adversarial import REPO

WRITER = """
import sys, time
from pathlib import Path
from harness.cache_folders import staged_folder, publish_folder
target = Path(sys.argv[1])
with staged_folder(target) as staging:
    staging.mkdir()
    (staging / "model.bin").write_bytes(b"w" * 100_000)
    Path(sys.argv[2]).write_text("writing")
    while not Path(sys.argv[3]).exists():
        time.sleep(0.05)
    publish_folder(staging, target, "model.bin")
"""


def start_writer(tmp_path: Path, target: Path) -> tuple[subprocess.Popen, Path, Path]:
    """A process inside staged_folder(target), its file written, waiting for `go` to publish."""
    ready, go = tmp_path / "ready", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(ready), str(go)], env=env)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert child.poll() is None and time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.05)
    return child, ready, go


def holders(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f"{target.name}.tmp-*"))


def test_a_writer_killed_outright_leaves_a_folder_the_next_writer_removes(tmp_path, caplog):
    target = tmp_path / "ct2" / "model"
    child, _, _ = start_writer(tmp_path, target)
    child.send_signal(signal.SIGKILL)
    child.wait()
    [left] = holders(target)
    assert (left / "model" / "model.bin").stat().st_size == 100_000   # what a killed conversion leaves today
    with caplog.at_level(logging.INFO, logger="harness.cache_folders"):
        with staged_folder(target) as staging:
            assert not left.exists()
            staging.mkdir()
            (staging / "model.bin").write_text("new")
            publish_folder(staging, target, "model.bin")
    assert (target / "model.bin").read_text() == "new" and holders(target) == []
    assert any(str(left) in record.getMessage() and "killed" in record.getMessage() for record in caplog.records)


def test_a_live_writers_folder_is_kept_and_it_still_publishes(tmp_path):
    """Another process converting the same model at this moment (another container on the cache volume): its
    folder is not touched, and it publishes as it would have."""
    target = tmp_path / "ct2" / "model"
    child, _, go = start_writer(tmp_path, target)
    try:
        [theirs] = holders(target)
        with staged_folder(target) as staging:
            assert theirs.exists() and (theirs / WRITER_LOCK).exists()
            staging.mkdir()
            (staging / "model.bin").write_text("mine")
            publish_folder(staging, target, "model.bin")
    finally:
        go.write_text("go")
        assert child.wait(timeout=60) == 0
    assert (target / "model.bin").read_text() == "mine"   # the first published is kept (publish_folder)
    assert holders(target) == []


def test_a_folder_of_this_process_and_one_without_a_lock_are_kept(tmp_path):
    """A staged folder open in this very process (a second conversion started meanwhile) and a holder of an older
    release (no lock file, or its writer not yet locked): neither can be told abandoned, so both stay."""
    target = tmp_path / "ct2" / "model"
    older = target.with_name(f"{target.name}.tmp-older")
    (older / "model").mkdir(parents=True)
    with staged_folder(target) as outer:
        with staged_folder(target.with_name("other")) as inner:
            assert outer.parent.exists() and older.exists()
            inner.mkdir()
    assert older.exists()
