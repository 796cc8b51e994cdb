"""A document-level output partitioned over the source sentences: no output text is left stray.

A model's output says which source sentence each of its parts translates; a document-level output (model=files,
any document source) does not. As mwerSegmenter re-segments an unsegmented output against the reference, the
output's sentences are cut here into one contiguous run per source sentence, in the source's order: every
output sentence belongs to exactly one source sentence, a run may be empty (the translator omitted or merged
that sentence), nothing is dropped. The cut is made against the source with the multilingual encoder
(harness.align.encoder), because a reference may be reordered or abridged; the source <-> reference alignment then
takes the runs exactly as it takes a model's outputs (harness.score.aligned_scoring), so the same text scores the
same from any backend.

The search: a dynamic program over (source sentences done, output sentences done) that maximises the summed
cosine of each source sentence and its run (runs embedded from pooled token features, harness.align.encoder.
TokenSums); an empty run counts 0, as an empty output does in the document's adequacy. So the partition is
the reading of the output under which its source sentences are best translated: a run takes the output
sentences that translate its source sentence, and an output sentence that translates nothing (a web line, a
hallucination) joins the neighbour it harms least. An output with one line per source paragraph (as a model's
hypotheses/<id>.txt, and most translations of a document) is partitioned paragraph by paragraph: the sentences
of line p go to the sentences of paragraph p, so an output whose sentence ends carry no punctuation still stays
in its paragraph. A run holds at most MAX_RUN output sentences; an output with more sentences than that per
source sentence is cut between groups of consecutive sentences instead. Documents longer than BAND sentences
are searched in a band of +-BAND output sentences around the diagonal.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
from threadpoolctl import threadpool_limits

from harness.cache import TranslationCache, content_key, remembered
from harness.align.beads import PARTITION_VERSION
from harness.align.encoder import covers, encoder_signature, has_letters, pooled_token_sums
from harness.translate.translate import Translation

MAX_RUN = 8             # the most output sentences (or groups of them) in one run
BAND = 200              # output sentences searched either side of the diagonal

Run = tuple[int, int]   # output sentences start..end (end excluded) of one source sentence


class RunCosines:
    """Cosine of each source sentence with each run of 1..longest consecutive output sentences."""

    def __init__(self, sources: list[str], outputs: list[str], longest: int):
        self.sources = pooled_token_sums(sources).runs(1)
        sums = pooled_token_sums(outputs)
        self.runs = [sums.runs(k) for k in range(1, longest + 1)]

    def of(self, source: int, size: int, starts: np.ndarray) -> np.ndarray:
        return self.runs[size - 1][starts] @ self.sources[source]


def band_limits(n: int, m: int, band: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row i (source sentences done) the output columns searched: +-band around i * m / n."""
    centres = np.round(np.arange(n + 1) * m / max(n, 1)).astype(int)
    lo, hi = np.clip(centres - band, 0, m), np.clip(centres + band, 0, m)
    lo[0], hi[0], lo[n], hi[n] = 0, 0, m, m
    return lo, hi


