"""Scores over aligned segments: one segment per reference sentence, so that segments of different systems
on the same reference pair up by (document id, ref_index) for paired significance tests.

Sharing rule: a bead's hypothesis text goes whole to its reference sentence (a 2-1 bead gives the
reference both hypothesis sentences); when one hypothesis sentence is aligned to two reference sentences
(1-2), it is cut at the word boundary nearest to the reference sentences' character-length ratio
(mwerSegmenter-style re-segmentation without the edit-distance search). A reference sentence aligned to
nothing (0-1) gets an empty hypothesis; hypothesis sentences aligned to nothing (1-0) are listed apart.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from harness.align import Alignment, Bead, align_translation
from harness.cache import TranslationCache
from harness.metrics import Score, select_metrics
from harness.translate import Translation


@dataclass
class AlignedDocument:
    alignment: Alignment
    sources: list[str]                 # source sentences, indexed by HypothesisSentence.source_index
    segments: list[dict]
    unaligned_hypotheses: list[str]
    aligned_scores: dict[str, Score]


def share_hypothesis(text: str, references: list[str]) -> list[str]:
    """Cut one hypothesis into len(references) parts at the words nearest the references' length ratios."""
    words = text.split()
    total = sum(len(r) for r in references) or 1
    parts, start, covered = [], 0, 0
    for reference in references[:-1]:
        covered += len(reference)
        target = covered / total * len(text)
        lengths = [len(" ".join(words[:k])) for k in range(start, len(words) + 1)]
        cut = start + min(range(len(lengths)), key=lambda k: abs(lengths[k] - target))
        parts.append(" ".join(words[start:cut]))
        start = cut
    return parts + [" ".join(words[start:])]


def bead_source(bead: Bead, alignment: Alignment, sources: list[str]) -> str | None:
    indices = dict.fromkeys(alignment.hypothesis[i].source_index for i in bead.hyp)
    if not indices or None in indices:
        return None
    return " ".join(sources[i] for i in indices)


def bead_segments(bead: Bead, alignment: Alignment, sources: list[str]) -> list[dict]:
    hypothesis = " ".join(alignment.hypothesis[i].text for i in bead.hyp)
    references = [alignment.reference[j] for j in bead.ref]
    parts = share_hypothesis(hypothesis, references)
    source = bead_source(bead, alignment, sources)
    return [{"ref_index": j, "ref": ref, "hyp": part, "src": source, "bead": bead.kind,
             "similarity": bead.similarity} for j, ref, part in zip(bead.ref, references, parts)]


def score_segments(segments: list[dict], metric_names: list[str]) -> None:
    metrics = select_metrics(metric_names)
    for segment in segments:
        segment["scores"] = {m.name: round(m.sentence_score(segment["hyp"], segment["ref"]), 4) for m in metrics}


def score_alignment(alignment: Alignment, sources: list[str], spec) -> AlignedDocument:
    segments = [s for bead in alignment.beads if bead.ref for s in bead_segments(bead, alignment, sources)]
    score_segments(segments, list(spec.segment_metrics))
    unaligned = [alignment.hypothesis[i].text for bead in alignment.beads if not bead.ref for i in bead.hyp]
    hyps, refs = [s["hyp"] for s in segments], [s["ref"] for s in segments]
    aligned = {m.name: m.corpus_score(hyps, refs) for m in select_metrics(list(spec.corpus_metrics))} if segments else {}
    return AlignedDocument(alignment, sources, segments, unaligned, aligned)


def align_and_score(translations: list[Translation], target_lang: str, spec,
                    cache: TranslationCache | None = None) -> list[AlignedDocument]:
    """The alignment stage: align each document's hypothesis to its reference and score the segments."""
    return [score_alignment(align_translation(t, target_lang, spec, cache), [s.text for s in t.segments], spec)
            for t in translations]


ALIGNMENT_COLUMNS = ["bead", "similarity", "ref_index", "hyp_index", "source", "hypothesis", "reference"]


def one_cell(text: str | None) -> str:
    return " ".join((text or "").split())


def alignment_table(document: AlignedDocument) -> str:
    """The alignment as TSV, one row per bead in order: 1-0 rows have no reference, 0-1 rows no hypothesis."""
    alignment = document.alignment
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(ALIGNMENT_COLUMNS)
    for bead in alignment.beads:
        writer.writerow([bead.kind, f"{bead.similarity:.3f}", ",".join(map(str, bead.ref)),
                         ",".join(map(str, bead.hyp)), one_cell(bead_source(bead, alignment, document.sources)),
                         one_cell(" ".join(alignment.hypothesis[i].text for i in bead.hyp)),
                         one_cell(" ".join(alignment.reference[j] for j in bead.ref))])
    return buffer.getvalue()


def alignment_path(doc_id: str) -> str:
    """Where a document's alignment goes inside the run folder."""
    return f"alignment/{doc_id}.tsv"
