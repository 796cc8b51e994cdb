"""A cold run on a loaded machine never shows a bar without a rate, or without a word of what it is doing,
for more than 10 s (issue 24). The machine's slowness is a fake clock: each segment "takes" seconds of it,
and the test reads what the bar would show after every step of that clock, never the wall time."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest

import harness.translate.translate as translate_module
import harness.progress as progress_module
from harness.translate.backends.base import Backend
from harness.translate.backends.hf_causal import CausalLMBackend
from harness.cache import TranslationCache
from harness.translate.translate import translate_with_cache
from harness.config import GenerationSpec, ModelSpec
from harness.progress import activity
from tests.conftest import SEEDS
from tests.test_progress import SLOW_RUN, run_cli

SILENCE_LIMIT = 10.0   # seconds a bar may go without a rate or a word of what is happening


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SlowBackend(Backend):
    """A loaded machine: loading the model takes `load_seconds`, each segment `segment_seconds` and 20 tokens,
    counted when its batch ends (as a runtime that cannot stream). After every step it reports what the bar
    shows to `watch`."""

    name = "slow"

    def __init__(self, clock: FakeClock, watch, load_seconds: float, segment_seconds: float):
        super().__init__(ModelSpec(name="slow"), GenerationSpec(batch_size=16))
        self.clock, self.watch = clock, watch
        self.load_seconds, self.segment_seconds = load_seconds, segment_seconds

    def translate_batch(self, texts, src_lang, tgt_lang):
        if not self.stats["model_loads"]:
            with self.timed("load"):
                self.wait(self.load_seconds)
            self.stats["model_loads"] += 1
        with self.timed("generate"):
            for _ in texts:
                self.wait(self.segment_seconds)
        self.count_generated(20 * len(texts))
        return [text.upper() for text in texts]

    def wait(self, seconds: float) -> None:
        """The machine's pause, one fake second at a time, watched after each."""
        for _ in range(int(seconds)):
            self.clock.advance(1.0)
            self.watch()


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(progress_module, "clock", fake, raising=False)
    return fake


@pytest.fixture
def trackers(monkeypatch) -> list:
    """The Progress of each stage translate_with_cache opens, so that the test can read what its bar shows."""
    opened = []
    real_progress = translate_module.progress

    @contextmanager
    def recorded(*args, **kwargs):
        with real_progress(*args, **kwargs) as tracker:
            opened.append(tracker)
            yield tracker
    monkeypatch.setattr(translate_module, "progress", recorded)
    return opened


def longest_silence(shown: list[tuple[float, str]], started: float) -> float:
    """The longest time the bar showed neither a rate nor what is happening, from the stage's start."""
    silent_since, longest = started, 0.0
    for when, text in shown:
        if text:
            silent_since = when
        longest = max(longest, when - silent_since)
    return longest


def test_a_cold_run_on_a_loaded_machine_shows_a_rate_or_what_it_does_within_10_s(clock, trackers):
    """Ten segments of 8 s each after a 40 s model load: batches of 16 would show "0/10" and no rate for
    40 + 80 s; the load is named, and the first segment comes alone, so the rate comes after 8 s."""
    shown: list[tuple[float, str]] = []
    started = clock()
    backend = SlowBackend(clock, lambda: shown.append((clock(), trackers[0].status())), load_seconds=40,
                          segment_seconds=8)
    texts = [f"phrase numéro {k}." for k in range(10)]
    outputs, _ = translate_with_cache(backend, TranslationCache(None), texts, "ar", "en")
    assert outputs == [text.upper() for text in texts]
    assert clock() - started >= 40 + 10 * 8                 # the slow machine really was slow
    assert longest_silence(shown, started) <= SILENCE_LIMIT, shown
    loading = [text for when, text in shown if when - started < 40]
    assert loading and all(text == "loading the model" for text in loading)
    generating = [text for when, text in shown if when - started > 40 + 8]
    assert generating and all(text.endswith(" tokens/s") for text in generating)


def test_the_rate_leaves_the_model_load_out(clock, trackers):
    shown: list[tuple[float, str]] = []
    backend = SlowBackend(clock, lambda: shown.append((clock(), trackers[0].status())), load_seconds=40,
                          segment_seconds=8)
    translate_with_cache(backend, TranslationCache(None), ["un.", "deux.", "trois."], "fr", "en")
    assert trackers[0].speed() == "2.5 tokens/s"   # 60 tokens in 24 s of generating, the 40 s load left out
    assert backend.stats["generate_seconds"] == 24 and backend.stats["load_seconds"] == 40


