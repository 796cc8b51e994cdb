"""The multilingual encoder loads in the background while a cold run's model loads and translates (issue 24, the
harness's overhead), once, and only in a run that will embed new outputs."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from functools import lru_cache

import pytest

import harness.pipeline as pipeline
from harness import compose_config, run
from harness.align import encoder
from harness.errors import UserError
from benchmarks.line_scoring import write_data_set
from tests.adversarial import REPO
from tests.conftest import SEEDS


def finish_background_loads() -> None:
    for thread in threading.enumerate():
        if thread.name == "encoder load":
            thread.join(10)


def test_a_load_under_way_in_the_background_is_waited_for_not_repeated(monkeypatch):
    loads, started, release = [], threading.Event(), threading.Event()

    @lru_cache(maxsize=1)
    def slow_load():
        loads.append(1)
        started.set()
        release.wait(10)
        return object()
    monkeypatch.setattr(encoder, "encoder_backend", slow_load)
    encoder.load_in_background()
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()   # the run asks for the encoder while it is still loading
    first = encoder.loaded_encoder()
    encoder.load_in_background()                # loaded: no second thread, no second load
    finish_background_loads()
    assert loads == [1] and encoder.loaded_encoder() is first


def test_a_background_load_that_fails_is_reported_by_the_run_not_by_the_thread(monkeypatch, capsys):
    @lru_cache(maxsize=1)
    def not_installed():
        raise UserError("cross-lingual alignment needs the USE multilingual v3 weights")
    monkeypatch.setattr(encoder, "encoder_backend", not_installed)
    encoder.load_in_background()
    finish_background_loads()
    assert capsys.readouterr().err == ""   # no traceback from the thread
    with pytest.raises(UserError, match="needs the USE multilingual v3 weights"):
        encoder.loaded_encoder()


@pytest.fixture
def warm_ups(monkeypatch) -> list[int]:
    calls = []
    monkeypatch.setattr(pipeline, "load_in_background", lambda: calls.append(1))
    return calls


def test_a_cold_run_warms_the_encoder_up_and_a_fully_cached_one_does_not(tmp_path, warm_ups):
    overrides = ["model=identity", f"data.root={SEEDS}", "data.documents=[002]"]
    run(compose_config(overrides), tmp_path / "cold")
    assert warm_ups, "the cold run did not start loading the encoder before translating"
    warm_ups.clear()
    run(compose_config(overrides), tmp_path / "cached")
    assert warm_ups == []


def test_a_line_aligned_set_warms_the_encoder_up_only_when_it_measures_adequacy(tmp_path, warm_ups):
    data = write_data_set(tmp_path / "data", 12)
    run(compose_config(["model=identity", f"data.root={data}"]), tmp_path / "without_adequacy")
    assert warm_ups == []
    run(compose_config(["model=identity", f"data.root={data}", "crosslingual.line_adequacy=true",
                        f"cache.dir={tmp_path / 'another_cache'}"]), tmp_path / "with_adequacy")   # outputs new again
    assert warm_ups


EXIT_DURING_THE_LOAD = """
import sys, time
from harness.align.encoder import load_in_background
load_in_background()
time.sleep(float(sys.argv[1]))   # the run ends (its outputs needed no embedding) while the encoder still loads
"""


def test_a_process_that_ends_while_the_encoder_loads_exits_cleanly(monkeypatch):
    """CI, 2026-12-04: a run whose outputs needed no embedding finished while the encoder loaded on a daemon
    thread; the interpreter ended that thread inside sentencepiece's C++ and the process aborted after writing
    its result ("terminate called without an active exception", exit -6; here in 2 of 20 exits 0-0.6 s into the
    load). The loading thread is no daemon now, so the interpreter waits for it: every exit below is clean."""
    for pause in [0.05 * step for step in range(12)]:
        done = subprocess.run([sys.executable, "-c", EXIT_DURING_THE_LOAD, str(pause)], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert done.returncode == 0 and "terminate" not in done.stderr, (pause, done.returncode, done.stderr)
    release = threading.Event()

    @lru_cache(maxsize=1)
    def slow_load():
        release.wait(10)
        return object()
    monkeypatch.setattr(encoder, "encoder_backend", slow_load)
    encoder.load_in_background()
    loading = [thread for thread in threading.enumerate() if thread.name == "encoder load"]
    release.set()
    finish_background_loads()
    assert len(loading) == 1 and not loading[0].daemon
