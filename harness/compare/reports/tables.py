"""Rendering of results for people: the terminal table printed at the end of a run, and the comparison's
leaderboard as terminal text, Markdown and CSV (charts and HTML: harness.compare.reports.charts and .page)."""
from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
import shutil
import socket
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

import psutil
from wcwidth import wcswidth

from harness.compare.comparison import Comparison
from harness.compare.discovery import COMPARISON_FILE, holds_a_comparison
from harness.compare.rows import (OFF_TARGET, BucketRow, Example, MetricInfo, PairRow, RankRow, Ranking, ScoreRow,
                                  SystemExamples, TestedRow, baseline_family_size, duplicate_note,
                                  summarizer_label, summary_setups_differ)
from harness.compare.significance import short_of_95
from harness.compare.statistics import ALPHA
from harness.data.languages import UNSPACED_LANGUAGES, language_name
from harness.data.relations import MeasuredFrom, Relation
from harness.errors import UserError
from harness.results.records import REFERENCE_SUMMARIES
from harness.results.results import DocumentRecord, RunRecord, SummaryRecord, as_run_record
from harness.results.run_folder import followed, refuse_inside_a_run, remove_created_folders, topmost_missing
from harness.score.metrics import Score

log = logging.getLogger(__name__)

METRIC_LABELS = {"bleu": "BLEU", "chrf": "chrF", "chrf++": "chrF++", "ter": "TER", "rouge1": "R-1", "rouge2": "R-2",
                 "rougeL": "R-L", "rougeLsum": "R-Lsum", "embedding_cosine": "cos", "comet": "COMET",
                 "cometkiwi": "CometKiwi (ref-free)", "xcomet": "xCOMET"}
SUMMARY_FREE_COLUMNS = {"coverage": "coverage", "density": "density", "compression_ratio": "compression"}
ALIGNED_COLUMNS = ["bleu", "chrf", "ter"]   # corpus scores over aligned segments shown in the table
ALIGNED_NOTE = ("aln: corpus scores over the segments shared by every system (reference sentences with a source "
                "counterpart, alignment/<id>.tsv){lower}; relation measured from source and reference{besides}")
ALIGNED_BESIDES = ", except in the documents named below"   # where the relation is measured from an output, or not
ADEQUACY_NOTE = ("adeq: reference-free adequacy, mean cosine of source and output in the multilingual space "
                 "(a copied source scores high: read it with {target}, the share of output sentences in the target "
                 "language, of those language ID is sure of; ! marks an off-target output)")
OFF_TARGET_NOTE = f"! {OFF_TARGET}"
NOT_PARALLEL_NOTE = ("* the reference is not a translation of this source (declared or measured {relations}): "
                     "its scores measure topical overlap, not translation quality")
DISAGREE_NOTE = "! measured relation disagrees with the declared one: {documents}"
CANNOT_JUDGE_NOTE = ("? relation cannot be judged (too few sentences, sentences so alike that chance pairs match as "
                     "well as translations, every sentence pair in a bead, merged sentences only, a copy of the source "
                     "or of the reference, the source left in the reference, a reference in the source's language, hypothesis not {target}, or a "
                     "language the encoder does not cover; the declared relation counts): {documents}")
CANNOT_JUDGE_COMPARED_NOTE = ("? relation cannot be judged, so the declared relation counts (each run's table says "
                              "why): {documents}")
COPIED_NOTE = ("= {document}: {copied} of {sentences} reference sentences are source sentences word for word (text left "
               "untranslated, or names and figures alone): a system that copies its source scores on them as on a "
               "translation")
UNCOVERED = "a language of the pair is not covered by the multilingual encoder"
# documents whose relation does not come from source and reference, as the aln note says of every other one
MEASURED_FROM_NOTES = {
    MeasuredFrom.HYPOTHESIS: (f"relation measured from hypothesis and reference ({UNCOVERED}: the verdict depends on "
                              "this system's output, not on the pair alone): {documents}"),
    MeasuredFrom.NOTHING: f"relation not measured ({UNCOVERED}; the declared relation counts): {{documents}}",
}
NO_VALUE = "-"   # the cell of a value that does not exist: every row keeps every column
UNMEASURED_LANGUAGE = ("no_output", "not_identified")   # every output empty; no sentence language ID is sure of
NOT_IDENTIFIED_NOTE = (f"{NO_VALUE} output language not measured: language ID was sure of none of its sentences "
                       "(lines of a word or two): {documents}")
UNSPACED_TER_NOTE = ("TER of a {language} target: sacrebleu's TER (asian:no, as its command line scores it) takes "
                     "what spaces separate for words, and {language} puts no spaces between words, so its TER counts "
                     "edits of whole clauses and may pass 100 by far; compare it between systems, read chrF for quality")
NOT_ALIGNED_NOTE = (f"{NO_VALUE}: no aligned segment (no reference sentence has a source counterpart): {{documents}}; "
                    "its aligned scores do not exist")


def english_cell(document: DocumentRecord) -> str:
    language = document.output_language
    if not language or language.verdict in UNMEASURED_LANGUAGE:
        return NO_VALUE
    return f"{100 * language.english:.0f}%" + ("!" if language.verdict == "off_target" else "")


def adequacy_cell(document: DocumentRecord) -> str:
    adequacy = document.adequacy
    return NO_VALUE if adequacy is None else f"{adequacy:.2f}"


BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_text(text: object) -> str:
    """Text as a terminal shows it literally: control characters (escape sequences, line breaks) and bidirectional
    overrides written as escapes, so that a name from someone else's result.json can neither move the cursor nor
    reverse the text after it (a score read backwards)."""
    return "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS
                   else c for c in str(text))


def screen_width(text: str) -> int:
    """Columns a terminal gives the text: two per wide (CJK) character, none per combining mark (wcwidth)."""
    width = wcswidth(text)
    return len(text) if width < 0 else width


