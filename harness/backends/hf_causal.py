"""Decoder-only LMs through a prompt: the tokenizer's chat template when it has one, otherwise a plain
few-shot prompt. One segment per prompt, batched with left padding, output cut at the first line break."""
from __future__ import annotations

from pathlib import Path

from harness.backends.base import Backend
from harness.backends.hf_loading import (safety_record, generation_fingerprint, gguf_location, load_dequantized, load_pretrained,
                                         model_id_for, model_identity, resolve_device, resolve_dtype,
                                         torch_dtype)
from harness.languages import language_name


class CausalLMBackend(Backend):
    name = "hf_causal"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = resolve_device(self.generation.device)
        self.dtype = resolve_dtype(self.generation.dtype, self.device)
        self.gguf: tuple[Path, str] | None = None
        self.lm = None
        self.tokenizer = None

    def gguf_file(self) -> tuple[Path, str] | None:
        if self.gguf is None and (self.model.gguf_package or self.model.gguf_file):
            self.gguf = gguf_location(self.model, Path(self.cache_dir).expanduser())
        return self.gguf

    def identity(self) -> dict:
        """A GGUF file by its sha256; a folder by its content; a hub id by the commit its revision names."""
        gguf = self.gguf_file()
        if gguf:
            return {"model": gguf[1], "revision": None}
        return model_identity(model_id_for(self.model, "xx", "en"), self.model.revision)

    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        return {"backend": self.name, **self.identity(), "prompt": self.prompt_template(src_lang, tgt_lang),
                "chat_template": self.model.prompt.use_chat_template,
                **generation_fingerprint(self.generation, self.device, self.dtype)}

    def describe(self) -> dict:
        gguf = self.gguf_file()
        if gguf:
            return {"name": self.model.name, "backend": self.name, "gguf_file": gguf[0].name, "sha256": gguf[1],
                    "source": self.model.gguf_package or self.model.model_id}
        return {"name": self.model.name, "backend": self.name, "id": self.model.model_id,
                "revision": self.model.revision, "resolved": self.identity(), **safety_record(self.model)}

    def load(self) -> None:
        if self.lm is None:
            with self.timed("load"):
                self.load_weights()
            self.stats["model_loads"] += 1

    def load_weights(self) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer   # only when weights are needed
        gguf = self.gguf_file()
        if gguf:
            self.lm, self.tokenizer = load_dequantized(AutoModelForCausalLM, AutoTokenizer, gguf[0], gguf[1],
                                                       Path(self.cache_dir).expanduser(), self.dtype)
        else:
            model_id = model_id_for(self.model, "xx", "en")
            self.tokenizer = load_pretrained(AutoTokenizer, model_id, self.model)
            self.lm = load_pretrained(AutoModelForCausalLM, model_id, self.model, dtype=torch_dtype(self.dtype))
        self.lm.to(self.device).eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def uses_chat_template(self) -> bool:
        mode = self.model.prompt.use_chat_template
        if mode == "auto":
            self.load()
            return bool(self.tokenizer.chat_template)
        return mode == "always"

    def prompt_template(self, src_lang: str, tgt_lang: str) -> str:
        """The few-shot prompt with a {source} slot; an example pair per source language from config."""
        src_name, tgt_name = language_name(src_lang), language_name(tgt_lang)
        lines = [self.model.prompt.instruction.format(src_name=src_name, tgt_name=tgt_name)]
        for example_source, example_target in self.model.prompt.examples.get(src_lang, []):
            lines += [f"{src_name}: {example_source}", f"{tgt_name}: {example_target}", ""]
        return "\n".join(lines + [f"{src_name}: {{source}}", f"{tgt_name}:"])

    def prompts(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        template = self.prompt_template(src_lang, tgt_lang)
        if not self.uses_chat_template():
            return [template.replace("{source}", text) for text in texts]
        self.load()
        return [self.tokenizer.apply_chat_template([{"role": "user", "content": template.replace("{source}", text)}],
                                                   tokenize=False, add_generation_prompt=True) for text in texts]

    def measure(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[int]:
        self.load()
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        import torch
        self.load()
        chat = self.uses_chat_template()
        inputs = self.tokenizer(self.prompts(texts, src_lang, tgt_lang), return_tensors="pt", padding=True,
                                add_special_tokens=not chat).to(self.device)
        torch.manual_seed(self.generation.seed)
        with self.timed("generate"), torch.inference_mode():
            generated = self.lm.generate(**inputs, max_new_tokens=self.generation.max_new_tokens,
                                         min_new_tokens=self.generation.min_new_tokens,
                                         num_beams=self.generation.num_beams, do_sample=self.generation.do_sample,
                                         stop_strings=["\n"], tokenizer=self.tokenizer,
                                         pad_token_id=self.tokenizer.pad_token_id)
        new_tokens = generated[:, inputs["input_ids"].shape[1]:]
        self.stats["generated_tokens"] += int((new_tokens != self.tokenizer.pad_token_id).sum())
        decoded = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        outputs = [text.strip().split("\n", 1)[0].strip() for text in decoded]
        self.stats["echoed_prompt_example"] += sum(out in self.example_targets(src_lang) for out in outputs)
        return outputs

    def example_targets(self, src_lang: str) -> set[str]:
        """A weak model may copy the few-shot example instead of translating; such outputs are counted."""
        return {target.strip() for _, target in self.model.prompt.examples.get(src_lang, [])}
