import random

import pytest

from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from harness.translate.backends.identity import IdentityBackend
from harness.translate.batching import plan_batches
from harness.cache import TranslationCache
from harness.translate.translate import translate_with_cache
from harness.config import GenerationSpec, ModelSpec


@pytest.mark.parametrize("lengths, max_segments, max_tokens, expected", [
    ([1, 5, 3], 2, 100, [[1, 2], [0]]),
    ([10, 10, 10], 8, 20, [[0, 1], [2]]),
    ([50, 1], 8, 20, [[0], [1]]),      # an over-long segment gets a batch of its own
    ([], 4, 10, []),
])
def test_plan_batches(lengths, max_segments, max_tokens, expected):
    assert plan_batches(lengths, max_segments, max_tokens) == expected


def test_batches_cover_every_index_once_and_respect_budgets():
    rng = random.Random(1)
    lengths = [rng.randint(1, 60) for _ in range(300)]
    batches = plan_batches(lengths, max_segments=16, max_tokens=256)
    assert sorted(i for batch in batches for i in batch) == list(range(300))
    for batch in batches:
        assert len(batch) <= 16
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 256


def test_batches_are_formed_longest_first():
    lengths = [3, 9, 1, 7, 5]
    flat = [i for batch in plan_batches(lengths, max_segments=2, max_tokens=100) for i in batch]
    assert [lengths[i] for i in flat] == [9, 7, 5, 3, 1]


class Tagging(IdentityBackend):
    """Identity with every output tagged by the batch it came in, so order mistakes cannot hide."""

    def translate_batch(self, texts, src_lang, tgt_lang):
        self.stats["batches"] += 1
        return [f"{text}|{self.stats['batches']}" for text in texts]


def test_outputs_come_back_in_the_original_order_across_batches_and_cache_hits():
    texts = ["a " * n for n in (5, 40, 1, 22, 9, 40, 3)]
    backend = Tagging(ModelSpec(name="tag"), GenerationSpec(batch_size=2, max_batch_tokens=24))
    cache = TranslationCache(None)
    translate_with_cache(backend, cache, texts[:2], "fr", "en")      # two segments already cached
    outputs, from_cache = translate_with_cache(backend, cache, texts, "fr", "en")
    assert [output.split("|")[0] for output in outputs] == texts
    assert from_cache == [True, True, False, False, False, True, False]   # texts[5] repeats texts[1]
    assert backend.stats["batches"] > 3


def test_encoder_decoder_backends_batch_by_real_token_counts(tiny_marian):
    from transformers import AutoTokenizer
    texts = ["Kanada ve Japonya.", "Bu plan, Genel Bilgi Güvenliği Anlaşması olarak adlandırıldı."]
    backend = Seq2SeqBackend(ModelSpec(name="tiny", model_id=str(tiny_marian)), GenerationSpec(device="cpu"))
    expected = [len(ids) for ids in AutoTokenizer.from_pretrained(str(tiny_marian))(texts)["input_ids"]]
    assert backend.measure(texts, "tr", "en") == expected
    assert backend.stats["model_loads"] == 0          # counting tokens loads the tokenizer, not the model


@pytest.mark.parametrize("lengths, expected", [
    ([3, 9, 1, 7, 5], [[2], [1, 3, 4, 0]]),   # the shortest alone first, then longest first as before
    ([4], [[0]]),                              # a single segment is its own first batch
    ([], []),
])
def test_a_first_batch_of_one_puts_the_shortest_segment_first(lengths, expected):
    assert plan_batches(lengths, max_segments=16, max_tokens=1000, first_batch=1) == expected
