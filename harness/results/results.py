"""The result schema, written and read in one place.

A run folder holds result.json, hypotheses/<doc_id>.txt (the translation as produced) and
scored/<doc_id>.{hyp,ref}.txt (the exact lines each document-level metric scored: the whole document on one
line, or a line-aligned document's lines, with scored/<doc_id>.ref2.txt ... for its further references), so that
`sacrebleu scored/<id>.ref.txt [scored/<id>.ref2.txt ...] -i scored/<id>.hyp.txt` reproduces every stored score.
result.json is written last, through a temporary name: a folder without it is not a finished run.

Written by document_record / summary_record (through pipeline.build_result), read by read_record only: it checks
a file once (valid JSON, this schema_version, the shape below; a one-line UserError naming the file) and
run_record types it as RunRecord / DocumentRecord / Segment / SummaryRecord / Score, the records that compare
and report read. A result still in memory after a run is typed by the same run_record.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from typing import TYPE_CHECKING

from harness.score.aligned_scoring import AlignedDocument, alignment_path, alignment_table
from harness.errors import UserError
from harness.score.metrics.base import Score
from harness.data.relations import counts_as_parallel
from harness.results.run_folder import RESULT_FILE, RunFolder
from harness.score.scoring import DocumentScores

if TYPE_CHECKING:
    from harness.summarize.summarize import DocumentSummary, SummaryEvaluation

SCHEMA_VERSION = 3   # 2: segments from the source <-> reference alignment, unmatched_* lists, adequacy
#                      3: segment "details" (a metric's notes: xCOMET error spans, pieces), "reference_free"
#                         scores with their "source_units", and "system" scores (sentence models: COMET);
#                         optional in 3: each segment's "statistics" (per metric, its sufficient statistics row)
#                         and the document's "segment_statistics" (per metric, how rows sum to a score: "mean" or
#                         "own", Metric.statistics_kind), so that harness-compare needs no metric code
READABLE_SCHEMA_VERSIONS = (2, 3)   # version 2 results hold neither, and read as such


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
        **({"segment_statistics": aligned.statistics_kinds} if aligned.statistics_kinds else {}),
        **({"reference_free": {name: score.as_dict() for name, score in aligned.reference_free.items()},
            "source_units": aligned.source_units} if aligned.reference_free else {}),
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
        **({"reference_files": [text.path.name for text in document.references]} if document.extra_references else {}),
        "source_segments": len(translation.segments),
        "hypothesis_units": len(translation.outputs),
        "empty_outputs": translation.empty_outputs,
        "cache_hits": translation.cache_hits,
        "notes": [*document.notes, *aligned.degradations, *scored.notes],   # what could not be checked, or was left out or cut
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
    """A summary's record: its file, what it was made from, and its scores (see harness.score.metrics.summary)."""
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


def lines_text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def write_run(folder: RunFolder, result: dict, documents: list[DocumentScores],
              aligned: list[AlignedDocument], summaries: SummaryEvaluation | None = None) -> Path:
    for scored, alignment in zip(documents, aligned, strict=True):
        folder.write_text(alignment_path(scored.translation.document.id), alignment_table(alignment))
    for scored in documents:
        doc_id = scored.translation.document.id
        folder.write_text(f"hypotheses/{doc_id}.txt", scored.translation.text)
        folder.write_text(f"scored/{doc_id}.hyp.txt", lines_text(scored.hypothesis_lines))
        for number, lines in enumerate(scored.reference_lines, start=1):
            folder.write_text(f"scored/{doc_id}.ref{number if number > 1 else ''}.txt", lines_text(lines))
    for summary in [*summaries.references.values(), *summaries.documents.values()] if summaries else []:
        folder.write_text(summary_file(summary), summary.output.text)
    return folder.finish(result)


REQUIRED_FIELDS = {"model": dict, "data": dict, "config": dict, "documents": list}
REQUIRED_DOCUMENT_FIELDS = ("id", "src_lang", "relation", "source_file", "reference_file", "source_segments",
                            "cleaning", "metrics")
REQUIRED_SCORE_FIELDS = {"score": (int, float), "signature": str, "higher_is_better": bool}
REQUIRED_SEGMENT_FIELDS = ("ref_index", "ref", "hyp")


# ---------------------------------------------------------------- the typed records the readers use

@dataclass(frozen=True)
class Segment:
    """A reference sentence with the hypothesis text aligned to it, its source (if any) and sentence scores."""
    ref_index: int
    ref: str
    hyp: str
    src: str | None
    scores: dict[str, float]
    details: dict[str, dict]        # by metric: what it records beside the score (xCOMET's error_spans)
    extra_refs: tuple[str, ...] = ()   # a line-aligned test set's second, third... reference line
    statistics: dict[str, tuple[float, ...]] = field(default_factory=dict)   # by metric: its statistics row