def format_table(headers: list[str], rows: list[list[str]], left: int = 3) -> str:
    """An aligned text table: the first `left` columns are labels (left-aligned), the rest numbers; cells padded
    to screen columns. A row must have a cell under every header: a missing value is a NO_VALUE cell, never a
    shorter row (the cells after it would stand under the wrong headers)."""
    table = [[terminal_text(cell) for cell in row] for row in [headers, *rows]]
    for row in table[1:]:
        if len(row) != len(headers):
            raise ValueError(f"a table row has {len(row)} cells under {len(headers)} headers: {row}")
    widths = [max(screen_width(cell) for cell in column) for column in zip(*table)]
    pad = lambda cell, width: " " * (width - screen_width(cell))  # noqa: E731
    line = lambda cells: "  ".join(c + pad(c, w) if i < left else pad(c, w) + c  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(table[0]), "  ".join("-" * w for w in widths)] + [line(row) for row in table[1:]])


def document_row(document: DocumentRecord, metric_names: list[str], aligned_names: list[str]) -> list[str]:
    marker = "" if document.parallel else "*"   # a reference-free score (CometKiwi) reads no reference: no mark
    scores = [f"{document.metrics[name].score:.1f}{'' if name in document.reference_free else marker}"
              if name in document.metrics else "n/a" for name in metric_names]
    aligned = [f"{document.aligned[name].score:.1f}{marker}" if name in document.aligned else NO_VALUE
               for name in aligned_names]
    empty = document.empty_outputs
    degraded = f"{empty}/{document.hypothesis_units} empty" if empty else ""
    return [document.id, document.src_lang, document.shown_relation, *scores, *aligned,
            adequacy_cell(document), english_cell(document), degraded]


def relation_notes(documents: tuple[DocumentRecord, ...], target_lang: str) -> list[str]:
    notes = []
    relations = sorted({d.relation for d in documents if d.relation != Relation.PARALLEL}
                       | {d.measured_relation for d in documents if not d.parallel and d.measured_relation}
                       - {Relation.PARALLEL, Relation.CANNOT_JUDGE})
    if relations:
        notes.append(NOT_PARALLEL_NOTE.format(relations=", ".join(relations)))
    disagree = [d.id for d in documents if d.relation_agrees is False]
    if disagree:
        notes.append(DISAGREE_NOTE.format(documents=", ".join(disagree)))
    for measured_from, note in MEASURED_FROM_NOTES.items():
        named = [d.id for d in documents if d.relation_measured_from == measured_from]
        if named:
            notes.append(note.format(documents=", ".join(named)))
    undecided = [d.id for d in documents if d.measured_relation == Relation.CANNOT_JUDGE]
    if undecided:
        notes.append(CANNOT_JUDGE_NOTE.format(target=target_lang, documents=", ".join(undecided)))
    notes += [f"? {d.id}: {d.cannot_judge_because}" for d in documents if d.cannot_judge_because]
    notes += [COPIED_NOTE.format(document=d.id, copied=copied, sentences=d.relation_signals["reference_sentences"])
              for d in documents if (copied := d.relation_signals.get("copied_sentences"))]
    unidentified = [d.id for d in documents if d.output_language and d.output_language.verdict == "not_identified"]
    if unidentified:
        notes.append(NOT_IDENTIFIED_NOTE.format(documents=", ".join(unidentified)))
    off_target = [d.id for d in documents if d.off_target]
    if off_target:
        notes.append(OFF_TARGET_NOTE.format(target=target_lang, documents=", ".join(off_target)))
    return notes


def score_label(score: Score) -> str:
    """A metric's label in a table: the harness's short one (BLEU, chrF), else the name the metric declares (a
    metric of the user's own, stored under its dotted path)."""
    return METRIC_LABELS.get(score.metric, score.shown_name)


def lower_is_better(documents: list[DocumentRecord], metric_names: list[str], aligned_names: list[str]) -> str:
    """"TER lower is better": the table's metrics whose scores declare higher_is_better false (a metric of
    the user's own too), by their labels; "" when every one is higher-is-better."""
    scores = [d.metrics[n] for d in documents for n in metric_names if n in d.metrics]
    scores += [d.aligned[n] for d in documents for n in aligned_names if n in d.aligned]
    lower = list(dict.fromkeys(score_label(s) for s in scores if not s.higher_is_better))
    return f"{', '.join(lower)} lower is better" if lower else ""


