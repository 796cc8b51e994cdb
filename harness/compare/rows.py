"""Rows: the comparison's rendering-ready records, one per document x system x metric (with the score, its 95%
interval, the delta against the baseline and the paired tests), per length bucket, per example, per verdict, per
ranking place, per pair and per error-span segment; and the descriptions of the systems, documents and metrics. The
reports (harness.compare.reports) read them by attribute, within the Comparison (harness.compare.comparison) that
holds them; comparison.json holds them as dicts (Comparison.as_record).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from harness.compare.comparability import metric_records, paired_segments
from harness.compare.discovery import Run, Skipped
from harness.results.records import DocumentRecord, Segment
from harness.score.aligned_scoring import compared_signature
from harness.score.metrics.base import SCORE_DIGITS
from harness.score.scoring import DECOMPOSED_OUTPUT, REFERENCE_COPY_NOTE

EXAMPLES_PER_DIRECTION = 3     # per system: where it beats the baseline most, and where the baseline beats it most
EXAMPLE_METRICS = ("chrf", "bleu")    # sentence chrF is stable on short segments; BLEU is not
SPAN_SEGMENTS_PER_SYSTEM = 10         # the lowest-scored segments with error spans, per system and metric


@dataclass
class ScoreRow:
    """One document x system x metric: the score, its 95% interval (None at document level) and its difference
    from the baseline's (None for the baseline); `parallel` False: the reference is not a translation of the
    source, so the scores measure topical overlap and are shown without any test (Comparison.not_parallel_rows)."""
    document: str
    lang: str
    relation: str
    parallel: bool
    system: str
    metric: str
    score: float
    ci: list[float] | None
    delta: float | None


@dataclass
class TestedRow(ScoreRow):
    """A score row with its paired interval against the baseline and both paired tests, raw and Holm-corrected
    within the system's comparison with the baseline (statistics.holm_within_systems); None where there is no test
    (the baseline, document level, a document that is no translation)."""
    delta_ci: list[float] | None = None
    p_bootstrap: float | None = None
    p_randomization: float | None = None
    p_bootstrap_holm: float | None = None
    p_randomization_holm: float | None = None
    significant: bool | None = None


@dataclass(frozen=True)
class BucketRow:
    """One parallel document's corpus score of one system in one reference-length bucket, with its 95% interval
    and the paired interval of its difference from the baseline (None in a `small` bucket)."""
    document: str
    lang: str
    bucket: str
    segments: int
    small: bool
    system: str
    metric: str
    score: float
    ci: list[float] | None
    delta: float | None
    delta_ci: list[float] | None


@dataclass(frozen=True)
class ExampleOutput:
    system: str
    hyp: str
    score: float


@dataclass(frozen=True)
class Example:
    """One reference sentence where two systems' sentence scores differ: its source, and each system's output."""
    document: str
    lang: str
    ref_index: int
    ref: str
    src: str | None
    metric: str
    difference: float
    outputs: list[ExampleOutput]


@dataclass(frozen=True)
class SystemExamples:
    """Where `system` beats the baseline most (better), and where the baseline beats it most (worse)."""
    system: str
    baseline: str
    better: list[Example]
    worse: list[Example]


@dataclass
class Verdict:
    """Over the parallel documents x metrics: how often a system is significantly better than the baseline,
    significantly worse, or not told apart."""
    system: str
    better: int = 0
    worse: int = 0
    unclear: int = 0


@dataclass(frozen=True)
class SummaryRow:
    """One document's summary scores in one run, with what made them: the summarizer and its settings (a label, and
    `setup`, everything that decides the summaries and the reference summary they are scored against, with the
    metrics' signatures). Rows of different setups are not comparable."""
    document: str
    lang: str
    relation: str
    parallel: bool            # declared parallel and not measured otherwise (DocumentRecord.parallel)
    system: str
    summarizer: str
    setup: str
    scores: dict[str, float]
    degraded: list[str]       # the run table's degraded cell, and the degradations of its reference summary


@dataclass(frozen=True)
class SpanRow:
    """One segment of a system with the error spans a metric (xCOMET) marked on its output."""
    system: str
    document: str
    lang: str
    ref_index: int
    metric: str
    score: float | None
    hyp: str
    ref: str
    error_spans: list[dict]     # as the metric stored them: start, end, severity, confidence