@dataclass(frozen=True)
class OutputLanguage:
    english: float
    verdict: str | None


@dataclass(frozen=True)
class SummaryRecord:
    """A summary's record: what made it, its text file and size, and its score sections (every dict-valued
    field, in the order written: vs_reference_summary, vs_reference, reference_free, ...)."""
    summarizer: str | None
    input: str | None
    text_file: str | None
    reference_file: str | None
    words: int | None
    empty: bool
    sections: dict[str, dict]

    def section(self, name: str) -> dict:
        return self.sections.get(name, {})

    def flat_scores(self) -> dict:
        """Flat "<comparison> <metric>" -> score over the score sections (issue 5's shape)."""
        flat = {}
        for comparison, scores in self.sections.items():
            for metric, value in scores.items():
                score = value.get("score") if isinstance(value, dict) else value
                if isinstance(score, (int, float)):
                    flat[f"{comparison} {metric}"] = score
        return flat


@dataclass(frozen=True)
class DocumentRecord:
    id: str
    src_lang: str
    relation: str
    source_file: str | None
    reference_file: str | None
    source_segments: int | None
    reference_cleaning: object
    metrics: dict[str, Score]
    aligned: dict[str, Score]                  # empty when the run has no aligned scores
    segments: tuple[Segment, ...] | None       # None when the run has no aligned segments
    empty_outputs: int | None
    hypothesis_units: int | None
    notes: tuple[str, ...]
    measured_relation: str | None
    relation_agrees: bool | None
    output_language: OutputLanguage | None
    adequacy: float | None
    summary: SummaryRecord | None
    reference_free: dict[str, Score] = field(default_factory=dict)   # scores that read no reference (CometKiwi)
    statistics_kinds: dict[str, str] = field(default_factory=dict)   # metrics with stored segment statistics:
    #                                                          "mean" (total / count) or "own" (the metric's code)

    @property
    def has_segments(self) -> bool:
        return self.segments is not None

    @property
    def parallel(self) -> bool:
        """Whether its scores read as translation quality: the reference translates the source."""
        return counts_as_parallel(self.relation, self.measured_relation)


@dataclass(frozen=True)
class RunRecord:
    """A run's result, typed: what compare, report and report_html read (`raw`: the record as written)."""
    model_name: str
    backend: str | None
    model: dict
    data_root: str | None
    target_lang: str
    max_segments: int | None
    allow_metric_code: bool
    backend_stats: dict
    notes: tuple[str, ...]
    documents: tuple[DocumentRecord, ...]
    reference_summaries: tuple[SummaryRecord, ...]
    summary_metrics: dict[str, str]
    system: dict[str, Score]                 # sentence models' run scores (mean over all segments); schema 3
    raw: dict
    started: str | None = None       # when the run started (ISO 8601, the run's local time)
    versions: dict | None = None     # python, torch, transformers, sacrebleu, harness, git commit, as recorded
    max_segment_chars: int | None = None   # limits.max_segment_chars: longer segments only have linear-cost scores

    def backend_stat(self, name: str) -> object:
        """A backend counter (a degradation such as truncated_inputs), None when the backend did not count it."""
        return self.backend_stats.get(name)


def metric_scores(records: dict) -> dict[str, Score]:
    """Stored scores read back as the metrics' own Score (written by Score.as_dict)."""
    return {name: Score.from_dict(name, r) for name, r in records.items()}


def segment(record: dict) -> Segment:
    return Segment(record["ref_index"], record["ref"], record["hyp"], record.get("src"), record.get("scores", {}),
                   record.get("details", {}), tuple(record.get("extra_refs", ())),
                   {name: tuple(row) for name, row in record.get("statistics", {}).items()})


def summary_from(record: object) -> SummaryRecord | None:
    if not isinstance(record, dict):
        return None
    return SummaryRecord(record.get("summarizer"), record.get("input"), record.get("text_file"),
                         record.get("reference_file"), record.get("words"), bool(record.get("empty")),
                         {key: value for key, value in record.items() if isinstance(value, dict)})


def output_language(diagnostics: dict) -> OutputLanguage | None:
    language = diagnostics.get("output_language")
    return OutputLanguage(language["english"], language.get("verdict")) if language else None


def document_from(record: dict) -> DocumentRecord:
    diagnostics = record.get("diagnostics", {})
    relation = diagnostics.get("relation", {})
    segments = record.get("segments")
    return DocumentRecord(
        id=record["id"], src_lang=record["src_lang"], relation=record["relation"],
        source_file=record.get("source_file"), reference_file=record.get("reference_file"),
        source_segments=record.get("source_segments"), reference_cleaning=record.get("cleaning", {}).get("reference"),
        metrics=metric_scores(record["metrics"]), aligned=metric_scores(record.get("aligned", {})),
        segments=None if segments is None else tuple(segment(s) for s in segments),
        empty_outputs=record.get("empty_outputs"), hypothesis_units=record.get("hypothesis_units"),
        notes=tuple(record.get("notes", [])), measured_relation=relation.get("measured"),
        relation_agrees=relation.get("agrees"), output_language=output_language(diagnostics),
        adequacy=diagnostics.get("adequacy"), summary=summary_from(record.get("summary")),
        reference_free=metric_scores(record.get("reference_free", {})),
        statistics_kinds=record.get("segment_statistics", {}))