def results_table(result: dict | RunRecord) -> str:
    """The table printed at the end of a run; `result` is the run's typed record, or the result dict just
    written (typed by the same reader, RunRecord.from_dict)."""
    record = as_run_record(result)
    documents = record.documents
    metric_names = list(dict.fromkeys(name for d in documents for name in d.metrics))
    aligned_names = [n for n in ALIGNED_COLUMNS if any(n in d.aligned for d in documents)]
    labels = {s.metric: score_label(s) for d in documents for s in [*d.metrics.values(), *d.aligned.values()]}
    headers = ["document", "lang", "relation declared/measured", *[labels[n] for n in metric_names],
               *[f"aln {labels[n]}" for n in aligned_names], "adeq", language_name(record.target_lang), "degraded"]
    table = format_table(headers, [document_row(d, metric_names, aligned_names) for d in documents])
    notes = [f"model: {record.model_name} ({record.backend})"]
    lower = lower_is_better(documents, metric_names, aligned_names)
    if aligned_names:
        besides = any(d.relation_measured_from in MEASURED_FROM_NOTES for d in documents)
        notes.append(ALIGNED_NOTE.format(lower=f", {lower}" if lower else "",
                                         besides=ALIGNED_BESIDES if besides else ""))
    elif lower:
        notes.append(lower)
    not_aligned = [d.id for d in documents if d.has_segments and not d.aligned]
    if not_aligned:
        notes.append(NOT_ALIGNED_NOTE.format(documents=", ".join(not_aligned)))
    notes.append(ADEQUACY_NOTE.format(target=language_name(record.target_lang)))
    if "ter" in [*metric_names, *aligned_names] and record.target_lang in UNSPACED_LANGUAGES:
        notes.append(UNSPACED_TER_NOTE.format(language=language_name(record.target_lang)))
    notes += relation_notes(documents, record.target_lang)
    notes += [f"degraded: {degradation}" for degradation in record.degradations()]
    notes += [f"{score.signature.rsplit('|', 1)[-1]}: {score_label(score)} {score.score:.1f}"
              for score in record.system.values()]
    notes += [f"note: {note}" for note in record.notes]
    # a document's notes name it: data.max_segments' and the bounds' notes say "this document" without an id
    notes += [f"note: {d.id}: {note}" for d in documents for note in d.notes]
    notes += [f"note: {d.id}: {note}" for d in documents for note in d.alignment.get("notes", [])]
    signatures = {d.metrics[n].signature for d in documents for n in metric_names if n in d.metrics}
    signatures |= {d.aligned[n].signature for d in documents for n in aligned_names if n in d.aligned}
    notes += sorted(signatures)
    return "\n".join([table, "", *notes])


def summary_decimals(section: str, name: str) -> int:
    """The decimals a summary score is shown with, in a run's table and in a comparison: a cosine 3, what a summary
    does with its input (a ratio, a coverage, a share of novel n-grams) 2, a score out of 100 (ROUGE, chrF) 1."""
    return 2 if section == "reference_free" else 3 if name == "embedding_cosine" else 1


def summary_cell(section: str, name: str, score: float | None, missing: str = NO_VALUE) -> str:
    return missing if score is None else f"{score:.{summary_decimals(section, name)}f}"


def summary_row(document: DocumentRecord, similarity: list[str], cosine: bool) -> list[str]:
    summary = document.summary

    def cell(section: str, name: str) -> str:
        return summary_cell(section, name, summary.section(section).get(name))

    full = [cell("vs_reference", "embedding_cosine")] if cosine else []
    return [document.id, document.src_lang, document.shown_relation, str(summary.words),
            *[cell("vs_reference_summary", name) for name in similarity],
            *full, *[cell("reference_free", name) for name in SUMMARY_FREE_COLUMNS], summary_degradations(document)]


def summary_degradations(document: DocumentRecord) -> str:
    return ", ".join(document.summary_degradations())


def reference_summary_note(reference: SummaryRecord) -> str:
    """The line under the summary table about a reference summary, with what made it less than the reference."""
    cut = reference.cuts()
    return (f"reference summary: {reference.text_file} ({reference.words} words, from {reference.reference_file})"
            + (" EMPTY: every score against it is 0" if reference.empty else "")
            + (f"; degraded: {', '.join(cut)}" if cut else ""))


NOT_PARALLEL_SUMMARY_NOTE = ("relation not parallel: the summary is made from a text that does not translate the "
                             "reference, so its scores measure how much the two texts' summaries share, not "
                             "translation quality")


def run_summary_table(result: dict | RunRecord) -> str:
    """Each document's summary against the reference summary (and, by cosine, the full reference), with
    how extractive it is; empty when the run made no summaries."""
    record = as_run_record(result)
    references = record.reference_summaries
    documents = [d for d in record.documents if d.summary is not None]
    if not references or not documents:
        return ""
    first = documents[0].summary
    similarity = list(dict.fromkeys(name for d in documents for name in d.summary.section("vs_reference_summary")))
    cosine = any("embedding_cosine" in d.summary.section("vs_reference") for d in documents)
    headers = ["document", "lang", "relation", "words", *[METRIC_LABELS.get(n, n) for n in similarity],
               *(["cos ref"] if cosine else []), *SUMMARY_FREE_COLUMNS.values(), "degraded"]
    table = format_table(headers, [summary_row(d, similarity, cosine) for d in documents])
    # no human summary: a summary is scored against the same summarizer's summary of the reference text
    made_by = summarizer_label(first.summarizer, references[0].details)
    notes = [f"summaries: {made_by} of each {first.input}, scored against {first.summarizer}'s summary of "
             f"the reference ({references[0].text_file if len(references) == 1 else REFERENCE_SUMMARIES + '/'}"
             f"{'; cos ref: against the full reference' if cosine else ''})"]
    if any(not d.summary.section("vs_reference") for d in documents):
        notes.append(f"not scored against the full reference (no cos ref): it is {language_name(record.target_lang)}, "
                     f"and {first.summarizer}'s summaries are English; no summary metric compares texts in two "
                     "languages")
    if not all(d.parallel for d in documents):
        notes.append(NOT_PARALLEL_SUMMARY_NOTE)
    if any(not d.summary.section("reference_free") for d in documents):
        notes.append("reference-free scores left out (-) of summaries in another language than their input (summary."
                     "cross_lingual, or an abstractive summarizer's English summary of a text in another language): a "
                     "summary shares no words with a text in another language")
    if any(d.summarizes_off_target_output for d in documents):
        notes.append("input off-target: the translation summarized is not in the target language (the run table's "
                     "English column), so its summary's scores say nothing of the system's summaries")
    if any(d.summarizes_cut_output for d in documents):
        notes.append("input cut: the translation summarized is of the first source sentences alone (data.max_segments, "
                     "the run table's note), and its summary is scored against the summary of the whole reference")
    if any(d.summarizes_its_reference for d in documents):
        notes.append("input is the reference: the translation summarized is its reference word for word (the run "
                     "table's note), so its summary is the reference summary and its scores measure nothing")
    notes += [reference_summary_note(reference) for reference in references]
    by_signature: dict[str, list[str]] = {}
    for name, signature in record.summary_metrics.items():
        by_signature.setdefault(signature, []).append(name)
    notes += [f"{', '.join(names)}: {signature}" for signature, names in by_signature.items()]
    return "\n".join([table, "", *notes])


