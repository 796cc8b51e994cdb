"""The ct2 backend on a decoder-only LM: a tiny random-weight Gemma 3 (the embedded model's architecture) built
in a fixture, converted for real, and compared token by token with transformers (hf_causal) in fp32."""
import gc
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from harness.translate.backends.ct2 import (FACTS_FILE, Ct2Backend, Ct2LMBackend, ct2_backend, line_break_tokens,
                                           shared_prefix_length, thread_split)
from harness.translate.backends.lm_tokenizer import PlainTokenizer, plain_tokenizer
from harness.translate.backends.hf_causal import CausalLMBackend
from harness.config import GenerationSpec, ModelSpec, PromptSpec, compose_config
from harness.errors import UserError
from harness.pipeline import build_backend
from tests.conftest import REPO, SEEDS, build_tiny_gemma3

EXAMPLES = {"fr": [["Le conseil a voté le budget.", "The council passed the budget."]],
            "tr": [["Belediye meclisi bütçeyi kabul etti.", "The city council passed the budget."]]}
SOURCES = {"fr": ["Le Canada et le Japon.", "La ministre a annoncé un partenariat avec son homologue japonais.",
                  "Mardi."],
           "tr": ["Kanada ve Japonya.", "Bu plan, Genel Bilgi Güvenliği Anlaşması olarak adlandırıldı."]}


def lm_spec(folder: Path) -> ModelSpec:
    return ModelSpec(name="tiny_gemma3", model_id=str(folder), prompt=PromptSpec(examples=EXAMPLES))


def generation(**settings) -> GenerationSpec:
    return GenerationSpec(**{"max_new_tokens": 12, "device": "cpu", **settings})


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ct2_lm_cache")


def ct2_lm(folder, cache, compute_type="float32", **settings) -> Ct2LMBackend:
    return Ct2LMBackend(lm_spec(folder), generation(**settings), cache_dir=str(cache), compute_type=compute_type)


def greedy_ids(backend, src_lang: str, texts: list[str]) -> list[list[int]]:
    """The generated token ids up to the first line break, as each runtime decodes them greedily."""
    backend.load()
    decoded = backend.generate(backend.prompts(texts, src_lang, "en"), chat=False)
    return [backend.tokenizer(text, add_special_tokens=False)["input_ids"] for text in decoded]


@pytest.mark.parametrize("src_lang", ["fr", "tr"])
def test_float32_conversion_gives_transformers_greedy_tokens(tiny_gemma3, ct2_cache, src_lang):
    hf = CausalLMBackend(lm_spec(tiny_gemma3), generation())
    ct2 = ct2_lm(tiny_gemma3, ct2_cache)
    expected, got = greedy_ids(hf, src_lang, SOURCES[src_lang]), greedy_ids(ct2, src_lang, SOURCES[src_lang])
    assert all(len(ids) > 0 for ids in expected)
    assert got == expected
    hf_text = hf.translate_batch(SOURCES[src_lang], src_lang, "en")
    assert ct2.translate_batch(SOURCES[src_lang], src_lang, "en") == hf_text


def test_the_prompts_are_hf_causals(tiny_gemma3, ct2_cache):
    hf = CausalLMBackend(lm_spec(tiny_gemma3), generation())
    ct2 = ct2_lm(tiny_gemma3, ct2_cache)
    assert ct2.prompts(SOURCES["fr"], "fr", "en") == hf.prompts(SOURCES["fr"], "fr", "en")
    assert ct2.measure(SOURCES["fr"], "fr", "en") == hf.measure(SOURCES["fr"], "fr", "en")


def test_decoding_stops_at_the_first_line_break(tiny_gemma3, ct2_cache):
    ct2 = ct2_lm(tiny_gemma3, ct2_cache, max_new_tokens=40)
    ct2.load()
    completions = ct2.generate(ct2.prompts(SOURCES["fr"], "fr", "en"), chat=False)
    for completion in completions:
        assert "\n" not in completion.rstrip("\n")      # nothing generated after the line break
    assert ct2.stats["generated_tokens"] <= 40 * len(completions)


