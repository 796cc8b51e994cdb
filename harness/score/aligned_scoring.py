"""Segments shared by every system, and their scores.

The source <-> reference alignment (harness.align.crosslingual) is a property of the data: measured once per
document pair, cached, and the same for every system. A system's hypothesis for a reference sentence is the
output for the source sentences aligned to it, so all systems are scored on identical segments that pair up
by (document id, ref_index). Reference sentences with no source counterpart (an abridged translation) are
not the system's fault: they are listed and left out of the scores. Source sentences with no counterpart
are listed with their output. A document-level output (the files backend) is first partitioned over the
source sentences (harness.align.partition): every output sentence is scored, in the segment of the source sentence
whose run holds it, as a model's output for that sentence would be.

Sharing rule: when one source group is aligned to several reference sentences (1-2), its output is cut at
the word boundary nearest the reference sentences' character-length ratio.

Reference-free adequacy: the cosine of source and output in the multilingual space, per segment and per
source unit (a document's adequacy is the mean over its source units, so it exists for documents whose
reference is not a translation). A source sentence with no output scores 0 and counts: an omission lowers it.
A copied source scores high here: read it next to the output language.

Reference-free metrics (CometKiwi) are also scored over the source units (every source sentence and its
output), so that they have a document score when the reference is not a translation of the source.

A language the encoder does not cover falls back to the hypothesis-side aligner (harness.score.align), with a note.

A line-aligned document (`alignment: lines`) is taken line by line on every side: line i of the output (from a
model, or line i of a hypothesis file) is scored against line i of each reference, nothing is split or searched
(in any language), and its corpus scores are those of `sacrebleu REF [REF2 ...] -i HYP` on the same files
(LINES_LEVEL in their signatures). Several references reach the metrics that read several (sacrebleu's); any
other metric, and the relation and adequacy cosines, use the first reference, with a note.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterator, Mapping

import numpy as np

from harness.score.align import Alignment, align_translation
from harness.cache import TranslationCache
from harness.config import AlignmentSpec, CrosslingualSpec
from harness.align.beads import Bead, shape_counts
from harness.align.crosslingual import PairAlignment, cached_alignment, cached_cosines
from harness.align.encoder import ENCODER_NAME, has_letters, uncovered, window_notes
from harness.score.metrics import Metric, Score, select_metrics
from harness.score.metrics.base import within_limit
from harness.score.metrics.remembered import recalled_statistics, remember
from harness.score.metrics.side_process import side_statistics
from harness.align.partition import partition_note, partitioned, together_note
from harness.progress import progress
from harness.data.segment import share_hypothesis
from harness.translate.translate import Translation, joined_outputs, reference_sentences

HYPOTHESIS_SIDE_NOTE = ("{lang} is not covered by the multilingual encoder ({encoder}): aligned from the "
                        "hypothesis side (harness.score.align), so the relation and segments depend on this system")


@dataclass(frozen=True)
class OutputUnit:
    """Source sentences and the outputs that translate them (one and one for models that follow the source)."""

    src: tuple[int, ...]
    outputs: tuple[int, ...]


@dataclass
class AlignedDocument:
    pair: PairAlignment | None          # source <-> reference; None on the hypothesis-side path
    sources: list[str]
    references: list[str]
    segments: list[dict]                # one per reference sentence with a source counterpart
    unmatched_reference: list[dict]     # reference sentences without source: excluded from the scores
    unmatched_source: list[dict]        # source sentences without reference, with their output
    unaligned_hypotheses: list[str]     # outputs aligned to no reference sentence (hypothesis-side path only)
    aligned_scores: dict[str, Score]
    adequacy: float | None              # mean source-output cosine over the source units
    notes: list[str] = field(default_factory=list)
    method: str = "search"              # search, lines or hypothesis
    reference_free: dict[str, Score] = field(default_factory=dict)   # over the source units, not the segments
    source_units: int = 0               # how many: the weight of reference_free in a run's score
    degradations: list[str] = field(default_factory=list)   # what a bound left out or cut: shown with the run
    statistics_kinds: dict[str, str] = field(default_factory=dict)   # stored segment statistics: statistics_kinds
    hypothesis_beads: dict[str, int] = field(default_factory=dict)   # hypothesis-side path: its beads' shapes

    def bead_counts(self) -> dict[str, int]:
        """Each bead's shape once, a sentence with no counterpart as 1-0 or 0-1, on either path (a bead's segments,
        one per reference sentence, would count a 1-2 twice and no 1-0 at all)."""
        return self.pair.bead_counts() if self.pair is not None else self.hypothesis_beads


def output_units(translation: Translation) -> list[OutputUnit]:
    """Each source sentence and its output (a document-level output: its run, harness.align.partition), or a run of
    source sentences and the output that translates them together (Translation.merged)."""
    return [OutputUnit(unit, tuple(k for k in unit if translation.outputs[k].strip()) or unit)
            for unit in translation.units()]


def spread_merges(translation: Translation, beads: list[Bead], references: list[str]) -> list[str]:
    """The outputs, each that translates several source sentences together (Translation.merged) cut over the beads
    its sentences are aligned in, at the words nearest the beads' reference lengths, as a bead's hypothesis is cut
    over its reference sentences (share_hypothesis); each part stands at the unit's first sentence in its bead.
    Whole against one bead's reference, a faithful merge scored below an omission (adversarial round 13), and
    differently as it stood at its first sentence or its last."""
    outputs = list(translation.outputs)
    bead_of = {i: k for k, bead in enumerate(beads) for i in bead.src}
    for unit in translation.merged:
        first_in_bead = {}   # bead -> the unit's first sentence in it, in source order
        for i in unit:
            if i in bead_of:
                first_in_bead.setdefault(bead_of[i], i)
        if len(first_in_bead) < 2:
            continue
        parts = share_hypothesis(joined_outputs(outputs, unit),
                                 [" ".join(references[j] for j in beads[k].ref) for k in first_in_bead])
        outputs[unit[0]:unit[-1] + 1] = [""] * len(unit)
        for i, part in zip(first_in_bead.values(), parts):
            outputs[i] = part
    return outputs


def bead_segments(bead: Bead, sources: list[str], references: list[str], hypothesis: str,
                  adequacy: float | None) -> list[dict]:
    source = " ".join(sources[i] for i in bead.src)
    parts = share_hypothesis(hypothesis, [references[j] for j in bead.ref])
    return [{"ref_index": j, "ref": references[j], "hyp": part, "src": source, "bead": bead.kind,
             "similarity": bead.similarity, "adequacy": adequacy} for j, part in zip(bead.ref, parts)]


@dataclass(frozen=True)
class AlignedMetrics:
    """The metrics of the alignment stage, built once before the first translation."""

    segment: list[Metric]     # alignment.segment_metrics: each segment's score
    corpus: list[Metric]      # alignment.corpus_metrics: the score over a document's segments
    max_segment_chars: int | None = None   # limits.max_segment_chars: longer segments only for linear-cost metrics

    @classmethod
    def build(cls, spec: AlignmentSpec, document_metrics: list[Metric] = (), settings: Mapping[str, dict] | None = None,
              max_segment_chars: int | None = None) -> AlignedMetrics:
        """The alignment's metrics, plus every metric of metrics=[...] over the aligned segments (an extension
        named there is compared on them with no other setting) and the sentence models of metrics=[...] per
        segment too (COMET scores segments only), each model the same object as in `document_metrics`, so that
        it loads once."""
        models = {m.name: m for m in document_metrics if m.sentence_model}
        segment_names = list(dict.fromkeys([*spec.segment_metrics, *models]))
        corpus_names = list(dict.fromkeys([*spec.corpus_metrics, *(m.name for m in document_metrics)]))
        built = [models.get(m.name, m) for m in select_metrics(segment_names + corpus_names, settings=settings)]
        return cls(built[:len(segment_names)], built[len(segment_names):], max_segment_chars)

    def unique(self) -> list[Metric]:
        """Each metric once (one in both lists is one object)."""
        return list({m.name: m for m in [*self.segment, *self.corpus]}.values())

    def accepts(self, metric: Metric, texts: tuple[str | None, ...]) -> bool:
        return metric.accepts(texts, self.max_segment_chars)

    def within_limit(self, texts: tuple[str | None, ...]) -> bool:
        return within_limit(texts, self.max_segment_chars)


def bounded_texts(segment: dict) -> tuple[str | None, ...]:
    """The texts of a segment that limits.max_segment_chars bounds: its source, output and every reference."""
    return segment["src"], segment["hyp"], segment["ref"], *segment.get("extra_refs", ())


def extra_references(segments: list[dict]) -> list[list[str]]:
    """The second, third... reference of every segment, one list per reference (none with one reference)."""
    count = len(segments[0].get("extra_refs", ())) if segments else 0
    return [[s["extra_refs"][k] for s in segments] for k in range(count)]


def segment_texts(segments: list[dict]) -> tuple[list[str], list[str], list[list[str]]]:
    """The hypotheses, the references and the further references (one list per reference) of the segments."""
    return [s["hyp"] for s in segments], [s["ref"] for s in segments], extra_references(segments)


def segment_sources(segments: list[dict], metric: Metric) -> list[str] | None:
    return [s["src"] for s in segments] if metric.needs_source else None


def segment_statistics(segments: list[dict], metrics: list[Metric], cache: TranslationCache | None = None
                       ) -> dict[str, np.ndarray]:
    """Each metric's statistics over the segments (a slow one's in a process of its own meanwhile; a remembered
    one's from the cache when it holds them all); a metric that needs the source of segments that have none is
    left out."""
    hyps, refs, extra = segment_texts(segments)
    chosen = [m for m in metrics if not lacks_source(segments, m)] if segments else []
    statistics, unknown = recalled_statistics(cache, chosen, hyps, refs, extra)
    computed = [m for m in chosen if m.name not in statistics]
    with side_statistics(computed, hyps, refs, extra) as pending:
        for metric in (m for m in computed if m.name not in pending):
            statistics[metric.name] = metric.statistics(hyps, refs, segment_sources(segments, metric), extra)
        statistics.update({name: future.result() for name, future in pending.items()})
    remember(cache, unknown, statistics)
    return {m.name: statistics[m.name] for m in chosen}


def record_sentence_scores(segments: list[dict], metric: Metric, sentences: list[float]) -> None:
    hyps, refs, _ = segment_texts(segments)
    for segment, score, detail in zip(segments, sentences,
                                      metric.segment_details(hyps, refs, segment_sources(segments, metric))):
        segment["scores"][metric.name] = round(score, 4)
        if detail:
            segment.setdefault("details", {})[metric.name] = detail


def accepted_groups(segments: list[dict], metrics: AlignedMetrics) -> list[tuple[list[dict], list[Metric]]]:
    """The metrics grouped by the segments they score: all of them for a metric linear in cost, those within
    limits.max_segment_chars for any other (left out: over_limit_notes), so one group when none is longer. A
    metric that needs the source of segments that have none is in no group (sourceless_notes)."""
    groups: dict[tuple[int, ...], list[Metric]] = {}
    for metric in (m for m in metrics.unique() if not lacks_source(segments, m)):
        kept = tuple(k for k, segment in enumerate(segments) if metrics.accepts(metric, bounded_texts(segment)))
        groups.setdefault(kept, []).append(metric)
    return [([segments[k] for k in kept], group) for kept, group in groups.items() if kept]


def scored_groups(segments: list[dict], metrics: AlignedMetrics, cache: TranslationCache | None = None
                  ) -> Iterator[tuple[list[dict], Metric, np.ndarray, int]]:
    """Each metric's segments (accepted_groups), their statistics rows (one pass per group) and how many
    references per segment the metric read."""
    for chosen, group in accepted_groups(segments, metrics):
        by_name, extra = {m.name: m for m in group}, extra_references(chosen)
        for name, statistics in segment_statistics(chosen, group, cache).items():
            yield chosen, by_name[name], statistics, by_name[name].references_used(extra)


def stored_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def record_statistics(segments: list[dict], metric: Metric, statistics: np.ndarray) -> None:
    """Each segment's statistics row, stored so that harness-compare tests stored runs without the metric's code
    (its kind, Metric.statistics_kind, is stored with the document: statistics_kinds)."""
    for segment, row in zip(segments, statistics):
        segment.setdefault("statistics", {})[metric.name] = [stored_number(value) for value in row]


def statistics_kinds(metrics: AlignedMetrics, segments: list[dict]) -> dict[str, str]:
    """How each metric with stored segment statistics turns their sum into a score (Metric.statistics_kind)."""
    stored = {name for segment in segments for name in segment.get("statistics", {})}
    return {metric.name: metric.statistics_kind for metric in metrics.unique() if metric.name in stored}


def score_segments(segments: list[dict], metrics: AlignedMetrics, cache: TranslationCache | None = None
                   ) -> dict[str, Score]:
    """Each segment's scores (alignment.segment_metrics, stored on it), its statistics rows of every metric
    (record_statistics) and the corpus scores over the segments (alignment.corpus_metrics), from one pass of
    statistics for a metric that is in both lists; a metric not linear in cost scores the segments within
    limits.max_segment_chars only."""
    for segment in segments:
        segment["scores"] = {}
    segment_names, corpus_names = [m.name for m in metrics.segment], [m.name for m in metrics.corpus]
    corpus: dict[str, Score] = {}
    for chosen, metric, statistics, references in scored_groups(segments, metrics, cache):
        record_statistics(chosen, metric, statistics)
        sentences, corpus[metric.name] = metric.scores_of(statistics, references)
        if metric.name in segment_names:
            record_sentence_scores(chosen, metric, sentences)
    return {name: corpus[name] for name in corpus_names if name in corpus}


def bounded_corpus_scores(segments: list[dict], metrics: list[Metric], max_segment_chars: int | None,
                          cut_from: int | None = None) -> tuple[dict[str, Score], list[str]]:
    """The corpus scores of the segments, a metric not linear in cost over those within max_segment_chars (as in
    score_segments), signed as scores over the lines (lines_level), and the note of what that left out: a
    line-aligned document's scores of the metrics the alignment stage did not compute."""
    bounded = AlignedMetrics([], metrics, max_segment_chars)
    scores = {metric.name: metric.scores_of(statistics, references)[1]
              for _, metric, statistics, references in scored_groups(segments, bounded)}
    return (lines_level(scores, segments, bounded, cut_from),
            over_limit_notes(segments, [], bounded, adequacy=False))


