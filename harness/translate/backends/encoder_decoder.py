"""What every encoder-decoder MT backend shares, whatever runs the network (transformers, CTranslate2):
which model serves a language pair (OPUS-MT's "{src}"), its tokenizer, the model's language codes
(NLLB, M2M100), the token forced as first output and the source prefix (MADLAD "<2en> "), lazy
loading (one model per model id, loaded on the first batch that needs it) and the cache fingerprint."""
from __future__ import annotations

from abc import abstractmethod
from typing import Any

from harness.translate.backends.base import Backend
from harness.translate.backends.hf_loading import load_pretrained, model_id_for, model_identity, safety_record
from harness.errors import unknown_name

MAX_SOURCE_TOKENS = 4096   # a cap for tokenizers whose model_max_length is a huge placeholder


class EncoderDecoderBackend(Backend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tokenizers: dict[str, Any] = {}   # model id -> tokenizer (cheap: loading one is not a model load)
        self.models: dict[str, Any] = {}       # model id -> the backend's loaded network
        self.loaded_ids: list[str] = []
        self.identities: dict[str, dict] = {}  # model id -> its commit or content hash (what outputs are keyed by)

    @abstractmethod
    def load_model(self, model_id: str) -> Any:
        """Load the network that serves model_id (called once per id, on the first batch that needs it)."""

    @abstractmethod
    def runtime_fingerprint(self) -> dict:
        """The settings of this backend that change outputs (decoding, device, numeric type)."""

    def extra_fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """The model serving this pair by its commit or content (the language codes, target token and source
        prefix are in the model spec, which the key holds whole), and the runtime's settings."""
        model_id = model_id_for(self.model, src_lang, tgt_lang)
        self.identities[model_id] = model_identity(model_id, self.model.revision, memo_dir=self.cache_dir)
        return {**self.identities[model_id], **self.runtime_fingerprint()}

    def describe(self) -> dict:
        return {"name": self.model.name, "backend": self.name, "id": self.model.model_id,
                "revision": self.model.revision, "resolved": list(self.identities.values()),
                "loaded": list(self.loaded_ids), **safety_record(self.model)}

    def tokenizer(self, src_lang: str, tgt_lang: str):
        model_id = model_id_for(self.model, src_lang, tgt_lang)
        if model_id not in self.tokenizers:
            with self.timed("load"):   # importing transformers and torch, and the tokenizer: part of the model's load
                from transformers import AutoTokenizer   # here, so that a fully cached run never imports transformers
                self.tokenizers[model_id] = load_pretrained(AutoTokenizer, model_id, self.model)
        return self.tokenizers[model_id]

    def network(self, src_lang: str, tgt_lang: str) -> Any:
        model_id = model_id_for(self.model, src_lang, tgt_lang)
        if model_id not in self.models:
            with self.timed("load"):
                self.models[model_id] = self.load_model(model_id)
            self.loaded_ids.append(model_id)
            self.stats["model_loads"] += 1
        return self.models[model_id]

    def lang_code(self, lang: str) -> str:
        if lang not in self.model.lang_codes:
            raise unknown_name(f"language for model '{self.model.name}' (model.lang_codes)", lang,
                               self.model.lang_codes)
        return self.model.lang_codes[lang]

    def source_ids(self, texts: list[str], src_lang: str, tgt_lang: str, truncate: bool = True, **kwargs):
        """Tokenize sources as the model expects: its source-language code set, the prefix put before each,
        truncated to the model's limit (a safety net: Backend.translate splits longer inputs first)."""
        tokenizer = self.tokenizer(src_lang, tgt_lang)
        if self.model.lang_codes:
            tokenizer.src_lang = self.lang_code(src_lang)
        limit = {"truncation": True, "max_length": self.source_limit(tokenizer)} if truncate else {}
        return tokenizer([self.model.source_prefix + text for text in texts], **limit, **kwargs)

    def source_limit(self, tokenizer) -> int:
        return min(tokenizer.model_max_length, MAX_SOURCE_TOKENS)

    def input_limit(self, src_lang: str, tgt_lang: str) -> int:
        return self.source_limit(self.tokenizer(src_lang, tgt_lang))

    def encode(self, texts: list[str], src_lang: str, tgt_lang: str, **kwargs):
        """source_ids, flagging the inputs cut at the limit as "truncated_inputs" (kept with their outputs in the cache,
        so that a re-run served from it still shows them)."""
        encoded = self.source_ids(texts, src_lang, tgt_lang, **kwargs)
        limit = self.source_limit(self.tokenizer(src_lang, tgt_lang))
        self.flag([k for k, mask in enumerate(encoded["attention_mask"]) if int(sum(mask)) >= limit],
                  "truncated_inputs")
        return encoded

    def measure(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[int]:
        """Exact source token counts: loading the tokenizer is cheap and does not load the model."""
        return [len(ids) for ids in self.source_ids(texts, src_lang, tgt_lang, truncate=False)["input_ids"]]