def test_a_one_time_conversion_says_what_it_is_in_the_bar_and_the_log(clock, trackers, caplog):
    with caplog.at_level(logging.INFO, logger="harness.progress"):
        with progress_module.progress("tr->en", 5) as tracker:
            with activity("converting model.gguf (250 MB) to full-precision weights, once (1.1 GB in the cache)"):
                assert tracker.status().startswith("converting model.gguf (250 MB)")
                with activity("loading the model"):
                    assert tracker.status() == "loading the model"
                assert tracker.status().startswith("converting")
            assert tracker.status() == ""
    assert any("converting model.gguf (250 MB) to full-precision weights, once" in r.getMessage()
               for r in caplog.records)


def test_a_causal_lm_streams_its_tokens_so_the_rate_is_live_inside_a_batch(tiny_causal_lm, monkeypatch):
    """transformers hands every decoding step to a streamer: generated_tokens grows during the batch, and
    at its end the count is exactly the generated non-padding tokens."""
    seen: list[float] = []
    backend = CausalLMBackend(ModelSpec(name="tiny", model_id=str(tiny_causal_lm)),
                              GenerationSpec(max_new_tokens=6, min_new_tokens=6, device="cpu", batch_size=4))
    real_count = backend.count_generated

    def counted(tokens: int) -> None:
        real_count(tokens)
        seen.append(backend.stats["generated_tokens"])
    monkeypatch.setattr(backend, "count_generated", counted)
    backend.translate_batch(["Bonjour.", "Merci beaucoup."], "fr", "en")
    assert len(seen) >= 6 and seen == sorted(seen)          # one update per decoding step at least
    assert backend.stats["generated_tokens"] == 12          # 2 rows x 6 forced tokens, no padding


def test_a_sweep_says_which_job_and_which_language_each_stage_is(tmp_path):
    """The overall line: "job 1 of 2: model=identity ...", then "fr->en (language 1 of 2): ..." per stage."""
    code, stdout, stderr = run_cli(["-m", "model=identity", "generation.batch_size=1,2", "data.documents=[000,002]",
                                    f"data.root={SEEDS}", f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path,
                                   stderr_terminal=False)
    assert code == 0, stderr
    assert "job 1 of 2: " in stderr and "job 2 of 2: " in stderr, stderr
    assert "fr->en (language 1 of 2): " in stderr and "tr->en (language 2 of 2): " in stderr, stderr


def test_tqdm_disable_set_by_the_user_still_switches_the_harness_bar_off(tmp_path, monkeypatch):
    """docs/running.md: TQDM_DISABLE=1 means no bars, even on a terminal; the harness's own TQDM_DISABLE (for the
    libraries' bars) does not switch its bar off."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    code, stdout, screen = run_cli([*SLOW_RUN, f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, stderr_terminal=True)
    assert code == 0, stdout
    assert "%|" not in screen and "fr->en: 12 segments in " in screen


def test_the_hub_draws_no_bars_and_is_not_imported_to_say_so():
    """quiet_library_bars switches huggingface_hub's bars off through HF_HUB_DISABLE_PROGRESS_BARS, which the hub
    reads at its import, so a run that needs no model (a fully cached re-run) does not import it (nor tqdm.auto
    and asyncio behind it); a hub already imported is switched off by its own function."""
    quiet = "from harness.progress import quiet_library_bars\nquiet_library_bars()\n"
    bars = "from huggingface_hub.utils import are_progress_bars_disabled\nprint('bars off', are_progress_bars_disabled())\n"
    check = f"import sys\n{quiet}print('hub imported', 'huggingface_hub' in sys.modules)\n{bars}"
    already = f"import huggingface_hub\n{quiet}{bars}"
    env = {key: value for key, value in os.environ.items() if key != "HF_HUB_DISABLE_PROGRESS_BARS"}
    fresh = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=env, check=True)
    assert fresh.stdout.split("\n")[:2] == ["hub imported False", "bars off True"], fresh.stdout + fresh.stderr
    imported = subprocess.run([sys.executable, "-c", already], capture_output=True, text=True, env=env, check=True)
    assert imported.stdout.strip() == "bars off True", imported.stdout + imported.stderr
