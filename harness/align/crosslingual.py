"""Sentence alignment across languages with the multilingual encoder (harness.align.encoder), Bertalign style.

Used for source <-> reference (once per document pair, shared by every system) and for source <-> output of
systems that do not follow the source segmentation (the files backend). docs/alignment.md has the figures.

1. Sentences with no letter ('-', a stray '.') are set aside: they embed close to anything short.
2. Runs of 1..MAX_RUN consecutive sentences a side are embedded from their sentences' pooled token sums (Side).
3. First pass (anchor_path): a dynamic program over 1-1 pairs among each source sentence's top_k nearest
   reference sentences in a band around the diagonal.
4. Second pass (monotonic_beads): a dynamic program over every a-b bead with a + b <= largest_bead, and
   every larger one that bead_penalty names (1-5), in a window around the anchors; a bead scores Bertalign's
   margin times a length agreement, minus its shape's penalty (BeadScores); a sentence left out scores `skip`.
   No absolute cosine threshold. Each stretch of merged beads it finds is searched again with its runs embedded
   from their joined text (searched_again).
5. A merged bead loses an edge sentence far below the pair's background cosine, or an edge piece that is no
   sentence (a boilerplate line) at no more than the background (trimmed).
6. Reordering (with_reordering): beads under the sure mining margin give way to mutual-best 1-1 pairs with
   a high mining margin over the whole documents.
7. Pieces set aside in step 1 that read the same on both sides ('1. 1950 :') and sit between the same two
   beads pair up 1-1 (figures_beads); they carry no cosine, so the relation signals do not count them.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from harness.cache import TranslationCache, content_key, remembered
from harness.config import CrosslingualSpec
from harness.align.beads import CROSSLINGUAL_VERSION, Bead, bead_shape, shape_counts, shape_name
from harness.align.encoder import EMBEDDED, embed, encoder_signature, has_letters, mean_direction, pooled_token_sums
from harness.align.names import shared_names
from harness.data.languages import written_without_spaces
from harness.errors import UserError

MAX_RUN = 5           # the most sentences on one side of a bead
NULL_SAMPLE = 2000    # sentences a side whose pairs measure the null (document_statistics)
SEARCH_SETTINGS = ("largest_bead", "skip", "size_penalty", "bead_penalty", "top_k", "anchor_window", "anchor_share", "window", "trim_below", "trim_fragment_below", "trim_gain",
                   "trim_document_share", "sure_margin", "recovery_min_margin",
                   "names_max_sentences", "name_min_similarity")


@dataclass
class PairAlignment:
    """Matched beads in reference order (similarity: the cosine of the two sides), and what each side has with no
    counterpart."""

    beads: list[Bead]
    unmatched_source: list[int]
    unmatched_reference: list[int]
    background_similarity: float     # mean cosine of the sentence pairs the alignment does not pair (the null)
    document_cosine: float           # cosine of the two documents' mean sentence embeddings
    notes: list[str] = field(default_factory=list)
    method: str = "search"           # search, or lines (declared line-aligned: no search)
    shared_names: list[str] | None = None   # the reference's names found in the source (None: not compared)
    reference_names: int = 0                # how many names the reference has
    # In a translation that drops sentences (drops_sentences): the beads before it lost them, and their null. The
    # relation is judged on them, as its thresholds were calibrated: the trimming keeps what agrees best, and so
    # would make a retelling look closer to a translation than it is. None: the beads above.
    judged: list[Bead] | None = None
    judged_background: float | None = None
    background_spread: float = 0.0              # standard deviation of the null's cosines
    judged_background_spread: float | None = None

    def relation_basis(self) -> tuple[list[Bead], float, float]:
        """The beads the relation is judged on, and their null: its mean and spread."""
        if self.judged is None:
            return self.beads, self.background_similarity, self.background_spread
        return self.judged, self.judged_background, self.judged_background_spread

    def bead_counts(self) -> dict[str, int]:
        """The matched beads' shapes, then each sentence with no counterpart as a 1-0 or 0-1 bead."""
        return shape_counts([*(bead.kind for bead in self.beads), *[shape_name(1, 0)] * len(self.unmatched_source),
                             *[shape_name(0, 1)] * len(self.unmatched_reference)])

    def as_record(self) -> dict:
        return {"beads": bead_rows(self.beads),
                "unmatched_source": self.unmatched_source, "unmatched_reference": self.unmatched_reference,
                "background": self.background_similarity, "document_cosine": self.document_cosine,
                "notes": self.notes, "method": self.method, "shared_names": self.shared_names,
                "reference_names": self.reference_names, "judged": bead_rows(self.judged),
                "judged_background": self.judged_background, "background_spread": self.background_spread,
                "judged_background_spread": self.judged_background_spread}

    @classmethod
    def from_record(cls, record: dict) -> PairAlignment:
        return cls(record_beads(record["beads"]), record["unmatched_source"], record["unmatched_reference"],
                   record["background"], record["document_cosine"], record["notes"], record["method"],
                   record["shared_names"], record["reference_names"], record_beads(record["judged"]),
                   record["judged_background"], record["background_spread"], record["judged_background_spread"])


def bead_rows(beads: list[Bead] | None) -> list[list] | None:
    return None if beads is None else [[b.src, b.ref, b.similarity, b.margin, b.recovered, b.sure] for b in beads]