def lacks_source(segments: list[dict], metric: Metric) -> bool:
    """A metric that reads the source cannot score a document whose outputs are tied to no source sentence
    (outputs made elsewhere, aligned to the reference on the hypothesis side): it is left out there, with a note."""
    return metric.needs_source and any(segment["src"] is None for segment in segments)


def sourceless_notes(segments: list[dict], metrics: AlignedMetrics) -> list[str]:
    names = [m.name for m in metrics.unique() if lacks_source(segments, m)]
    return [f"{name}: not scored on this document: it needs the source sentence of each output, and "
            f"{sum(s['src'] is None for s in segments)} of {len(segments)} segments have none" for name in names]


def pieces_notes(segments: list[dict]) -> list[str]:
    """A note per metric that scored segments in pieces because they are longer than its model accepts."""
    counts = Counter(name for segment in segments for name, detail in segment.get("details", {}).items()
                     if detail.get("pieces", 1) > 1)
    return [f"{name}: {count} of {len(segments)} segments are longer than the model accepts and were scored in "
            f"pieces (segments[].details.{name}.pieces)" for name, count in counts.items()]


SYSTEM_LEVEL = {   # by whether the metric is reference-free: what a run's score is the mean over
    False: "system: mean over the aligned segments of the documents whose reference translates the source",
    True: "system: mean over every source sentence and its output (reference-free)"}