def test_max_new_tokens_bounds_the_generated_tokens(tiny_gemma3, ct2_cache):
    ct2 = ct2_lm(tiny_gemma3, ct2_cache, max_new_tokens=3)
    ct2.translate_batch(SOURCES["tr"], "tr", "en")
    assert 0 < ct2.stats["generated_tokens"] <= 3 * len(SOURCES["tr"])


def test_converted_once_per_compute_type_under_the_model_identity(tiny_gemma3, tmp_path):
    for compute_type in ("int8", "float32", "int8"):
        ct2_lm(tiny_gemma3, tmp_path, compute_type).load()
    assert sorted(path.name.count(".tmp") for path in (tmp_path / "ct2").iterdir()) == [0, 0]


def test_fingerprint_extends_the_prompted_one_with_the_runtime(tiny_gemma3, ct2_cache):
    hf = CausalLMBackend(lm_spec(tiny_gemma3), generation()).fingerprint("fr", "en")
    int8 = ct2_lm(tiny_gemma3, ct2_cache, "int8").fingerprint("fr", "en")
    fp32 = ct2_lm(tiny_gemma3, ct2_cache, "float32").fingerprint("fr", "en")
    assert (int8["backend"], int8["extra"]["compute_type"], fp32["extra"]["compute_type"]) == ("ct2", "int8", "float32")
    assert (int8["model"], int8["generation"]) == (hf["model"], hf["generation"])   # the base's parts, whole
    for key in ("content_sha256", "prompt", "num_beams", "max_new_tokens", "do_sample"):
        assert int8["extra"][key] == hf["extra"][key]
    longer = ct2_lm(tiny_gemma3, ct2_cache, "int8", max_new_tokens=20).fingerprint("fr", "en")
    assert longer["generation"]["max_new_tokens"] == 20 and int8 != fp32
    assert ct2_lm(tiny_gemma3, ct2_cache, "int8", batch_size=1).fingerprint("fr", "en") != int8   # int8 varies by batch


def test_backend_ct2_picks_the_runtime_by_model_kind(tiny_gemma3, tiny_marian, tmp_path):
    lm = ct2_backend(lm_spec(tiny_gemma3), generation(), cache_dir=str(tmp_path))
    mt = ct2_backend(ModelSpec(name="mt", model_id=str(tiny_marian)), generation(), cache_dir=str(tmp_path))
    assert (type(lm), type(mt)) == (Ct2LMBackend, Ct2Backend)
    cfg = compose_config([f"data.root={SEEDS}", "model=gemma3_270m", "backend=ct2"])
    assert cfg.backend.compute_type == "int8"
    gemma = build_backend(cfg)
    assert isinstance(gemma, Ct2LMBackend) and gemma.describe()["compute_type"] == "int8"


def test_an_input_beyond_the_sliding_window_is_split_and_stays_faithful(tmp_path):
    folder = build_tiny_gemma3(tmp_path / "model", sliding_window=96)
    long_text = " ".join(SOURCES["fr"] * 6)
    ct2 = ct2_lm(folder, tmp_path / "cache")
    pieces, _ = ct2.split_overlong([long_text], "fr", "en")
    assert len(pieces) > 1 and ct2.stats["split_overlong_inputs"] == 1
    prompt_lengths = [len(ids) for ids in ct2.prompt_ids(ct2.prompts(pieces, "fr", "en"), chat=False)]
    assert max(prompt_lengths) <= 96 - ct2.generation.max_new_tokens + 8   # word-bounded pieces of about the limit
    hf = CausalLMBackend(lm_spec(folder), generation())
    assert greedy_ids(ct2, "fr", pieces) == greedy_ids(hf, "fr", pieces)