# ---------------------------------------------------------------- comparisons (harness-compare)

REPORT_FILES = {"json": COMPARISON_FILE, "markdown": "leaderboard.md", "csv": "leaderboard.csv",
                "ranking_csv": "ranking.csv", "html": "report.html", "charts": "charts"}


GROUP_FOLDER = "comparison_{number}"   # one report per data set when a search finds runs of several
GROUP_FOLDER_NAME = re.compile(r"comparison_\d+")


def group_folder(folder: Path, number: int, count: int) -> Path:
    """Where group `number` of `count` goes: the folder itself when there is one group."""
    return folder if count == 1 else folder / GROUP_FOLDER.format(number=number)


def written_by_a_report(entry: Path, in_a_report: bool) -> bool:
    """An entry of a folder that a report wrote: its files and charts where its comparison.json shows it is one, and
    an earlier grouped report's comparison_<n> folders; a file of the user's named report.html is not."""
    if GROUP_FOLDER_NAME.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
        return not foreign_entries(entry)
    if not in_a_report or entry.name not in REPORT_FILES.values() or entry.is_symlink():
        return False
    if entry.name == REPORT_FILES["charts"]:
        return entry.is_dir() and all(chart.suffix == ".png" and chart.is_file() for chart in entry.iterdir())
    return entry.is_file()


def foreign_entries(folder: Path) -> list[str]:
    """What in a report folder no report wrote."""
    in_a_report = holds_a_comparison(folder)
    return sorted(p.name for p in folder.iterdir() if not written_by_a_report(p, in_a_report))


def check_report_folder(folder: Path) -> None:
    """The report goes into a new folder, or replaces an earlier report: never among someone else's files."""
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out {folder} is a file; name a new folder for the report")
    foreign = foreign_entries(folder) if folder.is_dir() else []
    if foreign:
        raise UserError(f"--out {folder} already holds other files ({', '.join(foreign[:3])}); name a new or "
                        "empty folder for the report, so that nothing there is overwritten")


def folder_state(folder: Path) -> tuple | None:
    """What stands at a report folder: None when nothing; else the folder's identity and each entry's name,
    identity and last change (a report written there since changes it: every file of one is new)."""
    try:
        status = folder.stat()
        with os.scandir(folder) as entries:
            listing = sorted((e.name, e.inode(), e.stat(follow_symlinks=False).st_mtime_ns) for e in entries)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return ("a file",)
    return status.st_dev, status.st_ino, tuple(listing)


REPORT_CHANGED = ("{folder}: another comparison wrote a report there while this one ran; nothing was overwritten "
                  "and this report was not written: run it again, with another --out to keep both")
Written = TypeVar("Written")


@dataclass(frozen=True)
class ReportPlace:
    """A report folder and what stood there when the comparison began. The report is written into a staging folder
    beside it and moved into place whole once complete: a reader never finds half a report, a report that
    another comparison put there in the meantime is never overwritten (this one refuses instead), and an earlier
    report found there at the start is replaced whole (the caller says so)."""
    folder: Path
    found: tuple | None

    @classmethod
    def of(cls, folder: Path) -> ReportPlace:
        # first, where the folder is or would be: a link to a report folder that a killed swap moved aside leads to
        # nothing until the report is put back
        recover_killed_publishes(Path(os.path.realpath(folder)))
        folder = followed(folder.absolute(), "--out")   # a link to a report folder: the report replaces its target
        check_report_folder(folder)
        refuse_inside_a_run(folder, "--out")
        return cls(folder, folder_state(folder))

    def publish(self, write: Callable[[Path], Written]) -> tuple[Written, bool]:
        """What `write` returns for the staging folder, and whether an earlier report was replaced."""
        staging = publish_folder(self.folder, STAGING, os.getpid())
        created = topmost_missing(self.folder.parent)
        try:
            written = write(staging)
            return written, self.move_into_place(staging)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
            if not self.folder.exists():   # nothing published: no empty folder of ours is left behind
                remove_created_folders(self.folder.parent, created)

    def move_into_place(self, staging: Path) -> bool:
        if folder_state(self.folder) != self.found:
            foreign = foreign_entries(self.folder) if self.folder.is_dir() else []
            if foreign:   # not another report: files of someone's
                raise UserError(f"--out {self.folder}: {', '.join(foreign[:3])} appeared there while this comparison "
                                "ran; nothing was overwritten and this report was not written: run it again with "
                                "another --out, or once they are moved out")
            raise UserError(REPORT_CHANGED.format(folder=self.folder))
        if self.found is None:
            try:
                staging.rename(self.folder)   # fails when a report appeared there since the check: never merged
            except OSError as err:
                raise UserError(REPORT_CHANGED.format(folder=self.folder)) from err
            return False
        if not self.found[2]:   # an empty folder (made for the report): the report's entries go into it
            for entry in staging.iterdir():
                entry.rename(self.folder / entry.name)
            return False
        aside = publish_folder(self.folder, ASIDE, os.getpid())
        try:
            self.folder.rename(aside)
            staging.rename(self.folder)
        except BaseException:   # Ctrl-C or SIGTERM between the two: the earlier report goes back in place
            if aside.exists() and not self.folder.exists():
                aside.rename(self.folder)
            raise
        discard_replaced(aside)
        return True


STAGING, ASIDE = "partial", "replaced"   # beside a report folder while a comparison publishes into it
PUBLISH_FOLDER = re.compile(rf"\.(?P<name>.+)\.(?P<kind>{STAGING}|{ASIDE})-(?P<pid>\d+)@(?P<host>.+)")