def system_scores(documents: list[AlignedDocument], metrics: list[Metric], parallel: list[bool]) -> dict[str, Score]:
    """Each sentence model's score for the whole run, as COMET computes a system score (documents with more
    segments weigh more). A reference-based one is the mean over the aligned segments of the documents whose
    reference translates the source (parallel[i]): elsewhere it measures overlap with another text. A
    reference-free one is the mean over every document's source units, as its document scores are."""
    scores = {}
    for metric in (m for m in metrics if m.sentence_model):
        value = (reference_free_mean(documents, metric.name) if metric.reference_free
                 else aligned_mean(documents, parallel, metric))
        if value is not None:
            score = metric.score_record(value)
            scores[metric.name] = replace(score, signature=f"{score.signature}|{SYSTEM_LEVEL[metric.reference_free]}")
    return scores


def aligned_mean(documents: list[AlignedDocument], parallel: list[bool], metric: Metric) -> float | None:
    values = [s["scores"][metric.name] for d, chosen in zip(documents, parallel, strict=True) if chosen
              for s in d.segments if metric.name in s["scores"]]
    return metric.score_from_statistics(metric.statistics_from_scores(values).sum(axis=0)) if values else None


def reference_free_mean(documents: list[AlignedDocument], name: str) -> float | None:
    """The mean over all documents' source units: each document's mean weighted by its number of units."""
    weighted = [(d.reference_free[name].score, d.source_units) for d in documents if name in d.reference_free]
    units = sum(count for _, count in weighted)
    return sum(score * count for score, count in weighted) / units if units else None