def document_rows(runs: list[Run], doc_index: int, metric_names: list[str]) -> list[TestedRow]:
    """Document-level scores: one segment per document, so no interval and no test ("n/a")."""
    rows = []
    for name in metric_names:
        base = runs[0].result.documents[doc_index].metrics[name].score
        for position, run in enumerate(runs):
            score = run.result.documents[doc_index].metrics[name].score
            rows.append(score_row(run, doc_index, name, score, None,
                                      None if position == 0 else round(score - base, SCORE_DIGITS)))
    return rows


def score_row(run: Run, doc_index: int, metric: str, score: float, ci, delta) -> TestedRow:
    """One document x system x metric, its tests not filled in yet."""
    document = run.result.documents[doc_index]
    return TestedRow(document.id, document.src_lang, document.relation, document.parallel, run.name, metric, score,
                     ci, delta)


def rounded(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [round(bound, SCORE_DIGITS) for bound in interval]


def example_metric(segment: Segment) -> str | None:
    return next((name for name in EXAMPLE_METRICS if name in segment.scores), None)


def example(document: DocumentRecord, pair: tuple[Segment, Segment], names: tuple[str, str], metric: str) -> Example:
    baseline, system = pair
    return Example(document.id, document.src_lang, baseline.ref_index, baseline.ref, baseline.src or system.src,
                   metric, round(system.scores[metric] - baseline.scores[metric], SCORE_DIGITS),
                   [ExampleOutput(name, segment.hyp, segment.scores[metric]) for name, segment in zip(names, pair)])


def system_examples(runs: list[Run], position: int, paired: dict[int, list[tuple[Segment, ...]]],
                    limit: int) -> SystemExamples:
    """Where one system's sentence score beats the baseline's most, and where it falls behind most: the
    compare-mt examples, drawn from the parallel documents only."""
    names = (runs[0].name, runs[position].name)
    found = []
    for doc_index, per_segment in paired.items():
        document = runs[0].result.documents[doc_index]
        for segments in per_segment:
            pair = (segments[0], segments[position])
            metric = example_metric(pair[0])
            if metric and metric in pair[1].scores:
                found.append(example(document, pair, names, metric))
    found.sort(key=lambda e: -e.difference)
    return SystemExamples(runs[position].name, runs[0].name, [e for e in found if e.difference > 0][:limit],
                          [e for e in reversed(found) if e.difference < 0][:limit])


def examples_both_ways(runs: list[Run], compared: list[int],
                       limit: int = EXAMPLES_PER_DIRECTION) -> list[SystemExamples]:
    paired = {i: list(zip(*paired_segments(runs, i))) for i in compared if runs[0].result.documents[i].parallel}
    return [system_examples(runs, position, paired, limit) for position in range(1, len(runs))]


def baseline_family_size(rows: list[TestedRow]) -> str:
    """How many tests each system's Holm family against the baseline holds (statistics.holm_within_systems): its
    tested rows, parallel documents x metrics ("4", or "4 or 8" where systems differ)."""
    sizes = {sum(1 for r in rows if r.system == system and r.p_bootstrap is not None)
             for system in dict.fromkeys(r.system for r in rows if r.delta is not None)}
    return " or ".join(str(size) for size in sorted(sizes)) or "0"


def verdicts(rows: list[TestedRow], metrics: list[MetricInfo]) -> list[Verdict]:
    """Per system, over the parallel documents x metrics: how often it is significantly better than the
    baseline, significantly worse, or not told apart (a metric's direction decides better and worse)."""
    higher = {m.name: m.higher_is_better for m in metrics}
    tally: dict[str, Verdict] = {}
    for row in rows:
        if row.delta is None or not row.parallel or row.significant is None:
            continue
        counts = tally.setdefault(row.system, Verdict(row.system))
        if not row.significant:
            counts.unclear += 1
        elif (row.delta > 0) == higher[row.metric]:
            counts.better += 1
        else:
            counts.worse += 1
    return list(tally.values())


MODEL_LABELS = ("name", "loaded")   # a summarizer model's record: its label (by default the run's model's name)
                                    # and what this run loaded (nothing when cached), which decide no summary


def summarizer_model(details: dict) -> dict:
    """The summarizer model's record (an abstractive summarizer's), less what decides no summary."""
    model = details.get("model")
    return {key: value for key, value in model.items() if key not in MODEL_LABELS} if isinstance(model, dict) else {}


def summarizer_label(name: str, details: dict | None) -> str:
    """'lead (sentences=3)': the summarizer with its settings and its model (hub id, local folder or GGUF source),
    from the reference summary's record (details: the summarizer's describe(); absent from older results)."""
    details = details or {}
    model = summarizer_model(details)
    settings = [f"{key}={json.dumps(value, ensure_ascii=False) if isinstance(value, str) else value}"   # a prompt
                for key, value in details.items() if key not in ("name", "model")]                   # on one line
    shown = model.get("id") or model.get("source")
    settings += [f"model={shown}"] if shown else []
    return f"{name} ({', '.join(settings)})" if settings else name


def summary_setup(run: Run) -> tuple[str, str]:
    """A run's summarizer label and its whole summary setup (as JSON: what a summary is made from, the reference
    summaries' records of the summarizer, the summary metrics' signatures)."""
    record = run.result
    references = record.reference_summaries or ()
    first = next(d.summary for d in record.documents if d.summary is not None)
    details = references[0].details if references else None
    made_by = [{**r.details, "model": summarizer_model(r.details)} if r.details else r.summarizer for r in references]
    setup = {"input": first.input, "summarizer": made_by or first.summarizer, "metrics": record.summary_metrics}
    return summarizer_label(first.summarizer or "?", details), json.dumps(setup, sort_keys=True, ensure_ascii=False)


def summary_rows(runs: list[Run]) -> list[SummaryRow]:
    rows = []
    for run in runs:
        documents = [document for document in run.result.documents if document.summary is not None]
        label, setup = summary_setup(run) if documents else ("", "")
        rows += [SummaryRow(document.id, document.src_lang, document.shown_relation, document.parallel, run.name, label,
                            setup, document.summary.flat_scores(), summary_degradations(run, document))
                 for document in documents]
    return rows


def summary_degradations(run: Run, document: DocumentRecord) -> list[str]:
    """The document's summary degradations (DocumentRecord.summary_degradations), and its reference summary's."""
    against = document.summary.scored_against   # absent from older results: the reference file's name tells
    references = [r for r in run.result.reference_summaries or ()
                  if (r.text_file == against if against else r.reference_file == document.reference_file)]
    reference = [f"reference summary {cell}" for r in references for cell in (["EMPTY"] if r.empty else []) + r.cuts()]
    return document.summary_degradations() + reference


def summary_setups_differ(rows: list[SummaryRow]) -> dict[str, str]:
    """Each system's summarizer label when the systems' summaries were made or scored differently (empty when all
    alike): each is scored against its own summarizer's summary of the reference."""
    setups = {row.system: (row.summarizer, row.setup) for row in rows}
    return {system: label for system, (label, _) in setups.items()} if len({s for _, s in setups.values()}) > 1 else {}


@dataclass(frozen=True)
class RankRow:
    """One system's place in one metric's ranking: its corpus score over the parallel documents' aligned
    segments with the bootstrap 95% interval, its rank cluster (as WMT ranks: 1, 2, ...) and the range of places
    that cluster spans ("2-4"), and the paired tests against the system ranked just above it."""
    metric: str
    system: str
    place: int
    cluster: int
    rank: str
    score: float
    ci: tuple[float, float]
    delta_above: float | None = None          # score minus that of the system above (None for the first)
    p_bootstrap_above: float | None = None    # Holm-corrected over the ranking's neighbours (RANK_FAMILY)
    p_randomization_above: float | None = None
    significant_above: bool | None = None
    duplicate_of: str | None = None           # another system whose output is identical
    raw_p_above: tuple[float, float] | None = None   # (bootstrap, randomization) before the correction


@dataclass(frozen=True)
class PairRow:
    """Two systems on one metric over the parallel documents' aligned segments (--all-pairs): the difference
    `system` minus `other` with its paired interval and both paired tests, raw and Holm-corrected (PAIRS_FAMILY)."""
    metric: str
    system: str
    other: str
    delta: float
    delta_ci: tuple[float, float]
    p_bootstrap: float
    p_randomization: float
    p_bootstrap_holm: float
    p_randomization_holm: float
    significant: bool


@dataclass(frozen=True)
class Ranking:
    """A comparison's ranking and all-pairs tables, typed (comparison.json: `ranking`, and `duplicates` beside it)."""
    rows: list[RankRow]
    pairs: list[PairRow]
    documents: list[str]                 # the parallel documents pooled
    notes: list[str]                     # what the tests and their families are; why there is no ranking
    duplicates: list[list[str]] = field(default_factory=list)   # groups of systems with identical outputs

    def metric_rows(self, metric: str) -> list[RankRow]:
        return [row for row in self.rows if row.metric == metric]

    def metric_pairs(self, metric: str) -> list[PairRow]:
        return [pair for pair in self.pairs if pair.metric == metric]

    @classmethod
    def from_record(cls, record: dict) -> Ranking:
        """The ranking of a comparison read back from comparison.json (Comparison.as_record writes it)."""
        part = record.get("ranking") or {}
        return cls([RankRow(**{**row, "ci": tuple(row["ci"]),
                                "raw_p_above": row["raw_p_above"] and tuple(row["raw_p_above"])})
                    for row in part.get("rows", [])],
                   [PairRow(**{**pair, "delta_ci": tuple(pair["delta_ci"])}) for pair in part.get("pairs", [])],
                   part.get("documents", []), part.get("notes", []), record.get("duplicates", []))


def duplicate_note(groups: list[list[str]]) -> list[str]:
    return [f"duplicate outputs: {' = '.join(names)} (identical hypotheses on every document; their scores are "
            "the same by construction)" for names in groups]


@dataclass(frozen=True)
class SystemInfo:
    """A compared run: its name, folder, model description (as the run stored it), start and versions."""
    name: str
    run_dir: str
    model: dict
    started: str | None
    versions: dict
    degraded: list[str]   # the run's counters of degraded output ("3 outputs cut short at ..."), off-target and empty
                          # outputs (output_degradations); none for most


@dataclass(frozen=True)
class DocumentInfo:
    """A compared document: its relation as declared and as measured, its number of segments (None: none
    stored), and the notes every compared run holds of it: the data's, not a system's (its language check, a language
    the encoder does not cover, reference sentences the source lacks)."""
    id: str
    lang: str
    relation: str
    measured_relation: str | None
    parallel: bool
    segments: int | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricInfo:
    """A compared metric: its key (what --metrics names), signature, direction and, for a metric stored under its
    dotted path, the name it declares (what the tables show; comparison.json has it only when there is one)."""
    name: str
    signature: str
    higher_is_better: bool
    declared_name: str | None = None


@dataclass(frozen=True)
class SkippedDocument:
    """A document left out of an aligned comparison, and why."""
    id: str
    lang: str
    relation: str
    reason: str


@dataclass(frozen=True)
class SkippedRun:
    """A run folder left out of the comparison: its state and why."""
    run_dir: str
    state: str
    reason: str


OFF_TARGET = "output not in {target} (off-target: untranslated or another language): {documents}"


REFERENCE_COPIED = "output is the reference word for word (its scores of 100 measure no translation): {documents}"
DECOMPOSED = ("output has decomposed characters (not Unicode NFC), which match no composed character of the reference: "
              "its scores are lower than the same text's; convert it to NFC: {documents}")


def output_degradations(run: Run) -> list[str]:
    """What the run table shows of the outputs themselves, for the comparison's notes: the documents whose output
    is off-target, those with empty outputs (the run table's ! and degraded column), those whose output is their
    reference (its note: the reference file handed in as a hypothesis ranked first at 100, with no word) and those
    whose output is decomposed (NFD) against a composed reference (its note: ranked last, with no word, round 31)."""
    documents = run.result.documents
    off_target = [d.id for d in documents if d.off_target]
    empty = [f"{d.id} {d.empty_outputs}/{d.hypothesis_units}" for d in documents if d.empty_outputs]
    copied = [d.id for d in documents if REFERENCE_COPY_NOTE in d.notes]
    decomposed = [d.id for d in documents if any(note.startswith(DECOMPOSED_OUTPUT) for note in d.notes)]
    return ([OFF_TARGET.format(target=run.result.target_lang, documents=", ".join(off_target))] if off_target else []) \
        + ([f"empty outputs: {', '.join(empty)}"] if empty else []) \
        + ([REFERENCE_COPIED.format(documents=", ".join(copied))] if copied else []) \
        + ([DECOMPOSED.format(documents=", ".join(decomposed))] if decomposed else [])


def system_description(run: Run) -> SystemInfo:
    return SystemInfo(run.name, str(run.path), run.result.model, run.result.started, run.result.versions or {},
                      run.result.degradations() + output_degradations(run))


def document_description(records: list[DocumentRecord]) -> DocumentInfo:
    """A compared document as every run stored it (the first run's record, the notes all of them hold: harness-score of
    several files prints the comparison alone, and a reference in a close relative of its language, or a source
    language the encoder does not cover, was said in no table, round 31)."""
    document, notes = records[0], [[*r.notes, *r.alignment.get("notes", [])] for r in records]
    shared = tuple(note for note in notes[0] if all(note in other for other in notes[1:]))
    return DocumentInfo(document.id, document.src_lang, document.relation, document.measured_relation,
                        document.parallel, None if document.segments is None else len(document.segments), shared)


def metric_description(runs: list[Run], level: str, name: str, compared: list[int]) -> MetricInfo:
    """A compared metric, described by the record the first run stored for it on the first compared document, with
    the signature of what the comparison scores (compared_signature): every run's records on every compared document
    count, as a line over limits.max_segment_chars in any of them leaves that line out for every system."""
    records = [record for run in runs for i in compared
               if (record := metric_records(run.result.documents[i], level).get(name)) is not None]
    first = records[0]
    return MetricInfo(name, compared_signature([r.signature for r in records]), first.higher_is_better,
                      first.name or None)


def skipped_document(runs: list[Run], doc_index: int) -> SkippedDocument:
    """A document left out of an aligned comparison, and which runs have no aligned score for it."""
    document = runs[0].result.documents[doc_index]
    lacking = [run.name for run in runs if not run.result.documents[doc_index].aligned]
    return SkippedDocument(document.id, document.src_lang, document.relation,
                           f"no aligned segment in {', '.join(lacking)} (no reference sentence has a source "
                           "counterpart)")


def split_by_relation(rows: list[TestedRow]) -> tuple[list[TestedRow], list[ScoreRow]]:
    """The rows of parallel documents (tested), and those of the others, without any test field: their scores
    measure topical overlap, so they are shown in a section of their own and never tested."""
    others = [ScoreRow(**{field.name: getattr(row, field.name) for field in fields(ScoreRow)})
              for row in rows if not row.parallel]
    return [row for row in rows if row.parallel], others


def skipped_records(skipped: list[Skipped]) -> list[SkippedRun]:
    return [SkippedRun(str(s.path), s.state, s.reason) for s in skipped]


def segment_span_rows(run: Run, document: DocumentRecord) -> list[SpanRow]:
    """A document's segments that carry error spans, one row per segment and metric; none for a document whose
    reference is not a translation of its source, where spans would mark differences from another text."""
    if not document.parallel:
        return []
    return [SpanRow(run.name, document.id, document.src_lang, segment.ref_index, metric, segment.scores.get(metric),
                    segment.hyp, segment.ref, details["error_spans"])
            for segment in document.segments or () for metric, details in segment.details.items()
            if details.get("error_spans") is not None]


def error_span_rows(runs: list[Run], limit: int = SPAN_SEGMENTS_PER_SYSTEM) -> list[SpanRow]:
    """Per system and metric, the `limit` lowest-scored segments with their error spans (none for runs
    without a span-producing metric such as xcomet)."""
    rows = []
    for run in runs:
        found = [row for document in run.result.documents for row in segment_span_rows(run, document)]
        for metric in dict.fromkeys(row.metric for row in found):
            chosen = sorted((r for r in found if r.metric == metric), key=lambda r: r.score or 0.0)
            rows += chosen[:limit]
    return rows