def publish_folder(folder: Path, kind: str, pid: int) -> Path:
    """The new report being written (STAGING), or the earlier one moved aside for it (ASIDE), by process pid on this
    host (a pid another host or container uses on a shared folder says nothing here)."""
    return folder.parent / f".{folder.name}.{kind}-{pid}@{socket.gethostname()}"


def recover_killed_publishes(folder: Path) -> None:
    """What a comparison killed while it published into folder (SIGKILL, a power cut) left beside it, hidden: its
    half-written staging folder goes; an earlier report it had moved aside goes back in place when nothing took its
    place, else goes as the replaced report it was. A live process's folders, and another host's, are left alone."""
    if not folder.parent.is_dir():
        return
    for entry in sorted(folder.parent.iterdir()):
        found = PUBLISH_FOLDER.fullmatch(entry.name)
        if (not found or found["name"] != folder.name or found["host"] != socket.gethostname() or entry.is_symlink()
                or not entry.is_dir() or psutil.pid_exists(int(found["pid"]))):
            continue
        if found["kind"] == STAGING:
            shutil.rmtree(entry)
        elif not folder.exists():
            entry.rename(folder)
        else:
            discard_replaced(entry)


def discard_replaced(aside: Path) -> None:
    """Remove an earlier report moved aside; kept (and said) if anything no report wrote got into it meanwhile."""
    foreign = foreign_entries(aside)
    if foreign:
        log.warning("kept %s: it holds files no report wrote (%s)", aside, ", ".join(foreign[:3]))
        return
    shutil.rmtree(aside)


LEVEL_NOTES = {
    "aligned": "corpus scores over the reference sentences, each with the hypothesis text aligned to it",
    "document": "document-level scores (each whole document is one segment: no interval, no test, n/a)",
}


def metric_label(metric: MetricInfo) -> str:
    """A compared metric's label with its direction: the short one, else the name it declares (metric_description)."""
    shown = METRIC_LABELS.get(metric.name, metric.declared_name or metric.name)
    return shown + (" ↑" if metric.higher_is_better else " ↓")


def number(value: float | None, sign: bool = False) -> str:
    return "n/a" if value is None else (f"{value:+.1f}" if sign else f"{value:.1f}")


def interval(ci: list[float] | None) -> str:
    return "n/a" if ci is None else f"[{ci[0]:.1f}, {ci[1]:.1f}]"


def p_text(p: float | None, raw: float | None = None, floor: float | None = None) -> str:
    """A p-value to 3 decimals, more where 3 would show it on the other side of ALPHA than it is (50/1001 is
    0.04995, significant, not "0.050"); "≤" when the test's raw p is at its floor 1/(resamples + 1) (no resample was
    as extreme as the observed difference: the true p may be smaller still), rounded up so that the bound holds."""
    if p is None:
        return "n/a"
    bound = floor is not None and raw is not None and raw <= floor * (1 + 1e-9)
    decimals = 3
    while (shown_p(p, decimals, bound) < ALPHA) != (p < ALPHA) and decimals < 9:
        decimals += 1
    return f"{'≤ ' if bound else ''}{shown_p(p, decimals, bound):.{decimals}f}"


def shown_p(p: float, decimals: int, up: bool) -> float:
    """p to so many decimals: rounded, or rounded up for a bound ("≤"), which must still hold."""
    scale = 10 ** decimals
    return math.ceil(p * scale - 1e-9) / scale if up else round(p, decimals)


def p_floor(comparison: Comparison) -> float | None:
    test = comparison.significance
    return test.p_floor if test else None


def delta_text(row: TestedRow) -> str:
    """The delta, starred when significant on a parallel document (elsewhere a test says nothing about quality)."""
    if row.delta is None:
        return "baseline"
    return number(row.delta, sign=True) + ("*" if row.significant and row.parallel else "")


LEADERBOARD_HEADERS = ["document", "lang", "relation", "system", "score", "95% CI", "Δ vs baseline",
                       "p (bootstrap)", "p (AR)"]


def leaderboard_cells(row: TestedRow, floor: float | None = None) -> list[str]:
    return [row.document, row.lang, row.relation, row.system, number(row.score), interval(row.ci),
            delta_text(row), p_text(row.p_bootstrap_holm, row.p_bootstrap, floor),
            p_text(row.p_randomization_holm, row.p_randomization, floor)]


def metric_rows(comparison: Comparison, metric: str) -> list[TestedRow]:
    return [row for row in comparison.rows if row.metric == metric]


def comparison_notes(comparison: Comparison) -> list[str]:
    """The legend under the tables: level, baseline, tests and their families, marker and each metric's signature
    once."""
    ranking = comparison.ranking
    notes = [f"scores: {LEVEL_NOTES[comparison.level]}", f"baseline: {comparison.baseline}", *ranking.notes]
    unrelated = [d for d in comparison.data.documents if d.relation != Relation.PARALLEL]
    if unrelated:
        notes.append(f"{', '.join(d.id for d in unrelated)}: " + NOT_PARALLEL_NOTE.format(
            relations=", ".join(sorted({d.relation for d in unrelated})))[2:])
    undecided = [d.id for d in comparison.data.documents if d.measured_relation == Relation.CANNOT_JUDGE]
    if undecided:
        notes.append(CANNOT_JUDGE_COMPARED_NOTE.format(documents=", ".join(undecided)))
    test = comparison.significance
    if test:
        notes.append(f"95% CI: bootstrap, {test.resamples} resamples of the aligned sentences (seed {test.seed}); "
                     f"p: paired bootstrap and paired approximate randomization vs the baseline, parallel documents "
                     f"only (approximate randomization: {test.resamples} trials, where sacrebleu --paired-ar runs "
                     "10000 unless told; " + COUNTED_AS_EXTREME + f"); multiple testing: {test.correction}"
                     + short_note(test.resamples))
        notes.append(f"* significant: Holm-corrected p < {test.alpha} in both tests (parallel documents only)")
    notes += duplicate_note(ranking.duplicates)
    notes += comparison.metrics_left_out
    notes += [f"{metric_label(m)}: {m.signature}" for m in comparison.metrics]
    notes += [f"skipped {s.run_dir} ({s.state}: {s.reason})" for s in comparison.skipped]
    notes += [f"degraded: {system.name}: {'; '.join(system.degraded)}"
              for system in comparison.systems if system.degraded]
    notes += [f"note: {d.id}: {note}" for d in comparison.data.documents for note in d.notes]
    return notes + skipped_document_notes(comparison)


