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

from typing import TYPE_CHECKING

from harness.aligned_scoring import AlignedDocument, alignment_path, alignment_table
from harness.errors import UserError
from harness.run_folder import FAILED_MARKER, RESULT_FILE, RUNNING_MARKER, RunFolder  # noqa: F401 (re-exported)
from harness.scoring import DocumentScores

if TYPE_CHECKING:
    from harness.summarize import DocumentSummary, SummaryEvaluation

SCHEMA_VERSION = 2   # 2: segments from the source <-> reference alignment, unmatched_* lists, adequacy


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


def alignment_record(aligned: AlignedDocument) -> dict:
    """Per-segment records (one per reference sentence with a source counterpart), what has no counterpart,
    aligned-corpus scores and the alignment's bead counts."""
    return {
        "segments": aligned.segments,
        "unmatched_reference": aligned.unmatched_reference,
        "unmatched_source": aligned.unmatched_source,
        "unaligned_hypotheses": aligned.unaligned_hypotheses,
        "aligned": {name: score.as_dict() for name, score in aligned.aligned_scores.items()},
        "alignment": {"method": aligned.method, "beads": aligned.bead_counts(), "notes": aligned.notes},
    }


def document_record(scored: DocumentScores, aligned: AlignedDocument, diagnostics: dict,
                    summaries: SummaryEvaluation | None = None) -> dict:
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
        "notes": list(document.notes),
        "cleaning": {"source": document.source.cleaning_record(),
                     "reference": document.reference.cleaning_record()},
        "metrics": {name: score.as_dict() for name, score in scored.scores.items()},
        **alignment_record(aligned),
        "diagnostics": diagnostics,
        **({"summary": summary_record(summaries.documents[document.id], summaries.summarizer.name)}
           if summaries else {}),
    }


def summary_file(summary: DocumentSummary) -> str:
    return f"summaries/{summary.doc_id}.txt"


def summary_record(summary: DocumentSummary, summarizer: str) -> dict:
    """A summary's record: its file, what it was made from, and its scores (see harness.metrics.summary)."""
    record = {"summarizer": summarizer, "input": summary.input_kind, "text_file": summary_file(summary),
              "sentences": len(summary.output.sentences), "words": len(summary.output.text.split()),
              "empty": not summary.output.text.strip(), "cache_hit": summary.cache_hit, **summary.scores}
    if summary.output.chunking:
        record["chunking"] = summary.output.chunking
    return record


def summary_fields(summaries: SummaryEvaluation | None) -> dict:
    """Top-level records: the reference summary (a list when the data set has several references) and
    each summary metric's signature."""
    if summaries is None:
        return {}
    references = [{"reference_file": name, "details": summaries.summarizer.describe(),
                   **summary_record(summary, summaries.summarizer.name)}
                  for name, summary in summaries.references.items()]
    return {"reference_summary": references[0] if len(references) == 1 else references,
            "summary_metrics": summaries.signatures}


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json_atomically(path: Path, record: dict) -> None:
    staging = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    staging.write_text(json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(staging, path)


def write_run(folder: RunFolder, result: dict, documents: list[DocumentScores],
              aligned: list[AlignedDocument], summaries: SummaryEvaluation | None = None) -> Path:
    for scored, alignment in zip(documents, aligned, strict=True):
        folder.write_text(alignment_path(scored.translation.document.id), alignment_table(alignment))
    for scored in documents:
        doc_id = scored.translation.document.id
        folder.write_text(f"hypotheses/{doc_id}.txt", scored.translation.text)
        folder.write_text(f"scored/{doc_id}.hyp.txt", scored.hypothesis_line + "\n")
        folder.write_text(f"scored/{doc_id}.ref.txt", scored.reference_line + "\n")
    for summary in [*summaries.references.values(), *summaries.documents.values()] if summaries else []:
        folder.write_text(summary_file(summary), summary.output.text)
    return folder.finish(result)


REQUIRED_FIELDS = {"model": dict, "data": dict, "config": dict, "documents": list}
REQUIRED_DOCUMENT_FIELDS = ("id", "src_lang", "relation", "source_file", "reference_file", "source_segments",
                            "cleaning", "metrics")


def refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_result_text(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse_constant)
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON ({err.msg}, line {err.lineno} column {err.colno}); the file is "
                        "truncated or damaged: re-run that run or leave it out of the comparison") from err
    except (UnicodeDecodeError, ValueError) as err:
        raise UserError(f"{path}: not a valid result file ({err}); re-run that run or leave it out of the "
                        "comparison") from err
    except OSError as err:
        raise UserError(f"{path}: cannot be read ({err.strerror}); check its permissions") from err


def missing_fields(result: dict) -> list[str]:
    """The required fields a result lacks (or holds with the wrong type), as dotted names."""
    missing = [key for key, kind in REQUIRED_FIELDS.items() if not isinstance(result.get(key), kind)]
    if not missing:
        missing += ["model.name"] if not isinstance(result["model"].get("name"), str) else []
        missing += ["data.root"] if not isinstance(result["data"].get("root"), str) else []
        missing += ["config.data"] if not isinstance(result["config"].get("data"), dict) else []
        for number, document in enumerate(result["documents"]):
            fields = document if isinstance(document, dict) else {}
            missing += [f"documents[{number}].{key}" for key in REQUIRED_DOCUMENT_FIELDS if key not in fields]
    return missing


def check_result(path: Path, result: object) -> dict:
    if not isinstance(result, dict) or "schema_version" not in result:
        raise UserError(f"{path}: no schema_version, so not a result.json written by harness-run; "
                        "pass run folders that harness-run finished")
    if result["schema_version"] != SCHEMA_VERSION:
        raise UserError(f"{path}: schema_version {result['schema_version']!r}, but this harness reads version "
                        f"{SCHEMA_VERSION}; compare it with the harness version that wrote it, or re-run it")
    missing = missing_fields(result)
    if missing:
        raise UserError(f"{path}: missing or malformed {', '.join(missing[:5])}"
                        f"{f' (and {len(missing) - 5} more)' if len(missing) > 5 else ''}; "
                        "the file was edited or damaged: re-run that run")
    if not result["documents"]:
        raise UserError(f"{path}: the run scored no documents; re-run it on a data set with documents")
    return result


def read_result(path: str | Path) -> dict:
    """A run's result.json, checked: valid JSON (no NaN), this schema version, the fields the readers use."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULT_FILE
    return check_result(path, parse_result_text(path))