def record_beads(rows: list[list] | None) -> list[Bead] | None:
    return None if rows is None else [Bead(tuple(s), tuple(r), *rest) for s, r, *rest in rows]


class Side:
    """One side's sentences embedded as runs of 1..longest consecutive sentences (the overlaps of vecalign),
    each run from its sentences' pooled token features (harness.align.encoder.TokenSums), with its length; the
    runs where the search found merges are embedded again from their text (embed_joined)."""

    def __init__(self, texts: list[str], longest: int):
        sums = pooled_token_sums(texts)
        self.vectors = [sums.runs(k) for k in range(1, longest + 1)]
        EMBEDDED.update(dict(zip(texts, self.vectors[0])))
        chars = np.array([len(t) for t in texts], dtype=np.float64)
        self.count = len(texts)
        self.texts = texts
        self.chars = [np.convolve(chars, np.ones(k))[k - 1:len(chars)] for k in range(1, longest + 1)]
        self.sentence_like = [ends_like_sentence(t) for t in texts]

    def embed_joined(self, start: int, end: int) -> None:
        """The runs of 2..longest sentences within start..end embedded from their text, the sentences joined with a
        space, as the encoder reads a passage (Chinese joined without one: the same beads on MAC-Dev). The token
        sums come within 0.95-0.99 cosine of it: enough to see where a merge is, not always to choose between a
        merge and its neighbours (MAC-Dev, Text+Berg dev; docs/alignment.md)."""
        for size in range(2, min(len(self.vectors), end - start) + 1):
            runs = [" ".join(self.texts[first:first + size]) for first in range(start, end - size + 1)]
            self.vectors[size - 1][start:end - size + 1] = embed(runs)


SENTENCE_END = frozenset(".!?…:;,—–。！？；：、，؟،؛۔।॥။።‼⁇⁈⁉．｡")
TRAILING_CLOSERS = re.compile(r"[\s\"'”’»«」』）)\]}›‹]+$")   # closing quotes and brackets, any spaces among them


def ends_like_sentence(text: str) -> bool:
    """Whether a piece ends as a sentence or a clause does (its last mark, closing quotes and brackets aside, is a
    full stop, question or exclamation mark, colon, comma or dash of any script), unlike 'Partager sur
    Facebook', 'Publicité' or a photo credit."""
    stripped = TRAILING_CLOSERS.sub("", text)
    return bool(stripped) and stripped[-1] in SENTENCE_END


class BeadScores:
    """Bertalign's bead score: the cosine of the two runs minus the mean cosine of each run with the sentences
    just outside the other run (a margin, so that real translations with low absolute cosines still stand
    out), times a length agreement factor log2(1 + shorter / longer) after scaling by the documents' length
    ratio; minus the bead's shape penalty (crosslingual.bead_penalty, learned on MAC-Dev; a shape it does not
    list pays crosslingual.size_penalty for each sentence beyond 1-1)."""

    def __init__(self, src: Side, ref: Side, anchors: list[tuple[int, int]], spec: CrosslingualSpec):
        self.src, self.ref = src, ref
        self.ratio = length_ratio(src, ref, anchors)
        self.penalty = {(a, b): shape_penalty(a, b, spec) for a in range(1, MAX_RUN + 1) for b in range(1, MAX_RUN + 1)}

    def neighbours(self, vector: np.ndarray, other: Side, start: int | np.ndarray, size: int) -> np.ndarray:
        """Mean cosine of `vector` with the sentence before and the one after other's run start..start+size."""
        left, right = np.asarray(start) - 1, np.asarray(start) + size
        singles = other.vectors[0]
        has_left, has_right = left >= 0, right < other.count
        total = np.where(has_left, rows_at(singles, np.maximum(left, 0)) @ vector, 0.0)
        total = total + np.where(has_right, rows_at(singles, np.minimum(right, other.count - 1)) @ vector, 0.0)
        return total / np.maximum(has_left.astype(int) + has_right, 1)

    def scores(self, a: int, b: int, s: int, r: np.ndarray) -> np.ndarray:
        """Scores of the beads of a source sentences from s and b reference sentences from each of r."""
        src_vector, ref_vectors = self.src.vectors[a - 1][s], rows_at(self.ref.vectors[b - 1], r)
        cosine = ref_vectors @ src_vector
        src_side = self.neighbours(src_vector, self.ref, r, b)
        singles = self.src.vectors[0]
        left = singles[s - 1] @ ref_vectors.T if s > 0 else None
        right = singles[s + a] @ ref_vectors.T if s + a < self.src.count else None
        present = [x for x in (left, right) if x is not None]
        ref_side = sum(present) / len(present) if present else np.zeros_like(cosine)
        margin = cosine - (src_side + ref_side) / 2
        ref_chars = rows_at(self.ref.chars[b - 1], r) * self.ratio
        src_chars = self.src.chars[a - 1][s]
        agreement = np.log2(1 + np.minimum(src_chars, ref_chars) / np.maximum(np.maximum(src_chars, ref_chars), 1e-9))
        return margin * agreement - self.penalty[a, b]