def short_note(resamples: int) -> str:
    """What the intervals are with too few resamples for sacrebleu's 95% rule (significance.short_of_95), after
    "; "; nothing from 40 resamples on."""
    return f"; {short_of_95(resamples)}" if short_of_95(resamples) else ""


COUNTED_AS_EXTREME = ("a p-value counts the resamples at least as extreme as the observed difference, sacrebleu only "
                      "those strictly more: its p is lower by the resamples that tie the difference, which TER's "
                      "whole edit counts make many on a small test set")


def skipped_document_notes(comparison: Comparison) -> list[str]:
    """The documents an aligned comparison leaves out, and why."""
    return [f"not compared: {d.id} ({d.lang}): {d.reason}" for d in comparison.skipped_documents]


RANKING_HEADERS = ["rank", "system", "score", "95% CI", "Δ vs above", "p (bootstrap)", "p (AR)"]


def rank_system(row: RankRow) -> str:
    return row.system + (f" (= {row.duplicate_of}: identical output)" if row.duplicate_of else "")


def ranking_cells(row: RankRow, floor: float | None) -> list[str]:
    """One system's line in a ranking; the tests are against the system above, starred when significant."""
    if row.delta_above is None:
        tests = ["", "", ""]
    else:
        tests = [number(row.delta_above, sign=True) + ("*" if row.significant_above else ""),
                 p_text(row.p_bootstrap_above, row.raw_p_above[0], floor),
                 p_text(row.p_randomization_above, row.raw_p_above[1], floor)]
    return [row.rank, rank_system(row), number(row.score), interval(list(row.ci)), *tests]


def ranking_title(metric: MetricInfo, ranking: Ranking) -> str:
    """A ranking's title: what is ranked, and the family its p-values are Holm-corrected over (the tables of one
    pair of systems show different p-values where their families differ)."""
    documents, tests = len(ranking.documents), len(ranking.metric_rows(metric.name)) - 1
    family = f"; p: Holm over the {tests} test{'s' if tests != 1 else ''} between neighbours" if tests else ""
    return (f"Ranking by {metric_label(metric)}: corpus score over the aligned segments of {documents} parallel "
            f"document{'s' if documents != 1 else ''}{family}")


def baseline_family_text(comparison: Comparison) -> str:
    """The family the p-values against the baseline are Holm-corrected over, as the tables' titles say it after
    "; " (nothing where no system is tested: one system, or document-level scores)."""
    size = baseline_family_size(comparison.rows)
    tests = "1 test, so the raw p" if size == "1" else f"{size} tests"
    return "" if size == "0" else f"; p: Holm over each system's {tests} (parallel documents x metrics)"


def baseline_title(comparison: Comparison, metric: MetricInfo) -> str:
    """A per-document table's title: the tests against the baseline, and their family (baseline_family_text)."""
    return f"{metric_label(metric)} vs the baseline, per document{baseline_family_text(comparison)}"


def pair_cell(pairs: list[PairRow], system: str, other: str) -> str:
    """Row system minus column system, starred when significant ("·" on the diagonal)."""
    if system == other:
        return "·"
    for pair in pairs:
        if (pair.system, pair.other) in ((system, other), (other, system)):
            delta = pair.delta if pair.system == system else 0.0 - pair.delta   # 0.0 - 0.0 is +0.0, not -0.0
            return number(delta, sign=True) + ("*" if pair.significant else "")
    return NO_VALUE


def pairs_table(ranking: Ranking, metric: str) -> tuple[list[str], list[list[str]]]:
    """The win matrix of one metric, systems in ranking order: row minus column."""
    systems = [row.system for row in ranking.metric_rows(metric)]
    pairs = ranking.metric_pairs(metric)
    return ["row − column", *systems], [[system, *[pair_cell(pairs, system, other) for other in systems]]
                                        for system in systems]


@dataclass(frozen=True)
class TextTable:
    """A table of plain text cells with its title; the first `labels` columns are labels, the others figures."""
    title: str
    headers: list[str]
    rows: list[list[str]]
    labels: int


def ranking_tables(comparison: Comparison) -> list[TextTable]:
    """Each metric's ranking, then each metric's all-pairs win matrix (--all-pairs)."""
    ranking, floor = comparison.ranking, p_floor(comparison)
    tables = [TextTable(ranking_title(m, ranking), RANKING_HEADERS,
                        [ranking_cells(r, floor) for r in ranking.metric_rows(m.name)], 2)
              for m in comparison.metrics if ranking.metric_rows(m.name)]
    tables += [TextTable(f"All pairs, {metric_label(m)}: row minus column, * significant",
                         *pairs_table(ranking, m.name), 1)
               for m in comparison.metrics if ranking.metric_pairs(m.name)]
    return tables


NOT_PARALLEL_HEADERS = ["document", "lang", "relation", "system", "score", "95% CI", "Δ vs baseline"]
NOT_PARALLEL_TITLE = "Not translations (the reference does not translate the source): scores only, no test"


