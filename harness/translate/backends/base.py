"""The backend interface: a list of source segments in one language in, a list of outputs out.

Backends load their model lazily, on the first batch they must translate, so a fully cached run
never loads weights. What every backend needs around its batches lives here once: batching by
tokens with the original order restored, splitting inputs longer than the model accepts (never
truncating them silently), and halving a batch that runs out of GPU memory.

The cache key (`fingerprint`) is safe by default: the backend's class, the whole model spec and every
generation setting that decides an output, so a new backend that writes only translate_batch never serves
another model's or another setting's outputs. A backend adds what else decides its outputs (a resolved
commit, a rendered prompt, a numeric type) in `extra_fingerprint`; it never replaces the default.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import site
import sys
import sysconfig
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import final

from harness import progress
from harness.translate.batching import FIRST_BATCH, plan_batches
from harness.config import GenerationSpec, ModelSpec
from harness.errors import UserError

STAGE_ACTIVITIES = {"load": "loading the model"}   # what the progress bar says while a timed stage runs


def decoding_fingerprint(generation: GenerationSpec) -> dict:
    """The decoding settings that change outputs (batch sizes do not, so they stay out of cache keys)."""
    record = {"num_beams": generation.num_beams, "max_new_tokens": generation.max_new_tokens,
              "do_sample": generation.do_sample}
    if generation.do_sample:
        record["seed"] = generation.seed
    if generation.min_new_tokens:   # only when set, so that existing cache entries keep their keys
        record["min_new_tokens"] = generation.min_new_tokens
    return record


def output_settings(generation: GenerationSpec) -> dict:
    """Every generation setting that can change an output: the decoding settings, and the device and numeric
    type as configured (a backend that resolves "auto" adds the resolved ones in its extra_fingerprint)."""
    return {**decoding_fingerprint(generation), "device": generation.device, "dtype": generation.dtype}


def class_path(translator: object) -> str:
    return f"{type(translator).__module__}.{type(translator).__qualname__}"


PIPELINE_ARGUMENTS = ("model", "generation", "cache_dir")   # what the pipeline passes every backend (build_backend)


def model_fingerprint(translator: object, model: ModelSpec) -> dict:
    """The part of a cache key that no translator leaves out: its name and class, what keys a user's class
    (user_parts: its code, its own settings, the folders its model's paths name), and the whole model spec
    (model_id, path, revision, prompt, language codes, ...), whichever of its fields the translator reads."""
    user = user_parts(translator, PIPELINE_ARGUMENTS)
    located = model_locations(model) if user else {}
    return {"backend": translator.name, "class": class_path(translator), **user,
            **({"located": located} if located else {}), "model": asdict(model)}


def model_locations(model: ModelSpec) -> dict[str, str]:
    """model.model_id and model.path where they name a local path other than as written (relative to where the run
    starts, under ~, through a symbolic link): the path they name. A user's backend reads them as it likes, so
    'lexicon' started from two project folders names two models."""
    written = {"model_id": model.model_id, "path": model.path}
    resolved = {field: str(Path(value).expanduser().resolve()) for field, value in written.items()
                if value and Path(value).expanduser().exists()}
    return {field: location for field, location in resolved.items() if location != written[field]}


CONTENT_KEYED = "named by content_sha256"   # the key's model_id where the model's folder is keyed by its content


def without_model_name(key: dict) -> dict:
    """A harness backend's key without model.name, the label a run goes by (results/<name>/...), which the harness's
    backends never read: a model run under another name re-translated every segment."""
    return {**key, "model": {field: value for field, value in key["model"].items() if field != "name"}}


def without_content_keyed_path(key: dict) -> dict:
    """A harness backend's key without the path of a local model folder that its extra_fingerprint names by its
    content (model_identity's content_sha256, of every file in it): the folder moved or copied elsewhere is the same
    model, and its translations are served (its path in the key re-translated every segment). A user's class keeps
    the path: what else it reads there is not hashed."""
    extra = key["extra"]
    if "content_sha256" not in extra:
        return key
    return {**key, "model": {**key["model"], "model_id": CONTENT_KEYED},
            "extra": {name: value for name, value in extra.items() if name != "model"}}


class BuiltWith:
    """Keeps the keyword settings an object was built with (`built_with`): a config node's own keys, which Hydra
    passes to the constructor of the class its _target_ names (backend.<setting>, summarizer.<setting>)."""

    def __new__(cls, *args, **settings):
        instance = super().__new__(cls)
        instance.built_with = settings
        return instance


def user_parts(instance: object, passed: tuple[str, ...] = ()) -> dict:
    """What keys the outputs of a user's class (one defined outside the harness) besides what the harness knows of
    it: the code of its classes (user_code) and the settings it was built with (BuiltWith), less those `passed` to
    every such object. A user's backend with a setting of its own (backend.tag) that it does not add to
    extra_fingerprint was served the outputs of its other value. Nothing for the harness's own classes, which key
    the settings that change their outputs by name (runtime_fingerprint, settings)."""
    code = user_code(type(instance))
    if not code:
        return {}
    settings = {name: value for name, value in getattr(instance, "built_with", {}).items() if name not in passed}
    return {"code": code, **({"settings": settings} if settings else {})}


@lru_cache(maxsize=None)
def user_code(cls: type) -> dict[str, str]:
    """The sha256 of each source file that defines one of the translator's classes outside the harness (a user's
    backend), and of each module of the user's that those files import (helper_modules): the class path alone
    served a backend's edited code, or another project's file of the same module name, the outputs of the code that
    ran before, and the class's file alone those of an edited helper that does the translating. The harness's own
    classes are left out (their changes that change outputs change their keys by name), so their keys stay as they
    were. A class with no source file (one defined in a notebook, whose __main__ has none) was keyed as the
    harness's own, its edits and its settings served the outputs of the code before: its outputs are kept for this
    process only (a token of the class)."""
    files: dict[str, str] = {}
    pending = [base.__module__ for base in cls.__mro__
               if base.__module__.partition(".")[0] not in ("harness", "builtins", "abc")]
    while pending:
        name = pending.pop(0)
        if name in files:
            continue
        source = module_source(name)
        files[name] = (hashlib.sha256(Path(source).read_bytes()).hexdigest() if source
                       else f"no source file: {uuid.uuid4()}")
        pending += helper_modules(name, source)
    return files


def module_source(name: str) -> str | None:
    """The file a module is read from: the loaded module's, or the one importing it would read (a helper imported
    inside a function that has not run yet); None for one with no file (built in, or defined in a notebook)."""
    if name in sys.modules:
        return getattr(sys.modules[name], "__file__", None)
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):   # a name imported from a module that is no package: a function, a class
        return None
    return spec.origin if spec is not None and spec.has_location else None


def helper_modules(name: str, source: str | None) -> list[str]:
    """The user's modules that the module `name` (read from `source`) imports anywhere in it: import helper,
    from helper import translate, from .helper import translate, and an import inside a function, which has not run
    when the key is made (docs/extending.md)."""
    if not source or not source.endswith(".py"):
        return []
    try:
        tree = ast.parse(Path(source).read_bytes())
    except (SyntaxError, ValueError):   # edited since it was imported: the run that imports it says so
        return []
    package = name if Path(source).name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (base := imported_from(node, package)):
            imported.update([base, *(f"{base}.{alias.name}" for alias in node.names)])   # a submodule, maybe
    return sorted(module for module in imported if written_by_user(module))


def imported_from(node: ast.ImportFrom, package: str) -> str | None:
    """The module a `from ... import` reads, its dots resolved within `package`; None beyond its top."""
    try:
        return importlib.util.resolve_name("." * node.level + (node.module or ""), package)
    except (ImportError, ValueError):
        return None


@lru_cache(maxsize=1)
def library_folders() -> tuple[Path, ...]:
    """Where the Python installation and its installed packages live; read once a user's class is keyed, not at every
    start."""
    return tuple({Path(folder).resolve() for folder in [
        *(sysconfig.get_paths()[kind] for kind in ("stdlib", "platstdlib", "purelib", "platlib")),
        site.getusersitepackages()]})


def written_by_user(name: str) -> bool:
    """A module with a source file outside the Python installation and its installed packages (whose changes come
    with a version), and not the harness's. A submodule is looked up only in a package of the user's: finding it
    imports its package, which an installed library's (torch.nn) would cost."""
    top = name.partition(".")[0]
    if top == "harness" or (top != name and not written_by_user(top)):
        return False
    source = module_source(name)
    return source is not None and not any(Path(source).resolve().is_relative_to(folder) for folder in library_folders())