def rows_at(table: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """table[indices] for ascending indices: a view, not a copy, where they are consecutive, as Grid.fill's
    columns are (the second pass asks for them some 200,000 times on a 20,000-line document)."""
    if len(indices) and indices[-1] - indices[0] + 1 == len(indices):
        return table[indices[0]:indices[-1] + 1]
    return table[indices]


def shape_penalty(a: int, b: int, spec: CrosslingualSpec) -> float:
    """The penalty of an a-b bead, the same for b-a: merges that take several sentences on both sides (2-2,
    2-3) pay more than their size alone says (MAC-Dev)."""
    listed = spec.bead_penalty.get(shape_name(min(a, b), max(a, b)))
    return float(listed) if listed is not None else spec.size_penalty * (a + b - 2)


def check_bead_penalty(spec: CrosslingualSpec) -> None:
    """crosslingual.bead_penalty names beads the search can make (1 to MAX_RUN sentences a side), the smaller side
    first, as shape_penalty reads them; checked before anything runs."""
    for name in spec.bead_penalty:
        smaller, larger = bead_shape(name, "crosslingual.bead_penalty", "source-reference", MAX_RUN, least=1)
        if smaller > larger:
            raise UserError(f"crosslingual.bead_penalty: '{name}' is never read; write the smaller side first, "
                            f"'{shape_name(larger, smaller)}' (an a-b bead pays the b-a penalty)")


def bead_shapes(spec: CrosslingualSpec) -> list[tuple[int, int]]:
    """Every a-b bead with a + b <= largest_bead, as bertalign's max_align, and each larger shape that bead_penalty
    names, both ways: 1-5 and 5-1 (zh->en news, where one long Chinese sentence is often five English ones:
    MAC-Dev, Text+Berg dev), not 2-4 or 3-3, which at largest_bead 6 swallowed reordered blocks (relation dev)."""
    named = {bead_shape(name, "crosslingual.bead_penalty", "source-reference", MAX_RUN, least=1)
             for name in spec.bead_penalty}
    return [(a, b) for a in range(1, MAX_RUN + 1) for b in range(1, MAX_RUN + 1)
            if a + b <= spec.largest_bead or (min(a, b), max(a, b)) in named]


def longest_run(shapes: list[tuple[int, int]]) -> int:
    """The most sentences a side of the shapes takes: the runs each side embeds."""
    return max(max(shape) for shape in shapes)


class Grid:
    """A dynamic program over (source sentences done, reference sentences done), row i spanning columns
    lo[i]..hi[i]; it maximises the summed bead scores, a skipped sentence scoring `skip`."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, shapes: list[tuple[int, int]], skip: float):
        self.lo, self.hi, self.shapes, self.skip = lo, hi, shapes, skip
        self.score: list[np.ndarray] = []
        self.back: list[np.ndarray] = []

    def previous(self, row: int, columns: np.ndarray) -> np.ndarray:
        """Row's scores at `columns` (consecutive), -inf outside its span: a slice, not a gather (the passes
        ask for thousands of columns a row on a 20,000-line document)."""
        values = np.full(len(columns), -np.inf)
        if len(columns):
            first, scored = columns[0], self.score[row]
            start, end = max(first, self.lo[row]), min(columns[-1] + 1, self.lo[row] + len(scored))
            if start < end:
                values[start - first:end - first] = scored[start - self.lo[row]:end - self.lo[row]]
        return values

    def fill(self, bead_score) -> None:
        """bead_score(a, b, i, columns): scores of the a-b beads ending at source i and each reference column."""
        for i in range(len(self.lo)):
            columns = np.arange(self.lo[i], self.hi[i] + 1)
            best = np.full(len(columns), -np.inf)
            back = np.full(len(columns), -1, dtype=np.int8)
            if i == 0 and self.lo[0] == 0:
                best[0] = 0.0
            for k, (a, b) in enumerate(self.shapes):
                if a == 0 or a > i:
                    continue
                before = self.previous(i - a, columns - b)
                usable = np.isfinite(before) & (columns - b >= 0)
                if not usable.any():
                    continue
                candidate = np.full(len(columns), -np.inf)
                candidate[usable] = before[usable] + (self.skip if b == 0 else bead_score(a, b, i, columns[usable]))
                better = candidate > best
                best[better], back[better] = candidate[better], k
            self.chain_reference_skips(best, back)
            self.score.append(best)
            self.back.append(back)

    def chain_reference_skips(self, best: np.ndarray, back: np.ndarray) -> None:
        """score[i, j] = max(best[j], score[i, j-1] + skip), vectorised as a running maximum."""
        offsets = np.arange(len(best)) * self.skip
        chained = np.maximum.accumulate(best - offsets) + offsets
        better = chained > best + 1e-12
        best[better], back[better] = chained[better], self.shapes.index((0, 1))

    def backtrace(self, n: int, m: int) -> list[tuple[int, int, int, int]]:
        """(source start, source end, reference start, reference end) of the matched beads, in order."""
        i, j, beads = n, m, []
        if not np.isfinite(self.score[i][j - self.lo[i]]):
            raise RuntimeError("alignment search found no path")
        while i or j:
            a, b = self.shapes[self.back[i][j - self.lo[i]]]
            if a and b:
                beads.append((i - a, i, j - b, j))
            i, j = i - a, j - b
        return beads[::-1]


def anchor_width(n: int, m: int, spec: CrosslingualSpec) -> int:
    return max(spec.anchor_window, int(spec.anchor_share * max(n, m)))


def anchor_path(src: Side, ref: Side, spec: CrosslingualSpec) -> list[tuple[int, int]]:
    """Bertalign's first pass: 1-1 pairs only, each worth its cosine when the reference sentence is among the
    source sentence's top_k nearest in a wide band around the diagonal; returns (i, j) ends of the anchors."""
    n, m = src.count, ref.count
    width = anchor_width(n, m, spec) + -(-m // max(n, 1))   # wider by the columns a row advances: rows stay connected
    centres = np.round(np.arange(n + 1) * m / max(n, 1)).astype(int)
    lo, hi = np.clip(centres - width, 0, m), np.clip(centres + width, 0, m)
    lo[0], hi[n] = 0, m
    top: list[tuple[np.ndarray, np.ndarray]] = []   # per source sentence: its top_k reference columns, cosines
    top_k = spec.top_k
    for i in range(n):
        start = max(lo[i + 1] - 1, 0)
        cosines = ref.vectors[0][start:hi[i + 1]] @ src.vectors[0][i]   # a slice: no copy of the band's vectors
        best = np.sort(np.argsort(-cosines)[:top_k])
        top.append((start + best + 1, cosines[best]))   # as DP columns: the reference sentences done after it

    def one_to_one(a, b, i, columns):
        values = np.zeros(len(columns))
        near, cosines = top[i - 1]
        at = np.searchsorted(columns, near)
        found = at < len(columns)
        found[found] = columns[at[found]] == near[found]
        values[at[found]] = cosines[found]
        return values

    grid = Grid(lo, hi, [(0, 1), (1, 0), (1, 1)], 0.0)
    grid.fill(one_to_one)
    return [(s1, r1) for s0, s1, r0, r1 in grid.backtrace(n, m)]


def length_ratio(src: Side, ref: Side, anchors: list[tuple[int, int]]) -> float:
    """Characters of source per character of reference: bertalign takes the documents' totals, which an
    abridged translation or boilerplate lines on one side skew (then merges win over leaving a sentence
    out); the first pass's 1-1 anchors are blind to merges instead. The geometric mean of both did best on
    MAC-Dev and the relation corpus's dev split together."""
    if not anchors:
        return src.chars[0].sum() / max(ref.chars[0].sum(), 1.0)
    rows, columns = np.array(anchors).T - 1
    anchored = src.chars[0][rows].sum() / max(ref.chars[0][columns].sum(), 1.0)
    total = src.chars[0].sum() / max(ref.chars[0].sum(), 1.0)
    return float(np.sqrt(anchored * total))


def second_pass_window(anchors: list[tuple[int, int]], n: int, m: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows between two anchors may use the columns from window before the earlier anchor to window after the
    later one (bertalign's find_second_search_path)."""
    lo, hi = np.zeros(n + 1, dtype=int), np.full(n + 1, m)
    previous = (0, 0)
    for src_end, ref_end in [*anchors, (n, m)]:
        rows = slice(previous[0] + 1, src_end + 1)
        lo[rows], hi[rows] = max(0, previous[1] - window), min(m, ref_end + window)
        previous = (src_end, ref_end)
    lo[0], hi[0], hi[n] = 0, min(m, window), m
    return lo, hi


class Background:
    """What chance pairing reaches in this pair of documents: the mean and spread of the cosines of the pairs
    of single sentences that no bead pairs (an evenly spaced sample of NULL_SAMPLE a side in long documents)."""

    def __init__(self, src: Side, ref: Side, beads: list[tuple[int, int, int, int]]):
        rows, columns = np.array(evenly_spaced(src.count, NULL_SAMPLE)), np.array(evenly_spaced(ref.count, NULL_SAMPLE))
        cosines = src.vectors[0][rows] @ ref.vectors[0][columns].T
        chance = np.ones(cosines.shape, dtype=bool)
        for s0, s1, r0, r1 in beads:
            chance[np.ix_((rows >= s0) & (rows < s1), (columns >= r0) & (columns < r1))] = False
        null = cosines[chance] if chance.any() else cosines.ravel()
        self.mean, self.spread = float(null.mean()), float(null.std()) or 1.0

    def z(self, cosine: float) -> float:
        return (cosine - self.mean) / self.spread


def run_cosine(src: Side, ref: Side, s0: int, s1: int, r0: int, r1: int) -> float:
    return float(src.vectors[s1 - s0 - 1][s0] @ ref.vectors[r1 - r0 - 1][r0])


def bead_edges(bead: tuple[int, int, int, int]) -> list[tuple[str, int, tuple, tuple]]:
    """The edge sentences of a merged bead: (side, index, the edge with the other side's run, the rest of the bead)."""
    s0, s1, r0, r1 = bead
    if s0 == s1 or r0 == r1:
        return []
    edges = [("src", k, (k, k + 1, r0, r1), rest)
             for k, rest in ((s0, (s0 + 1, s1, r0, r1)), (s1 - 1, (s0, s1 - 1, r0, r1))) if s1 - s0 > 1]
    return edges + [("ref", k, (s0, s1, k, k + 1), rest)
                    for k, rest in ((r0, (s0, s1, r0 + 1, r1)), (r1 - 1, (s0, s1, r0, r1 - 1))) if r1 - r0 > 1]


def edge_blocks_left(bead: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """What is left of a merged bead when a block of its edge sentences leaves: one to all but one sentence, from
    either end of either side. A reference that stops halfway has the rest of the source merged into its last
    bead (a 5-1 bead of cosine 0.31 whose first sentence alone reaches 0.74), and no single edge sentence leaving
    raises its cosine."""
    s0, s1, r0, r1 = bead
    if s0 == s1 or r0 == r1:
        return []
    return [*((s0 + k, s1, r0, r1) for k in range(1, s1 - s0)), *((s0, s1 - k, r0, r1) for k in range(1, s1 - s0)),
            *((s0, s1, r0 + k, r1) for k in range(1, r1 - r0)), *((s0, s1, r0, r1 - k) for k in range(1, r1 - r0))]


def drops_sentences(beads: list[tuple[int, int, int, int]], src: Side, ref: Side, spec: CrosslingualSpec) -> bool:
    """Whether the translation left sentences out (or a side has lines that are no part of the text): in at least
    crosslingual.trim_document_share of its merged beads, leaving an edge sentence out raises the bead's cosine by
    more than crosslingual.trim_gain. In a faithful translation most merged beads are real merges, whose every
    sentence carries part of the other side (MAC-Dev: at most 29% of them, Text+Berg dev 17%)."""
    gains = [max(run_cosine(src, ref, *rest) for rest in rests) - run_cosine(src, ref, *bead)
             for bead in beads if (rests := edge_blocks_left(bead))]
    return bool(gains) and np.mean(np.array(gains) > spec.trim_gain) >= spec.trim_document_share


def trimmed(bead: tuple[int, int, int, int], src: Side, ref: Side, background: Background,
            spec: CrosslingualSpec, dropping: bool) -> tuple[int, int, int, int]:
    """A merged bead without an edge sentence that has no counterpart in it (an abridged translation, a web
    boilerplate line merged into its neighbour's bead): the sentence's own cosine with the other side's run
    is crosslingual.trim_below standard deviations under the pair's background, and leaving it out raises
    the bead's cosine. An edge piece that does not end as a sentence while the rest of its side does
    ('Partager sur Facebook' beside a sentence) leaves at crosslingual.trim_fragment_below: no likeness
    beyond chance. In a translation that drops sentences (`dropping`, drops_sentences), a block of edge sentences
    (one to all but one, edge_blocks_left) also leaves when the bead's cosine is more than crosslingual.trim_gain
    higher without it."""
    def bar(side: Side, piece: int, start: int, end: int) -> float:
        fragment = not side.sentence_like[piece] and all(side.sentence_like[k] for k in range(start, end) if k != piece)
        return -spec.trim_fragment_below if fragment else -spec.trim_below

    def leaves(edge, rest, side: Side, piece: int, start: int, end: int, whole: float) -> bool:
        gain = run_cosine(src, ref, *rest) - whole
        return gain > 0 and background.z(run_cosine(src, ref, *edge)) < bar(side, piece, start, end)

    def smaller(s0, s1, r0, r1):   # the beads left when an edge sentence (or, dropping, a block of them) leaves
        whole = run_cosine(src, ref, s0, s1, r0, r1)
        return [rest for name, k, edge, rest in bead_edges((s0, s1, r0, r1))
                if leaves(edge, rest, *((src, k, s0, s1) if name == "src" else (ref, k, r0, r1)), whole)] + \
            ([rest for rest in edge_blocks_left((s0, s1, r0, r1)) if run_cosine(src, ref, *rest) - whole > spec.trim_gain]
             if dropping else [])

    while options := smaller(*bead):
        bead = max(options, key=lambda c: run_cosine(src, ref, *c))
    return bead


def monotonic_beads(src: Side, ref: Side, shapes: list[tuple[int, int]], spec: CrosslingualSpec
                    ) -> list[tuple[int, int, int, int]]:
    anchors = anchor_path(src, ref, spec) if src.count and ref.count else []
    lo, hi = second_pass_window(anchors, src.count, ref.count, spec.window)
    scores = BeadScores(src, ref, anchors, spec)
    found = best_beads(scores, shapes, spec.skip, lo, hi, (0, 0))
    return searched_again(found, src, ref, scores, shapes, spec)


def best_beads(scores: BeadScores, shapes: list[tuple[int, int]], skip: float, lo: np.ndarray, hi: np.ndarray,
               origin: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The second pass's dynamic program over rows lo..hi (columns relative to origin, the source and reference
    sentences done before it), from origin to its last row's last column."""
    s0, r0 = origin
    grid = Grid(lo, hi, [(0, 1), (1, 0), *shapes], skip)
    grid.fill(lambda a, b, i, columns: scores.scores(a, b, s0 + i - a, r0 + columns - b))
    return [(s + s0, e + s0, r + r0, q + r0) for s, e, r, q in grid.backtrace(len(lo) - 1, int(hi[-1]))]


def merged_stretches(found: list[tuple[int, int, int, int]]) -> list[tuple[int, int]]:
    """The beads first..last (exclusive) of each run of consecutive merged beads (more than one sentence a side)."""
    stretches: list[tuple[int, int]] = []
    for k, (s0, s1, r0, r1) in enumerate(found):
        if s1 - s0 == 1 and r1 - r0 == 1:
            continue
        if stretches and stretches[-1][1] == k:
            stretches[-1] = (stretches[-1][0], k + 1)
        else:
            stretches.append((k, k + 1))
    return stretches


def searched_again(found: list[tuple[int, int, int, int]], src: Side, ref: Side, scores: BeadScores,
                   shapes: list[tuple[int, int]], spec: CrosslingualSpec) -> list[tuple[int, int, int, int]]:
    """The beads, each stretch of merges searched again from where it starts to where it ends, its runs embedded
    from their joined text (Side.embed_joined), within crosslingual.window of the first search's bead ends: the
    token sums find the merges for the cost of embedding each sentence once, and the joined text, read only there,
    chooses among them (MAC-Dev strict F1 0.882 -> 0.886, Text+Berg dev 0.874 -> 0.881, for 1.6-1.7x the CPU;
    every run from its joined text: 0.887 and 0.874, for 5.2x)."""
    beads, done = [], 0
    for first, last in merged_stretches(found):
        (s0, _, r0, _), (_, s1, _, r1) = found[first], found[last - 1]
        src.embed_joined(s0, s1)
        ref.embed_joined(r0, r1)
        ends = [(e - s0, q - r0) for _, e, _, q in found[first:last]]
        lo, hi = second_pass_window(ends, s1 - s0, r1 - r0, spec.window)
        beads += found[done:first] + best_beads(scores, shapes, spec.skip, lo, hi, (s0, r0))
        done = last
    return beads + found[done:]


class MiningMargin:
    """How far a pair stands out of both documents: its cosine over the mean of each side's top-4 cosines
    with the other document's sentences (the ratio margin of parallel-corpus mining, Artetxe & Schwenk
    2019). Independent of the absolute level of cosines, which differs by language pair and genre. In a long
    document the other side's sentences within `reach` of the pair's place stand for the whole document."""

    def __init__(self, src: Side, ref: Side, reach: int, top: int = 4):
        self.src, self.ref, self.reach, self.top = src, ref, reach, top

    def scale(self, vector: np.ndarray, other: Side, place: float) -> float:
        centre = int(place * other.count)
        nearby = other.vectors[0][max(0, centre - self.reach):centre + self.reach + 1]
        cosines = nearby @ vector
        k = min(self.top, len(cosines))
        return float(np.partition(cosines, len(cosines) - k)[-k:].mean())

    def of(self, a: int, s: int, b: int, r: int) -> float:
        src_vector, ref_vector = self.src.vectors[a - 1][s], self.ref.vectors[b - 1][r]
        cosine = float(src_vector @ ref_vector)
        scale = (self.scale(src_vector, self.ref, r / max(self.ref.count, 1))
                 + self.scale(ref_vector, self.src, s / max(self.src.count, 1))) / 2
        return cosine / max(scale, 1e-6)


def nearest(vectors: np.ndarray, others: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Index of each vector's nearest among `others`, a chunk of rows at a time (memory stays bounded)."""
    return np.concatenate([np.argmax(vectors[k:k + chunk] @ others.T, axis=1)
                           for k in range(0, len(vectors), chunk)]) if len(vectors) else np.zeros(0, dtype=int)


def recovered_pairs(src: Side, ref: Side, free_src: list[int], free_ref: list[int], margin: MiningMargin,
                    spec: CrosslingualSpec) -> list[tuple[int, int]]:
    """Reordered sentences: among the sentences in no sure monotonic bead, 1-1 pairs that are each other's
    best match over the whole documents, with a mining margin of at least crosslingual.recovery_min_margin."""
    if not free_src or not free_ref:
        return []
    best_ref, best_src = nearest(src.vectors[0][free_src], ref.vectors[0]), nearest(ref.vectors[0][free_ref], src.vectors[0])
    position = {j: k for k, j in enumerate(free_ref)}
    mutual = [(i, int(j)) for i, j in zip(free_src, best_ref) if j in position and best_src[position[j]] == i]
    return [(i, j) for i, j in mutual if margin.of(1, i, 1, j) >= spec.recovery_min_margin]


def with_reordering(found: list[tuple[int, int, int, int]], src: Side, ref: Side, margin: MiningMargin,
                    spec: CrosslingualSpec) -> list[tuple[int, int, int, int, bool]]:
    """The monotonic beads, where a recovered pair (recovered_pairs) replaces the unsure beads (mining margin
    below crosslingual.sure_margin) that hold either of its sentences."""
    sure = [margin.of(s1 - s0, s0, r1 - r0, r0) >= spec.sure_margin for s0, s1, r0, r1 in found]
    held_src = {k for (s0, s1, _, _), ok in zip(found, sure) if ok for k in range(s0, s1)}
    held_ref = {k for (_, _, r0, r1), ok in zip(found, sure) if ok for k in range(r0, r1)}
    pairs = recovered_pairs(src, ref, [i for i in range(src.count) if i not in held_src],
                            [j for j in range(ref.count) if j not in held_ref], margin, spec)
    pairs = [(i, j) for i, j in pairs if (i, i + 1, j, j + 1) not in found]
    taken_src, taken_ref = {i for i, _ in pairs}, {j for _, j in pairs}
    kept = [(s0, s1, r0, r1, False) for s0, s1, r0, r1 in found
            if not (taken_src & set(range(s0, s1)) or taken_ref & set(range(r0, r1)))]
    return kept + [(i, i + 1, j, j + 1, True) for i, j in pairs]


def search_beads(src: list[str], ref: list[str], src_ids: list[int], ref_ids: list[int],
                 spec: CrosslingualSpec) -> tuple[list[Bead], list[Bead]]:
    """The beads, and the beads the relation is judged on: the same, except in a translation that drops sentences,
    where they are the beads before it loses them (PairAlignment.judged)."""
    if not src_ids or not ref_ids:
        return [], []
    shapes = bead_shapes(spec)
    runs = longest_run(shapes)
    src_side = Side([src[i] for i in src_ids], runs)
    ref_side = Side([ref[j] for j in ref_ids], runs)
    found = monotonic_beads(src_side, ref_side, shapes, spec)
    background = Background(src_side, ref_side, found)

    def final(dropping: bool) -> list[Bead]:
        monotonic = [trimmed(bead, src_side, ref_side, background, spec, dropping) for bead in found]
        return final_beads(monotonic, src_side, ref_side, src_ids, ref_ids, spec)

    judged = final(False)
    return (final(True) if drops_sentences(found, src_side, ref_side, spec) else judged), judged


def final_beads(monotonic: list[tuple[int, int, int, int]], src_side: Side, ref_side: Side, src_ids: list[int],
                ref_ids: list[int], spec: CrosslingualSpec) -> list[Bead]:
    """The trimmed monotonic beads with the reordered ones recovered, each with its cosine and mining margin."""
    margin = MiningMargin(src_side, ref_side, spec.anchor_window)
    beads = []
    for s0, s1, r0, r1, recovered in with_reordering(monotonic, src_side, ref_side, margin, spec):
        cosine = run_cosine(src_side, ref_side, s0, s1, r0, r1)
        mining = margin.of(s1 - s0, s0, r1 - r0, r0)
        beads.append(Bead(tuple(src_ids[s0:s1]), tuple(ref_ids[r0:r1]), round(cosine, 4), round(mining, 4),
                              recovered, mining >= spec.sure_margin))
    return sorted(beads, key=lambda b: (b.ref[0], b.src[0]))


def letter_ids(texts: list[str]) -> list[int]:
    return [k for k, text in enumerate(texts) if has_letters(text)]


def figure_text(text: str) -> str | None:
    """A piece set aside for having no letter, as compared across the two sides ('1. 1950 :'); None when it
    is not set aside or has no digit ('-', '.....')."""
    return " ".join(text.split()) if not has_letters(text) and any(c.isdigit() for c in text) else None


def figures_beads(src: list[str], ref: list[str], beads: list[Bead]) -> list[Bead]:
    """1-1 beads of set-aside pieces with the same figures in the same gap between the searched beads (Text+Berg
    dev: numbered headings such as '1. 1950 :' on both sides). A recovered (reordered) bead bounds no gap; the
    others are monotonic, so a piece's gap is found by bisection (a long table of figures stays near linear)."""
    ordered = sorted((b for b in beads if not b.recovered), key=lambda b: b.src[0])
    starts, ends = [b.src[0] for b in ordered], [b.src[-1] for b in ordered]
    waiting: dict[str, list[int]] = {}   # a figure -> the reference pieces with it, in order, not yet paired
    for j, text in enumerate(ref):
        if figure_text(text) is not None:
            waiting.setdefault(figure_text(text), []).append(j)
    paired = []
    for i, text in enumerate(src):
        candidates = waiting.get(figure_text(text), []) if figure_text(text) is not None else []
        if not candidates:
            continue
        ended, starting = bisect_left(ends, i), bisect_right(starts, i)   # beads wholly before i, and after it
        before = ordered[ended - 1].ref[-1] if ended else -1
        after = ordered[starting].ref[0] if starting < len(ordered) else len(ref)
        match = next((j for j in candidates if before < j < after), None)
        if match is not None:
            candidates.remove(match)
            paired.append(Bead((i,), (match,), None, None, False, False))
    return paired


def with_figures(src: list[str], ref: list[str], beads: list[Bead]) -> list[Bead]:
    return sorted(beads + figures_beads(src, ref, beads), key=lambda b: (b.ref[0], b.src[0]))


def document_statistics(src: list[str], ref: list[str], beads: list[Bead]) -> tuple[float, float, float]:
    """The null of the pair: the mean and standard deviation of the cosines of its sentence pairs that the
    alignment does not pair (what chance pairing reaches; an evenly spaced sample of NULL_SAMPLE sentences a side
    in long documents); and the documents' cosine."""
    src_ids, ref_ids = letter_ids(src), letter_ids(ref)
    if not src_ids or not ref_ids:
        return 0.0, 0.0, 0.0
    src_vectors, ref_vectors = embed([src[i] for i in src_ids]), embed([ref[j] for j in ref_ids])
    rows, columns = evenly_spaced(len(src_ids), NULL_SAMPLE), evenly_spaced(len(ref_ids), NULL_SAMPLE)
    cosines = src_vectors[rows] @ ref_vectors[columns].T
    row_of = {src_ids[r]: k for k, r in enumerate(rows)}
    column_of = {ref_ids[c]: k for k, c in enumerate(columns)}
    chance = np.ones(cosines.shape, dtype=bool)
    for bead in beads:
        chance[np.ix_([row_of[i] for i in bead.src if i in row_of], [column_of[j] for j in bead.ref if j in column_of])] = False
    null = cosines[chance] if chance.any() else cosines.ravel()
    document_cosine = float(mean_direction(src_vectors) @ mean_direction(ref_vectors))
    return round(float(null.mean()), 4), round(float(null.std()), 4), round(document_cosine, 4)


def align_sentences(src: list[str], ref: list[str], spec: CrosslingualSpec) -> PairAlignment:
    """Align two sentence lists in any two covered languages (see the module docstring)."""
    src_ids, ref_ids = letter_ids(src), letter_ids(ref)
    notes = [f"{len(side) - len(ids)} {name} pieces without letters set aside"
             for name, side, ids in (("source", src, src_ids), ("reference", ref, ref_ids)) if len(side) > len(ids)]
    with threadpool_limits(1, user_api="blas"):   # many small products: a second BLAS thread only spins
        found, judged = search_beads(src, ref, src_ids, ref_ids, spec)
    beads = with_figures(src, ref, found)
    background, spread, document_cosine = document_statistics(src, ref, beads)
    alignment = PairAlignment(beads, unmatched(len(src), beads, "src"), unmatched(len(ref), beads, "ref"),
                              background, document_cosine, notes, background_spread=spread)
    if judged != found:
        alignment.judged = with_figures(src, ref, judged)
        alignment.judged_background, alignment.judged_background_spread = \
            document_statistics(src, ref, alignment.judged)[:2]
    if max(len(src), len(ref)) > spec.names_max_sentences:
        notes.append("long document: names not compared")
    elif written_without_spaces(src):
        notes.append("source written without spaces between words: names not compared")
    else:
        alignment.shared_names, alignment.reference_names = shared_names(src, ref, spec.name_min_similarity)
    return alignment


def evenly_spaced(count: int, limit: int | None) -> list[int]:
    """At most `limit` indices spread over range(count) (all of them when limit is None or larger)."""
    if limit is None or count <= limit:
        return list(range(count))
    return sorted({round(k * (count - 1) / (limit - 1)) for k in range(limit)}) if limit > 1 else [0]


def align_lines(src: list[str], ref: list[str], spec: CrosslingualSpec) -> PairAlignment:
    """A declared line-aligned pair: line i of the source is line i of the reference; no search. The cosines
    (relation signals) are measured on an evenly spaced sample of crosslingual.line_sample lines."""
    sample = evenly_spaced(len(src), spec.line_sample)
    cosines = dict(zip(sample, np.einsum("ij,ij->i", embed([src[k] for k in sample]), embed([ref[k] for k in sample]))))
    beads = [Bead((k,), (k,), round(float(cosines[k]), 4) if k in cosines else None) for k in range(len(src))]
    background, spread, document_cosine = document_statistics([src[k] for k in sample], [ref[k] for k in sample],
                                                              [Bead((k,), (k,), None) for k in range(len(sample))])
    notes = [] if len(sample) == len(src) else [
        f"line-aligned: cosines (the relation; adequacy when measured) on {len(sample)} evenly spaced lines of "
        f"{len(src)}"]
    return PairAlignment(beads, [], [], background, document_cosine, notes, "lines", background_spread=spread)


def unmatched(count: int, beads: list[Bead], side: str) -> list[int]:
    used = {k for bead in beads for k in getattr(bead, side)}
    return [k for k in range(count) if k not in used]


def plain(value):
    return dict(value) if isinstance(value, Mapping) else value


def settings(spec: CrosslingualSpec, method: str) -> dict:
    searched = {key: plain(getattr(spec, key)) for key in SEARCH_SETTINGS}
    return {"version": CROSSLINGUAL_VERSION, "encoder": encoder_signature(), "method": method,
            **({"line_sample": spec.line_sample} if method == "lines" else searched)}


def cached_alignment(src: list[str], ref: list[str], spec: CrosslingualSpec, cache: TranslationCache | None,
                     lines: bool = False) -> PairAlignment:
    """The alignment of a document pair, computed once: keyed by both texts, the encoder, the settings and
    the aligner's version, so every run and system on the data set reuses it (and imports no encoder)."""
    method = "lines" if lines else "search"
    key = content_key(settings(spec, method), src, ref)
    align = align_lines if lines else align_sentences
    return PairAlignment.from_record(remembered(cache, "alignments", key, lambda: align(src, ref, spec).as_record()))


def cached_cosines(pairs: list[tuple[str, str]], cache: TranslationCache | None) -> list[float]:
    """Cosine of each (left, right) pair in the multilingual space, remembered like alignments."""
    key = content_key({"version": CROSSLINGUAL_VERSION, "encoder": encoder_signature(), "what": "pair cosines"}, pairs)
    return remembered(cache, "alignments", key, lambda: pair_cosines(pairs))


def pair_cosines(pairs: list[tuple[str, str]]) -> list[float]:
    if not pairs:
        return []
    left, right = embed([p[0] for p in pairs]), embed([p[1] for p in pairs])
    return [round(float(c), 4) for c in np.einsum("ij,ij->i", left, right)]
