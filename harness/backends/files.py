"""Hypotheses produced elsewhere (an API, a human translator), read from <path>/<doc_id>.txt.

Not a segment backend: it supplies whole documents, which are then scored exactly like a model's.
"""
from __future__ import annotations

from pathlib import Path

from harness.config import GenerationSpec, ModelSpec
from harness.documents import read_text_file
from harness.errors import UserError


class FilesBackend:
    name = "files"

    def __init__(self, model: ModelSpec, generation: GenerationSpec, cache_dir: str | None = None):
        self.model = model
        self.folder = Path(model.path).expanduser()
        if not self.folder.is_dir():
            raise UserError(f"model.path '{model.path}': folder not found; point it at a folder of <doc_id>.txt files")

    def read_document(self, doc_id: str) -> str:
        path = (self.folder / f"{doc_id}.txt").resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise UserError(f"document id '{doc_id}' would read {path}, outside model.path {self.folder}; "
                            "use plain file names as ids")
        if not path.is_file():
            raise UserError(f"{path}: no hypothesis for document '{doc_id}'; add {doc_id}.txt to model.path")
        return read_text_file(path)

    def describe(self) -> dict:
        return {"name": self.model.name, "backend": self.name, "path": str(self.folder.resolve())}
