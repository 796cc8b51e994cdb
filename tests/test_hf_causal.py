"""The causal-LM backend on a tiny random Llama from a local folder: prompts, chat template, line-break stop."""
import pytest

from harness.translate.backends.hf_causal import CausalLMBackend
from harness.config import GenerationSpec, ModelSpec, PromptSpec


def backend(folder, mode="never", examples=None, **generation):
    prompt = PromptSpec(use_chat_template=mode, examples=examples or {"fr": [["Le chat dort.", "The cat sleeps."]]})
    spec = ModelSpec(name="tiny_lm", model_id=str(folder), prompt=prompt)
    return CausalLMBackend(spec, GenerationSpec(max_new_tokens=8, device="cpu", **generation))


def test_few_shot_prompt_uses_the_configured_example_and_language_names(tiny_causal_lm):
    template = backend(tiny_causal_lm).prompt_template("fr", "en")
    assert template == ("Translate French to English.\nFrench: Le chat dort.\nEnglish: The cat sleeps.\n\n"
                        "French: {source}\nEnglish:")


@pytest.mark.parametrize("mode, chat", [("never", False), ("always", True), ("auto", True)])
def test_chat_template_is_used_when_the_tokenizer_has_one(tiny_causal_lm, mode, chat):
    prompts = backend(tiny_causal_lm, mode).prompts(["Bonjour."], "fr", "en")
    assert prompts[0].startswith("<s>user: Translate French") is chat
    assert prompts[0].endswith("assistant:") is chat


def test_outputs_are_single_lines_one_per_input_in_order(tiny_causal_lm):
    lm = backend(tiny_causal_lm, batch_size=2)
    texts = ["Le Canada et le Japon.", "La ministre a annoncé un partenariat avec son homologue.", "Mardi."]
    batched = {i: out for idx, outs in lm.translate(texts, "fr", "en") for i, out in zip(idx, outs)}
    alone = [lm.translate_batch([text], "fr", "en")[0] for text in texts]
    assert [batched[i] for i in range(3)] == alone        # left padding does not change greedy outputs
    assert all("\n" not in out for out in alone)
    assert lm.describe()["trust_remote_code"] is False


def test_an_output_copying_the_prompt_example_is_counted(tiny_causal_lm, monkeypatch):
    lm = backend(tiny_causal_lm, examples={"fr": [["Le chat dort.", "The cat sleeps."]]})
    lm.load()
    monkeypatch.setattr(lm.tokenizer, "batch_decode", lambda *a, **k: [" The cat sleeps.\nFrench: x", " Hello"])
    assert lm.translate_batch(["a", "b"], "fr", "en") == ["The cat sleeps.", "Hello"]
    assert lm.stats["echoed_prompt_example"] == 1
