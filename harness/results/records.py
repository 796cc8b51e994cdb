"""The result schema: the frozen records that harness-run writes and harness-compare reads, each field once.

Each record is a dataclass whose fields are result.json's keys in the order written; a field's metadata (made by
`entry`) says how it is written, read back and described, and when it is left out. Record.to_dict and
Record.from_dict walk those fields, so a record has one writer and one reader and a field is added in one place:
the record's class (its field, and the line of its `of` that fills it from the run's stages; docs/extending.md).
from_dict takes a result that harness.results.results.check_result has checked (or one the writer just built); a
field with a default may be absent from older results (schema_version 2) and reads as that default. Record.malformed
checks a written record against its fields' types (a tuple is a JSON list, a record a JSON object), so that a key
edited by hand to another type is named in one line rather than met by a reader.
"""
from __future__ import annotations

import functools
import types
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypedDict, Union, get_args, get_origin, get_type_hints, is_typeddict

from harness.data.relations import counts_as_parallel
from harness.score.metrics.base import Score
from harness.score.scoring import REFERENCE_COPY_NOTE
from harness.translate.translate import CUT_NOTE_START

if TYPE_CHECKING:
    from harness.score.aligned_scoring import AlignedDocument
    from harness.score.scoring import DocumentScores
    from harness.summarize.summarize import DocumentSummary, SummaryEvaluation

SCHEMA_VERSION = 3   # 2: segments from the source <-> reference alignment, unmatched_* lists, adequacy
#                      3: segment "details" (a metric's notes: xCOMET error spans, pieces), "reference_free"
#                         scores with their "source_units", and "system" scores (sentence models: COMET);
#                         optional in 3: each segment's "statistics" (per metric, its sufficient statistics row)
#                         and the document's "segment_statistics" (per metric, how rows sum to a score: "mean" or
#                         "own", Metric.statistics_kind), so that harness-compare needs no metric code
READABLE_SCHEMA_VERSIONS = (2, 3)   # version 2 results hold neither, and read as such


