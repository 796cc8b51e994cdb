"""Outputs cut short at generation.max_new_tokens: counted by every runtime, shown under the results table."""
import pytest

from harness.config import GenerationSpec, ModelSpec
from harness.translate.backends.base import Backend
from harness.translate.backends.ct2 import Ct2Backend, Ct2LMBackend
from harness.translate.backends.hf_causal import CausalLMBackend
from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from tests.conftest import SEEDS

TEXTS = ["Le Canada et le Japon.", "Mardi."]


def runtime(name: str, folders: dict, cache) -> Backend:
    generation = GenerationSpec(max_new_tokens=3, min_new_tokens=3, device="cpu")
    if name == "hf_seq2seq":
        return Seq2SeqBackend(ModelSpec(name="tiny", model_id=str(folders["marian"])), generation)
    if name == "ct2_seq2seq":
        return Ct2Backend(ModelSpec(name="tiny", model_id=str(folders["marian"])), generation, cache_dir=str(cache))
    if name == "hf_causal":
        return CausalLMBackend(ModelSpec(name="tiny", model_id=str(folders["causal"])), generation)
    return Ct2LMBackend(ModelSpec(name="tiny", model_id=str(folders["gemma"])), generation, cache_dir=str(cache),
                        compute_type="float32")


@pytest.mark.parametrize("name", ["hf_seq2seq", "ct2_seq2seq", "hf_causal", "ct2_lm"])
def test_every_runtime_counts_outputs_that_reach_the_limit_before_their_end(name, tiny_marian, tiny_causal_lm,
                                                                            tiny_gemma3, tmp_path):
    backend = runtime(name, {"marian": tiny_marian, "causal": tiny_causal_lm, "gemma": tiny_gemma3}, tmp_path)
    backend.translate_batch(TEXTS, "fr", "en")   # 3 forced tokens each: no end within the limit
    assert backend.stats["cut_at_max_new_tokens"] == len(TEXTS)


class Limited(Backend):
    def translate_batch(self, texts, src_lang, tgt_lang):
        return texts


@pytest.mark.parametrize("outputs, cut", [([(5, False), (5, True), (4, False), (9, False)], 2), ([], 0)])
def test_an_output_that_ended_or_stayed_under_the_limit_is_not_cut(outputs, cut):
    backend = Limited(ModelSpec(name="x", model_id="x"), GenerationSpec(max_new_tokens=5))
    backend.count_cut(outputs)
    assert backend.stats["cut_at_max_new_tokens"] == cut


def test_cut_outputs_are_shown_under_the_results_table(tmp_path, tiny_marian):
    from harness import compose_config, run
    from harness.compare.reports.tables import results_table
    result = run(compose_config([f"data.root={SEEDS}", "data.documents=[002]", "data.max_segments=2",
                                 "model=opus_mt", f"model.model_id={tiny_marian}", "generation.max_new_tokens=2",
                                 "generation.min_new_tokens=2", "generation.device=cpu"]), tmp_path / "run")
    assert result["backend_stats"]["cut_at_max_new_tokens"] == 2
    assert "degraded: 2 outputs cut short at generation.max_new_tokens (raise it)" in results_table(result)


def test_harness_compare_names_each_systems_degraded_output(tmp_path, tiny_marian):
    """A comparison's notes (text, markdown and HTML reports) say which system's outputs were cut, so that a
    leaderboard never hides it."""
    from harness import compose_config, run
    from harness.compare.compare import compare_runs
    from harness.compare.discovery import load_runs
    from harness.compare.reports.tables import comparison_notes
    data = [f"data.root={SEEDS}", "data.documents=[002]", "data.max_segments=2"]
    run(compose_config([*data, "model=opus_mt", f"model.model_id={tiny_marian}", "generation.device=cpu",
                        "generation.max_new_tokens=2", "generation.min_new_tokens=2"]), tmp_path / "short")
    run(compose_config([*data, "model=identity"]), tmp_path / "copy")
    notes = comparison_notes(compare_runs(load_runs([str(tmp_path / "short"), str(tmp_path / "copy")]),
                                          n_resamples=50))
    cut = [note for note in notes if note.startswith("degraded: ")]
    assert cut == ["degraded: opus_mt: 2 outputs cut short at generation.max_new_tokens (raise it)"]   # by system name


def test_a_cached_rerun_still_counts_and_shows_the_cut_outputs(tmp_path, tiny_marian, monkeypatch):
    """The cache keeps each output's degradations beside it: a re-run that reads the outputs generates nothing
    and shows the same degraded line."""
    from harness import compose_config, run
    from harness.compare.reports.tables import results_table
    overrides = [f"data.root={SEEDS}", "data.documents=[002]", "data.max_segments=3", "model=opus_mt",
                 f"model.model_id={tiny_marian}", "generation.max_new_tokens=2", "generation.min_new_tokens=2",
                 "generation.device=cpu", f"cache.dir={tmp_path / 'cache'}"]
    first = run(compose_config(overrides), tmp_path / "first")
    again = run(compose_config(overrides), tmp_path / "again")
    assert again["documents"][0]["cache_hits"] == 3 and again["backend_stats"].get("generated_tokens", 0) == 0
    assert first["backend_stats"]["cut_at_max_new_tokens"] == again["backend_stats"]["cut_at_max_new_tokens"] == 3
    assert "degraded: 3 outputs cut short at generation.max_new_tokens (raise it)" in results_table(again)


def test_an_output_split_over_the_input_limit_keeps_its_flag_for_a_rerun(tmp_path):
    from harness.cache import TranslationCache
    from harness.translate.translate import translate_with_cache
    from tests.test_backend_base import EchoBackend
    cache = TranslationCache(tmp_path / "cache.sqlite")
    long_text = " ".join(f"w{i}" for i in range(40))
    first, again = EchoBackend(limit=10), EchoBackend(limit=10)
    translate_with_cache(first, cache, [long_text, "short"], "fr", "en")
    outputs, from_cache = translate_with_cache(again, cache, [long_text, "short"], "fr", "en")
    assert from_cache == [True, True]
    assert again.stats["split_overlong_inputs"] == first.stats["split_overlong_inputs"] == 1