def unit_texts(units: list[OutputUnit], sources: list[str], outputs: list[str]) -> list[tuple[str, str]]:
    return [(" ".join(sources[i] for i in u.src), " ".join(outputs[o] for o in u.outputs)) for u in units]


SOURCE_UNITS = "over every source sentence and its output"


def reference_free_scores(pairs: list[tuple[str, str]], metrics: AlignedMetrics) -> dict[str, Score]:
    """Each reference-free metric's score over the source units (source sentences and their output, those
    within limits.max_segment_chars: bounded_units): it needs no reference, so it exists for a document whose
    reference is not a translation of the source."""
    chosen = {m.name: m for m in metrics.unique() if m.reference_free}
    if not pairs:
        return {}
    scores = {name: metric.corpus_score([o for _, o in pairs], [""] * len(pairs), [s for s, _ in pairs])
              for name, metric in chosen.items()}
    return {name: replace(score, signature=f"{score.signature}|{SOURCE_UNITS}") for name, score in scores.items()}


def bounded_units(pairs: list[tuple[str, str]], metrics: AlignedMetrics) -> list[tuple[str, str]]:
    """The source units that every reference-free metric scores (within limits.max_segment_chars unless all of
    them are linear in cost)."""
    chosen = [m for m in metrics.unique() if m.reference_free]
    return [pair for pair in pairs if all(metrics.accepts(m, pair) for m in chosen)]


def measured_beads(pair: PairAlignment) -> set[int]:
    """The beads (and source sentences) that get an adequacy cosine: all of them, except in a line-aligned
    pair, where the cosines are measured on the same evenly spaced sample as its relation."""
    return {k for k, bead in enumerate(pair.beads) if pair.method != "lines" or bead.similarity is not None}


