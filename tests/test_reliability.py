"""Resume after SIGKILL, concurrent cache writers, run folders that are complete or marked, determinism,
safe loading, and sweeps under the joblib and submitit launchers."""
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import torch

from harness import run
from harness.cache import TranslationCache
from harness.config import compose_config
from harness.errors import UserError
from harness.compare.reports.tables import results_table
from tests.conftest import REPO, SEEDS

SLOW = "backend._target_=tests.backends_for_tests.SlowUpperBackend"


def child_run(*args, cache, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(cache)}
    return subprocess.Popen([sys.executable, "-c", "from harness.cli import run_main; run_main()",
                             *args, f"data.root={SEEDS}"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def cached_entries(cache_dir):
    path = cache_dir / "translations.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM translations").fetchone()[0]
    except sqlite3.OperationalError:   # table not created yet
        return 0


def test_sigkill_then_rerun_translates_only_what_was_missing_and_matches_an_uninterrupted_run(tmp_path):
    args = ["model=identity", SLOW, "generation.batch_size=1", "data.documents=[000]"]
    victim = child_run(*args, "hydra.run.dir=killed", cache=tmp_path / "cache", cwd=tmp_path)
    deadline = time.time() + 60
    while cached_entries(tmp_path / "cache") < 4 and time.time() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    done_before = cached_entries(tmp_path / "cache")
    assert 4 <= done_before < 13, "the kill did not land in the middle of translating"
    assert (tmp_path / "killed" / "RUNNING").exists() and not (tmp_path / "killed" / "result.json").exists()

    resumed = child_run(*args, "hydra.run.dir=resumed", cache=tmp_path / "cache", cwd=tmp_path)
    assert resumed.wait() == 0, resumed.stderr.read()
    clean = child_run(*args, "hydra.run.dir=clean", cache=tmp_path / "fresh_cache", cwd=tmp_path)
    assert clean.wait() == 0, clean.stderr.read()

    resumed_result = json.loads((tmp_path / "resumed" / "result.json").read_text())
    clean_result = json.loads((tmp_path / "clean" / "result.json").read_text())
    total = clean_result["documents"][0]["source_segments"]
    assert resumed_result["backend_stats"]["translated_segments"] == total - done_before
    assert resumed_result["documents"][0]["cache_hits"] == done_before
    for name in ("hypotheses/000.txt", "scored/000.hyp.txt", "scored/000.ref.txt"):
        assert (tmp_path / "resumed" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()
    assert resumed_result["documents"][0]["metrics"] == clean_result["documents"][0]["metrics"]


def write_entries(path, worker, count):
    cache = TranslationCache(path)
    for start in range(0, count, 10):
        cache.put_many({f"k{i}": f"v{i}" for i in range(start, start + 10)} | {f"w{worker}-{start}": "x"})
    cache.close()


def test_concurrent_writers_lose_and_corrupt_nothing(tmp_path):
    path = tmp_path / "shared.sqlite"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_entries, args=(path, w, 300)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    found = TranslationCache(path).get_many([f"k{i}" for i in range(300)] +
                                            [f"w{w}-{s}" for w in range(4) for s in range(0, 300, 10)])
    assert len(found) == 300 + 4 * 30
    assert all(found[f"k{i}"] == f"v{i}" for i in range(300))


def test_same_config_twice_without_cache_gives_identical_outputs(tiny_marian, tmp_path):
    overrides = [f"data.root={SEEDS}", "model=opus_mt", f"model.model_id={tiny_marian}", "cache.enabled=false",
                 "generation.max_new_tokens=6", "generation.device=cpu", "data.documents=[002]"]
    first = run(compose_config(overrides), tmp_path / "a")
    second = run(compose_config(overrides), tmp_path / "b")
    assert second["backend_stats"]["model_loads"] == 1            # really translated again
    assert (tmp_path / "a/hypotheses/002.txt").read_bytes() == (tmp_path / "b/hypotheses/002.txt").read_bytes()
    assert first["documents"][0]["metrics"] == second["documents"][0]["metrics"]


def test_a_finished_run_folder_is_never_overwritten(tmp_path):
    cfg = compose_config([f"data.root={SEEDS}", "model=identity"])
    run(cfg, tmp_path / "run")
    before = (tmp_path / "run" / "result.json").read_bytes()
    with pytest.raises(UserError, match="already holds a finished run"):
        run(cfg, tmp_path / "run")
    assert (tmp_path / "run" / "result.json").read_bytes() == before
    assert not (tmp_path / "run" / "RUNNING").exists()


def test_empty_outputs_are_recorded_and_shown(tmp_path):
    cfg = compose_config([f"data.root={SEEDS}", "model=identity",
                          "backend._target_=tests.backends_for_tests.SometimesEmptyBackend"])
    result = run(cfg, tmp_path / "run")
    arabic = next(d for d in result["documents"] if d["id"] == "004")
    assert arabic["empty_outputs"] > 0
    assert f"{arabic['empty_outputs']}/{arabic['hypothesis_units']} empty" in results_table(result)


@pytest.fixture
def pickled_marian(tiny_marian, tmp_path):
    from safetensors.torch import load_file
    folder = tmp_path / "pickled"
    folder.mkdir()
    for item in tiny_marian.iterdir():
        if item.suffix != ".safetensors":
            (folder / item.name).write_bytes(item.read_bytes())
    torch.save(load_file(tiny_marian / "model.safetensors"), folder / "pytorch_model.bin")
    return folder


def test_pickle_weights_need_an_explicit_opt_in(pickled_marian, tmp_path):
    overrides = [f"data.root={SEEDS}", "model=opus_mt", f"model.model_id={pickled_marian}", "data.documents=[002]",
                 "generation.max_new_tokens=4", "generation.device=cpu"]
    with pytest.raises(UserError, match="no safetensors weights.*model.allow_pickle=true"):
        run(compose_config(overrides), tmp_path / "refused")
    result = run(compose_config([*overrides, "model.allow_pickle=true"]), tmp_path / "allowed")
    assert result["model"]["allow_pickle"] is True and result["model"]["trust_remote_code"] is False


@pytest.mark.parametrize("launcher", ["local_parallel", "submitit_local"])
def test_sweep_runs_under_a_launcher_with_workers_sharing_one_cache(launcher, tmp_path):
    sweep = child_run("-m", f"hydra/launcher={launcher}", "model=identity", SLOW,
                      "data.documents=[000],[003]", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                      cache=tmp_path / "cache", cwd=tmp_path)
    assert sweep.wait(timeout=300) == 0, sweep.stderr.read()
    results = sorted((tmp_path / "sweep").glob("*/result.json"))
    assert len(results) == 2
    segments = sum(json.loads(p.read_text())["documents"][0]["source_segments"] for p in results)
    assert cached_entries(tmp_path / "cache") == segments


def test_ct2_conversion_also_refuses_pickle_weights_without_opt_in(pickled_marian, tmp_path):
    overrides = [f"data.root={SEEDS}", "model=opus_mt", "backend=ct2", f"model.model_id={pickled_marian}",
                 "data.documents=[002]", "generation.max_new_tokens=4", "generation.device=cpu"]
    with pytest.raises(UserError, match="no safetensors weights.*model.allow_pickle=true"):
        run(compose_config(overrides), tmp_path / "refused")
