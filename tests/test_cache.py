from harness.translate.backends.base import Backend
from harness.cache import TranslationCache, content_key
from harness.translate.translate import translate_with_cache
from harness.config import GenerationSpec, ModelSpec


class CountingBackend(Backend):
    """Upper-cases its input and counts what it was asked to translate."""

    name = "counting"

    def __init__(self, tag: str = "v1"):
        super().__init__(ModelSpec(name="counting"), GenerationSpec(batch_size=2))
        self.tag = tag
        self.requests: list[str] = []

    def extra_fingerprint(self, src_lang, tgt_lang):
        return {"tag": self.tag}

    def translate_batch(self, texts, src_lang, tgt_lang):
        self.requests += texts
        return [text.upper() for text in texts]


def test_second_call_is_served_from_the_cache(tmp_path):
    cache = TranslationCache(tmp_path / "c.sqlite")
    backend = CountingBackend()
    texts = ["un", "deux", "trois", "deux"]
    outputs, from_cache = translate_with_cache(backend, cache, texts, "fr", "en")
    assert outputs == ["UN", "DEUX", "TROIS", "DEUX"]
    assert from_cache == [False] * 4
    assert sorted(backend.requests) == ["deux", "trois", "un"]   # duplicates translated once
    again = CountingBackend()
    outputs2, from_cache2 = translate_with_cache(again, TranslationCache(tmp_path / "c.sqlite"), texts, "fr", "en")
    assert outputs2 == outputs and all(from_cache2) and again.requests == []


def test_a_changed_fingerprint_or_language_misses(tmp_path):
    cache = TranslationCache(tmp_path / "c.sqlite")
    translate_with_cache(CountingBackend("v1"), cache, ["un"], "fr", "en")
    other = CountingBackend("v2")
    translate_with_cache(other, cache, ["un"], "fr", "en")
    assert other.requests == ["un"]
    assert content_key({"a": 1}, "fr", "en", "x") != content_key({"a": 1}, "tr", "en", "x")


def test_in_memory_cache_when_disabled():
    cache = TranslationCache(None)
    backend = CountingBackend()
    translate_with_cache(backend, cache, ["un"], "fr", "en")
    translate_with_cache(backend, cache, ["un"], "fr", "en")
    assert backend.requests == ["un"]
