"""Any transformers encoder-decoder MT model by hub id or local folder: OPUS-MT (one model per
language via "{src}"), NLLB and M2M100 (source code on the tokenizer, English forced as first token),
MADLAD-400 (a "<2en> " source prefix)."""
from __future__ import annotations

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from harness.backends.base import Backend
from harness.backends.hf_loading import (safety_record, generation_fingerprint, load_pretrained, model_id_for, resolve_device,
                                         resolve_dtype)
from harness.errors import unknown_name

MAX_INPUT_TOKENS = 4096   # tokenizers without a limit report a huge model_max_length


def input_limit(tokenizer) -> int:
    """The most source tokens the model is given; longer inputs are truncated (and counted)."""
    return min(tokenizer.model_max_length, MAX_INPUT_TOKENS)


class Seq2SeqBackend(Backend):
    name = "hf_seq2seq"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = resolve_device(self.generation.device)
        self.dtype = resolve_dtype(self.generation.dtype, self.device)
        self.loaded: dict[str, tuple] = {}   # model id -> (model, tokenizer)
        self.loaded_ids: list[str] = []

    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        return {"backend": self.name, "model": model_id_for(self.model, src_lang, tgt_lang),
                "revision": self.model.revision, "lang_codes": dict(self.model.lang_codes),
                "target_token": self.model.target_token, "source_prefix": self.model.source_prefix,
                **generation_fingerprint(self.generation, self.device, self.dtype)}

    def describe(self) -> dict:
        return {"name": self.model.name, "backend": self.name, "id": self.model.model_id,
                "revision": self.model.revision, "loaded": list(self.loaded_ids),
                **safety_record(self.model)}

    def load(self, src_lang: str, tgt_lang: str) -> tuple:
        model_id = model_id_for(self.model, src_lang, tgt_lang)
        if model_id not in self.loaded:
            tokenizer = load_pretrained(AutoTokenizer, model_id, self.model)
            model = load_pretrained(AutoModelForSeq2SeqLM, model_id, self.model, dtype=self.dtype)
            self.loaded[model_id] = (model.to(self.device).eval(), tokenizer)
            self.loaded_ids.append(model_id)
            self.stats["model_loads"] += 1
        return self.loaded[model_id]

    def lang_code(self, lang: str) -> str:
        if lang not in self.model.lang_codes:
            raise unknown_name(f"language for model '{self.model.name}' (model.lang_codes)", lang,
                               self.model.lang_codes)
        return self.model.lang_codes[lang]

    def input_limit(self, src_lang: str, tgt_lang: str) -> int | None:
        _, tokenizer = self.load(src_lang, tgt_lang)
        return min(tokenizer.model_max_length, 4096) - len(tokenizer(self.model.source_prefix)["input_ids"]) - 1

    def token_counts(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[int]:
        _, tokenizer = self.load(src_lang, tgt_lang)
        return [len(ids) for ids in tokenizer([self.model.source_prefix + t for t in texts])["input_ids"]]

    def measure(self, texts: list[str]) -> list[int]:
        return [len(text.split()) * 2 + 2 for text in texts]  # subword estimate; the tokenizer may not be loaded

    @torch.inference_mode()
    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        model, tokenizer = self.load(src_lang, tgt_lang)
        extra = {}
        if self.model.lang_codes:
            tokenizer.src_lang = self.lang_code(src_lang)
        if self.model.target_token:
            extra["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(self.model.target_token)
        limit = input_limit(tokenizer)
        inputs = tokenizer([self.model.source_prefix + text for text in texts], return_tensors="pt", padding=True,
                           truncation=True, max_length=limit).to(self.device)
        self.stats["truncated_inputs"] += int((inputs["attention_mask"].sum(dim=1) >= limit).sum())
        torch.manual_seed(self.generation.seed)
        generated = model.generate(**inputs, max_new_tokens=self.generation.max_new_tokens,
                                   num_beams=self.generation.num_beams, do_sample=self.generation.do_sample, **extra)
        self.stats["generated_tokens"] += int((generated[:, 1:] != tokenizer.pad_token_id).sum())
        return [text.strip() for text in tokenizer.batch_decode(generated, skip_special_tokens=True)]
