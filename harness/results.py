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
from harness.scoring import DocumentScores

if TYPE_CHECKING:
    from harness.summarize import DocumentSummary, SummaryEvaluation

SCHEMA_VERSION = 2   # 2: segments from the source <-> reference alignment, unmatched_* lists, adequacy
RESULT_FILE = "result.json"
RUNNING_MARKER = "RUNNING"   # present while a run works; left behind by a killed run
FAILED_MARKER = "FAILED"     # written when a run stops on an unexpected error, with the error


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
    staging.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(staging, path)


def claim_run_folder(output_dir: Path) -> None:
    """Mark the folder as a run in progress; never reuse a folder that holds a finished run."""
    if (output_dir / RESULT_FILE).exists():
        raise UserError(f"{output_dir} already holds a finished run; choose another output folder "
                        "(hydra.run.dir=...) so that no earlier result is overwritten")
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / RUNNING_MARKER).write_text(f"pid {os.getpid()}\n", encoding="utf-8")


def mark_failed(output_dir: Path, error: BaseException) -> None:
    if output_dir.is_dir():
        (output_dir / FAILED_MARKER).write_text(f"{type(error).__name__}: {error}\n", encoding="utf-8")
        (output_dir / RUNNING_MARKER).unlink(missing_ok=True)


def write_run(output_dir: Path, result: dict, documents: list[DocumentScores],
              aligned: list[AlignedDocument], summaries: SummaryEvaluation | None = None) -> Path:
    for scored, alignment in zip(documents, aligned, strict=True):
        write_text(alignment_path(output_dir, scored.translation.document.id), alignment_table(alignment))
    for scored in documents:
        doc_id = scored.translation.document.id
        write_text(output_dir / "hypotheses" / f"{doc_id}.txt", scored.translation.text)
        write_text(output_dir / "scored" / f"{doc_id}.hyp.txt", scored.hypothesis_line + "\n")
        write_text(output_dir / "scored" / f"{doc_id}.ref.txt", scored.reference_line + "\n")
    for summary in [*summaries.references.values(), *summaries.documents.values()] if summaries else []:
        write_text(output_dir / summary_file(summary), summary.output.text)
    path = output_dir / RESULT_FILE
    write_json_atomically(path, result)
    (output_dir / RUNNING_MARKER).unlink(missing_ok=True)
    return path


def read_result(path: str | Path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / RESULT_FILE
    return json.loads(path.read_text(encoding="utf-8"))