def adequacy_cosines(pair: PairAlignment, units: list[OutputUnit], hypotheses: list[str], sources: list[str],
                     outputs: list[str], cache: TranslationCache | None, metrics: AlignedMetrics
                     ) -> tuple[list[float | None], float | None]:
    """Source-output cosine of each bead, and the mean over the source units (the document's adequacy); a unit
    or bead whose source or output is longer than limits.max_segment_chars gets none (over_limit_notes), nor a
    unit whose source has no letter (a figure, a dash, a markup tag: set aside as the alignment sets it aside)."""
    measured = measured_beads(pair)
    sampled_sources = {i for k in measured for i in pair.beads[k].src} if pair.method == "lines" else None
    chosen_units = [u for u in units if sampled_sources is None or u.src[0] in sampled_sources]
    unit_pairs = [texts for texts in unit_texts(chosen_units, sources, outputs)
                  if has_letters(texts[0]) and metrics.within_limit(texts)]
    bead_pairs = {k: (" ".join(sources[i] for i in pair.beads[k].src), hypotheses[k]) for k in sorted(measured)}
    bead_pairs = {k: texts for k, texts in bead_pairs.items() if metrics.within_limit(texts)}
    cosines = cached_cosines(unit_pairs + list(bead_pairs.values()), cache)
    by_bead = dict(zip(bead_pairs, cosines[len(unit_pairs):]))
    mean = round(sum(cosines[:len(unit_pairs)]) / len(unit_pairs), 4) if unit_pairs else None
    return [by_bead.get(k) for k in range(len(pair.beads))], mean


def over_limit_notes(segments: list[dict], units: list[tuple[str, str]], metrics: AlignedMetrics,
                     adequacy: bool) -> list[str]:
    """What limits.max_segment_chars left out of this document's scores: segments (a text the metric reads too long:
    output or reference, the source for a metric that needs it) out of the metrics not linear in cost; source units (source or output too long) out of the
    reference-free metrics and the adequacy cosine."""
    limit, names = metrics.max_segment_chars, metrics.unique()
    linear = [m.name for m in names if m.linear_cost]
    left_out: dict[int, list[str]] = {}   # segments left out -> the metrics that leave that many out (Metric.accepts)
    for metric in (m for m in names if not m.linear_cost):
        count = sum(not metrics.accepts(metric, bounded_texts(s)) for s in segments)
        left_out.setdefault(count, []).append(metric.name)
    long_units = sum(not metrics.within_limit(texts) for texts in units)
    unit_users = [m.name for m in names if m.reference_free and not m.linear_cost] + (["adequacy"] if adequacy else [])
    notes = [f"limits.max_segment_chars={limit}: {count} of {len(segments)} segments longer, left out of "
             f"{', '.join(bounded)}" + (f" (scored by {', '.join(linear)} only)" if linear else "")
             for count, bounded in left_out.items() if count]
    if long_units and unit_users:
        notes.append(f"limits.max_segment_chars={limit}: {long_units} of {len(units)} source sentences (or their "
                     f"outputs) longer, left out of {', '.join(unit_users)}")
    return notes


LINES_LEVEL = "corpus over the lines (alignment: lines), as sacrebleu REF -i HYP"
SOME_LINES_LEVEL = ("corpus over {kept} of the {total} lines (alignment: lines; {why}), not sacrebleu REF -i HYP's "
                    "score of the files")


def limited_lines_pattern() -> re.Pattern:
    """SOME_LINES_LEVEL where only limits.max_segment_chars left lines out, any counts."""
    parts = SOME_LINES_LEVEL.format(kept="\0", total="\0", why="limits.max_segment_chars").split("\0")
    return re.compile(r"\d+".join(map(re.escape, parts)))


LIMITED_LINES = limited_lines_pattern()


def comparable_signature(signature: str) -> str:
    """A score's signature without how many lines limits.max_segment_chars kept it off: two systems of one test set,
    one with a line over the limit, pair over the lines both score (harness.compare.statistics.scored_segments);
    harness-score refused to rank them ('different ter signature')."""
    head, _, level = signature.rpartition("|")
    return f"{head}|{LINES_LEVEL}" if head and LIMITED_LINES.fullmatch(level) else signature


COMPARED_LINES_LEVEL = ("corpus over the lines every compared system scores (alignment: lines; limits.max_segment_chars "
                        "left some out of a run), not sacrebleu REF -i HYP's score of the files")


def compared_signature(signatures: list[str]) -> str:
    """The signature of a comparison's scores of one metric, from every compared run's signatures of it on every
    compared document: where limits.max_segment_chars left a line out of any run, the comparison scores every
    system over the lines all of them score (harness.compare.statistics.scored_segments), which is neither
    sacrebleu's score of the files nor any one run's count of lines (one run cutting line 1, another line 2: each
    '3 of the 4 lines', the comparison 2), so it says neither."""
    limited = next((s for s in signatures if s != comparable_signature(s)), None)
    signature = signatures[0] if limited is None else f"{limited.rpartition('|')[0]}|{COMPARED_LINES_LEVEL}"
    return pooled_reference_count(signature, signatures)


