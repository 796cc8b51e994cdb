"""Sentence alignment across languages with the multilingual encoder (harness.encoder), bertalign/vecalign style.

Used for source <-> reference (once per document pair, shared by every system) and for source <-> output of
systems that do not follow the source segmentation (the files backend).

1. Sentences with no letter ('-', a stray '.') are set aside: they embed close to anything short.
2. A monotonic dynamic program over beads (1-1, 2-1, 1-2, 1-0, 0-1 by default). A matched bead costs
   (sentences in it) x (1 - cosine of the concatenated groups' embeddings), plus merge_penalty when it
   holds more than two sentences; a sentence left out costs (1 - min_similarity). So a 1-1 pair is kept
   exactly when its cosine beats min_similarity. Documents longer than full_search_max sentences are
   searched in a band of +-band sentences around the diagonal, row by row with numpy (20,000 lines in
   seconds).
3. Recovery of reordering: the sentences the pass left out, on both sides, are searched again (the same
   program on the leftovers; a merged group must stay contiguous in the document), up to recovery_passes
   times. A block moved elsewhere in a translation is monotonic within itself, so each pass recovers the
   longest remaining chain.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from harness.cache import TranslationCache, content_key
from harness.encoder import embed, encoder_signature, has_letters, mean_direction
from harness.errors import UserError
from harness.names import shared_names

ALIGNER_VERSION = 1   # bump when the search changes: cached alignments are then recomputed
SKIPS = ((1, 0), (0, 1))


@dataclass(frozen=True)
class PairBead:
    src: tuple[int, ...]
    ref: tuple[int, ...]
    similarity: float | None   # None: a line-aligned pair outside the measured sample

    @property
    def kind(self) -> str:
        return f"{len(self.src)}-{len(self.ref)}"


@dataclass
class PairAlignment:
    """Matched beads in reference order, and what each side has with no counterpart."""

    beads: list[PairBead]
    unmatched_source: list[int]
    unmatched_reference: list[int]
    background_similarity: float     # mean cosine of every source sentence with every reference sentence
    document_cosine: float           # cosine of the two documents' mean sentence embeddings
    notes: list[str] = field(default_factory=list)
    method: str = "search"           # search, or lines (declared line-aligned: no search)
    shared_names: list[str] | None = None   # the reference's names found in the source (None: not compared)
    reference_names: int = 0                # how many names the reference has

    def bead_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for bead in self.beads:
            counts[bead.kind] = counts.get(bead.kind, 0) + 1
        counts.update({k: v for k, v in (("1-0", len(self.unmatched_source)),
                                         ("0-1", len(self.unmatched_reference))) if v})
        return counts

    def as_record(self) -> dict:
        return {"beads": [[b.src, b.ref, b.similarity] for b in self.beads],
                "unmatched_source": self.unmatched_source, "unmatched_reference": self.unmatched_reference,
                "background": self.background_similarity, "document_cosine": self.document_cosine,
                "notes": self.notes, "method": self.method, "shared_names": self.shared_names,
                "reference_names": self.reference_names}

    @classmethod
    def from_record(cls, record: dict) -> PairAlignment:
        beads = [PairBead(tuple(s), tuple(r), sim) for s, r, sim in record["beads"]]
        return cls(beads, record["unmatched_source"], record["unmatched_reference"], record["background"],
                   record["document_cosine"], record["notes"], record["method"], record["shared_names"],
                   record["reference_names"])


def bead_shape(name: str) -> tuple[int, int]:
    """"2-1" -> (2, 1): source sentences, reference sentences (at most 3 on a side)."""
    parts = name.strip().split("-")
    shape = tuple(int(p) for p in parts) if len(parts) == 2 and all(p.isdigit() for p in parts) else None
    if shape is None or max(shape) > 3 or (0 in shape and max(shape) != 1):
        raise UserError(f"crosslingual.beads: '{name}' is not a bead; use src-ref counts such as 1-1, 2-1, 1-2, "
                        "1-0, 0-1 (at most 3 sentences a side)")
    return shape


class GroupVectors:
    """Embeddings of every contiguous group of 1..k sentences of one sequence; a group that is not contiguous in
    the document gets a zero vector. A merged group is re-embedded as its concatenated text (bertalign); in a
    long document, to keep the encoder's work linear in its length, it is the normalised sum of its members."""

    def __init__(self, texts: list[str], ids: list[int], sizes: set[int], reembed: bool = True):
        self.by_size: dict[int, np.ndarray] = {}
        singles = embed([texts[i] for i in ids])
        for size in sorted(sizes):
            starts = range(len(ids) - size + 1)
            contiguous = np.array([ids[s + size - 1] - ids[s] == size - 1 for s in starts], dtype=bool)
            if size == 1:
                self.by_size[1] = singles
            elif reembed:
                self.by_size[size] = embed([" ".join(texts[i] for i in ids[s:s + size]) if ok else ""
                                            for s, ok in zip(starts, contiguous)])
            else:
                summed = sum(singles[k:len(singles) - size + 1 + k] for k in range(size))
                summed /= np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
                self.by_size[size] = summed * contiguous[:, None]


