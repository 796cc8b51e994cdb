"""The result schema, written and read in one place.

A run folder holds result.json, hypotheses/<doc_id>.txt (the translation as produced) and
scored/<doc_id>.{hyp,ref}.txt (the exact lines each document-level metric scored), so that
`sacrebleu scored/<id>.ref.txt < scored/<id>.hyp.txt` reproduces every stored score.
result.json is written last, through a temporary name: a folder without it is not a finished run.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from harness.scoring import DocumentScores

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def versions() -> dict:
    return {"python": platform.python_version(), "torch": package_version("torch"),
            "transformers": package_version("transformers"), "sacrebleu": package_version("sacrebleu"),
            "hydra-core": package_version("hydra-core"), "ctranslate2": package_version("ctranslate2"),
            "harness": package_version("mt-harness"), "git_commit": git_commit()}


def document_record(scored: DocumentScores) -> dict:
    translation = scored.translation
    document = translation.document
    return {
        "id": document.id,
        "src_lang": document.src_lang,
        "relation": document.relation,
        "source_file": document.source.path.name,
        "reference_file": document.reference.path.name,
        "source_segments": len(translation.segments),
        "hypothesis_units": len(translation.outputs),
        "empty_outputs": translation.empty_outputs,
        "cache_hits": translation.cache_hits,
        "cleaning": {"source": document.source.cleaning_record(),
                     "reference": document.reference.cleaning_record()},
        "metrics": {name: score.as_dict() for name, score in scored.scores.items()},
    }


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json_atomically(path: Path, record: dict) -> None:
    staging = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    staging.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(staging, path)


def write_run(output_dir: Path, result: dict, documents: list[DocumentScores]) -> Path:
    for scored in documents:
        doc_id = scored.translation.document.id
        write_text(output_dir / "hypotheses" / f"{doc_id}.txt", scored.translation.text)
        write_text(output_dir / "scored" / f"{doc_id}.hyp.txt", scored.hypothesis_line + "\n")
        write_text(output_dir / "scored" / f"{doc_id}.ref.txt", scored.reference_line + "\n")
    path = output_dir / RESULT_FILE
    write_json_atomically(path, result)
    return path


def read_result(path: str | Path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / RESULT_FILE
    return json.loads(path.read_text(encoding="utf-8"))