REFERENCE_COUNT = re.compile(r"\|nrefs:[^|]+\|")   # sacrebleu's signature field of the number of references


def pooled_reference_count(signature: str, signatures: list[str]) -> str:
    """nrefs:var, as sacrebleu signs a corpus whose segments have different numbers of references, where the compared
    documents do (a test set with two references beside one with one): the ranking pools their lines, and the
    comparison signed it with the first document's nrefs:2."""
    counts = {match.group() for s in signatures if (match := REFERENCE_COUNT.search(s))}
    return REFERENCE_COUNT.sub("|nrefs:var|", signature, count=1) if len(counts) > 1 else signature


def lines_level(scores: dict[str, Score], segments: list[dict], metrics: AlignedMetrics,
                cut_from: int | None = None) -> dict[str, Score]:
    """A line-aligned document's corpus scores, signed as what they are: sacrebleu's score of the files, or a score
    over fewer lines: for a metric that limits.max_segment_chars kept off some lines (over_limit_notes), and for
    every metric where data.max_segments cut the document, whose file has cut_from lines (Translation.cut_from)."""
    by_name = {metric.name: metric for metric in metrics.unique()}
    total = cut_from or len(segments)

    def level(name: str) -> str:
        kept = sum(metrics.accepts(by_name[name], bounded_texts(segment)) for segment in segments)
        why = [*(["data.max_segments"] if cut_from else []), *(["limits.max_segment_chars"] if kept < len(segments)
                                                                else [])]
        return SOME_LINES_LEVEL.format(kept=kept, total=total, why="; ".join(why)) if why else LINES_LEVEL
    return {name: replace(score, signature=f"{score.signature}|{level(name)}") for name, score in scores.items()}


def add_extra_references(segments: list[dict], translation: Translation) -> None:
    """A line-aligned document's second, third... reference line of each segment (segments[].extra_refs)."""
    extra = translation.document.extra_references
    for segment in segments if extra else []:
        segment["extra_refs"] = [text.paragraphs[segment["ref_index"]] for text in extra]


UNMATCHED_SHARE = 1 / 3   # a byline or two have no counterpart in many a true translation; a third is more
UNMATCHED_SOURCE = ("{unmatched} of {sentences} source sentences have no counterpart in the reference (a partial or "
                    "abridged translation, or not a translation): the document scores read their output too, against "
                    "a reference that lacks them; the aln columns leave them out")
UNMATCHED_REFERENCE = ("{unmatched} of {sentences} reference sentences have no counterpart in the source (text the "
                       "source lacks: another article in the same file, a preface, or not a translation): the "
                       "document scores read them too, against an output that cannot hold them; the aln columns "
                       "leave them out")


def unmatched_notes(pair: PairAlignment, source_sentences: int, reference_sentences: int) -> list[str]:
    """A reference that translates only part of the source (an abridged or partial translation), or holds more than
    the source (another article after the translation): the document scores read every sentence of each side
    against the other, which lowers them for no fault of the system; the aln columns leave those sentences out.
    Said where more than a third of a side has no counterpart, so that the two kinds of score are read for what
    they are."""
    if pair.method != "search":
        return []
    return [*unmatched_note(len(pair.unmatched_source), source_sentences, UNMATCHED_SOURCE),
            *unmatched_note(len(pair.unmatched_reference), reference_sentences, UNMATCHED_REFERENCE)]


def unmatched_note(unmatched: int, sentences: int, template: str) -> list[str]:
    return [template.format(unmatched=unmatched, sentences=sentences)] if unmatched > UNMATCHED_SHARE * sentences \
        else []


def first_reference_notes(translation: Translation, metrics: AlignedMetrics) -> list[str]:
    document = translation.document
    if not document.extra_references:
        return []
    names = [t.path.name for t in document.references]
    unique = {m.name: m for m in [*metrics.segment, *metrics.corpus]}.values()
    every = [m.name for m in unique if m.multiple_references]
    first = [m.name for m in unique if not m.multiple_references]
    return [f"{len(names)} references ({', '.join(names)}): {', '.join(every) or 'no metric'} read all of them, as "
            f"sacrebleu {' '.join(names)} -i HYP does; {', '.join([*first, 'the relation', 'adequacy'])} use the first "
            f"reference ({names[0]})"]


LINE_ADEQUACY_NOTE = ("line-aligned: adequacy not measured (crosslingual.line_adequacy=false: each line has its "
                      "reference, and the encoder would load for every system; true measures it on the line sample)")


def measures_adequacy(line_aligned: bool, crosslingual: CrosslingualSpec) -> bool:
    """Whether a pair's outputs are embedded for adequacy: a searched pair's always, a line-aligned pair's only
    with crosslingual.line_adequacy."""
    return not line_aligned or crosslingual.line_adequacy