def test_an_lm_ctranslate2_cannot_convert_is_a_user_error_with_nothing_left_behind(tmp_path):
    import torch
    from transformers import GPTNeoConfig, GPTNeoForCausalLM

    from tests.conftest import tiny_bpe_tokenizer
    folder = tmp_path / "gpt_neo"
    tokenizer = tiny_bpe_tokenizer()
    torch.manual_seed(0)
    GPTNeoForCausalLM(GPTNeoConfig(vocab_size=len(tokenizer), hidden_size=32, num_layers=2, num_heads=2,
                                   attention_types=[[["global", "local"], 1]], max_position_embeddings=128,
                                   bos_token_id=1, eos_token_id=2)
                      ).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    backend = ct2_backend(ModelSpec(name="neo", model_id=str(folder)), generation(), cache_dir=str(tmp_path / "cache"))
    assert isinstance(backend, Ct2LMBackend)
    with pytest.raises(UserError, match="cannot convert model .* for CTranslate2") as caught:
        backend.translate_batch(["Bonjour."], "fr", "en")
    assert "\n" not in str(caught.value)
    converted = tmp_path / "cache" / "ct2"
    assert not converted.exists() or list(converted.iterdir()) == []


def test_the_tokenizers_library_gives_transformers_ids_texts_and_stop_tokens(tiny_gemma3, ct2_cache):
    hf = CausalLMBackend(lm_spec(tiny_gemma3), generation())
    ct2 = ct2_lm(tiny_gemma3, ct2_cache)
    hf.load(), ct2.load()
    assert isinstance(ct2.tokenizer, PlainTokenizer) and not isinstance(hf.tokenizer, PlainTokenizer)
    prompts = hf.prompts(SOURCES["fr"] + SOURCES["tr"], "fr", "en")
    ids = ct2.prompt_ids(prompts, chat=False)
    assert ids == hf.prompt_ids(prompts, chat=False)
    assert ct2.tokenizer.batch_decode(ids, skip_special_tokens=True) == hf.tokenizer.batch_decode(
        ids, skip_special_tokens=True)
    assert ct2.tokenizer.convert_ids_to_tokens(ids[0]) == hf.tokenizer.convert_ids_to_tokens(ids[0])
    assert ct2.stop_tokens == line_break_tokens(hf.tokenizer) and len(ct2.stop_tokens) > 1


GROWTH = """
import re, sys
import tokenizers
from harness.translate.backends.lm_tokenizer import plain_tokenizer
def rss_kib():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read())[1])
before = rss_kib()
way, folder = sys.argv[1:]
tokenizer = plain_tokenizer(folder) if way == "plain" else tokenizers.Tokenizer.from_file(folder + "/tokenizer.json")
print(rss_kib() - before)
"""


