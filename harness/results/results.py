"""The run folder's files and result.json, written and read in one place (the records: harness.results.records).

A run folder holds result.json, hypotheses/<doc_id>.txt (the translation as produced) and
scored/<doc_id>.{hyp,ref}.txt (the exact lines each document-level metric scored: the whole document on one
line, or a line-aligned document's lines, with scored/<doc_id>.ref2.txt ... for its further references), so that
`sacrebleu scored/<id>.ref.txt [scored/<id>.ref2.txt ...] -i scored/<id>.hyp.txt` reproduces every stored score.
result.json is written last, through a temporary name: a folder without it is not a finished run.

build_result makes a run's RunRecord (with a DocumentRecord per document) from the stages' output; write_run writes
it (RunRecord.to_dict). read_record is the one reader: it checks a file once (valid JSON, this schema_version, the
shape the records need; a one-line UserError naming the file) and types it with RunRecord.from_dict, the records
that compare and report read. A result still in memory after a run is typed by the same from_dict.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig

from harness.config import to_plain
from harness.data.documents import Dataset
from harness.data.relations import counts_as_parallel
from harness.errors import UserError
from harness.results.records import (READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION, DataRecord, DocumentRecord, RunInfo,
                                     RunRecord, SummaryRecord, summary_file)
from harness.results.run_folder import RESULT_FILE, RunFolder, has_run_record, parse_result
from harness.score.aligned_scoring import AlignedDocument, alignment_path, alignment_table, system_scores
from harness.score.metrics.base import Metric
from harness.score.scoring import DocumentScores
from harness.summarize.summarize import SummaryEvaluation
from harness.translate.backends.files import HYPOTHESES_DIR
from harness.translate.backends.protocol import Translator


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


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json_atomically(path: Path, record: dict) -> None:
    staging = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    staging.write_text(json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(staging, path)


def lines_text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


@dataclass
class Evaluation:
    """What the stages of a run produced, in the order of the data flow: what a RunRecord is built from."""
    scored: list[DocumentScores]            # document-level scores
    aligned: list[AlignedDocument]          # sentence alignment and segment scores
    diagnostics: list[dict]                 # measured relation and output language
    summaries: SummaryEvaluation | None     # None when summarizer=none
    cache_rejected: int = 0                 # cache entries that failed their checksum and were recomputed


def reference_summaries(summaries: SummaryEvaluation | None) -> tuple[SummaryRecord, ...] | None:
    """The reference summary of each reference file (a list in result.json when there are several)."""
    if summaries is None:
        return None
    return tuple(SummaryRecord.of(summary, summaries.summarizer.name, reference_file=name,
                                  details=summaries.summarizer.describe())
                 for name, summary in summaries.references.items())


def build_result(cfg: DictConfig, backend: Translator, dataset: Dataset, evaluation: Evaluation, started: float,
                 notes: list[str], metrics: list[Metric] = ()) -> RunRecord:
    """The run's record; each document's is DocumentRecord.of."""
    parallel = [counts_as_parallel(d["relation"]["declared"], d["relation"]["measured"])
                for d in evaluation.diagnostics]
    summaries = evaluation.summaries
    return RunRecord(
        schema_version=SCHEMA_VERSION,
        run=RunInfo(started=datetime.fromtimestamp(started).isoformat(timespec="seconds"),
                    wall_seconds=round(time.time() - started, 2), notes=tuple(notes)),
        config=to_plain(cfg), model=backend.describe(), versions=versions(),
        data=DataRecord(root=str(dataset.root), target_lang=dataset.target_lang),
        system=system_scores(evaluation.aligned, list(metrics), parallel),
        backend_stats={**backend.stats,
                       **({"cache_entries_rejected": evaluation.cache_rejected} if evaluation.cache_rejected else {})},
        documents=tuple(DocumentRecord.of(*parts, summaries) for parts in
                        zip(evaluation.scored, evaluation.aligned, evaluation.diagnostics, strict=True)),
        reference_summaries=reference_summaries(summaries),
        summary_metrics={} if summaries is None else summaries.signatures)


def write_run(folder: RunFolder, result: RunRecord, evaluation: Evaluation) -> Path:
    """The run's files, then result.json (last: a folder without it is not a finished run)."""
    documents, aligned, summaries = evaluation.scored, evaluation.aligned, evaluation.summaries
    for scored, alignment in zip(documents, aligned, strict=True):
        folder.write_text(alignment_path(scored.translation.document.id), alignment_table(alignment))
    for scored in documents:
        doc_id = scored.translation.document.id
        folder.write_text(f"{HYPOTHESES_DIR}/{doc_id}.txt", scored.translation.text)
        folder.write_text(f"scored/{doc_id}.hyp.txt", lines_text(scored.hypothesis_lines))
        for number, lines in enumerate(scored.reference_lines, start=1):
            folder.write_text(f"scored/{doc_id}.ref{number if number > 1 else ''}.txt", lines_text(lines))
    for summary in [*summaries.references.values(), *summaries.documents.values()] if summaries else []:
        folder.write_text(summary_file(summary), summary.output.text)
    return folder.finish(result.to_dict())


def as_run_record(result: dict | RunRecord) -> RunRecord:
    return result if isinstance(result, RunRecord) else RunRecord.from_dict(result)


# ---------------------------------------------------------------- reading result.json