def embedded_texts(pair: PairAlignment, sources: list[str], references: list[str], outputs: list[str],
                   hypotheses: list[str], adequacy: bool) -> dict[str, list[str]]:
    """What the encoder reads for a pair, by what it is (window_notes). A searched pair: every sentence and
    output. A line-aligned pair: the sampled lines (measured_beads: none in a language the encoder lacks), and
    their outputs (hypotheses, one per bead) only when adequacy is measured."""
    if pair.method != "lines":
        return {"source sentences": sources, "reference sentences": references, "outputs": outputs}
    sampled = sorted(measured_beads(pair))
    return {"source sentences": [sources[i] for k in sampled for i in pair.beads[k].src],
            "reference sentences": [references[j] for k in sampled for j in pair.beads[k].ref],
            "outputs": [hypotheses[k] for k in sampled] if adequacy else []}


def score_pair(translation: Translation, pair: PairAlignment, references: list[str], metrics: AlignedMetrics,
               crosslingual: CrosslingualSpec, cache: TranslationCache | None) -> AlignedDocument:
    translation = partitioned(translation, cache)
    sources, outputs = [s.text for s in translation.segments], translation.outputs
    units = output_units(translation)
    placed = spread_merges(translation, pair.beads, references)
    hypotheses = [joined_outputs(placed, bead.src) for bead in pair.beads]
    skip_adequacy = not measures_adequacy(pair.method == "lines", crosslingual)
    bead_adequacy, adequacy = ([None] * len(pair.beads), None) if skip_adequacy else \
        adequacy_cosines(pair, units, hypotheses, sources, outputs, cache, metrics)
    segments = [s for bead, hypothesis, cosine in zip(pair.beads, hypotheses, bead_adequacy)
                for s in bead_segments(bead, sources, references, hypothesis, cosine)]
    add_extra_references(segments, translation)
    aligned_scores = score_segments(segments, metrics, cache)
    if pair.method == "lines":
        aligned_scores = lines_level(aligned_scores, segments, metrics, translation.cut_from)
    notes = [*pair.notes, *unmatched_notes(pair, len(sources), len(references)), *partition_note(translation),
             *together_note(translation),
             *first_reference_notes(translation, metrics),
             *pieces_notes(segments),
             *([LINE_ADEQUACY_NOTE] if skip_adequacy else [])]
    unit_pairs = unit_texts(units, sources, outputs)
    free_units = bounded_units(unit_pairs, metrics)
    degradations = [*window_notes(embedded_texts(pair, sources, references, outputs, hypotheses,
                                                 not skip_adequacy)),
                    *over_limit_notes(segments, unit_pairs, metrics, adequacy=not skip_adequacy)]
    return AlignedDocument(
        pair, sources, references, segments,
        [{"ref_index": j, "ref": references[j]} for j in pair.unmatched_reference],
        [{"src_index": i, "src": sources[i], "hyp": joined_outputs(outputs, (i,))} for i in pair.unmatched_source],
        [], aligned_scores, adequacy, notes, pair.method,
        reference_free_scores(free_units, metrics), len(free_units), degradations,
        statistics_kinds(metrics, segments))


def hypothesis_bead_segments(bead: Bead, alignment: Alignment, sources: list[str]) -> list[dict]:
    hypothesis = " ".join(alignment.hypothesis[i].text for i in bead.src)
    indices = dict.fromkeys(alignment.hypothesis[i].source_index for i in bead.src)
    source = None if None in indices else " ".join(sources[i] for i in indices)
    parts = share_hypothesis(hypothesis, [alignment.reference[j] for j in bead.ref])
    return [{"ref_index": j, "ref": alignment.reference[j], "hyp": part, "src": source, "bead": bead.kind,
             "similarity": bead.similarity} for j, part in zip(bead.ref, parts)]


def hypothesis_side(translation: Translation, target_lang: str, spec: AlignmentSpec, metrics: AlignedMetrics,
                    cache: TranslationCache | None) -> AlignedDocument:
    """The fallback for a language the encoder does not cover: align the output to the reference."""
    alignment = align_translation(translation, target_lang, spec, cache)
    sources = [s.text for s in translation.segments]
    segments = [s for bead in alignment.beads if bead.src and bead.ref
                for s in hypothesis_bead_segments(bead, alignment, sources)]
    unmatched = [{"ref_index": j, "ref": alignment.reference[j]} for bead in alignment.beads if not bead.src
                 for j in bead.ref]
    stray = [alignment.hypothesis[i].text for bead in alignment.beads if not bead.ref for i in bead.src]
    note = HYPOTHESIS_SIDE_NOTE.format(lang=uncovered(translation.document.src_lang, target_lang),
                                       encoder=ENCODER_NAME)
    scores = score_segments(segments, metrics, cache)
    embedded = {"reference sentences": alignment.reference,
                "output sentences": [h.text for h in alignment.hypothesis]} if spec.embeddings else {}
    degradations = [*window_notes(embedded), *over_limit_notes(segments, [], metrics, adequacy=False)]
    return AlignedDocument(None, sources, alignment.reference, segments, unmatched, [], stray, scores, None,
                           [note, *alignment.notes, *pieces_notes(segments), *sourceless_notes(segments, metrics)],
                           "hypothesis", degradations=degradations,
                           statistics_kinds=statistics_kinds(metrics, segments),
                           hypothesis_beads=shape_counts(bead.kind for bead in alignment.beads))


