"""Shared fixtures: real configs, real seed files, a tiny random-weight Marian model built on the spot.

Nothing here downloads and nothing writes into the repository: caches and run folders live in tmp dirs.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import build_marian, seed_texts

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
REFERENCES = REPO / "references"   # the seeds' manifest points here (data.reference_root)


@pytest.fixture(autouse=True, scope="session")
def session_cache(tmp_path_factory):
    """Module- and session-scoped fixtures run before the per-test isolation: they get a cache of their own,
    never the user's ~/.cache/mt-harness."""
    patch = pytest.MonkeyPatch()
    patch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.mktemp("session_cache")))
    patch.setenv("HF_HUB_OFFLINE", "1")
    patch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own translation cache and no network access to a model hub."""
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory) -> Path:
    return build_marian(tmp_path_factory.mktemp("tiny_marian"), seed_texts())


def tiny_bpe_tokenizer():
    """A byte-level BPE tokenizer trained on the seeds (600 entries), "\n" included."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<pad>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(seed_texts() + ["\n"], trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def build_tiny_causal_lm(folder: Path) -> Path:
    """A 2-layer Llama with random weights and a byte-level BPE tokenizer trained on the seeds, with a chat
    template: the real transformers causal-LM path (local folder, chat prompts, stop at line breaks)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tiny_bpe_tokenizer()
    tokenizer.chat_template = ("{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                               "{% if add_generation_prompt %}assistant:{% endif %}")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                         pad_token_id=0, bos_token_id=1, eos_token_id=2)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_gemma3(folder: Path, sliding_window: int = 512) -> Path:
    """A 2-layer Gemma 3 text model with random weights (a sliding-window layer, a global layer, grouped KV heads,
    QK norms): the embedded Gemma 3 270M's architecture and window, with no chat template as in its base GGUF;
    what CTranslate2's Gemma3Loader converts."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    tokenizer = tiny_bpe_tokenizer()
    tokenizer.add_special_tokens({"unk_token": "<unk>"})   # CTranslate2's Gemma 3 config needs one, as Gemma's has
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=1, head_dim=16, query_pre_attn_scalar=16,
                              sliding_window=sliding_window, layer_types=["sliding_attention", "full_attention"],
                              max_position_embeddings=512, pad_token_id=0, bos_token_id=1, eos_token_id=2)
    Gemma3ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny_causal_lm"))


@pytest.fixture(scope="session")
def tiny_gemma3(tmp_path_factory) -> Path:
    return build_tiny_gemma3(tmp_path_factory.mktemp("tiny_gemma3"))