class Search:
    """One monotonic pass over two sequences of sentence ids; row i covers columns lo[i]..hi[i]."""

    def __init__(self, src: GroupVectors, ref: GroupVectors, n: int, m: int, spec):
        self.src, self.ref, self.n, self.m, self.spec = src, ref, n, m, spec
        self.shapes = [bead_shape(b) for b in spec.beads]
        self.skip = 1.0 - spec.min_similarity
        full = max(n, m) <= spec.full_search_max
        band = spec.band + -(-m // max(n, 1))   # wider by the columns one row advances: rows stay connected
        centres = [round(i * m / n) if n else m for i in range(n + 1)]
        self.lo = [0 if full else max(0, c - band) for c in centres]
        self.hi = [m if full else min(m, c + band) for c in centres]
        self.hi[n] = m
        self.cost: list[np.ndarray] = []
        self.back: list[np.ndarray] = []

    def gather(self, row: int, columns: np.ndarray) -> np.ndarray:
        index = columns - self.lo[row]
        valid = (index >= 0) & (index < len(self.cost[row]))
        values = np.full(len(columns), np.inf)
        values[valid] = self.cost[row][index[valid]]
        return values

    def similarities(self, shape: tuple[int, int], src_start: int, ref_starts: np.ndarray) -> np.ndarray:
        return self.ref.by_size[shape[1]][ref_starts] @ self.src.by_size[shape[0]][src_start]

    def step_costs(self, shape: tuple[int, int], i: int, columns: np.ndarray) -> np.ndarray:
        a, b = shape
        starts = columns - b
        base = self.gather(i - a, starts) if starts.size else starts.astype(float)
        if (a, b) in SKIPS:
            return base + (a + b) * self.skip
        finite = np.isfinite(base) & (starts >= 0)
        step = np.full(len(columns), np.inf)
        if finite.any():
            cosine = self.similarities(shape, i - a, starts[finite])
            penalty = self.spec.merge_penalty if a + b > 2 else 0.0
            step[finite] = base[finite] + (a + b) * (1.0 - cosine) + penalty
        return step

    def run(self) -> list[tuple[int, int, int, int]]:
        """Fill the rows, then backtrace; returns (src start, src end, ref start, ref end) of matched beads."""
        for i in range(self.n + 1):
            columns = np.arange(self.lo[i], self.hi[i] + 1)
            best = np.full(len(columns), np.inf)
            back = np.full(len(columns), -1, dtype=np.int8)
            if i == 0 and self.lo[0] == 0:
                best[0] = 0.0
            for k, shape in enumerate(self.shapes):
                if shape[0] == 0 or shape[0] > i:
                    continue
                candidate = self.step_costs(shape, i, columns)
                better = candidate < best
                best[better], back[better] = candidate[better], k
            if (0, 1) in self.shapes:
                self.chain_reference_skips(best, back, self.shapes.index((0, 1)))
            self.cost.append(best)
            self.back.append(back)
        return self.backtrace()

    def chain_reference_skips(self, best: np.ndarray, back: np.ndarray, skip_index: int) -> None:
        """cost[i, j] = min(best[j], cost[i, j-1] + skip), vectorised as a running minimum."""
        offsets = np.arange(len(best)) * self.skip
        chained = np.minimum.accumulate(best - offsets) + offsets
        better = chained < best - 1e-12
        best[better], back[better] = chained[better], skip_index

    def backtrace(self) -> list[tuple[int, int, int, int]]:
        i, j, beads = self.n, self.m, []
        if not np.isfinite(self.cost[i][j - self.lo[i]]):
            raise RuntimeError("alignment search found no path; widen crosslingual.band")
        while i or j:
            a, b = self.shapes[self.back[i][j - self.lo[i]]]
            if a and b:
                beads.append((i - a, i, j - b, j))
            i, j = i - a, j - b
        return beads[::-1]


def monotonic_pass(src: list[str], ref: list[str], src_ids: list[int], ref_ids: list[int], spec) -> list[PairBead]:
    shapes = [bead_shape(b) for b in spec.beads]
    reembed = max(len(src_ids), len(ref_ids)) <= spec.full_search_max
    src_vectors = GroupVectors(src, src_ids, {a for a, b in shapes if a and b}, reembed)
    ref_vectors = GroupVectors(ref, ref_ids, {b for a, b in shapes if a and b}, reembed)
    found = Search(src_vectors, ref_vectors, len(src_ids), len(ref_ids), spec).run()
    beads = []
    for s0, s1, r0, r1 in found:
        cosine = float(ref_vectors.by_size[r1 - r0][r0] @ src_vectors.by_size[s1 - s0][s0])
        beads.append(PairBead(tuple(src_ids[s0:s1]), tuple(ref_ids[r0:r1]), round(cosine, 4)))
    return beads


def search_with_recovery(src: list[str], ref: list[str], src_ids: list[int], ref_ids: list[int],
                         spec) -> list[PairBead]:
    beads: list[PairBead] = []
    for _ in range(1 + spec.recovery_passes):
        if not src_ids or not ref_ids:
            break
        found = monotonic_pass(src, ref, src_ids, ref_ids, spec)
        if not found:
            break
        beads += found
        used_src = {i for b in found for i in b.src}
        used_ref = {j for b in found for j in b.ref}
        src_ids = [i for i in src_ids if i not in used_src]
        ref_ids = [j for j in ref_ids if j not in used_ref]
    return sorted(beads, key=lambda b: (b.ref[0], b.src[0]))


def letter_ids(texts: list[str]) -> list[int]:
    return [k for k, text in enumerate(texts) if has_letters(text)]


def document_statistics(src: list[str], ref: list[str]) -> tuple[float, float]:
    """Mean cosine of all sentence pairs (the dot product of the mean vectors) and the documents' cosine."""
    src_vectors, ref_vectors = embed([s for s in src if has_letters(s)]), embed([r for r in ref if has_letters(r)])
    if not len(src_vectors) or not len(ref_vectors):
        return 0.0, 0.0
    background = float(src_vectors.mean(axis=0) @ ref_vectors.mean(axis=0))
    return round(background, 4), round(float(mean_direction(src_vectors) @ mean_direction(ref_vectors)), 4)


def align_sentences(src: list[str], ref: list[str], spec) -> PairAlignment:
    """Align two sentence lists in any two covered languages (see the module docstring)."""
    src_ids, ref_ids = letter_ids(src), letter_ids(ref)
    notes = [f"{len(side) - len(ids)} {name} pieces without letters set aside"
             for name, side, ids in (("source", src, src_ids), ("reference", ref, ref_ids)) if len(side) > len(ids)]
    if max(len(src_ids), len(ref_ids)) > spec.full_search_max:
        notes.append(f"long document: searched in a band of +-{spec.band} sentences around the diagonal, merged "
                     "sentences scored by the sum of their embeddings")
    beads = search_with_recovery(src, ref, src_ids, ref_ids, spec)
    background, document_cosine = document_statistics(src, ref)
    alignment = PairAlignment(beads, unmatched(len(src), beads, "src"), unmatched(len(ref), beads, "ref"),
                              background, document_cosine, notes)
    if max(len(src), len(ref)) <= spec.full_search_max:
        alignment.shared_names, alignment.reference_names = shared_names(src, ref, spec.name_min_similarity)
    else:
        notes.append("long document: names not compared")
    return alignment


def evenly_spaced(count: int, limit: int | None) -> list[int]:
    """At most `limit` indices spread over range(count) (all of them when limit is None or larger)."""
    if limit is None or count <= limit:
        return list(range(count))
    return sorted({round(k * (count - 1) / (limit - 1)) for k in range(limit)}) if limit > 1 else [0]


def align_lines(src: list[str], ref: list[str], spec) -> PairAlignment:
    """A declared line-aligned pair: line i of the source is line i of the reference; no search. The cosines
    (relation signals) are measured on an evenly spaced sample of crosslingual.line_sample lines."""
    sample = evenly_spaced(len(src), spec.line_sample)
    cosines = dict(zip(sample, np.einsum("ij,ij->i", embed([src[k] for k in sample]), embed([ref[k] for k in sample]))))
    beads = [PairBead((k,), (k,), round(float(cosines[k]), 4) if k in cosines else None) for k in range(len(src))]
    background, document_cosine = document_statistics([src[k] for k in sample], [ref[k] for k in sample])
    notes = [] if len(sample) == len(src) else [
        f"line-aligned: cosines (the relation; adequacy when measured) on {len(sample)} evenly spaced lines of "
        f"{len(src)}"]
    return PairAlignment(beads, [], [], background, document_cosine, notes, "lines")


def unmatched(count: int, beads: list[PairBead], side: str) -> list[int]:
    used = {k for bead in beads for k in getattr(bead, side)}
    return [k for k in range(count) if k not in used]


def settings(spec, method: str) -> dict:
    return {"version": ALIGNER_VERSION, "encoder": encoder_signature(), "method": method,
            **({"line_sample": spec.line_sample} if method == "lines" else {"beads": list(spec.beads), "min_similarity": spec.min_similarity,
                                              "merge_penalty": spec.merge_penalty, "band": spec.band,
                                              "full_search_max": spec.full_search_max,
                                              "recovery_passes": spec.recovery_passes,
                                              "name_min_similarity": spec.name_min_similarity})}


def cached_alignment(src: list[str], ref: list[str], spec, cache: TranslationCache | None,
                     lines: bool = False) -> PairAlignment:
    """The alignment of a document pair, computed once: keyed by both texts, the encoder, the settings and
    the aligner's version, so every run and system on the data set reuses it (and imports no encoder)."""
    method = "lines" if lines else "search"
    key = content_key(settings(spec, method), src, ref)
    stored = cache.get_many([key], table="alignments").get(key) if cache else None
    if stored is not None:
        return PairAlignment.from_record(json.loads(stored))
    alignment = align_lines(src, ref, spec) if lines else align_sentences(src, ref, spec)
    if cache:
        cache.put_many({key: json.dumps(alignment.as_record())}, table="alignments")
    return alignment


def cached_cosines(pairs: list[tuple[str, str]], cache: TranslationCache | None) -> list[float]:
    """Cosine of each (left, right) pair in the multilingual space, remembered like alignments."""
    key = content_key({"version": ALIGNER_VERSION, "encoder": encoder_signature(), "what": "pair cosines"}, pairs)
    stored = cache.get_many([key], table="alignments").get(key) if cache else None
    if stored is not None:
        return json.loads(stored)
    left, right = embed([p[0] for p in pairs]), embed([p[1] for p in pairs])
    cosines = [round(float(c), 4) for c in np.einsum("ij,ij->i", left, right)] if pairs else []
    if cache:
        cache.put_many({key: json.dumps(cosines)}, table="alignments")
    return cosines
