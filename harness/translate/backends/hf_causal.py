"""Decoder-only LMs in transformers' format (a hub id, a local folder or a GGUF file, hf_loading): the model
side that every runtime of such a model shares, and the transformers runtime (batched with left padding,
stopped at the first line break). Prompts, chat templates and output cleanup live in the prompted-LM base
(prompted.py); CTranslate2's runtime of the same model is ct2.Ct2LMBackend."""
from __future__ import annotations

from pathlib import Path

from harness.translate.backends.hf_loading import (dequantized_folder, device_and_dtype, generation_fingerprint, gguf_location,
                                         load_pretrained, model_id_for, safety_record, torch_dtype)
from harness.translate.backends.prompted import PromptedLMBackend


class TokenCounter:
    """A transformers streamer (the `streamer` of generate: put() gets the prompt, then each step's new token per
    row) that counts the generated non-padding tokens as they come, so that the progress bar's rate is live."""

    def __init__(self, count, pad_token_id: int):
        self.count, self.pad_token_id = count, pad_token_id
        self.prompt_seen = False
        self.counted = 0

    def put(self, tokens) -> None:
        if not self.prompt_seen:   # the first call hands over the prompt
            self.prompt_seen = True
            return
        new = int((tokens != self.pad_token_id).sum())
        self.counted += new
        self.count(new)

    def end(self) -> None:
        pass


class TransformersLMBackend(PromptedLMBackend):
    """What a runtime of a transformers-format LM shares: where the weights are, what names them in cache keys
    and results, and the tokenizer (token counts, chat template). A runtime implements load_model() (calling
    load_tokenizer()) and generate()."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gguf: tuple[Path, str] | None = None
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
        return super().identity()

    def describe(self) -> dict:
        gguf = self.gguf_file()
        if gguf:
            return {"name": self.model.name, "backend": self.name, "gguf_file": gguf[0].name, "sha256": gguf[1],
                    "source": self.model.gguf_package or self.model.model_id}
        return {"name": self.model.name, "backend": self.name, "id": self.model.model_id,
                "revision": self.model.revision, "resolved": self.identity(), **safety_record(self.model)}

    def weights_location(self) -> str:
        """A hub id or a local folder that transformers loads: a GGUF file's dequantized copy (made once)."""
        gguf = self.gguf_file()
        if not gguf:
            return model_id_for(self.model, "xx", "en")
        return str(dequantized_folder(gguf[0], gguf[1], Path(self.cache_dir).expanduser()))

    def load_tokenizer(self, location: str) -> None:
        from transformers import AutoTokenizer
        self.tokenizer = load_pretrained(AutoTokenizer, location, self.model)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def prompt_ids(self, prompts: list[str], chat: bool) -> list[list[int]]:
        """The prompts' token ids as every runtime feeds them (the chat template already holds its special tokens)."""
        return self.tokenizer(prompts, add_special_tokens=not chat)["input_ids"]

    def has_chat_template(self) -> bool:
        return bool(self.tokenizer.chat_template)

    def render_chat(self, message: str) -> str:
        return self.tokenizer.apply_chat_template([{"role": "user", "content": message}], tokenize=False,
                                                  add_generation_prompt=True)

    def measure(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[int]:
        self.load()
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]


class CausalLMBackend(TransformersLMBackend):
    name = "hf_causal"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device, self.dtype = device_and_dtype(self.generation)
        self.lm = None

    def runtime_fingerprint(self) -> dict:
        return generation_fingerprint(self.generation, self.device, self.dtype)

    def unload_model(self) -> None:
        self.lm, self.tokenizer = None, None

    def load_model(self) -> None:
        from transformers import AutoModelForCausalLM   # only when weights are needed
        location = self.weights_location()
        self.load_tokenizer(location)
        self.lm = load_pretrained(AutoModelForCausalLM, location, self.model, dtype=torch_dtype(self.dtype))
        self.lm.to(self.device).eval()

    def generate(self, prompts: list[str], chat: bool) -> list[str]:
        import torch
        # no token types: a decoder-only LM takes none, and transformers 4.x refuses them in generate
        inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=not chat,
                                return_token_type_ids=False).to(self.device)
        torch.manual_seed(self.generation.seed)
        # transformers streams greedy and sampled decoding, not beam search
        counter = TokenCounter(self.count_generated, self.tokenizer.pad_token_id)
        with torch.inference_mode():
            generated = self.lm.generate(**inputs, max_new_tokens=self.generation.max_new_tokens,
                                         min_new_tokens=self.generation.min_new_tokens,
                                         num_beams=self.generation.num_beams, do_sample=self.generation.do_sample,
                                         stop_strings=["\n"], tokenizer=self.tokenizer,
                                         pad_token_id=self.tokenizer.pad_token_id,
                                         streamer=counter if self.generation.num_beams == 1 else None)
        new_tokens = generated[:, inputs["input_ids"].shape[1]:]
        self.count_generated(int((new_tokens != self.tokenizer.pad_token_id).sum()) - counter.counted)
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        self.count_cut((int((row != self.tokenizer.pad_token_id).sum()),
                        "\n" in text or bool((row == self.tokenizer.eos_token_id).any()))
                       for row, text in zip(new_tokens, texts))
        return texts
