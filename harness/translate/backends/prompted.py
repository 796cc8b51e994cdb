"""A decoder-only LM asked to translate through a prompt, whatever runtime runs it.

This base owns what shapes the prompt and the output, so that every runtime asks and cleans alike:
the few-shot template (model.prompt.instruction and model.prompt.examples per source language), the
chat-template decision (model.prompt.use_chat_template: auto, always, never), output cleanup (the
first line, stripped), the count of outputs that echo a prompt example, lazy loading, and the cache
fingerprint parts that shape prompts.

A runtime (transformers in hf_causal.py, CTranslate2 in ct2.py; vLLM, llama.cpp or an OpenAI-compatible local
server next) is a subclass that implements two methods:
- load_model(): load the weights or connect, once, on the first batch (timed and counted here);
- generate(prompts, chat): one raw completion per prompt (chat: the prompts went through the chat template).
Optional hooks: measure() when it has a tokenizer (token counts for batching), has_chat_template() and
render_chat() when it has a chat template, runtime_fingerprint() for its own settings that change outputs
(added to the cache key, which already holds the whole model spec and the generation settings), identity()
when its model is not model.model_id as a hub id or local folder (a GGUF file, a server).
"""
from __future__ import annotations

import gc
from abc import abstractmethod
from string import Formatter

from harness.translate.backends.base import Backend, decoding_fingerprint
from harness.translate.backends.hf_loading import model_id_for, model_identity
from harness.errors import UserError
from harness.data.languages import language_name


def first_line(completion: str) -> str:
    """An LM keeps writing after its translation (the next few-shot turn); the translation is the first line."""
    return completion.strip().split("\n", 1)[0].strip()


def filled(template: str, setting: str, **values: str) -> str:
    """A prompt setting with its placeholders filled (str.format); a placeholder the harness does not fill, or a lone
    brace (a JSON example), is the user's to mend: named here, not a KeyError once the documents are translated."""
    try:
        fields = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError as err:
        raise UserError(f"{setting}: {err} in {template!r}; write a literal brace twice ({{{{ or }}}})") from None
    unknown = sorted(fields - set(values))
    if unknown:
        raise UserError(f"{setting}: {{{unknown[0]}}} is no placeholder the harness fills (it fills "
                        f"{', '.join(f'{{{name}}}' for name in values)}); write a literal brace twice ({{{{ or }}}})")
    return template.format(**values)


class PromptedLMBackend(Backend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaded = False

    @abstractmethod
    def load_model(self) -> None:
        """Load the weights (or connect to the server); called once, before the first prompt needs it."""

    @abstractmethod
    def generate(self, prompts: list[str], chat: bool) -> list[str]:
        """One raw completion per prompt, in order; chat: the prompts are rendered by render_chat."""

    def has_chat_template(self) -> bool:
        """Whether the loaded model has a chat template (decides model.prompt.use_chat_template=auto)."""
        return False

    def render_chat(self, message: str) -> str:
        """The user message in the model's chat template, ready for the assistant's answer."""
        raise UserError(f"model.prompt.use_chat_template=always: backend {self.name} has no chat template; "
                        "use auto or never")

    def identity(self) -> dict:
        """The model as cache keys name it: a hub id by the commit its revision resolves to, a folder by content."""
        return model_identity(model_id_for(self.model, "xx", "en"), self.model.revision, memo_dir=self.cache_dir)

    def runtime_fingerprint(self) -> dict:
        """The runtime's settings that change outputs; the decoding settings unless a runtime adds its own."""
        return decoding_fingerprint(self.generation)

    def extra_fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """The model by its commit or content, the prompt as rendered for this pair (model.prompt, the chat
        template choice included, is in the model spec, which the key holds whole) and the runtime's settings."""
        return {**self.identity(), "prompt": self.prompt_template(src_lang, tgt_lang), **self.runtime_fingerprint()}

    def release(self) -> None:
        """Drop the weights and the tokenizer once the run has every translation, so that alignment and scoring
        get their memory (a later prompt loads them again)."""
        if self.loaded:
            self.unload_model()
            self.loaded = False
            gc.collect()   # a model's modules hold reference cycles: free them now, not at the next collection

    def unload_model(self) -> None:
        """Drop what load_model made."""

    def load(self) -> None:
        if not self.loaded:
            with self.timed("load"):
                self.load_model()
            self.loaded = True
            self.stats["model_loads"] += 1

    def uses_chat_template(self) -> bool:
        mode = self.model.prompt.use_chat_template
        if mode == "auto":
            self.load()
            return self.has_chat_template()
        return mode == "always"

    def prompt_template(self, src_lang: str, tgt_lang: str) -> str:
        """The few-shot prompt with a {source} slot; an example pair per source language from config."""
        src_name, tgt_name = language_name(src_lang), language_name(tgt_lang)
        lines = [filled(self.model.prompt.instruction, "model.prompt.instruction", src_name=src_name,
                        tgt_name=tgt_name)]
        for example_source, example_target in self.model.prompt.examples.get(src_lang, []):
            lines += [f"{src_name}: {example_source}", f"{tgt_name}: {example_target}", ""]
        return "\n".join(lines + [f"{src_name}: {{source}}", f"{tgt_name}:"])

    def prompts(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        template = self.prompt_template(src_lang, tgt_lang)
        messages = [template.replace("{source}", text) for text in texts]
        if not self.uses_chat_template():
            return messages
        self.load()
        return [self.render_chat(message) for message in messages]

    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        self.load()
        prompts = self.prompts(texts, src_lang, tgt_lang)
        with self.timed("generate"):
            completions = self.generate(prompts, self.uses_chat_template())
        outputs = [first_line(completion) for completion in completions]
        examples = self.example_targets(src_lang)
        self.flag([k for k, output in enumerate(outputs) if output in examples], "echoed_prompt_example")
        return outputs

    def example_targets(self, src_lang: str) -> set[str]:
        """A weak model may copy the few-shot example instead of translating; such outputs are counted."""
        return {target.strip() for _, target in self.model.prompt.examples.get(src_lang, [])}