def parse_result_text(path: Path) -> object:
    try:
        return parse_result(path)
    except json.JSONDecodeError as err:
        if path.name != RESULT_FILE:   # another file handed in (a sweep's multirun.yaml): not a damaged result
            raise UserError(f"{path}: not JSON, so no {RESULT_FILE} of harness-run; {redo_damaged(path)}") from err
        raise UserError(f"{path}: not valid JSON ({err.msg}, line {err.lineno} column {err.colno}); the file is "
                        f"truncated or damaged: {redo_damaged(path)}") from err
    except (UnicodeDecodeError, ValueError) as err:
        raise UserError(f"{path}: not a valid result file ({err}); {redo_damaged(path)}") from err
    except RecursionError:   # lists or objects nested thousands deep: no result.json is (a hostile or broken file)
        raise UserError(f"{path}: not a valid result file (nested deeper than a JSON reader follows); "
                        f"{redo_damaged(path)}") from None
    except OSError as err:
        raise UserError(f"{path}: cannot be read ({err.strerror}); check its permissions") from err


def redo_damaged(path: Path) -> str:
    """How to get a whole result file back: a run folder's damaged result.json is redone in place by its command
    (harness.results.run_folder.damaged_result); a file elsewhere is no run's to redo."""
    if path.name == RESULT_FILE and has_run_record(path.parent):
        return ("run its command again with the same hydra.run.dir (a sweep's job: the sweep's command, the same "
                "hydra.sweep.dir) to redo it, or leave it out of the comparison")
    return "pass a run folder (or its result.json) that harness-run finished, or leave this file out"


def uneven_statistics(where: str, segments: object) -> list[str]:
    """A metric whose segments' statistics rows differ in length (a metric's rows are all one length)."""
    widths: dict[str, set[int]] = {}
    for record in segments if isinstance(segments, list) else ():
        statistics = record.get("statistics") if isinstance(record, dict) else None
        for name, row in statistics.items() if isinstance(statistics, dict) else ():
            widths.setdefault(name, set()).add(len(row) if isinstance(row, list) else -1)
    return [f"{where}[].statistics.{name} (rows of different lengths)" for name, sizes in widths.items()
            if len(sizes) > 1]


SUMMING_KINDS = ("mean", "own")   # DocumentRecord.segment_statistics: how a metric's rows sum to a score


def document_problems(where: str, document: dict) -> list[str]:
    """What a document's JSON types allow but its readers do not: uneven statistics rows, a way of summing rows
    that no reader knows."""
    problems = uneven_statistics(f"{where}.segments", document.get("segments"))
    kinds = document.get("segment_statistics")
    if isinstance(kinds, dict) and any(isinstance(kind, str) and kind not in SUMMING_KINDS for kind in kinds.values()):
        problems.append(f"{where}.segment_statistics")
    return problems


def missing_fields(result: dict) -> list[str]:
    """The fields a result lacks or holds with another JSON type (RunRecord.malformed, from the records' declared
    types; a Score's fields by its written form, ScoreWritten), then what those types do not say: the names a reader
    needs, and each document id once."""
    missing = RunRecord.malformed(result)
    model, data, config = (result.get(key) for key in ("model", "data", "config"))
    missing += ["model.name"] if isinstance(model, dict) and not isinstance(model.get("name"), str) else []
    missing += ["data.root"] if isinstance(data, dict) and data.get("root") is None else []
    missing += ["config.data"] if isinstance(config, dict) and not isinstance(config.get("data"), dict) else []
    documents = result.get("documents")
    for number, document in enumerate(documents if isinstance(documents, list) else ()):
        missing += document_problems(f"documents[{number}]", document) if isinstance(document, dict) else []
    missing += repeated_ids(documents) if isinstance(documents, list) else []
    return missing


def repeated_ids(documents: list) -> list[str]:
    """The documents whose id an earlier document of the run has: a run scores each document once, so a result
    holding one id twice was edited (harness-compare showed both under that id, or called two runs' documents
    different)."""
    first: dict[str, int] = {}
    repeated = []
    for number, document in enumerate(documents):
        doc_id = document.get("id") if isinstance(document, dict) else None
        if isinstance(doc_id, str) and first.setdefault(doc_id, number) != number:
            repeated.append(f"documents[{number}].id (the id of documents[{first[doc_id]}] again)")
    return repeated


def check_result(path: Path, result: object) -> dict:
    if not isinstance(result, dict) or "schema_version" not in result:
        raise UserError(f"{path}: no schema_version, so not a result.json written by harness-run; "
                        "pass run folders that harness-run finished")
    if result["schema_version"] not in READABLE_SCHEMA_VERSIONS:
        raise UserError(f"{path}: schema_version {result['schema_version']!r}, but this harness reads version "
                        f"{SCHEMA_VERSION} (and {', '.join(map(str, READABLE_SCHEMA_VERSIONS[:-1]))}); compare it "
                        "with the harness version that wrote it, or re-run it")
    missing = missing_fields(result)
    if missing:
        raise UserError(f"{path}: missing or malformed {', '.join(missing[:5])}"
                        f"{f' (and {len(missing) - 5} more)' if len(missing) > 5 else ''}; "
                        "the file was edited or damaged: re-run that run")
    if not result["documents"]:
        raise UserError(f"{path}: the run scored no documents; re-run it on a data set with documents")
    return result


def result_path(path: str | Path) -> Path:
    path = Path(path)
    return path / RESULT_FILE if path.is_dir() else path


def read_record(path: str | Path) -> RunRecord:
    """A run's result.json, checked once (valid JSON without NaN, this schema version, the shape the readers
    use; a one-line UserError naming the file otherwise) and typed."""
    path = result_path(path)
    return RunRecord.from_dict(read_result(path))


def read_result(path: str | Path) -> dict:
    """A run's result.json as written, checked as read_record checks it."""
    path = result_path(path)
    return check_result(path, parse_result_text(path))
