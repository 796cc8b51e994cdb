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
    cut = result["backend_stats"]["cut_at_max_new_tokens"]   # one a segment, or a piece of a split one
    assert cut >= 2 and f"degraded: {cut} outputs cut short at generation.max_new_tokens (raise it)" in \
        results_table(result)


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
    degraded = {note.split(": ")[1]: note for note in notes if note.startswith("degraded: ")}   # by system name
    assert set(degraded) == {"opus_mt", "identity"}   # the copy is off-target (round 5), and nothing else
    assert "outputs cut short at generation.max_new_tokens (raise it)" in degraded["opus_mt"]
    assert "cut short" not in degraded["identity"] and "output not in en" in degraded["identity"]


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
    cut = first["backend_stats"]["cut_at_max_new_tokens"]   # 3, or more where the tiny model splits a segment
    assert cut >= 3 and again["backend_stats"]["cut_at_max_new_tokens"] == cut
    assert f"degraded: {cut} outputs cut short at generation.max_new_tokens (raise it)" in results_table(again)


def test_a_split_segment_whose_pieces_are_cut_counts_the_same_when_read_back(tmp_path):
    """Each piece of a split segment counts as a cut output when generated; read back from the cache, the segment
    counts its pieces again, so the first run and the re-run show the same numbers."""
    from harness.cache import TranslationCache
    from harness.translate.translate import translate_with_cache
    from tests.test_backend_base import EchoBackend

    class CutEcho(EchoBackend):   # every output stops at max_new_tokens
        def translate_batch(self, texts, src_lang, tgt_lang):
            outputs = super().translate_batch(texts, src_lang, tgt_lang)
            self.count_cut([(self.generation.max_new_tokens, False)] * len(texts))
            return outputs
    cache = TranslationCache(tmp_path / "cache.sqlite")
    texts = [" ".join(f"w{i}" for i in range(40)), "short"]
    first, again = CutEcho(limit=10), CutEcho(limit=10)
    translate_with_cache(first, cache, texts, "fr", "en")
    _, from_cache = translate_with_cache(again, cache, texts, "fr", "en")
    assert from_cache == [True, True] and not again.batches          # nothing generated again
    assert first.stats["split_overlong_inputs"] == again.stats["split_overlong_inputs"] == 1
    assert first.stats["cut_at_max_new_tokens"] == again.stats["cut_at_max_new_tokens"] > 2   # pieces + "short"