class Absent:
    """A key the writer leaves out, as opposed to one it writes as null (a segment's adequacy: null where the
    cosine was not measured on a line-aligned set, no key on the hypothesis-side path, which has no beads of
    source sentences)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


def same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class LeftOut:
    """A field left out of result.json when the value of field `name` (its own, or another's) passes `test`."""
    name: str
    test: Callable[[Any], bool]

    def __call__(self, record: Record) -> bool:
        return self.test(getattr(record, self.name))


@dataclass(frozen=True)
class Entry:
    """How one field is written and read: its key, its JSON form (write/read), when it is left out, and what it
    means (the schema page, docs/result-schema.md, is made from these: schema_markdown)."""
    key: str | None
    about: str
    write: Callable[[Any], Any] = same
    read: Callable[[Any], Any] = same
    left_out: LeftOut | None = None
    rest: bool = False      # the record's remaining dict-valued keys, written in place (a summary's score sections)
    written_as: Any = None  # the JSON form's type where the field's own says less (a dict's keys) or differs


def entry(about: str, *, key: str | None = None, default: Any = MISSING, default_factory: Any = MISSING,
          write: Callable[[Any], Any] = same, read: Callable[[Any], Any] = same, left_out: LeftOut | None = None,
          rest: bool = False, written_as: Any = None) -> Any:
    """A record field: `about` says what it holds; no default means every result has it (check_result)."""
    metadata = {"entry": Entry(key, about, write, read, left_out, rest, written_as)}
    return field(default=default, default_factory=default_factory, metadata=metadata)


def entry_of(record_field: Field) -> Entry:
    return record_field.metadata["entry"]


def key_of(record_field: Field) -> str:
    return entry_of(record_field).key or record_field.name


def is_required(record_field: Field) -> bool:
    return record_field.default is MISSING and record_field.default_factory is MISSING


class Record:
    """One to_dict and one from_dict for every record, from its fields' entries."""

    def to_dict(self) -> dict:
        written: dict = {}
        for record_field in fields(self):
            spec = entry_of(record_field)
            if spec.left_out is not None and spec.left_out(self):
                continue
            value = spec.write(getattr(self, record_field.name))
            if spec.rest:
                written.update(value)
            else:
                written[key_of(record_field)] = value
        return written

    @classmethod
    def from_dict(cls, written: dict) -> Record:
        values = {}
        named = {key_of(f) for f in fields(cls)}
        for record_field in fields(cls):
            spec = entry_of(record_field)
            if spec.rest:
                values[record_field.name] = spec.read({k: v for k, v in written.items()
                                                       if k not in named and isinstance(v, dict)})
            elif key_of(record_field) in written:
                values[record_field.name] = spec.read(written[key_of(record_field)])
        return cls(**values)

    @classmethod
    def required_keys(cls) -> tuple[str, ...]:
        """The keys every result has (the checks of harness.results.results.check_result)."""
        return tuple(key_of(f) for f in fields(cls) if is_required(f))

    @classmethod
    def malformed(cls, written: dict, where: str = "") -> list[str]:
        """The dotted names of the keys of a written record that are missing (required ones) or hold a value of
        another JSON type than their field's: what a hand edit or a damaged file left, found before a reader
        meets it (a list where a reader takes a dict was a traceback in harness-compare)."""
        hints = declared_types(cls)
        problems = []
        for record_field in fields(cls):
            spec, key = entry_of(record_field), key_of(record_field)
            if spec.rest:
                continue
            if key not in written:
                problems += [inside(where, key)] if is_required(record_field) else []
                continue
            problems += malformed_value(spec.written_as or hints[record_field.name], written[key], inside(where, key))
        return problems


# ---------------------------------------------------------------- the JSON form of a field's type

@functools.cache
def declared_types(kind: type) -> dict[str, Any]:
    """A record's or TypedDict's field types, evaluated once (a result holds a Segment per reference sentence)."""
    return get_type_hints(kind)


def inside(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


JSON_SCALARS = {str: (str,), int: (int,), float: (int, float), bool: (bool,), type(None): (type(None),)}


def is_scalar(kind: Any, value: Any) -> bool:
    """A JSON scalar of the type: a number is never a bool (True is an int to Python, not to a reader)."""
    return isinstance(value, JSON_SCALARS[kind]) and (kind is bool or not isinstance(value, bool))


def malformed_value(kind: Any, value: Any, where: str) -> list[str]:
    """Where a value read from JSON is not of the type `kind` (a field's type, as records and TypedDicts declare
    them: tuples are JSON lists, records and other classes JSON objects); [] where it is."""
    if kind in JSON_SCALARS:
        return [] if is_scalar(kind, value) else [where]
    origin, arguments = get_origin(kind), get_args(kind)
    if kind is Any:
        return []
    if origin in (Union, types.UnionType):
        return malformed_option(arguments, value, where)
    if kind is Absent:   # a key the writer leaves out holds no value at all
        return [where]
    if origin in (tuple, list) or kind in (tuple, list):
        return malformed_items(arguments[0] if arguments else Any, value, where)
    if origin is dict or kind is dict:
        return malformed_entries(arguments[1] if arguments else Any, value, where)
    if not isinstance(value, dict):
        return [where]
    if isinstance(kind, type) and issubclass(kind, Record):
        return kind.malformed(value, where)
    if is_typeddict(kind) or kind in WRITTEN_FORMS:
        return malformed_typed_dict(WRITTEN_FORMS.get(kind, kind), value, where)
    return []   # another class read from an object


def malformed_option(options: tuple, value: Any, where: str) -> list[str]:
    """[] where the value is of one of the types; else what is wrong inside the one whose JSON type it has (the
    field of a record), or the value itself."""
    found = [malformed_value(option, value, where) for option in options]
    if any(not problems for problems in found):
        return []
    return next((problems for problems in found if problems != [where]), [where])


def malformed_items(kind: Any, value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        return [where]
    if kind in JSON_SCALARS and all(is_scalar(kind, item) for item in value):   # a statistics row: the common case
        return []
    return [problem for number, item in enumerate(value)
            for problem in malformed_value(kind, item, inside(where, number))]


def malformed_entries(kind: Any, value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [where]
    return [problem for key, item in value.items() for problem in malformed_value(kind, item, inside(where, key))]


def malformed_typed_dict(kind: Any, value: dict, where: str) -> list[str]:
    hints = declared_types(kind)
    return [inside(where, key) for key in kind.__required_keys__ if key not in value] + [
        problem for key, item in value.items() if key in hints
        for problem in malformed_value(hints[key], item, inside(where, key))]


# ---------------------------------------------------------------- how fields are written and read

def scores_written(scores: dict[str, Score]) -> dict:
    return {name: score.as_dict() for name, score in scores.items()}


def scores_read(written: dict) -> dict[str, Score]:
    return {name: Score.from_dict(name, record) for name, record in written.items()}


def as_list(values: tuple) -> list:
    return list(values)


def rows_written(statistics: dict[str, tuple]) -> dict[str, list]:
    return {name: list(row) for name, row in statistics.items()}


def rows_read(written: dict[str, list]) -> dict[str, tuple]:
    return {name: tuple(row) for name, row in written.items()}


def records_written(records: tuple[Record, ...] | None) -> list[dict] | None:
    return None if records is None else [record.to_dict() for record in records]


def records_reader(kind: type[Record]) -> Callable[[list], tuple]:
    return lambda written: tuple(kind.from_dict(record) for record in written)


def record_written(record: Record | None) -> dict | None:
    return None if record is None else record.to_dict()


def record_reader(kind: type[Record]) -> Callable[[object], Record | None]:
    return lambda written: kind.from_dict(written) if isinstance(written, dict) else None


def one_or_list(records: tuple[Record, ...]) -> dict | list[dict]:
    return records[0].to_dict() if len(records) == 1 else [record.to_dict() for record in records]


def one_or_list_reader(kind: type[Record]) -> Callable[[object], tuple]:
    return lambda written: tuple(kind.from_dict(r) for r in (written if isinstance(written, list) else [written])
                                 if isinstance(r, dict))


def empty(value: Any) -> bool:
    return not value


def none(value: Any) -> bool:
    return value is None


def absent(value: Any) -> bool:
    return value is ABSENT


# ---------------------------------------------------------------- the records

@dataclass(frozen=True, kw_only=True)
class Segment(Record):
    """A reference sentence with the hypothesis text aligned to it, its source (if any) and sentence scores."""
    ref_index: int = entry("the reference sentence's index (alignment/<id>.tsv)")
    ref: str = entry("the reference sentence")
    hyp: str = entry("the output aligned to it (an output shared by several reference sentences is split)")
    src: str | None = entry("the source sentences aligned to it (null: the output's source is unknown)",
                            default=None)
    bead: str | None = entry("the alignment bead it belongs to, sources-references (1-1, 2-1, ...)", default=None)
    similarity: float | None = entry("the bead's alignment similarity", default=None)
    adequacy: float | None | Absent = entry(
        "the bead's source-output cosine (null: not measured; absent on the hypothesis-side path)",
        default=ABSENT, left_out=LeftOut("adequacy", absent))
    extra_refs: tuple[str, ...] = entry("a line-aligned test set's second, third... reference line",
                                        default=(), write=as_list, read=tuple,
                                        left_out=LeftOut("extra_refs", empty))
    scores: dict[str, float] = entry("by metric (alignment.segment_metrics): the sentence score",
                                     default_factory=dict)
    statistics: dict[str, tuple[float, ...]] = entry(
        "by metric: its sufficient statistics row, so that harness-compare tests stored runs without metric code",
        default_factory=dict, write=rows_written, read=rows_read, left_out=LeftOut("statistics", empty))
    details: dict[str, dict] = entry("by metric: what it records beside the score (xCOMET's error_spans, pieces)",
                                     default_factory=dict, left_out=LeftOut("details", empty))


@dataclass(frozen=True)
class OutputLanguage:
    english: float
    verdict: str | None


class ScoreFields(TypedDict):
    score: float
    signature: str
    higher_is_better: bool


class ScoreWritten(ScoreFields, total=False):
    """A Score as Score.as_dict writes it: its metric is the key it is stored under, its name only where it has one."""
    name: str


WRITTEN_FORMS = {Score: ScoreWritten}   # a class's JSON form, where it is no record (malformed_value)


# what DocumentRecord's properties read of its diagnostics (harness.score.diagnostics.diagnose writes them)
class RelationWritten(TypedDict, total=False):
    declared: str
    measured: str | None
    measured_from: str | None
    signals: dict[str, Any] | None
    agrees: bool | None
    cannot_judge_because: str | None


class OutputLanguageShares(TypedDict):
    english: float


class OutputLanguageWritten(OutputLanguageShares, total=False):
    verdict: str | None


class DiagnosticsWritten(TypedDict, total=False):
    relation: RelationWritten
    output_language: OutputLanguageWritten | None
    adequacy: float | None


def summary_file(summary: DocumentSummary) -> str:
    """summaries/<doc_id>.txt, and a reference's summary in summaries/references/ under its reference file's name,
    which no document's summary can take (a document 'reference' overwrote the reference summary's file)."""
    if summary.input_kind == "reference":
        return f"{REFERENCE_SUMMARIES}/{summary.doc_id}"
    return f"summaries/{summary.doc_id}.txt"


REFERENCE_SUMMARIES = "summaries/references"


@dataclass(frozen=True, kw_only=True)
class SummaryRecord(Record):
    """A summary's record: what made it, its text file and size, and its score sections (every dict-valued
    field, in the order written: vs_reference_summary, vs_reference, reference_free, ...)."""
    reference_file: str | None = entry("a reference summary's reference file (its path below the folder of all the "
                                       "references when two share a name)", default=None,
                                       left_out=LeftOut("reference_file", none))
    details: dict | None = entry("a reference summary's summarizer and its settings", default=None,
                                 left_out=LeftOut("details", none))
    summarizer: str | None = entry("the summarizer's name", default=None)
    input: str | None = entry("what was summarized: translation, source or reference", default=None)
    text_file: str | None = entry("the summary, in the run folder", default=None)
    sentences: int | None = entry("the summary's sentences", default=None)
    words: int | None = entry("the summary's words (runs of letters and digits, as its metrics count them)",
                              default=None)
    empty: bool = entry("whether the summary is empty (no word: punctuation alone is empty)", default=False, read=bool)
    cache_hit: bool | None = entry("whether it came from the cache", default=None)
    sections: dict[str, dict] = entry("score sections by comparison (vs_reference_summary, vs_reference, "
                                      "reference_free): by metric, its score", default_factory=dict, rest=True)
    chunking: dict | None = entry("how a long input was cut into chunks (harness.summarize)", default=None,
                                  left_out=LeftOut("chunking", none))
    scored_against: str | None = entry("a document's summary: the reference summary's file it is scored against",
                                       default=None, left_out=LeftOut("scored_against", none))

    @classmethod
    def of(cls, summary: DocumentSummary, summarizer: str, **reference: Any) -> SummaryRecord:
        return cls(**reference, summarizer=summarizer, input=summary.input_kind, text_file=summary_file(summary),
                   sentences=len(summary.output.sentences), words=len(summary.output.words),
                   empty=not summary.output.words, cache_hit=summary.cache_hit, sections=summary.scores,
                   chunking=summary.output.chunking or None,
                   scored_against=summary_file(summary.reference) if summary.reference else None)

    def section(self, name: str) -> dict:
        return self.sections.get(name, {})

    def cuts(self) -> list[str]:
        """What an abstractive summarizer cut: input chunks the tokenizer truncated (a word longer than the model takes
        is a chunk of its own), chunk summaries cut at summarizer.max_new_tokens."""
        chunking = self.chunking or {}
        truncated, cut = chunking.get("truncated_chunks", 0), chunking.get("cut_chunks", 0)
        return [*([f"{truncated} input chunks TRUNCATED"] if truncated else []),
                *([f"{cut} cut at max_new_tokens"] if cut else [])]

    def flat_scores(self) -> dict:
        """Flat "<comparison> <metric>" -> score over the score sections (issue 5's shape)."""
        flat = {}
        for comparison, scores in self.sections.items():
            for metric, value in scores.items():
                score = value.get("score") if isinstance(value, dict) else value
                if isinstance(score, (int, float)):
                    flat[f"{comparison} {metric}"] = score
        return flat


def reference_files(document: Any) -> tuple[str, ...]:
    return tuple(text.path.name for text in document.references) if document.extra_references else ()


@dataclass(frozen=True, kw_only=True)
class DocumentRecord(Record):
    """A document's result: its files, its scores, its segments and what the run measured about it."""
    id: str = entry("the document's id (manifest.yaml)")
    src_lang: str = entry("its source language")
    relation: str = entry("the declared relation of source and reference: parallel, comparable or unrelated")
    source_file: str | None = entry("the source file's name")
    reference_file: str | None = entry("the (first) reference file's name")
    reference_files: tuple[str, ...] = entry("every reference file, when the document has several", default=(),
                                             write=as_list, read=tuple,
                                             left_out=LeftOut("reference_files", empty))
    source_segments: int | None = entry("source sentences (or lines) translated")
    hypothesis_units: int | None = entry("output units: one per source sentence (or line); source sentences that one "
                                         "output translates together count once", default=None)
    empty_outputs: int | None = entry("output units that are empty where their source has text (omissions)",
                                      default=None)
    cache_hits: int | None = entry("outputs served by the translation cache", default=None)
    notes: tuple[str, ...] = entry("what could not be checked, or was left out or cut", default=(),
                                   write=as_list, read=tuple)
    cleaning: dict = entry("what boilerplate cleaning removed, by side (source, reference)")
    metrics: dict[str, Score] = entry("document-level scores by metric (metrics=[...])",
                                      write=scores_written, read=scores_read)
    segments: tuple[Segment, ...] | None = entry("one per reference sentence with a source counterpart",
                                                 default=None, write=records_written, read=records_reader(Segment),
                                                 left_out=LeftOut("segments", none))
    unmatched_reference: tuple[dict, ...] = entry("reference sentences without source: left out of the scores",
                                                  default=(), write=as_list, read=tuple)
    unmatched_source: tuple[dict, ...] = entry("source sentences without reference, with their output",
                                               default=(), write=as_list, read=tuple)
    unaligned_hypotheses: tuple[str, ...] = entry("outputs aligned to no reference sentence (hypothesis-side path)",
                                                  default=(), write=as_list, read=tuple)
    aligned: dict[str, Score] = entry("corpus scores over the segments (alignment.corpus_metrics)",
                                      default_factory=dict, write=scores_written, read=scores_read)
    statistics_kinds: dict[str, str] = entry(
        "metrics with stored segment statistics: how rows sum to a score, mean (total / count) or own (the "
        "metric's code)", key="segment_statistics", default_factory=dict,
        left_out=LeftOut("statistics_kinds", empty))
    reference_free: dict[str, Score] = entry("scores that read no reference (CometKiwi), over the source units",
                                             default_factory=dict, write=scores_written, read=scores_read,
                                             left_out=LeftOut("reference_free", empty))
    source_units: int = entry("how many source units reference_free scored: its weight in a run's score",
                              default=0, left_out=LeftOut("reference_free", empty))
    alignment: dict = entry("the alignment's method, bead counts and notes", default_factory=dict)
    diagnostics: dict = entry("the measured relation (with its signals), the output language, adequacy",
                              default_factory=dict, written_as=DiagnosticsWritten)
    summary: SummaryRecord | None = entry("the document's summary (summarizer=...)", default=None,
                                          write=record_written, read=record_reader(SummaryRecord),
                                          left_out=LeftOut("summary", none))

    @classmethod
    def of(cls, scored: DocumentScores, aligned: AlignedDocument, diagnostics: dict,
           summaries: SummaryEvaluation | None = None) -> DocumentRecord:
        """A document's record from the stages of the run."""
        translation = scored.translation
        document = translation.document
        return cls(
            id=document.id, src_lang=document.src_lang, relation=document.relation,
            source_file=document.source.path.name, reference_file=document.reference.path.name,
            reference_files=reference_files(document), source_segments=len(translation.segments),
            hypothesis_units=len(translation.units()), empty_outputs=translation.empty_outputs,
            cache_hits=translation.cache_hits,
            notes=(*document.notes, *translation.notes, *aligned.degradations, *scored.notes),
            cleaning={"source": document.source.cleaning_record(), "reference": document.reference.cleaning_record()},
            metrics=scored.scores, segments=tuple(Segment.from_dict(s) for s in aligned.segments),
            unmatched_reference=tuple(aligned.unmatched_reference), unmatched_source=tuple(aligned.unmatched_source),
            unaligned_hypotheses=tuple(aligned.unaligned_hypotheses), aligned=aligned.aligned_scores,
            statistics_kinds=aligned.statistics_kinds, reference_free=aligned.reference_free,
            source_units=aligned.source_units,
            alignment={"method": aligned.method, "beads": aligned.bead_counts(), "notes": aligned.notes},
            diagnostics=diagnostics,
            summary=SummaryRecord.of(summaries.documents[document.id], summaries.summarizer.name) if summaries
            else None)

    @property
    def has_segments(self) -> bool:
        return self.segments is not None

    @property
    def reference_cleaning(self) -> object:
        return self.cleaning.get("reference")

    @property
    def measured_relation(self) -> str | None:
        return self.diagnostics.get("relation", {}).get("measured")

    @property
    def shown_relation(self) -> str:
        """Its relation as a table shows it: as declared, then as measured where it was ('parallel/unrelated!': '!'
        where the two disagree), so that no row reads 'parallel' beside a note that it is not."""
        measured = self.measured_relation
        if measured is None:
            return self.relation
        return f"{self.relation}/{measured}{'!' if self.relation_agrees is False else ''}"

    @property
    def relation_measured_from(self) -> str | None:
        return self.diagnostics.get("relation", {}).get("measured_from")

    @property
    def relation_signals(self) -> dict:
        return self.diagnostics.get("relation", {}).get("signals") or {}

    @property
    def cannot_judge_because(self) -> str | None:
        """Why its relation cannot be judged, where the diagnostics know (absent from older results)."""
        return self.diagnostics.get("relation", {}).get("cannot_judge_because")

    @property
    def relation_agrees(self) -> bool | None:
        return self.diagnostics.get("relation", {}).get("agrees")

    @property
    def output_language(self) -> OutputLanguage | None:
        language = self.diagnostics.get("output_language")
        return OutputLanguage(language["english"], language.get("verdict")) if language else None

    @property
    def off_target(self) -> bool:
        """Whether its output is not in the target language (harness.score.diagnostics.language_verdict)."""
        language = self.output_language
        return language is not None and language.verdict == "off_target"

    @property
    def summarizes_off_target_output(self) -> bool:
        """Its summary was made from the system's output, and that output is not in the target language."""
        return self.summary is not None and self.summary.input == "translation" and self.off_target

    @property
    def summarizes_cut_output(self) -> bool:
        """Its summary was made from the system's output of the first source sentences alone (data.max_segments), and
        is scored against the summary of the whole reference."""
        return (self.summary is not None and self.summary.input == "translation"
                and any(note.startswith(CUT_NOTE_START) for note in self.notes))

    @property
    def summarizes_its_reference(self) -> bool:
        """Its summary was made from an output that is its reference word for word (the reference file handed in as
        the hypothesis): it is the reference summary, and its scores of 100 measure nothing."""
        return self.summary is not None and self.summary.input == "translation" and REFERENCE_COPY_NOTE in self.notes

    def summary_degradations(self) -> list[str]:
        """What makes its summary less than a summary of the system's output: empty, what the summarizer cut (cuts),
        made from an off-target output (a summary of a text not in the target language, by a summarizer that may
        read English only, says nothing of the system's summaries), from the output of part of the source or from
        the reference itself."""
        return [*(["empty"] if self.summary.empty else []), *self.summary.cuts(),
                *(["input off-target"] if self.summarizes_off_target_output else []),
                *(["input cut"] if self.summarizes_cut_output else []),
                *(["input is the reference"] if self.summarizes_its_reference else [])]

    @property
    def adequacy(self) -> float | None:
        return self.diagnostics.get("adequacy")

    @property
    def parallel(self) -> bool:
        """Whether its scores read as translation quality: the reference translates the source."""
        return counts_as_parallel(self.relation, self.measured_relation)


@dataclass(frozen=True, kw_only=True)
class RunInfo(Record):
    """When the run started, how long it took, and what its folder noted."""
    started: str | None = entry("when the run started (ISO 8601, the run's local time)", default=None)
    wall_seconds: float | None = entry("how long it took", default=None)
    notes: tuple[str, ...] = entry("what the run folder noted (a resumed run, ...)", default=(), write=as_list,
                                   read=tuple)


@dataclass(frozen=True, kw_only=True)
class DataRecord(Record):
    """The data set the run read."""
    root: str | None = entry("the data set's folder", default=None)
    target_lang: str = entry("the language of the references and outputs", default="en")


# backend counters that mean degraded output, and what they count (results table, harness-compare notes)
DEGRADATION_STATS = {"split_overlong_inputs": "inputs longer than the model accepts, split and translated in parts",
                     "truncated_inputs": "inputs TRUNCATED by the tokenizer",
                     "oom_batch_halvings": "batches halved after running out of GPU memory",
                     "echoed_prompt_example": "outputs that copy the prompt's example instead of translating",
                     "cut_at_max_new_tokens": "outputs cut short at generation.max_new_tokens (raise it)",
                     "cache_entries_rejected": "cache entries failed their checksum and were recomputed"}


@dataclass(frozen=True, kw_only=True)
class RunRecord(Record):
    """A run's result, typed: what harness-run writes and compare, report and report_html read."""
    schema_version: int = entry("this schema's version (2 is read too)")
    run: RunInfo = entry("when and how long", default_factory=RunInfo, write=record_written,
                         read=record_reader(RunInfo))
    config: dict = entry("the whole composed configuration")
    model: dict = entry("the backend's description: name, backend, model and generation settings")
    versions: dict[str, str | None] | None = entry("python, torch, transformers, sacrebleu, harness, git commit",
                                                   default=None)
    data: DataRecord = entry("the data set", write=record_written, read=record_reader(DataRecord))
    system: dict[str, Score] = entry("sentence models' run scores (mean over all segments)", default_factory=dict,
                                     write=scores_written, read=scores_read, left_out=LeftOut("system", empty))
    backend_stats: dict = entry("the backend's counters (translated_segments, truncated_inputs, ...)",
                                default_factory=dict)
    documents: tuple[DocumentRecord, ...] = entry("one per document", write=records_written,
                                                  read=records_reader(DocumentRecord))
    reference_summaries: tuple[SummaryRecord, ...] | None = entry(
        "the reference summary (a list when the data set has several references)", key="reference_summary",
        default=None, write=one_or_list, read=one_or_list_reader(SummaryRecord),
        left_out=LeftOut("reference_summaries", none), written_as=SummaryRecord | list[SummaryRecord] | None)
    summary_metrics: dict[str, str] = entry("each summary metric's signature", default_factory=dict,
                                            left_out=LeftOut("reference_summaries", none))

    @property
    def model_name(self) -> str:
        return self.model["name"]

    @property
    def backend(self) -> str | None:
        return self.model.get("backend")

    @property
    def data_root(self) -> str | None:
        return self.data.root

    @property
    def target_lang(self) -> str:
        return self.data.target_lang

    @property
    def notes(self) -> tuple[str, ...]:
        return self.run.notes

    @property
    def started(self) -> str | None:
        return self.run.started

    @property
    def max_segments(self) -> int | None:
        return self.config.get("data", {}).get("max_segments")

    @property
    def allow_metric_code(self) -> bool:
        return bool(self.config.get("allow_metric_code"))

    @property
    def max_segment_chars(self) -> int | None:
        """limits.max_segment_chars: longer segments only have linear-cost scores."""
        return self.config.get("limits", {}).get("max_segment_chars")

    def backend_stat(self, name: str) -> object:
        """A backend counter (a degradation such as truncated_inputs), None when the backend did not count it."""
        return self.backend_stats.get(name)

    def degradations(self) -> list[str]:
        """"N <what they are>" for each backend counter of degraded output that is not zero (DEGRADATION_STATS)."""
        return [f"{self.backend_stat(key)} {text}" for key, text in DEGRADATION_STATS.items() if self.backend_stat(key)]


# ---------------------------------------------------------------- the schema page (docs/result-schema.md)

DOCUMENTED = (RunRecord, RunInfo, DataRecord, DocumentRecord, Segment, SummaryRecord)
TESTS = {"empty": "is empty", "none": "is null", "absent": "has none (no key)"}


def written_when(record_field: Field, keys: dict[str, str]) -> str:
    spec = entry_of(record_field)
    if spec.rest:
        return "always, each section its own key"
    if spec.left_out is None:
        return "always"
    own = spec.left_out.name == record_field.name
    return f"unless {'it' if own else f'`{keys[spec.left_out.name]}`'} {TESTS[spec.left_out.test.__name__]}"


def shown_key(record_field: Field) -> str:
    key = "(each score section)" if entry_of(record_field).rest else f"`{key_of(record_field)}`"
    return key if is_required(record_field) else f"{key} *"


def record_table(kind: type[Record]) -> str:
    keys = {f.name: key_of(f) for f in fields(kind)}
    rows = [f"| {shown_key(f)} | `{f.type.replace(' | ', ' or ')}` | {written_when(f, keys)} | {entry_of(f).about} |"
            for f in fields(kind)]
    summary = " ".join((kind.__doc__ or "").split("\n\n")[0].split())
    return "\n".join([f"### {kind.__name__}", "", summary, "",
                      "| key | type | written | what it holds |", "|---|---|---|---|", *rows])


def schema_markdown() -> str:
    """The schema page's tables, made from the records (tests/test_result_schema.py keeps the page in step)."""
    return "\n\n".join(record_table(kind) for kind in DOCUMENTED) + "\n"