class Backend(BuiltWith, ABC):
    """A segment translator (the harness.translate.backends.protocol.Translator protocol) built on translate_batch."""

    name: str = "base"
    supplies_documents = False

    def __init__(self, model: ModelSpec, generation: GenerationSpec, cache_dir: str | None = None):
        self.model = model
        self.generation = generation
        self.cache_dir = cache_dir
        self.stats: Counter = Counter()   # what happened while translating (loads, splits, ...)
        self.output_flags: dict[int, dict[str, int]] = {}   # the last translate()'s text index -> its degradations
        self.batch_flags: list[set[str]] = []   # while a batch runs: each of its outputs' degradations (flag)
        self.timed_since: dict[str, float] = {}   # a running timed stage -> when its time was last counted

    def __init_subclass__(cls, **kwargs):
        """Refuse a subclass of its own `fingerprint`: @final binds a type checker only, and two user backends that
        returned {"backend": self.name} (the key before issue 23) shared one key, the second served the first's
        translations. What else decides an output belongs in extra_fingerprint, beside the default parts."""
        super().__init_subclass__(**kwargs)
        if "fingerprint" in vars(cls):
            raise UserError(f"{cls.__module__}.{cls.__qualname__} overrides Backend.fingerprint, the translation "
                            "cache's key, which holds the backend's class, code, settings and model spec: return "
                            "what else decides its outputs from extra_fingerprint(src_lang, tgt_lang) instead, and "
                            "leave fingerprint alone (docs/extending.md)")

    @final
    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """Everything that decides the output for a segment; the translation cache is keyed by it. A subclass
        extends extra_fingerprint instead of overriding this, so the default parts are never lost."""
        key = {**model_fingerprint(self, self.model), "generation": output_settings(self.generation),
               "extra": self.extra_fingerprint(src_lang, tgt_lang)}
        return key if user_code(type(self)) else without_content_keyed_path(without_model_name(key))

    def extra_fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """What else decides this backend's outputs besides the model spec and the generation settings: the
        commit a revision resolves to, a folder's content, a rendered prompt, the resolved device."""
        return {}

    def release(self) -> None:
        """Free the model once the run has every translation (PromptedLMBackend drops its weights); here nothing."""

    def describe(self) -> dict:
        """The model record stored in result.json."""
        return {"name": self.model.name, "backend": self.name}

    def measure(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[int]:
        """Token counts used to form batches; here about 4 characters a token, backends with a tokenizer count."""
        return [len(text) // 4 + 1 for text in texts]

    def input_limit(self, src_lang: str, tgt_lang: str) -> int | None:
        """The most source tokens the model accepts in one input; None when there is no practical limit."""
        return None

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to stats["<stage>_seconds"], so a run shows where its time went
        (the benchmarks compute the harness's own overhead from it); the progress bar says what a slow stage
        without a rate is doing (STAGE_ACTIVITIES)."""
        self.timed_since[stage] = progress.clock()
        try:
            with progress.activity(STAGE_ACTIVITIES[stage]) if stage in STAGE_ACTIVITIES else nullcontext():
                yield
        finally:
            self.count_time(stage)
            del self.timed_since[stage]

    def count_time(self, stage: str) -> None:
        """Add the time since the stage's time was last counted (a running timed block) to its stats."""
        now = progress.clock()
        self.stats[f"{stage}_seconds"] += now - self.timed_since[stage]
        self.timed_since[stage] = now

    def count_generated(self, tokens: int) -> None:
        """Count generated tokens; inside a running generate block, its time so far with them, so that a runtime
        that streams its tokens (hf_causal) keeps the progress bar's tokens/s live within a long batch."""
        self.stats["generated_tokens"] += tokens
        if "generate" in self.timed_since:
            self.count_time("generate")

    def flag(self, positions: Iterable[int], degradation: str) -> None:
        """Count outputs of the running batch (positions in translate_batch's texts) as degraded, and mark them, so
        that the cache keeps the mark with the output and a re-run that reads it still counts it
        (harness.results.records.DEGRADATION_STATS names the degradations)."""
        for position in positions:
            self.stats[degradation] += 1
            if position < len(self.batch_flags):   # translate_batch called outside translate(): counted only
                self.batch_flags[position].add(degradation)

    def count_cut(self, outputs: Iterable[tuple[int, bool]]) -> None:
        """Flag the outputs (generated tokens, whether the output reached its end: a stop token, a line break)
        that stopped at generation.max_new_tokens before their end: cut short."""
        limit = self.generation.max_new_tokens
        self.flag([k for k, (length, ended) in enumerate(outputs) if length >= limit and not ended],
                  "cut_at_max_new_tokens")

    @abstractmethod
    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """Translate one batch; the output list has one entry per input."""

    def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> Iterator[tuple[list[int], list[str]]]:
        """Yield (indices into texts, outputs) as texts finish, so a caller can save progress as it goes;
        output_flags then holds the degradations of each finished text's output (split, cut, ...)."""
        self.output_flags = {}
        if not texts:
            return
        pieces, owners = self.split_overlong(texts, src_lang, tgt_lang)
        done: dict[int, dict[int, str]] = {owner: {} for owner in owners}
        needed = Counter(owners)
        flags = {owner: Counter({"split_overlong_inputs": 1} if count > 1 else {}) for owner, count in needed.items()}
        lengths = self.measure(pieces, src_lang, tgt_lang)
        for batch in plan_batches(lengths, self.generation.batch_size, self.generation.max_batch_tokens,
                                  first_batch=FIRST_BATCH):
            outputs, batch_flags = self.translate_with_retry([pieces[i] for i in batch], src_lang, tgt_lang)
            finished = []
            for index, output, output_flags in zip(batch, outputs, batch_flags):
                done[owners[index]][index] = output
                flags[owners[index]].update(output_flags)   # counted as stats counts them: once a piece
                if len(done[owners[index]]) == needed[owners[index]]:
                    finished.append(owners[index])
            self.stats["translated_segments"] += len(finished)
            self.output_flags.update({t: dict(flags[t]) for t in finished if flags[t]})
            yield finished, [" ".join(done[t][i] for i in sorted(done[t])).strip() for t in finished]

    def split_overlong(self, texts: list[str], src_lang: str, tgt_lang: str) -> tuple[list[str], list[int]]:
        """Split each text longer than the model's input limit into word-bounded pieces; pieces[i] belongs
        to texts[owners[i]]. Splits are counted in stats so the result shows them."""
        limit = self.input_limit(src_lang, tgt_lang)
        pieces, owners = [], []
        lengths = self.measure(texts, src_lang, tgt_lang) if limit else [0] * len(texts)
        for owner, (text, length) in enumerate(zip(texts, lengths)):
            parts = [text] if not limit or length <= limit else split_words(text, length, limit)
            if len(parts) > 1:
                self.stats["split_overlong_inputs"] += 1
            pieces += parts
            owners += [owner] * len(parts)
        return pieces, owners

    def translate_with_retry(self, texts: list[str], src_lang: str,
                             tgt_lang: str) -> tuple[list[str], list[set[str]]]:
        """Translate a batch, with each output's degradations (flag); on GPU out-of-memory, halve it and retry,
        down to a single segment."""
        self.batch_flags = [set() for _ in texts]
        try:
            outputs = self.translate_batch(texts, src_lang, tgt_lang)
        except Exception as err:
            if not is_gpu_out_of_memory(err):
                raise
            if len(texts) == 1:
                raise UserError(f"out of GPU memory on a single segment ({len(texts[0])} characters); use "
                                "generation.dtype=float16, a smaller model, or generation.device=cpu") from None
            sys.modules["torch"].cuda.empty_cache()
            self.stats["oom_batch_halvings"] += 1
            half = len(texts) // 2
            first, second = (self.translate_with_retry(part, src_lang, tgt_lang)
                             for part in (texts[:half], texts[half:]))
            return first[0] + second[0], first[1] + second[1]
        if len(outputs) != len(texts):
            raise RuntimeError(f"{self.name} returned {len(outputs)} outputs for {len(texts)} inputs")
        flags, self.batch_flags = self.batch_flags, []
        return outputs, flags


def is_gpu_out_of_memory(err: Exception) -> bool:
    """torch's CUDA out-of-memory error; a backend that never imported torch cannot raise it."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(err, torch.cuda.OutOfMemoryError)


def split_words(text: str, tokens: int, limit: int) -> list[str]:
    """Cut text at word boundaries into pieces of about `limit` tokens, with a 10% margin."""
    words = text.split()
    per_piece = max(1, int(limit * len(words) / tokens * 0.9))
    return [" ".join(words[start:start + per_piece]) for start in range(0, len(words), per_piece)]