def not_parallel_cells(row: ScoreRow) -> list[str]:
    return [row.document, row.lang, row.relation, row.system, number(row.score), interval(row.ci),
            "baseline" if row.delta is None else number(row.delta, sign=True)]


def untested_rows(comparison: Comparison, metric: str) -> list[ScoreRow]:
    return [row for row in comparison.not_parallel_rows if row.metric == metric]


def comparison_table(comparison: Comparison) -> str:
    """The terminal leaderboard: the ranking of each metric first, then the per-document tests against the
    baseline (parallel documents), the other documents apart without tests, the legend and signatures once."""
    floor = p_floor(comparison)
    blocks = [f"{terminal_text(t.title)}\n" + format_table(t.headers, t.rows, left=t.labels)
              for t in ranking_tables(comparison)]
    blocks += [terminal_text(baseline_title(comparison, m)) + "\n"
               + format_table(LEADERBOARD_HEADERS, [leaderboard_cells(r, floor) for r in
                                                    metric_rows(comparison, m.name)], left=4)
               for m in comparison.metrics if metric_rows(comparison, m.name)]
    blocks += [terminal_text(f"{NOT_PARALLEL_TITLE}, {metric_label(m)}") + "\n"
               + format_table(NOT_PARALLEL_HEADERS, [not_parallel_cells(r) for r in untested_rows(comparison, m.name)],
                              left=4)
               for m in comparison.metrics if untested_rows(comparison, m.name)]
    # each title and note one line: a line break in a name would print the rest of it as a line of its own
    return "\n\n".join(blocks + ["\n".join(terminal_text(note) for note in comparison_notes(comparison))])


MARKDOWN_MARKUP = re.compile(r"([\\`*_\[\]<>|#~&!])")


def markdown_text(text: str) -> str:
    """Text shown literally in Markdown: markup characters backslash-escaped, line breaks as spaces and other
    control characters as escapes, so that a system named `a|b` or `<b>x</b>` keeps the table a table and reads as
    typed, and `cat leaderboard.md` obeys no terminal escape."""
    return MARKDOWN_MARKUP.sub(r"\\\1", terminal_text(" ".join(str(text).splitlines())))


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(markdown_text(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(markdown_text(c) for c in row) + " |" for row in rows])


def score_with_interval(row: ScoreRow | BucketRow | None) -> str:
    """A score and its 95% interval when it has one (none at document level or in a small length bucket)."""
    if row is None:
        return "n/a"
    return number(row.score) + ("" if row.ci is None else f" {interval(row.ci)}")


def bucket_table(comparison: Comparison, metric: str) -> tuple[list[str], list[list[str]]]:
    """Rows (parallel document, length bucket), one column per system with its 95% interval: the compare-mt view;
    a small bucket says so in its segment count."""
    systems = comparison.system_names
    cells: dict = {}
    for row in comparison.buckets:
        if row.metric == metric:
            cells.setdefault((row.document, row.lang, row.bucket, row.segments, row.small),
                             {})[row.system] = row
    rows = [[document, lang, bucket, f"{n} (small)" if small else str(n)] + [score_with_interval(by.get(s)) for s in systems]
            for (document, lang, bucket, n, small), by in cells.items()]
    return ["document", "lang", "reference words", "segments", *systems], rows


SUMMARY_NAME_COLUMNS = 5   # document, lang, relation, system, summarizer: then one column per score