def run_record(result: dict) -> RunRecord:
    """The one reader of the result shape: a result as harness-run writes it (checked by read_record when it
    comes from a file, or in memory right after a run) as typed records."""
    model, data, config = result["model"], result.get("data", {}), result.get("config", {})
    references = result.get("reference_summary") or []
    return RunRecord(
        model_name=model["name"], backend=model.get("backend"), model=model, data_root=data.get("root"),
        target_lang=data.get("target_lang", "en"), max_segments=config.get("data", {}).get("max_segments"),
        allow_metric_code=bool(config.get("allow_metric_code")), backend_stats=result.get("backend_stats", {}),
        notes=tuple(result.get("run", {}).get("notes", [])),
        documents=tuple(document_from(d) for d in result["documents"]),
        reference_summaries=tuple(summary_from(r) for r in (references if isinstance(references, list)
                                                           else [references])),
        summary_metrics=result.get("summary_metrics", {}), system=metric_scores(result.get("system", {})),
        raw=result, started=result.get("run", {}).get("started"), versions=result.get("versions"),
        max_segment_chars=config.get("limits", {}).get("max_segment_chars"))


def as_run_record(result: dict | RunRecord) -> RunRecord:
    return result if isinstance(result, RunRecord) else run_record(result)


# ---------------------------------------------------------------- reading result.json

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


def malformed_scores(where: str, records: object) -> list[str]:
    """The score records (a document's metrics or aligned scores) that lack a field or hold the wrong type."""
    if not isinstance(records, dict):
        return [where]
    return [f"{where}.{name}.{key}" for name, record in records.items() for key, kind in REQUIRED_SCORE_FIELDS.items()
            if not isinstance(record, dict) or not isinstance(record.get(key), kind)]


def is_number_row(row: object) -> bool:
    return isinstance(row, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)


def malformed_statistics(where: str, record: object) -> list[str]:
    """A segment's stored statistics that are not rows of numbers by metric."""
    statistics = record.get("statistics", {}) if isinstance(record, dict) else {}
    if not isinstance(statistics, dict):
        return [f"{where}.statistics"]
    return [f"{where}.statistics.{name}" for name, row in statistics.items() if not is_number_row(row)]


def malformed_segments(where: str, segments: object) -> list[str]:
    if not isinstance(segments, list):
        return [where]
    return [f"{where}[{number}].{key}" for number, record in enumerate(segments) for key in REQUIRED_SEGMENT_FIELDS
            if not isinstance(record, dict) or key not in record] + [
        problem for number, record in enumerate(segments) for problem in malformed_statistics(f"{where}[{number}]", record)]


def document_problems(number: int, document: object) -> list[str]:
    fields = document if isinstance(document, dict) else {}
    where = f"documents[{number}]"
    missing = [f"{where}.{key}" for key in REQUIRED_DOCUMENT_FIELDS if key not in fields]
    if "metrics" in fields:
        missing += malformed_scores(f"{where}.metrics", fields["metrics"])
    for section in ("aligned", "reference_free"):
        if section in fields:
            missing += malformed_scores(f"{where}.{section}", fields[section])
    if "segments" in fields:
        missing += malformed_segments(f"{where}.segments", fields["segments"])
    kinds = fields.get("segment_statistics", {})
    if not isinstance(kinds, dict) or any(kind not in ("mean", "own") for kind in kinds.values()):
        missing.append(f"{where}.segment_statistics")
    return missing


def missing_fields(result: dict) -> list[str]:
    """The required fields a result lacks (or holds with the wrong type), as dotted names."""
    missing = [key for key, kind in REQUIRED_FIELDS.items() if not isinstance(result.get(key), kind)]
    if not missing:
        missing += ["model.name"] if not isinstance(result["model"].get("name"), str) else []
        missing += ["data.root"] if not isinstance(result["data"].get("root"), str) else []
        missing += ["config.data"] if not isinstance(result["config"].get("data"), dict) else []
        missing += malformed_scores("system", result["system"]) if "system" in result else []
        for number, document in enumerate(result["documents"]):
            missing += document_problems(number, document)
    return missing


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
    return run_record(check_result(path, parse_result_text(path)))


def read_result(path: str | Path) -> dict:
    """A run's result.json as written (through read_record, so checked the same way)."""
    return read_record(path).raw
