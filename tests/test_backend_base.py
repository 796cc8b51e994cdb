"""What every backend gets from the base class: order restored, long inputs split, OOM batches halved."""
import pytest
import torch

from harness.translate.backends.base import Backend, split_words
from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from harness.cache import TranslationCache
from harness.config import GenerationSpec, ModelSpec
from harness.data.documents import load_dataset
from harness.errors import UserError
from harness.translate.translate import translate_documents
from tests.conftest import REFERENCES, SEEDS


class EchoBackend(Backend):
    """Returns each input reversed word by word; runs out of 'GPU memory' on batches larger than oom_above."""

    name = "echo"

    def __init__(self, oom_above=None, limit=None, **generation):
        super().__init__(ModelSpec(name="echo"), GenerationSpec(**generation))
        self.oom_above, self.limit, self.batches = oom_above, limit, []

    def input_limit(self, src_lang, tgt_lang):
        return self.limit

    def translate_batch(self, texts, src_lang, tgt_lang):
        if self.oom_above is not None and len(texts) > self.oom_above:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        self.batches.append(len(texts))
        return [" ".join(reversed(text.split())) for text in texts]


def collect(backend, texts):
    outputs = {}
    for indices, batch in backend.translate(texts, "fr", "en"):
        outputs.update(zip(indices, batch))
    return [outputs[i] for i in range(len(texts))]


def test_outputs_come_back_in_input_order_whatever_the_batching():
    texts = [" ".join(["w"] * n) + f" {n}" for n in (3, 40, 1, 25, 7)]
    backend = EchoBackend(batch_size=2, max_batch_tokens=30)
    assert collect(backend, texts) == [" ".join(reversed(t.split())) for t in texts]
    assert backend.stats["translated_segments"] == 5


def test_out_of_memory_halves_the_batch_and_retries():
    backend = EchoBackend(oom_above=1, batch_size=4)
    texts = ["a b", "c d", "e f", "g h", "i j"]
    assert collect(backend, texts) == ["b a", "d c", "f e", "h g", "j i"]
    # the first batch is one segment alone (progress within seconds); the next 4 are halved 4 -> 2+2 -> 1+1+1+1
    assert backend.batches == [1, 1, 1, 1, 1] and backend.stats["oom_batch_halvings"] == 3


def test_out_of_memory_on_a_single_segment_is_a_clear_error():
    with pytest.raises(UserError, match="out of GPU memory on a single segment"):
        collect(EchoBackend(oom_above=0), ["a b"])


def test_an_input_over_the_limit_is_split_not_truncated():
    backend = EchoBackend(limit=10)
    long_text = " ".join(f"w{i}" for i in range(40))          # 40 words, ~70 estimated tokens
    [output] = collect(backend, [long_text])
    assert sorted(output.split()) == sorted(long_text.split())   # every word translated, none cut
    assert backend.stats["split_overlong_inputs"] == 1


@pytest.mark.parametrize("words, tokens, limit, pieces", [(10, 10, 100, 1), (40, 80, 20, 5), (3, 300, 10, 3)])
def test_split_words(words, tokens, limit, pieces):
    text = " ".join(str(i) for i in range(words))
    parts = split_words(text, tokens, limit)
    assert len(parts) == pieces and " ".join(parts) == text


def test_splits_are_shown_under_the_results_table(tmp_path, tiny_marian):
    from harness import compose_config, run
    from harness.compare.reports.tables import results_table
    data = tmp_path / "data"
    data.mkdir()
    one_long_sentence = ", ".join(["Kanada ve Japonya askeri istihbarat paylaşımı konusunda anlaştı"] * 40) + "."
    (data / "long.txt").write_text(one_long_sentence)
    (data / "ref.txt").write_text("Canada and Japan agreed on sharing military intelligence.\n")
    (data / "manifest.yaml").write_text("documents:\n  - {id: long, lang: tr, file: long.txt, reference: ref.txt, "
                                        "relation: parallel}\n")
    result = run(compose_config([f"data.root={data}", "model=opus_mt", f"model.model_id={tiny_marian}",
                                 "generation.max_new_tokens=4", "generation.device=cpu"]), tmp_path / "run")
    assert result["backend_stats"]["split_overlong_inputs"] == 1
    assert "degraded: 1 inputs longer than the model accepts, split and translated in parts" in results_table(result)


def test_real_model_splits_a_sentence_longer_than_its_input_limit(tiny_marian):
    backend = Seq2SeqBackend(ModelSpec(name="tiny", model_id=str(tiny_marian)),
                             GenerationSpec(max_new_tokens=4, device="cpu"))
    long_sentence = " ".join(["Kanada ve Japonya askeri istihbarat paylaşımı konusunda anlaştı."] * 40)
    assert backend.measure([long_sentence], "tr", "en")[0] > backend.input_limit("tr", "en")
    [output] = collect(backend, [long_sentence])
    assert output and backend.stats["split_overlong_inputs"] == 1
    assert backend.stats["truncated_inputs"] == 0


class StoredOutputs:
    """A document source that is not the files backend: whole documents from somewhere else (here a dict)."""

    name = "stored"
    supplies_documents = True
    stats: dict = {}

    def read_document(self, doc_id):
        return {"002": "Canada and Japan.\nThey signed."}[doc_id]

    def fingerprint(self, src_lang, tgt_lang):
        return {"backend": self.name}

    def translate(self, texts, src_lang, tgt_lang):
        raise AssertionError("a document source is never asked for segments")

    def describe(self):
        return {"name": self.name}


def test_any_document_source_supplies_whole_documents_whatever_its_class():
    dataset = load_dataset(SEEDS, ["002"], REFERENCES)
    [translation] = translate_documents(list(dataset.documents), StoredOutputs(), TranslationCache(None), "en")
    assert translation.outputs == ["Canada and Japan.", "They signed."] and not translation.source_aligned