def summary_table(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    columns = list(dict.fromkeys(key for row in comparison.summaries for key in row.scores))
    rows = [[row.document, row.lang, row.relation, row.system, row.summarizer,
             *[summary_cell(*column.split(" ", 1), row.scores.get(column), "n/a") for column in columns],
             ", ".join(row.degraded)] for row in comparison.summaries]
    return ["document", "lang", "relation", "system", "summarizer", *columns, "degraded"], rows


def summary_notes(comparison: Comparison) -> list[str]:
    """What the summary table's rows are scored against, and whether they may be compared."""
    notes = ["each summary is scored against its summarizer's summary of the reference (vs_reference: against the "
             "full reference)"]
    if not all(row.parallel for row in comparison.summaries):
        notes.append(NOT_PARALLEL_SUMMARY_NOTE)
    differ = summary_setups_differ(comparison.summaries)
    if differ:
        notes.append("not comparable between systems: their summaries were made or scored differently ("
                     + "; ".join(f"{system}: {label}" for system, label in differ.items())
                     + "), each against its own summarizer's summary of the reference; re-run them alike to compare")
    return notes


NO_OUTPUT = "(nothing aligned)"
NO_OUTPUT_NOTE = (f"{NO_OUTPUT}: the system left no text for the source sentences aligned to this reference "
                  "sentence (an empty output, or for outputs from files no output sentence aligned to them): "
                  "it scores 0")
NO_SOURCE = "(no source sentence aligned)"


def example_markdown(example: Example) -> list[str]:
    rows = [[o.system, number(o.score), o.hyp or NO_OUTPUT] for o in example.outputs]
    metric = METRIC_LABELS.get(example.metric, example.metric)
    return [f"**{markdown_text(example.document)} ({markdown_text(example.lang)}) sentence "
            f"{example.ref_index}**, sentence {metric} difference {example.difference:+.1f}", "",
            f"- source: {markdown_text(example.src or NO_SOURCE)}",
            f"- reference: {markdown_text(example.ref)}", "", markdown_table(["system", "score", "output"], rows), ""]


def example_headings(examples: SystemExamples) -> list[tuple[str, list[Example]]]:
    """The two directions of one system's examples, each with its heading."""
    system, baseline = examples.system, examples.baseline
    return [(f"Where {system} beats {baseline} most", examples.better),
            (f"Where {baseline} beats {system} most", examples.worse)]


def comparison_markdown(comparison: Comparison) -> str:
    parts = ["# Comparison", ""]
    for text_table in ranking_tables(comparison):
        parts += [f"## {markdown_text(text_table.title)}", "", markdown_table(text_table.headers, text_table.rows), ""]
    floor = p_floor(comparison)
    for m in comparison.metrics:
        rows = [leaderboard_cells(r, floor) for r in metric_rows(comparison, m.name)]
        if rows:
            parts += [f"## {markdown_text(baseline_title(comparison, m))}", "",
                      markdown_table(LEADERBOARD_HEADERS, rows), ""]
    for m in comparison.metrics:
        rows = [not_parallel_cells(r) for r in untested_rows(comparison, m.name)]
        if rows:
            parts += [f"## {markdown_text(f'{NOT_PARALLEL_TITLE}, {metric_label(m)}')}", "",
                      markdown_table(NOT_PARALLEL_HEADERS, rows), ""]
    parts += [f"- {markdown_text(note)}" for note in comparison_notes(comparison)] + [""]
    for m in comparison.metrics if comparison.buckets else []:
        parts += [f"## {markdown_text(metric_label(m))} by reference sentence length (parallel documents)", "",
                  markdown_table(*bucket_table(comparison, m.name)), ""]
    for examples in comparison.examples:
        for heading, chosen in example_headings(examples):
            parts += [f"## {markdown_text(heading)} (parallel documents)", ""]
            for example in chosen:
                parts += example_markdown(example)
    if any(not o.hyp for e in comparison.examples for side in ("better", "worse") for x in getattr(e, side)
           for o in x.outputs):
        parts += [markdown_text(NO_OUTPUT_NOTE), ""]
    if comparison.summaries:
        parts += ["## Summaries", "", markdown_table(*summary_table(comparison)), "",
                  *[f"- {markdown_text(note)}" for note in summary_notes(comparison)], ""]
    return "\n".join(parts)


CSV_FIELDS = ["section", "document", "lang", "relation", "parallel", "system", "duplicate_of", "metric", "score",
              "ci_low", "ci_high", "delta", "delta_ci_low", "delta_ci_high", "p_bootstrap", "p_randomization",
              "p_bootstrap_holm", "p_randomization_holm", "significant", "signature"]
CSV_SECTIONS = ("parallel: tested against the baseline", "not a translation: scores only, no test")


FORMULA_STARTS = ("=", "+", "-", "@")   # what a spreadsheet reads as the start of a formula (OWASP, CSV injection)


def csv_cell(value: object) -> object:
    """A CSV cell: a number or an empty value as it is; text as the terminal shows it (terminal_text: `cat` obeys
    no escape, and no line break or CR splits the row for a reader), and text that a spreadsheet would run as a
    formula (a name starting with =, +, -, @) behind a quote, which keeps it text."""
    if not isinstance(value, str):
        return value
    text = terminal_text(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(fields: list[str], rows: list[dict]) -> str:
    """A CSV file of the rows (dicts of the fields), each cell through csv_cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def comparison_csv(comparison: Comparison) -> str:
    """One line per document x system x metric, the parallel documents' first, then the others in a section of
    their own without tests; empty cells where a value does not exist (n/a)."""
    signatures = {m.name: m.signature for m in comparison.metrics}
    duplicate_of = {row.system: row.duplicate_of for row in comparison.ranking.rows if row.duplicate_of}
    lines = []
    for section, rows in zip(CSV_SECTIONS, (comparison.rows, comparison.not_parallel_rows)):
        for row in rows:
            ci, delta_ci = row.ci or [None, None], getattr(row, "delta_ci", None) or [None, None]
            lines.append({**{k: getattr(row, k) for k in CSV_FIELDS if hasattr(row, k)}, "section": section,
                          "duplicate_of": duplicate_of.get(row.system), "ci_low": ci[0], "ci_high": ci[1],
                          "delta_ci_low": delta_ci[0], "delta_ci_high": delta_ci[1],
                          "signature": signatures[row.metric]})
    return csv_text(CSV_FIELDS, lines)


RANKING_CSV_FIELDS = ["table", "metric", "rank", "cluster", "place", "system", "other", "duplicate_of", "score",
                      "ci_low", "ci_high", "delta", "delta_ci_low", "delta_ci_high", "p_bootstrap", "p_randomization",
                      "p_bootstrap_holm", "p_randomization_holm", "significant"]


def ranking_csv(comparison: Comparison) -> str:
    """ranking.csv: each metric's ranking (the tests against the system above) and, with --all-pairs, every pair;
    the p-values raw and Holm-corrected under leaderboard.csv's names (the families: the notes of the report)."""
    ranking = comparison.ranking
    lines = [{"table": "ranking", "metric": row.metric, "rank": row.rank, "cluster": row.cluster,
              "place": row.place, "system": row.system, "duplicate_of": row.duplicate_of,
              "score": row.score, "ci_low": row.ci[0], "ci_high": row.ci[1], "delta": row.delta_above,
              "p_bootstrap": row.raw_p_above and row.raw_p_above[0],
              "p_randomization": row.raw_p_above and row.raw_p_above[1],
              "p_bootstrap_holm": row.p_bootstrap_above, "p_randomization_holm": row.p_randomization_above,
              "significant": row.significant_above} for row in ranking.rows]
    lines += [{"table": "pair", "metric": pair.metric, "system": pair.system, "other": pair.other,
               "delta": pair.delta, "delta_ci_low": pair.delta_ci[0], "delta_ci_high": pair.delta_ci[1],
               "p_bootstrap": pair.p_bootstrap, "p_randomization": pair.p_randomization,
               "p_bootstrap_holm": pair.p_bootstrap_holm, "p_randomization_holm": pair.p_randomization_holm,
               "significant": pair.significant} for pair in ranking.pairs]
    return csv_text(RANKING_CSV_FIELDS, lines)
