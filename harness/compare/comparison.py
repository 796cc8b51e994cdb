"""The comparison: what compare_runs (harness.compare.compare) makes and the reports (harness.compare.reports)
render, one frozen record holding the typed rows (harness.compare.rows) and the descriptions of what was compared;
`as_record` is comparison.json, its keys in the order they have always had.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass

from harness.compare.rows import (BucketRow, DocumentInfo, MetricInfo, Ranking, ScoreRow, SkippedDocument, SkippedRun,
                                  SpanRow, SummaryRow, SystemExamples, SystemInfo, TestedRow, Verdict)


@dataclass(frozen=True)
class DataSet:
    """The data set the runs translated, and the documents compared."""
    root: str | None
    documents: list[DocumentInfo]


@dataclass(frozen=True)
class Significance:
    """How the aligned scores are tested: resamples, seed, level, the smallest p the resampling can give, the
    tests and the multiple-testing correction against the baseline (a document-level comparison has none)."""
    resamples: int
    seed: int
    alpha: float
    p_floor: float
    tests: list[str]
    correction: str


@dataclass(frozen=True)
class Comparison:
    """One comparison of comparable runs (its fields in comparison.json's order). `rows`: the parallel documents'
    score rows, tested against the baseline; `not_parallel_rows`: the other documents', scores only."""
    created: str
    harness_version: str | None
    baseline: str
    systems: list[SystemInfo]
    data: DataSet
    skipped_documents: list[SkippedDocument]
    level: str                               # "aligned" or "document"
    metrics: list[MetricInfo]
    metrics_left_out: list[str]
    significance: Significance | None
    ranking: Ranking
    rows: list[TestedRow]
    not_parallel_rows: list[ScoreRow]
    verdicts: list[Verdict]
    buckets: list[BucketRow]
    min_bucket_segments: int
    examples: list[SystemExamples]
    error_spans: list[SpanRow]
    summaries: list[SummaryRow]
    skipped: list[SkippedRun]                # run folders left out, with their state and why

    @property
    def system_names(self) -> list[str]:
        return [system.name for system in self.systems]

    def as_record(self) -> dict:
        """The comparison as comparison.json holds it: each typed row a dict of its fields, in their order; the
        ranking's duplicate groups beside it (`duplicates`), a metric's declared name only where it has one."""
        record = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "ranking":
                record["ranking"] = asdict(value)
                record["duplicates"] = record["ranking"].pop("duplicates")
            elif item.name == "metrics":
                record["metrics"] = [{key: shown for key, shown in asdict(metric).items()
                                      if key != "declared_name" or shown} for metric in value]
            else:
                record[item.name] = plain(value)
        return record


def plain(value):
    """A typed part of the comparison as JSON holds it: a record as the dict of its fields, a list item by item."""
    if is_dataclass(value):
        return asdict(value)
    return [plain(item) for item in value] if isinstance(value, list) else value
