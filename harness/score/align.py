"""Hypothesis <-> reference sentence alignment: the fallback for a source language the multilingual encoder
(harness.align.encoder) does not cover; otherwise segments come from the source <-> reference alignment
(harness.align.crosslingual).

The seeds are whole articles whose sentences are merged, split, dropped and reordered across versions,
so one document-level score hides what happened. We align the hypothesis sentences to the reference
sentences with a monotonic dynamic program over 1-1, 2-1, 1-2, 1-0 and 0-1 beads (Gale-Church's search,
vecalign's idea of scoring merged groups by re-embedding the concatenated text). A bead's similarity
mixes three signals, weighted in config: character length ratio (Gale-Church), sentence chrF (surface
overlap, works for any language pair) and the cosine of the multilingual encoder (harness.align.encoder, which
benchmarks/encoder_choice.py found as good as MiniLM on English sentences, with a wider margin, and faster).

Cost of a bead: matched beads cost (sentences in the bead) x (1 - similarity); every sentence left
unaligned costs (1 - min_similarity). So a 1-1 pair is kept exactly when its similarity beats
min_similarity, and a 2-1 merge wins over 1-1 + 1-0 when 3*s(2-1) > 2*s(1-1) + min_similarity.

The beads are harness.align.beads.Bead, the hypothesis's sentences on their first side (bead.src): here the
hypothesis stands in for the source.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from harness.cache import TranslationCache, content_key, remembered
from harness.config import AlignmentSpec
from harness.align.beads import HYPOTHESIS_ALIGNER_VERSION, Bead, bead_shape
from harness.align.encoder import embed, encoder_signature
from harness.errors import UserError, unknown_name
from harness.score.metrics import select_metrics
from harness.data.segment import split_sentences
from harness.translate.translate import Translation, reference_sentences

SKIP_BEADS = {(1, 0), (0, 1)}
MOST_SENTENCES = 2   # on one side of a bead (alignment.beads)
LONG_SENTENCE_WORDS = 200   # a 'sentence' this long usually means that no sentence boundary was found


@dataclass(frozen=True)
class HypothesisSentence:
    """One sentence of the model's output, linked to the source sentence it translates (if known)."""

    text: str
    source_index: int | None


@dataclass
class Alignment:
    hypothesis: list[HypothesisSentence]
    reference: list[str]
    beads: list[Bead]
    notes: list[str] = field(default_factory=list)   # what the aligner did with unusual input
    background_similarity: float = 0.0   # mean similarity of all sentence pairs: what chance alignment reaches


def hypothesis_sentences(translation: Translation, lang: str) -> list[HypothesisSentence]:
    """Re-split every output (one per source sentence, possibly several sentences) in the target language."""
    sentences = []
    for index, output in enumerate(translation.outputs):
        source = index if translation.source_aligned else None
        sentences += [HypothesisSentence(text, source) for text in split_sentences(output, lang)]
    return sentences


@lru_cache(maxsize=1)
def chrf_metric():
    return select_metrics(["chrf"])[0]


def length_similarity(left: str, right: str) -> float:
    shorter, longer = sorted((len(left), len(right)))
    return shorter / longer if longer else 0.0


def group_texts(sentences: list[str], size: int) -> list[str]:
    return [" ".join(sentences[i:i + size]) for i in range(len(sentences) - size + 1)]


class BeadSimilarity:
    """Similarity of every candidate group pair, computed once per bead shape before the search."""

    def __init__(self, hyp: list[str], ref: list[str], weights: dict[str, float], embeddings: bool):
        self.hyp, self.ref = hyp, ref
        self.weights = weights if embeddings else {k: v for k, v in weights.items() if k != "embedding"}
        self.embeddings = embeddings
        self.tables: dict[tuple[int, int], np.ndarray] = {}

    def table(self, shape: tuple[int, int]) -> np.ndarray:
        if shape not in self.tables:
            self.tables[shape] = self.compute(group_texts(self.hyp, shape[0]), group_texts(self.ref, shape[1]))
        return self.tables[shape]

    def compute(self, hyp_groups: list[str], ref_groups: list[str]) -> np.ndarray:
        total = sum(self.weights.values())
        mixed = np.zeros((len(hyp_groups), len(ref_groups)))
        if "embedding" in self.weights and hyp_groups and ref_groups:
            cosine = embed(hyp_groups) @ embed(ref_groups).T
            mixed += self.weights["embedding"] * np.clip(cosine, 0.0, 1.0)
        for i, h in enumerate(hyp_groups):
            for j, r in enumerate(ref_groups):
                mixed[i, j] += (self.weights.get("chrf", 0.0) * chrf_metric().sentence_score(h, r) / 100
                                + self.weights.get("length", 0.0) * length_similarity(h, r))
        return mixed / total

    def __call__(self, i: int, j: int, shape: tuple[int, int]) -> float:
        return float(self.table(shape)[i, j])


def search(n_hyp: int, n_ref: int, similarity: BeadSimilarity, shapes: list[tuple[int, int]],
           min_similarity: float, merge_penalty: float) -> list[Bead]:
    """Monotonic minimum-cost path; returns beads in order, skips included."""
    cost = np.full((n_hyp + 1, n_ref + 1), np.inf)
    back: dict[tuple[int, int], tuple[int, int, float]] = {}
    cost[0, 0] = 0.0
    skip_cost = 1.0 - min_similarity
    for i in range(n_hyp + 1):
        for j in range(n_ref + 1):
            for dh, dr in shapes:
                if i < dh or j < dr or not np.isfinite(cost[i - dh, j - dr]):
                    continue
                if (dh, dr) in SKIP_BEADS:
                    sim, step = 0.0, skip_cost
                else:
                    sim = similarity(i - dh, j - dr, (dh, dr))
                    step = (dh + dr) * (1.0 - sim) + (merge_penalty if dh + dr > 2 else 0.0)
                if cost[i - dh, j - dr] + step < cost[i, j]:
                    cost[i, j] = cost[i - dh, j - dr] + step
                    back[(i, j)] = (dh, dr, sim)
    return backtrace(back, n_hyp, n_ref)