def paragraph_limits(paragraphs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """The rows when each source paragraph (its number of sentences, and of its output line's) takes exactly
    the sentences of its line: within the line, and at its end after the paragraph's last sentence."""
    lo, hi, start = [0], [0], 0
    for sources, outputs in paragraphs:
        end = start + outputs
        lo += [start] * (sources - 1) + [end]
        hi += [end] * sources
        start = end
    return np.array(lo), np.array(hi)


def search(cosines: RunCosines, limits: tuple[np.ndarray, np.ndarray], m: int, longest: int) -> list[Run]:
    """The monotonic partition of m output sentences over the source sentences with the largest summed cosine,
    row i (source sentences done) searched in the output columns limits[0][i]..limits[1][i]."""
    lo, hi = limits
    n = len(lo) - 1
    best, back = [np.zeros(1)], []
    for i in range(n):
        columns = np.arange(lo[i + 1], hi[i + 1] + 1)
        row, sizes = np.full(len(columns), -np.inf), np.zeros(len(columns), dtype=np.int32)
        for size in range(longest + 1):
            starts = columns - size
            usable = (starts >= lo[i]) & (starts <= hi[i]) & (starts + size <= m)
            if not usable.any():
                continue
            candidate = np.full(len(columns), -np.inf)
            gain = cosines.of(i, size, starts[usable]) if size else 0.0
            candidate[usable] = best[i][starts[usable] - lo[i]] + gain
            better = candidate > row
            row[better], sizes[better] = candidate[better], size
        best.append(row)
        back.append(sizes)
    runs, end = [], m
    for i in range(n - 1, -1, -1):
        size = int(back[i][end - lo[i + 1]])
        runs.append((end - size, end))
        end -= size
    return runs[::-1]


def partition(sources: list[str], outputs: list[str], band: int = BAND,
              paragraphs: list[tuple[int, int]] | None = None) -> list[Run]:
    """One run of output sentences per source sentence, in order, covering every output sentence once.
    paragraphs: the number of sentences of each source paragraph and of its output line, when the output has one
    line per source paragraph (as a model's hypotheses/<id>.txt): each paragraph is then partitioned over its
    own line (unless a line has more than MAX_RUN sentences a source sentence)."""
    if not outputs or len(sources) == 1:
        return [(0, len(outputs))] * len(sources)
    if not sources:
        raise ValueError("no source sentence to partition the output over")
    if line_by_line(paragraphs):
        return searched(sources, outputs, paragraph_limits(paragraphs), min(len(outputs), MAX_RUN))
    group = -(-len(outputs) // (len(sources) * MAX_RUN))
    if group > 1:   # more than MAX_RUN output sentences a source sentence: cut between groups of them
        runs = partition(sources, [" ".join(outputs[k:k + group]) for k in range(0, len(outputs), group)], band)
        return [(min(start * group, len(outputs)), min(end * group, len(outputs))) for start, end in runs]
    longest = min(len(outputs), MAX_RUN)
    return searched(sources, outputs, band_limits(len(sources), len(outputs), max(band, 2 * longest)), longest)


def line_by_line(paragraphs: list[tuple[int, int]] | None) -> bool:
    """Whether each source paragraph can take exactly its line's sentences (at most MAX_RUN a source sentence)."""
    return bool(paragraphs) and all(lines <= count * MAX_RUN for count, lines in paragraphs)


def searched(sources: list[str], outputs: list[str], limits: tuple[np.ndarray, np.ndarray], longest: int) -> list[Run]:
    with threadpool_limits(1, user_api="blas"):   # many small products: a second BLAS thread only spins
        return search(RunCosines(sources, outputs, longest), limits, len(outputs), longest)


def cached_partition(sources: list[str], outputs: list[str], cache: TranslationCache | None,
                     paragraphs: list[tuple[int, int]] | None = None) -> list[Run]:
    """partition, remembered with the alignments: a re-run of the same outputs loads no encoder."""
    settings = {"version": PARTITION_VERSION, "encoder": encoder_signature(), "what": "output partition",
                "max_run": MAX_RUN, "band": BAND}
    key = content_key(settings, sources, outputs, paragraphs)
    runs = remembered(cache, "alignments", key, lambda: partition(sources, outputs, paragraphs=paragraphs))
    return [tuple(run) for run in runs]


def source_paragraphs(translation: Translation) -> list[tuple[int, int]] | None:
    """Each source paragraph's sentences and its output line's, when the output has one line per paragraph: blank
    lines between its paragraphs (a document's layout, as the source's blank lines are) are no paragraph's, unless
    the lines match the paragraphs with them (a model's hypotheses/<id>.txt: a paragraph whose outputs are empty)."""
    counts = list(Counter(segment.paragraph for segment in translation.segments).values())
    lines = translation.line_sentences
    if lines is not None and len(lines) != len(counts):
        lines = [sentences for sentences in lines if sentences]
    return list(zip(counts, lines)) if lines is not None and len(lines) == len(counts) else None


def partitioned(translation: Translation, cache: TranslationCache | None) -> Translation:
    """A document-level output as a model's: outputs[i] is the run of output sentences of source sentence i
    ("" for an empty run); unchanged when it already follows the source, or has no source sentence."""
    if translation.source_aligned or not translation.segments:
        return translation
    sources = [segment.text for segment in translation.segments]
    runs = cached_partition(sources, translation.outputs, cache, source_paragraphs(translation))
    return replace(translation, outputs=[run_text(translation, start, end) for start, end in runs], source_aligned=True)


def run_text(translation: Translation, start: int, end: int) -> str:
    """Output sentences start..end as the output writes them: what stands between two of them is kept (no space
    where there was none: Chinese sentences, 'Wait..."No,"'), as a model's output for one sentence holds them."""
    written = zip(translation.outputs[start:end], translation.gaps[start:end])
    return "".join(sentence + gap for sentence, gap in written).strip()


def partition_documents(translations: list[Translation], target_lang: str,
                        cache: TranslationCache | None) -> list[Translation]:
    """Every document-level output in languages the encoder covers, partitioned over its source sentences; in
    another language the output is aligned to the reference instead (harness.score.align)."""
    return [partitioned(t, cache) if covers(t.document.src_lang) and covers(target_lang) else t
            for t in translations]


def partition_note(translation: Translation) -> list[str]:
    """What the partition did, for the document's alignment notes (none for a model's outputs)."""
    if translation.line_sentences is None:
        return []
    paragraphs = line_by_line(source_paragraphs(translation))
    empty = sum(not output.strip() and has_letters(segment.text)   # a markup tag or a figure needs no output
                for segment, output in zip(translation.segments, translation.outputs))
    return [f"document-level output: its {sum(translation.line_sentences)} sentences partitioned over the "
            f"{len(translation.segments)} source sentences (harness.align.partition"
            + (", each paragraph over its own line" if paragraphs else "") + f"); {empty} source sentences have "
            f"no output" + (" (they score 0)" if empty else "")]
