"""The ct2 backend (CTranslate2) on the tiny random-weight Marian model, converted in a fixture: the real
conversion, config and translation path; outputs are nonsense, the plumbing is real."""
from pathlib import Path

import pytest

from harness import run
from harness.translate.backends.ct2 import Ct2Backend, conversion_key
from harness.translate.backends.hf_loading import model_identity
from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from harness.config import GenerationSpec, ModelSpec, compose_config
from harness.errors import UserError
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def converted_cache(tiny_marian, tmp_path_factory) -> Path:
    """A cache folder holding the tiny model converted to int8 and float32, shared by this module's tests."""
    cache = tmp_path_factory.mktemp("ct2_cache")
    for compute_type in ("int8", "float32"):
        backend = ct2_backend(tiny_marian, cache, compute_type=compute_type)
        backend.network("tr", "en")
    return cache


def ct2_backend(model_dir, cache, spec: ModelSpec | None = None, compute_type="float32", **generation):
    spec = spec or ModelSpec(name="tiny", model_id=str(model_dir))
    generation = {"max_new_tokens": 6, "device": "cpu", **generation}
    return Ct2Backend(spec, GenerationSpec(**generation), cache_dir=str(cache),
                      compute_type=compute_type)


def test_converts_once_per_model_and_quantization(tiny_marian, converted_cache):
    assert len(list((converted_cache / "ct2").iterdir())) == 2     # int8 and float32, no temp folder left
    backend = ct2_backend(tiny_marian, converted_cache, compute_type="int8")
    backend.network("tr", "en")
    assert len(list((converted_cache / "ct2").iterdir())) == 2     # reused, not converted again
    assert backend.stats["model_loads"] == 1


def test_conversion_key_follows_folder_content_and_quantization(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    first = conversion_key(model_identity(str(folder), "main"), "int8")
    assert conversion_key(model_identity(str(folder), "main"), "float32") != first
    (folder / "config.json").write_text('{"changed": 1}')
    assert conversion_key(model_identity(str(folder), "main"), "int8") != first
    assert (conversion_key(model_identity("org/model", "a" * 40), "int8")
            != conversion_key(model_identity("org/model", "b" * 40), "int8"))
    assert conversion_key({"model": "a" * 64, "revision": None}, "int8") != conversion_key({"model": "b" * 64,
                                                                                          "revision": None}, "int8")


def test_batched_outputs_in_the_original_order(tiny_marian, converted_cache):
    backend = ct2_backend(tiny_marian, converted_cache, batch_size=2)
    texts = ["Kanada ve Japonya.", "Bu plan, Genel Bilgi Güvenliği Anlaşması olarak adlandırıldı.", "Salı."]
    batched = {i: out for indices, outs in backend.translate(texts, "tr", "en") for i, out in zip(indices, outs)}
    one_by_one = [backend.translate_batch([text], "tr", "en")[0] for text in texts]
    assert [batched[i] for i in range(3)] == one_by_one
    assert all(one_by_one) and backend.stats["generated_tokens"] > 0


@pytest.mark.parametrize("make_backend", [
    lambda model_dir, cache, spec: Seq2SeqBackend(spec, GenerationSpec(max_new_tokens=4, device="cpu")),
    lambda model_dir, cache, spec: ct2_backend(model_dir, cache, spec, max_new_tokens=4),
], ids=["hf_seq2seq", "ct2"])
def test_both_seq2seq_backends_force_the_target_token(tiny_marian, converted_cache, make_backend):
    spec = ModelSpec(name="coded", model_id=str(tiny_marian), lang_codes={"tr": "▁Kanada"}, target_token="▁Japon")
    backend = make_backend(tiny_marian, converted_cache, spec)
    assert backend.translate_batch(["Kanada ve Japonya."], "tr", "en")[0].startswith("Japon")
    with pytest.raises(UserError, match="model.lang_codes"):
        backend.translate_batch(["Merhaba."], "fr", "en")


def test_fingerprint_differs_from_hf_seq2seq_and_by_compute_type(tiny_marian, converted_cache):
    spec = ModelSpec(name="tiny", model_id=str(tiny_marian))
    hf = Seq2SeqBackend(spec, GenerationSpec(max_new_tokens=6, device="cpu")).fingerprint("tr", "en")
    int8 = ct2_backend(tiny_marian, converted_cache, compute_type="int8").fingerprint("tr", "en")
    fp32 = ct2_backend(tiny_marian, converted_cache, compute_type="float32").fingerprint("tr", "en")
    assert len({str(sorted(f.items())) for f in (hf, int8, fp32)}) == 3
    assert (int8["backend"], int8["extra"]["compute_type"]) == ("ct2", "int8")


@pytest.mark.parametrize("compute_type", ["int8_float16", "fp32"])
def test_a_compute_type_the_cpu_cannot_run_is_a_user_error(tiny_marian, tmp_path, compute_type):
    with pytest.raises(UserError, match=f"backend.compute_type={compute_type}"):
        ct2_backend(tiny_marian, tmp_path, compute_type=compute_type)


def test_run_through_config_loads_lazily_and_caches(tiny_marian, converted_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(converted_cache))
    overrides = [f"data.root={SEEDS}", "model=opus_mt", f"model.model_id={tiny_marian}", "backend=ct2",
                 "backend.compute_type=int8", "generation.max_new_tokens=6", "generation.device=cpu",
                 "data.documents=[002]", "data.max_segments=3"]
    first = run(compose_config(overrides), tmp_path / "a")
    second = run(compose_config(overrides), tmp_path / "b")
    assert first["model"]["backend"] == "ct2" and first["model"]["compute_type"] == "int8"
    assert first["backend_stats"]["model_loads"] == 1
    assert second["backend_stats"].get("model_loads", 0) == 0    # fully cached: nothing loaded
    assert second["documents"][0]["cache_hits"] == 3
    hf_run = run(compose_config(overrides[:3] + overrides[5:]), tmp_path / "c")
    assert hf_run["documents"][0]["cache_hits"] == 0              # ct2 outputs are not served to hf_seq2seq