def backtrace(back: dict[tuple[int, int], tuple[int, int, float]], i: int, j: int) -> list[Bead]:
    beads = []
    while i or j:
        dh, dr, sim = back[(i, j)]
        beads.append(Bead(tuple(range(i - dh, i)), tuple(range(j - dr, j)), round(sim, 4)))
        i, j = i - dh, j - dr
    return beads[::-1]


def hypothesis_bead_shape(name: str) -> tuple[int, int]:
    """"2-1" -> (2, 1): hypothesis sentences, reference sentences (alignment.beads)."""
    return bead_shape(name, "alignment.beads", "hyp-ref", MOST_SENTENCES)


def align_texts(hyp: list[str], ref: list[str], spec: AlignmentSpec) -> tuple[list[Bead], list[str], float]:
    """Align two sentence lists; returns the beads, notes on degenerate input, and the background similarity."""
    notes = []
    if not hyp or not ref:
        notes.append("empty hypothesis: every reference sentence is 0-1" if not hyp
                     else "empty reference: every hypothesis sentence is 1-0")
    if len(ref) == 1 and hyp:
        notes.append("single reference sentence (a one-sentence document, or no sentence boundary found): "
                     "the whole hypothesis is aligned to it")
    long_sentences = sum(len(s.split()) > LONG_SENTENCE_WORDS for s in hyp + ref)
    if long_sentences:
        notes.append(f"{long_sentences} sentences longer than {LONG_SENTENCE_WORDS} words: aligned as they are; "
                     "a sentence this long usually means that no sentence boundary was found")
    shapes = [hypothesis_bead_shape(b) for b in spec.beads]
    similarity = BeadSimilarity(hyp, ref, dict(spec.weights), spec.embeddings)
    beads = search(len(hyp), len(ref), similarity, shapes, spec.min_similarity, spec.merge_penalty)
    if len(ref) == 1 and len(hyp) > 1:
        beads = absorb_into_single_reference(beads, similarity)
    pairs = similarity.table((1, 1))
    return beads, notes, float(pairs.mean()) if pairs.size else 0.0


def absorb_into_single_reference(beads: list[Bead], similarity: BeadSimilarity) -> list[Bead]:
    """A reference without sentence boundaries is one long segment: give it the whole hypothesis (n-1)."""
    hyp_indices = tuple(i for bead in beads for i in bead.src)
    whole = " ".join(similarity.hyp)
    sim = similarity.compute([whole], similarity.ref)[0, 0]
    return [Bead(hyp_indices, (0,), round(float(sim), 4))]


def alignment_key(hyp: list[str], ref: list[str], spec: AlignmentSpec) -> str:
    """Everything that decides an alignment: the texts, the search settings and the embedding weights."""
    settings = {"version": HYPOTHESIS_ALIGNER_VERSION, "beads": list(spec.beads), "weights": dict(spec.weights),
                "min_similarity": spec.min_similarity, "merge_penalty": spec.merge_penalty,
                "embeddings": encoder_signature() if spec.embeddings else None}
    return content_key(settings, hyp, ref)


def cached_align_texts(hyp: list[str], ref: list[str], spec: AlignmentSpec, cache: TranslationCache | None
                       ) -> tuple[list[Bead], list[str], float]:
    """align_texts, remembered in the translation cache: a re-run of the same outputs loads no encoder."""
    record = remembered(cache, "alignments", alignment_key(hyp, ref, spec), lambda: alignment_record(hyp, ref, spec))
    beads = [Bead(tuple(h), tuple(r), s) for h, r, s in record["beads"]]
    return beads, record["notes"], record["background"]


def alignment_record(hyp: list[str], ref: list[str], spec: AlignmentSpec) -> dict:
    beads, notes, background = align_texts(hyp, ref, spec)
    return {"beads": [[b.src, b.ref, b.similarity] for b in beads], "notes": notes, "background": background}


def align_translation(translation: Translation, lang: str, spec: AlignmentSpec,
                      cache: TranslationCache | None = None) -> Alignment:
    hypothesis = hypothesis_sentences(translation, lang)
    reference = reference_sentences(translation.document, lang)
    beads, notes, background = cached_align_texts([h.text for h in hypothesis], reference, spec, cache)
    return Alignment(hypothesis, reference, beads, notes, background)


def check_alignment_settings(spec: AlignmentSpec) -> None:
    """Bead names and the similarity weights the aligner will really use, checked before any translation."""
    shapes = [hypothesis_bead_shape(name) for name in spec.beads]
    if not any(h and r for h, r in shapes):
        raise UserError(f"alignment.beads={list(spec.beads)}: no bead aligns anything; include 1-1")
    used = BeadSimilarity([], [], dict(spec.weights), spec.embeddings).weights
    unknown = set(used) - {"embedding", "chrf", "length"}
    if unknown:
        raise unknown_name("alignment weight", sorted(unknown)[0], ["embedding", "chrf", "length"])
    if sum(used.values()) <= 0:
        raise UserError(f"alignment.weights={dict(spec.weights)}: the weights in use sum to 0 "
                        f"(embeddings={spec.embeddings}); give chrf or length a positive weight")