@pytest.mark.skipif(not (sys.platform == "linux" and platform.libc_ver()[0] == "glibc"), reason="glibc's malloc_trim")
def test_the_plain_tokenizer_gives_back_the_memory_its_parse_freed(tmp_path):
    """tokenizers frees the parsed JSON tree once the tokenizer is built, and glibc keeps that memory for the main
    thread; plain_tokenizer returns it (Gemma 3's tokenizer.json: 306 MB held before, 113 MB after)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    tokenizer = Tokenizer(models.WordLevel({f"token{k}": k for k in range(300_000)}, unk_token="token0"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    growth = {way: int(subprocess.run([sys.executable, "-c", GROWTH, way, str(tmp_path)], cwd=REPO, text=True,
                                      capture_output=True, check=True).stdout) for way in ("plain", "library")}
    assert growth["plain"] < growth["library"] - 8 * 1024   # KiB: 72 against 87 MB here


@pytest.mark.parametrize("library", [lambda name: object(), lambda name: (_ for _ in ()).throw(OSError("no libc"))])
def test_a_c_library_without_malloc_trim_keeps_the_memory_and_loads_the_tokenizer(tiny_gemma3, monkeypatch, library):
    """macOS and musl have no malloc_trim, Windows no CDLL(None): the tokenizer loads all the same."""
    monkeypatch.setattr("harness.translate.backends.lm_tokenizer.ctypes.CDLL", library)
    assert isinstance(plain_tokenizer(str(tiny_gemma3)), PlainTokenizer)


@pytest.mark.parametrize("setting", [{"add_bos_token": False}, {"add_eos_token": True},
                                     {"clean_up_tokenization_spaces": True}, {"chat_template": "{{ messages }}"}])
def test_transformers_loads_a_tokenizer_whose_config_changes_what_tokenizer_json_gives(tiny_gemma3, tmp_path, setting):
    folder = tmp_path / "model"
    shutil.copytree(tiny_gemma3, folder)
    assert isinstance(plain_tokenizer(str(folder)), PlainTokenizer)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, **setting}))
    assert plain_tokenizer(str(folder)) is None


def test_a_model_with_a_chat_template_keeps_transformers_prompts(tiny_causal_lm, tmp_path):
    """tiny_causal_lm has a chat template: the prompts are rendered by transformers, as hf_causal renders them."""
    spec = ModelSpec(name="chat", model_id=str(tiny_causal_lm), prompt=PromptSpec(examples=EXAMPLES))
    ct2 = Ct2LMBackend(spec, generation(), cache_dir=str(tmp_path), compute_type="float32")
    hf = CausalLMBackend(spec, generation())
    assert ct2.uses_chat_template() and not isinstance(ct2.tokenizer, PlainTokenizer)
    assert ct2.prompts(SOURCES["fr"], "fr", "en") == hf.prompts(SOURCES["fr"], "fr", "en")


def test_a_converted_lm_translates_without_torch_or_transformers(tiny_gemma3, tmp_path):
    """After the one-time conversion (which needs transformers and torch), loading the model and translating imports
    neither: the tokenizer is read by `tokenizers`, the stop tokens and attention window are kept beside the
    converted model."""
    converting = ct2_lm(tiny_gemma3, tmp_path, "int8")
    expected = converting.translate_batch(SOURCES["fr"], "fr", "en")
    probe = ("import json, sys\n"
             "from harness.config import GenerationSpec, ModelSpec, PromptSpec\n"
             "from harness.translate.backends.ct2 import Ct2LMBackend\n"
             f"spec = ModelSpec(name='tiny_gemma3', model_id={str(tiny_gemma3)!r}, "
             f"prompt=PromptSpec(examples={EXAMPLES!r}))\n"
             "backend = Ct2LMBackend(spec, GenerationSpec(max_new_tokens=12, device='cpu'), "
             f"cache_dir={str(tmp_path)!r}, compute_type='int8')\n"
             f"outputs = backend.translate_batch({SOURCES['fr']!r}, 'fr', 'en')\n"
             "print(json.dumps([outputs, sorted(m for m in ('torch', 'transformers') if m in sys.modules)]))")
    done = subprocess.run([sys.executable, "-c", probe], env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [expected, []]
    facts = json.loads(next((tmp_path / "ct2").glob(f"*/{FACTS_FILE}")).read_text())
    assert facts["sliding_window"] == 512 and facts["stop_tokens"] == converting.stop_tokens


def test_facts_that_cannot_be_read_are_found_again(tiny_gemma3, tmp_path):
    ct2_lm(tiny_gemma3, tmp_path).load()
    facts_file = next((tmp_path / "ct2").glob(f"*/{FACTS_FILE}"))
    found = json.loads(facts_file.read_text())
    facts_file.write_text('{"stop_tok')
    again = ct2_lm(tiny_gemma3, tmp_path)
    again.load()
    assert (again.stop_tokens, again.sliding_window) == (found["stop_tokens"], found["sliding_window"])
    assert json.loads(facts_file.read_text()) == found


def test_the_static_prompt_is_what_every_prompt_of_the_batch_shares_leaving_each_a_token():
    assert shared_prefix_length([["a", "b", "c"], ["a", "b", "d", "e"]]) == 2
    assert shared_prefix_length([["a", "b", "c"], ["a", "b", "c"]]) == 2
    assert shared_prefix_length([["a", "b", "c"]]) == 2
    assert shared_prefix_length([["a"], ["a", "b"]]) == 0
    assert shared_prefix_length([["x", "b"], ["a", "b"]]) == 0


def test_release_drops_the_weights_and_a_later_batch_loads_them_again(tiny_gemma3, ct2_cache):
    backend = ct2_lm(tiny_gemma3, ct2_cache)
    first = backend.translate_batch(SOURCES["fr"], "fr", "en")
    backend.release()
    assert backend.generator is None and backend.tokenizer is None and not backend.loaded
    assert backend.translate_batch(SOURCES["fr"], "fr", "en") == first
    assert backend.stats["model_loads"] == 2


def test_a_run_releases_the_model_before_alignment_and_scoring(tmp_path, monkeypatch):
    # the weights are not held through the stages after translation (issue 24: peak memory)
    from harness import run
    from harness.config import compose_config
    from harness.translate.backends.base import Backend
    from tests.conftest import SEEDS
    released = []
    monkeypatch.setattr(Backend, "release", lambda self: released.append(self.name))
    run(compose_config([f"data.root={SEEDS}", "model=identity", "data.documents=[002]"]), tmp_path / "run")
    assert released == ["identity"]


@pytest.mark.parametrize("device, inter, intra, cores, expected", [
    ("cpu", 0, 0, 2, (2, 1)),     # one replica per physical core, one thread each
    ("cpu", 0, 0, 8, (8, 1)),
    ("cpu", 2, 0, 8, (2, 4)),     # the cores shared among the replicas asked for
    ("cpu", 1, 3, 8, (1, 3)),     # as asked
    ("cuda", 0, 0, 8, (1, 8)),    # one replica on the GPU, the CPU threads as before
])
def test_threads_default_to_one_replica_per_physical_core_on_cpu(monkeypatch, device, inter, intra, cores, expected):
    monkeypatch.setattr("harness.translate.backends.ct2.physical_cores", lambda: cores)
    assert thread_split(device, inter, intra) == expected


def test_sampling_takes_one_replica_so_that_a_seed_repeats_its_outputs(monkeypatch):
    monkeypatch.setattr("harness.translate.backends.ct2.physical_cores", lambda: 2)
    assert thread_split("cpu", 0, 0, sampling=True) == (1, 2)
    assert thread_split("cpu", 2, 1, sampling=True) == (2, 1)   # as asked


def test_an_lm_batch_is_decoded_in_parts_of_four_prompts_on_cpu_and_the_parts_key_its_cache(tiny_gemma3, ct2_cache):
    def lm(**settings) -> Ct2LMBackend:
        runtime = {key: settings.pop(key) for key in ("inter_threads", "max_batch_size") if key in settings}
        return Ct2LMBackend(lm_spec(tiny_gemma3), generation(**settings), cache_dir=str(ct2_cache),
                            compute_type="int8", **runtime)
    assert lm(inter_threads=2).decoding_options()["max_batch_size"] == 4          # 16 in parts of 4
    assert lm(inter_threads=8).decoding_options()["max_batch_size"] == 4          # whatever the replicas: same outputs
    assert lm(inter_threads=2, max_batch_size=16).decoding_options()["max_batch_size"] == 16
    assert lm(inter_threads=2, batch_size=3).runtime_record()["max_batch_size"] == 3
    default, whole = lm(inter_threads=2).fingerprint("fr", "en"), lm(inter_threads=2, max_batch_size=16).fingerprint("fr", "en")
    assert default["extra"]["part_size"] == 4 and default != whole   # int8 outputs vary with the parts
    assert lm(inter_threads=1, max_batch_size=4).fingerprint("fr", "en") == default   # threads do not change outputs


def test_a_seq2seq_batch_is_split_evenly_over_the_replicas(tiny_marian, tmp_path):
    backend = Ct2Backend(ModelSpec(name="tiny", model_id=str(tiny_marian)), generation(), cache_dir=str(tmp_path),
                         inter_threads=2)
    assert backend.decoding_options()["max_batch_size"] == 8


def test_a_seed_gives_the_same_sampled_outputs_in_two_runs(tiny_gemma3, ct2_cache):
    def sampled() -> list[str]:
        backend = ct2_lm(tiny_gemma3, ct2_cache, "int8", do_sample=True, seed=7)
        return [output for _, outputs in backend.translate(SOURCES["fr"] * 3, "fr", "en") for output in outputs]
    assert sampled() == sampled()


def live_counts(backend, monkeypatch) -> list[int]:
    """generated_tokens after each count the backend makes."""
    seen: list[int] = []
    real_count = backend.count_generated

    def counted(tokens: int) -> None:
        real_count(tokens)
        seen.append(backend.stats["generated_tokens"])
    monkeypatch.setattr(backend, "count_generated", counted)
    return seen


@pytest.mark.parametrize("replicas", [1, 2])
def test_an_lm_counts_its_tokens_as_they_come_so_the_rate_is_live_inside_a_batch(tiny_gemma3, ct2_cache,
                                                                                 monkeypatch, replicas):
    """CTranslate2's callback, from each replica's thread: one count per generated token, and the batch's exact
    total at its end (6 forced tokens a prompt: none stops early)."""
    backend = Ct2LMBackend(lm_spec(tiny_gemma3), generation(max_new_tokens=6, min_new_tokens=6, batch_size=4),
                           cache_dir=str(ct2_cache), compute_type="float32", inter_threads=replicas, max_batch_size=2)
    seen = live_counts(backend, monkeypatch)
    backend.translate_batch(SOURCES["fr"] + SOURCES["tr"][:1], "fr", "en")
    assert len(seen) >= 4 * 6 and seen == sorted(seen)
    assert backend.stats["generated_tokens"] == seen[-1] == 4 * 6


def test_a_seq2seq_model_counts_its_tokens_as_they_come_and_exactly_at_the_end(tiny_marian, tmp_path, monkeypatch):
    backend = Ct2Backend(ModelSpec(name="tiny", model_id=str(tiny_marian)),
                         generation(max_new_tokens=5, min_new_tokens=5), cache_dir=str(tmp_path))
    seen = live_counts(backend, monkeypatch)
    backend.translate_batch(SOURCES["fr"], "fr", "en")
    assert len(seen) >= 3 * 5 and seen[:3 * 5] == list(range(1, 3 * 5 + 1))
    assert backend.stats["generated_tokens"] == 3 * 5    # 5 forced tokens a sentence, the end token left out


def test_the_token_callback_does_not_keep_its_backend_alive(tiny_gemma3, ct2_cache):
    """CTranslate2 drops the callback on a worker thread after the batch: were it the last reference to the
    backend, the Generator would be freed on its own thread and the process would abort (seen in CI)."""
    backend = ct2_lm(tiny_gemma3, ct2_cache, max_new_tokens=3)
    backend.load()
    callback, backend_alive = backend.token_counter(), weakref.ref(backend)
    callback(None)
    assert backend.stats["generated_tokens"] == 1
    del backend
    gc.collect()
    assert backend_alive() is None
    assert callback(None) is False and callback.counted == 2    # a late token from a worker is counted, no crash


def test_beam_search_has_no_callback_and_counts_at_the_end(tiny_gemma3, ct2_cache):
    backend = ct2_lm(tiny_gemma3, ct2_cache, max_new_tokens=4, min_new_tokens=4, num_beams=2)
    assert backend.token_counter() is None
    backend.translate_batch(SOURCES["fr"][:2], "fr", "en")
    assert backend.stats["generated_tokens"] == 2 * 4


def test_a_damaged_converted_model_is_a_one_line_error_that_says_how_to_convert_it_again(tiny_gemma3, tmp_path):
    ct2_lm(tiny_gemma3, tmp_path, "int8").load()
    (model_bin,) = (tmp_path / "ct2").glob("*/model.bin")
    with model_bin.open("r+b") as handle:   # a partial copy
        handle.truncate(model_bin.stat().st_size // 2)
    damaged = model_bin.read_bytes()
    with pytest.raises(UserError, match=r"cannot load the converted model in .*invalid payload size.*move it away "
                                        r"\(mv .*\.damaged\) and run again"):
        ct2_lm(tiny_gemma3, tmp_path, "int8").load()
    assert model_bin.read_bytes() == damaged   # the cache's folder is left as it was


def test_a_damaged_converted_seq2seq_model_is_the_same_one_line_error(tiny_marian, tmp_path):
    def marian() -> Ct2Backend:
        return Ct2Backend(ModelSpec(name="tiny", model_id=str(tiny_marian)), generation(), cache_dir=str(tmp_path))
    marian().translate_batch(["Bonjour."], "fr", "en")
    (model_bin,) = (tmp_path / "ct2").glob("*/model.bin")
    model_bin.write_bytes(model_bin.read_bytes()[:1000])
    with pytest.raises(UserError, match="cannot load the converted model in"):
        marian().translate_batch(["Bonjour."], "fr", "en")


def test_a_damaged_converted_lm_is_a_one_line_error_while_its_tokenizer_loads_beside_it(tiny_gemma3, tmp_path):
    """A converted model is read by CTranslate2 on a thread of its own while the tokenizer loads: its error is
    still the one line, and the next backend loads both."""
    def gemma() -> Ct2LMBackend:
        return Ct2LMBackend(lm_spec(tiny_gemma3), generation(), cache_dir=str(tmp_path), compute_type="float32")
    first = gemma()
    first.translate_batch(["Bonjour."], "fr", "en")
    (model_bin,) = (tmp_path / "ct2").glob("*/model.bin")
    intact = model_bin.read_bytes()
    model_bin.write_bytes(intact[:1000])
    damaged = gemma()
    with pytest.raises(UserError, match="cannot load the converted model in"):
        damaged.translate_batch(["Bonjour."], "fr", "en")
    model_bin.write_bytes(intact)
    again = gemma()
    assert again.translate_batch(["Bonjour."], "fr", "en") == first.translate_batch(["Bonjour."], "fr", "en")
    assert again.tokenizer is not None and again.generator is not None


def test_a_damaged_tokenizer_is_refused_before_the_one_time_conversion(tiny_gemma3, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_gemma3, folder)
    text = (folder / "tokenizer.json").read_text(encoding="utf-8")
    (folder / "tokenizer.json").write_text(text[:len(text) // 2], encoding="utf-8")
    backend = Ct2LMBackend(lm_spec(folder), generation(), cache_dir=str(tmp_path / "cache"), compute_type="float32")
    with pytest.raises(UserError, match="tokenizer.json cannot be read"):
        backend.translate_batch(["Bonjour."], "fr", "en")
    assert not list((tmp_path / "cache").glob("ct2/*"))   # nothing converted


@pytest.mark.parametrize("name", ["tokenizer.json", "tokenizer_config.json"])
def test_a_tokenizer_file_cut_short_is_a_one_line_error_naming_it(tiny_gemma3, tmp_path, name):
    folder = tmp_path / "model"
    shutil.copytree(tiny_gemma3, folder)
    text = (folder / name).read_text(encoding="utf-8")
    (folder / name).write_text(text[:len(text) // 2], encoding="utf-8")
    with pytest.raises(UserError, match=rf"{name} cannot be read \(.*\); restore the model folder, or .* move it away"):
        plain_tokenizer(str(folder))


@pytest.mark.parametrize("runtime", ["lm", "seq2seq"])
def test_ctrl_c_stops_a_batch_at_the_next_token_and_the_backend_stays_usable(tiny_gemma3, tiny_marian, ct2_cache,
                                                                             tmp_path, monkeypatch, runtime):
    """The batch is waited for in Python, so Ctrl-C (a real SIGINT, sent when the first token is counted) is seen
    while CTranslate2 decodes; every prompt then ends at its next token instead of decoding its 100 forced ones."""
    settings = generation(max_new_tokens=100, min_new_tokens=100, batch_size=16)
    if runtime == "lm":
        backend = Ct2LMBackend(lm_spec(tiny_gemma3), settings, cache_dir=str(ct2_cache), compute_type="float32")
    else:
        backend = Ct2Backend(ModelSpec(name="tiny", model_id=str(tiny_marian)), settings, cache_dir=str(tmp_path))
    texts = SOURCES["fr"] * 5
    backend.translate_batch(texts[:1], "fr", "en")   # loaded (and converted) first
    real_count, sent = backend.count_generated, []

    def count_and_interrupt(tokens: int) -> None:
        real_count(tokens)
        if not sent:
            sent.append(os.kill(os.getpid(), signal.SIGINT))
    monkeypatch.setattr(backend, "count_generated", count_and_interrupt)
    before = backend.stats["generated_tokens"]
    with pytest.raises(KeyboardInterrupt):
        backend.translate_batch(texts, "fr", "en")
    assert sent and backend.stats["generated_tokens"] - before < len(texts) * 100 / 2
    monkeypatch.setattr(backend, "count_generated", real_count)
    assert len(backend.translate_batch(texts[:2], "fr", "en")) == 2   # the runtime is free for the next batch
