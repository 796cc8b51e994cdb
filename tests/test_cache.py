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


def open_write_and_read(path, start, errors):
    start.wait()
    try:
        cache = TranslationCache(path)
        cache.put_many({"key": "output"})
        assert cache.get_many(["key"]) == {"key": "output"}
        cache.close()
    except Exception as err:   # reported to the parent, which asserts on it
        errors.put(repr(err))


def test_workers_opening_one_new_cache_at_the_same_moment_all_succeed(tmp_path):
    # SQLite answers 'database is locked' at once, past the busy timeout, when two processes switch one new
    # file to WAL together; before the retry this failed about one start in six of four workers (a sweep job lost in CI)
    import multiprocessing
    import time
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    for attempt in range(40):
        start = context.Event()
        workers = [context.Process(target=open_write_and_read, args=(tmp_path / f"{attempt}.sqlite", start, errors))
                   for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(0.05)   # every worker waits at the start line
        start.set()
        for worker in workers:
            worker.join(timeout=120)
    assert errors.empty(), errors.get()