def source_reference_alignment(translation: Translation, target_lang: str, crosslingual: CrosslingualSpec,
                               cache: TranslationCache | None) -> tuple[PairAlignment, list[str]]:
    document = translation.document
    references = reference_sentences(document, target_lang)
    sources = [s.text for s in translation.segments]
    return cached_alignment(sources, references, crosslingual, cache, lines=document.line_aligned), references


def align_and_score(translations: list[Translation], target_lang: str, spec: AlignmentSpec,
                    crosslingual: CrosslingualSpec,
                    cache: TranslationCache | None = None, metrics: AlignedMetrics | None = None
                    ) -> list[AlignedDocument]:
    """The alignment stage: each document pair's alignment (cached), then this system's segments and scores
    with `metrics` (built from spec when not given)."""
    metrics = metrics or AlignedMetrics.build(spec)
    with progress("alignment", len(translations), "documents") as tracker:
        documents = []
        for translation in translations:
            documents.append(align_document(translation, target_lang, spec, crosslingual, cache, metrics))
            tracker.advance(1)
    return documents


def unmeasured_lines(translation: Translation, target_lang: str) -> tuple[PairAlignment, list[str]]:
    """A line-aligned pair in a language the encoder does not cover: paired line by line all the same, with no
    cosine (so no measured relation, no adequacy)."""
    lang = uncovered(translation.document.src_lang, target_lang)
    beads = [Bead((k,), (k,), None) for k in range(len(translation.segments))]
    note = (f"line-aligned: {lang} is not covered by the multilingual encoder ({ENCODER_NAME}), so the relation "
            "and adequacy are not measured; lines are paired as declared")
    return PairAlignment(beads, [], [], 0.0, 0.0, [note], "lines"), reference_sentences(translation.document, target_lang)


def align_document(translation: Translation, target_lang: str, spec: AlignmentSpec, crosslingual: CrosslingualSpec,
                   cache: TranslationCache | None, metrics: AlignedMetrics) -> AlignedDocument:
    covered = uncovered(translation.document.src_lang, target_lang) is None
    if translation.document.line_aligned and not covered:
        pair, references = unmeasured_lines(translation, target_lang)
    elif not covered:
        return hypothesis_side(translation, target_lang, spec, metrics, cache)
    else:
        pair, references = source_reference_alignment(translation, target_lang, crosslingual, cache)
    return score_pair(translation, pair, references, metrics, crosslingual, cache)


ALIGNMENT_COLUMNS = ["bead", "similarity", "ref_index", "src_index", "adequacy", "source", "hypothesis", "reference"]


def one_cell(text: str | None) -> str:
    return " ".join((text or "").split())


def number_cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def bead_rows(document: AlignedDocument) -> list[list[str]]:
    if document.pair is None:
        return [[s["bead"], number_cell(s["similarity"]), str(s["ref_index"]), "", "", one_cell(s["src"]),
                 one_cell(s["hyp"]), one_cell(s["ref"])] for s in document.segments]
    by_reference = {s["ref_index"]: s for s in document.segments}
    rows = []
    for bead in document.pair.beads:
        segments = [by_reference[j] for j in bead.ref]
        rows.append([bead.kind, number_cell(bead.similarity), ",".join(map(str, bead.ref)), ",".join(map(str, bead.src)),
                     number_cell(segments[0]["adequacy"]), one_cell(segments[0]["src"]),
                     one_cell(" ".join(s["hyp"] for s in segments)), one_cell(" ".join(s["ref"] for s in segments))])
    return rows


def alignment_rows(document: AlignedDocument) -> list[list[str]]:
    rows = bead_rows(document)
    rows += [["1-0", "", "", str(u["src_index"]), "", one_cell(u["src"]), one_cell(u["hyp"]), ""]
             for u in document.unmatched_source]
    rows += [["0-1", "", str(u["ref_index"]), "", "", "", "", one_cell(u["ref"])] for u in document.unmatched_reference]
    rows += [["stray", "", "", "", "", "", one_cell(text), ""] for text in document.unaligned_hypotheses]
    return rows


def alignment_table(document: AlignedDocument) -> str:
    """The alignment as TSV: one row per matched bead in reference order, then the source sentences with no
    reference (1-0), the reference sentences with no source (0-1) and outputs aligned to no source (stray)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(ALIGNMENT_COLUMNS)
    writer.writerows(alignment_rows(document))
    return buffer.getvalue()


def alignment_path(doc_id: str) -> str:
    """Where a document's alignment goes inside the run folder."""
    return f"alignment/{doc_id}.tsv"
