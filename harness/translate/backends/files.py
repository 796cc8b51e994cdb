"""Hypotheses produced elsewhere (an API, a human translator), read from <path>/<doc_id>.txt.

A document source (supplies_documents = True in the Translator protocol): it supplies whole documents,
which are then scored exactly like a model's; it translates no segments.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from harness.translate.backends.base import model_fingerprint
from harness.config import GenerationSpec, ModelSpec
from harness.data.documents import read_text_file, resolved_input
from harness.errors import UserError


HYPOTHESES_DIR = "hypotheses"   # in a run folder: its outputs as <doc_id>.txt (harness.results.results writes them)


class FilesBackend:
    name = "files"
    supplies_documents = True

    def __init__(self, model: ModelSpec, generation: GenerationSpec, cache_dir: str | None = None):
        if not model.path:
            raise UserError("model.path: has no value; model=files reads each document's output from "
                            "model.path=DIR/<doc_id>.txt")
        self.model = model
        self.folder = Path(model.path).expanduser()
        self.stats: Counter = Counter()
        if not self.folder.is_dir():   # an existing file was 'folder not found': model.path=my_outputs.txt
            found = "is not a folder" if self.folder.exists() else "folder not found"
            raise UserError(f"model.path '{model.path}': {found}; point it at a folder of <doc_id>.txt files")

    def location(self, doc_id: str) -> str:
        return str(self.folder / f"{doc_id}.txt")

    def read_document(self, doc_id: str) -> str:
        named = self.folder / f"{doc_id}.txt"
        path = resolved_input(named, "model.path")
        if not path.is_relative_to(self.folder.resolve()):   # ids are plain file names: a symbolic link leads out
            raise UserError(f"{named} leads to {path}, outside model.path {self.folder}; copy the file into "
                            "model.path")
        if not path.exists():   # a folder or pipe of that name: read_text_file says which
            raise self.missing(path, doc_id)
        return read_text_file(path, "hypothesis file", require_text=False,   # judged by read_translation
                              keep_byte_order_mark=True)

    def missing(self, path: Path, doc_id: str) -> UserError:
        """No <doc_id>.txt: a run folder's outputs are one folder down, and a run folder is no place to add a file."""
        outputs = self.folder / HYPOTHESES_DIR
        if (outputs / f"{doc_id}.txt").is_file():
            return UserError(f"model.path {self.folder} is a run folder: its outputs are in {outputs}; set "
                             f"model.path={outputs}")
        return UserError(f"{path}: no hypothesis for document '{doc_id}'; add {doc_id}.txt to model.path"
                         + self.named_otherwise(doc_id))

    def named_otherwise(self, doc_id: str) -> str:
        """The fix for an output file whose name differs from <doc_id>.txt only in case (B.txt for b: found on macOS
        and Windows, not on Linux) or by its extension (b, b.txt.txt), after '; add b.txt ...'."""
        wanted = f"{doc_id}.txt"
        near = sorted(path.name for path in self.folder.iterdir() if path.is_file() and path.name != wanted
                      and (path.name.casefold() == wanted.casefold() or path.name in (doc_id, f"{wanted}.txt")))
        return f" ({', '.join(near)} is there: rename it to {wanted}, the name matched as written)" if near else ""

    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        return {**model_fingerprint(self, self.model), "path": str(self.folder.resolve())}

    def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> Iterator[tuple[list[int], list[str]]]:
        raise UserError("model=files reads whole documents (<doc_id>.txt) and translates no segments; "
                        "use a model backend to translate text")

    def describe(self) -> dict:
        return {"name": self.model.name, "backend": self.name, "path": str(self.folder.resolve())}
