"""The translation cache key is safe by default (issue 23).

A backend written from docs/extending.md alone (subclass Backend, write translate_batch, keep the default
fingerprint) was keyed by its name only: pointed at another model folder it served the first model's outputs
("12 from the cache, 0 to translate", identical scores). Every registered backend's key must now change with
model.model_id, model.path, every prompt setting and every decoding setting.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from hydra.utils import get_class, get_object

from harness import compose_config, run
from harness.translate.backends.base import Backend
from harness.config import CONF_DIR, GenerationSpec, ModelSpec, PromptSpec
from tests.conftest import SEEDS
from tests.test_toy_backend import write_lexicon_model


class DictionaryBackend(Backend):
    """A word-for-word dictionary whose "model" is a folder (model.model_id) holding lexicon.tsv:
    source word<TAB>English word. It keeps Backend's default fingerprint, as docs/extending.md allows."""

    name = "toy_dictionary"

    def translate_batch(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        rows = (Path(self.model.model_id) / "lexicon.tsv").read_text(encoding="utf-8").splitlines()
        lexicon = dict(row.split("\t") for row in rows if row.strip())
        return [" ".join(lexicon.get(word.lower(), word) for word in text.split()) for text in texts]


def dictionary_run(model_folder: Path, run_folder: Path) -> dict:
    overrides = [f"data.root={SEEDS}", "data.documents=[002]",
                 "metrics=[bleu]", "model=identity", f"backend._target_={__name__}.DictionaryBackend",
                 "model.name=toy_dictionary", f"model.model_id={model_folder}"]
    return run(compose_config(overrides), str(run_folder))


def test_a_backend_written_from_the_docs_retranslates_when_pointed_at_another_model(tmp_path):
    full = write_lexicon_model(tmp_path / "full_lexicon")
    empty = tmp_path / "empty_lexicon"
    empty.mkdir()
    (empty / "lexicon.tsv").write_text("", encoding="utf-8")
    first = dictionary_run(full, tmp_path / "full")
    second = dictionary_run(empty, tmp_path / "empty")
    [document] = second["documents"]
    assert first["documents"][0]["cache_hits"] == 0
    assert document["cache_hits"] == 0, "the empty lexicon was served the full lexicon's outputs"
    assert second["backend_stats"]["translated_segments"] == document["source_segments"]
    assert (tmp_path / "empty" / "hypotheses" / "002.txt").read_text(encoding="utf-8").startswith("Kanada ve ")
    assert (tmp_path / "full" / "hypotheses" / "002.txt").read_text(encoding="utf-8").startswith("Canada and ")


def registered_backends() -> list[type]:
    """Every backend a config names: conf/backend/*.yaml, and the toy backends of the tests."""
    targets = {compose_config([f"backend={path.stem}"]).backend._target_
               for path in sorted((CONF_DIR / "backend").glob("*.yaml"))}
    return [c for target in sorted(targets) for c in backend_classes(target)] + [
        DictionaryBackend, get_class("tests.test_toy_backend.LexiconLM")]


def backend_classes(target: str) -> list[type]:
    """The class a config's _target_ names; a factory (backend=ct2 picks its class by model kind): every
    backend class of its module."""
    found = get_object(target)
    if isinstance(found, type):
        return [found]
    module = sys.modules[found.__module__]
    return [c for c in vars(module).values()
            if isinstance(c, type) and issubclass(c, Backend) and c.__module__ == module.__name__]


def folder(root: Path, name: str) -> str:
    path = root / name
    path.mkdir(exist_ok=True)
    (path / "weights.txt").write_text(name, encoding="utf-8")
    return str(path)


CHANGES = {   # setting -> how it changes a model spec or generation settings
    "model.model_id": lambda model, generation, root: (replace(model, model_id=folder(root, "other_model")), generation),
    "model.path": lambda model, generation, root: (replace(model, path=folder(root, "other_outputs")), generation),
    "model.prompt.instruction": lambda model, generation, root: (
        replace(model, prompt=PromptSpec(instruction="Render {src_name} in {tgt_name}.")), generation),
    "model.prompt.examples": lambda model, generation, root: (
        replace(model, prompt=PromptSpec(examples={"fr": [["Bonjour.", "Hello."]]})), generation),
    "model.prompt.use_chat_template": lambda model, generation, root: (
        replace(model, prompt=PromptSpec(use_chat_template="never")), generation),
    "generation.num_beams": lambda model, generation, root: (model, replace(generation, num_beams=3)),
    "generation.max_new_tokens": lambda model, generation, root: (model, replace(generation, max_new_tokens=9)),
    "generation.min_new_tokens": lambda model, generation, root: (model, replace(generation, min_new_tokens=2)),
    "generation.do_sample": lambda model, generation, root: (model, replace(generation, do_sample=True)),
}


def replace(spec, **changes):
    return dataclasses.replace(spec, **changes)


def key(backend_class: type, model: ModelSpec, generation: GenerationSpec, root: Path) -> str:
    backend = backend_class(model, generation, cache_dir=str(root / "cache"))
    return json.dumps(backend.fingerprint("fr", "en"), sort_keys=True)


def deciding_settings() -> list:
    """Every registered backend with every setting that can decide its outputs (a document source generates
    nothing, so generation settings do not)."""
    return [pytest.param(cls, setting, id=f"{cls.__name__}-{setting}") for cls in registered_backends()
            for setting in CHANGES if not (cls.supplies_documents and setting.startswith("generation."))]


@pytest.mark.parametrize(("backend_class", "setting"), deciding_settings())
def test_every_registered_backend_keys_its_outputs_by_the_setting(backend_class, setting, tmp_path):
    model = ModelSpec(name="probe", model_id=folder(tmp_path, "model"), path=folder(tmp_path, "outputs"))
    generation = GenerationSpec(device="cpu", dtype="float32")
    before = key(backend_class, model, generation, tmp_path)
    assert key(backend_class, model, generation, tmp_path) == before   # the key is stable ...
    assert key(backend_class, *CHANGES[setting](model, generation, tmp_path), tmp_path) != before   # ... and complete


@pytest.mark.parametrize("backend_class", [cls for cls in registered_backends() if issubclass(cls, Backend)],
                         ids=lambda cls: cls.__name__)
def test_backends_extend_the_default_key_and_never_replace_it(backend_class):
    assert backend_class.fingerprint is Backend.fingerprint
