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
hypotheses/<id>.txt, and most translations of a document) is partitioned paragraph by paragraph where each line
reads closer to its own paragraph than to those beside it (follows_lines): the sentences of line p go to the
sentences of paragraph p, so an output whose sentence ends carry no punctuation still stays in its paragraph. A
run holds at most MAX_RUN output sentences; an output with more sentences than that per source sentence is cut
between groups of consecutive sentences instead. Documents longer than BAND sentences
are searched in a band of +-BAND output sentences around the diagonal.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np
from threadpoolctl import threadpool_limits

from harness.cache import TranslationCache, content_key, remembered
from harness.align.beads import PARTITION_VERSION, TOGETHER_VERSION
from harness.align.encoder import covers, embed, encoder_signature, has_letters, pooled_token_sums
from harness.translate.translate import Translation, joined_outputs

MAX_RUN = 8             # the most output sentences (or groups of them) in one run
BAND = 200              # output sentences searched either side of the diagonal
MIN_GAIN = 0.08         # joins_output: how much closer an output must read to the joined sentences (WMT22 dev)

Run = tuple[int, int]   # output sentences start..end (end excluded) of one source sentence


class RunCosines:
    """Cosine of each source sentence with each run of 1..longest consecutive output sentences."""

    def __init__(self, sources: list[str], outputs: list[str], longest: int):
        self.sources = pooled_token_sums(sources).runs(1)
        sums = pooled_token_sums(outputs).repeats_once(outputs)
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
    paragraphs = source_paragraphs(translation)
    if not (line_by_line(paragraphs) and cached_follows_lines(sources, translation.outputs, paragraphs, cache)):
        paragraphs = None
    runs = cached_partition(sources, translation.outputs, cache, paragraphs)
    return replace(translation, outputs=[run_text(translation, start, end) for start, end in runs], source_aligned=True,
                   by_lines=paragraphs is not None)


def cached_follows_lines(sources: list[str], outputs: list[str], paragraphs: list[tuple[int, int]],
                         cache: TranslationCache | None) -> bool:
    """follows_lines, remembered with the alignments."""
    key = content_key({"version": PARTITION_VERSION, "encoder": encoder_signature(), "what": "output follows lines"},
                      sources, outputs, paragraphs)
    return remembered(cache, "alignments", key, lambda: follows_lines(sources, outputs, paragraphs))


def follows_lines(sources: list[str], outputs: list[str], paragraphs: list[tuple[int, int]]) -> bool:
    """Whether each output line reads closer to its own source paragraph than to the paragraphs beside it that have a
    line of their own (an empty line's paragraph may be translated with its neighbour's: a merge). An output
    can have one line per source paragraph and not follow them: one that drops a paragraph and adds a line
    elsewhere (a translator's footer) pairs every line between the two with the wrong paragraph, and its omission
    would read as none (adversarial round 13). Such an output is partitioned as one text."""
    source_texts, line_texts, source_start, output_start = [], [], 0, 0
    for sentences, lines in paragraphs:
        source_texts.append(" ".join(sources[source_start:source_start + sentences]))
        line_texts.append(" ".join(outputs[output_start:output_start + lines]))
        source_start, output_start = source_start + sentences, output_start + lines
    written = [k for k, text in enumerate(line_texts) if has_letters(text) and has_letters(source_texts[k])]
    if len(paragraphs) < 2 or not written:
        return True
    with threadpool_limits(1, user_api="blas"):
        cosines = embed([line_texts[k] for k in written]) @ embed(source_texts).T
    has_own_line = set(written)   # a line may translate the paragraph beside it too where that one's line is empty
    return all(cosines[row, k] >= cosines[row, beside] for row, k in enumerate(written)
               for beside in (k - 1, k + 1) if beside in has_own_line)


def run_text(translation: Translation, start: int, end: int) -> str:
    """Output sentences start..end as the output writes them: what stands between two of them is kept (no space
    where there was none: Chinese sentences, 'Wait..."No,"'), as a model's output for one sentence holds them."""
    written = zip(translation.outputs[start:end], translation.gaps[start:end])
    return "".join(sentence + gap for sentence, gap in written).strip()


def partition_documents(translations: list[Translation], target_lang: str,
                        cache: TranslationCache | None) -> list[Translation]:
    """Every document-level output in languages the encoder covers, partitioned over its source sentences, and every
    output's source sentences translated together found (with_merges); in another language the output is aligned to
    the reference instead (harness.score.align)."""
    return [with_merges(partitioned(t, cache), cache) if covers(t.document.src_lang) and covers(target_lang) else t
            for t in translations]


def with_merges(translation: Translation, cache: TranslationCache | None) -> Translation:
    """The translation with its runs of source sentences that one output translates together (Translation.merged),
    from a model as from files: an empty output beside them is no omission. Nothing to look for (and no encoder
    loaded) where no output is empty, or every one is, or the document is line-aligned (a line is its own unit)."""
    outputs = translation.outputs
    written = sum(bool(output.strip()) for output in outputs)
    if translation.document.line_aligned or written in (0, len(outputs)):
        return translation
    sources = [segment.text for segment in translation.segments]
    key = content_key({"version": TOGETHER_VERSION, "encoder": encoder_signature(), "what": "translated together"},
                      sources, outputs)
    runs = remembered(cache, "alignments", key, lambda: translated_together(sources, outputs))
    return replace(translation, merged=tuple(tuple(run) for run in runs))


def translated_together(sources: list[str], outputs: list[str]) -> list[tuple[int, ...]]:
    """Runs of consecutive source sentences that one output translates together (outputs[k] is source sentence k's,
    empty for some). Each stretch of sentences with an empty output is offered to its neighbours' outputs, a sentence
    at a time: from its start to the output on its left, then from its end to the output on its right; a sentence
    joins while the neighbour's output reads closer to the joined sentences than to its own (joins_output). A
    translation that made one sentence of two, or an output whose quotation the sentence splitter kept whole where
    the source's was cut (WMT 2023 en->de news: „...“), leaves such an empty output; an omission does not: the
    neighbour's output lacks its content and its length."""
    written = [k for k, output in enumerate(outputs) if output.strip()]
    ratio = length_ratio(sources, outputs, written)
    group = {k: [k] for k in written}   # a written sentence -> its run (one list shared by the run's members)
    k = 0
    while k < len(outputs):
        if outputs[k].strip():
            k += 1
            continue
        end = next((j for j in range(k, len(outputs)) if outputs[j].strip()), len(outputs))
        joined_left = k
        if k > 0:
            left = group[k - 1]
            while joined_left < end and joins_output(left, joined_left, sources, outputs, ratio):
                left.append(joined_left)
                group[joined_left] = left
                joined_left += 1
        if end < len(outputs):
            right = group[end]
            for i in range(end - 1, joined_left - 1, -1):
                if not joins_output(right, i, sources, outputs, ratio):
                    break
                right.insert(0, i)
                group[i] = right
        k = end
    runs = {id(run): run for run in group.values()}.values()
    return sorted(tuple(run) for run in runs if len(run) > 1)


def length_ratio(sources: list[str], outputs: list[str], written: list[int]) -> float:
    """The document's output:source length ratio, over the outputs with no empty output beside them (else every
    written one): an output beside an empty one may hold that sentence too, and in a short document it made the
    ratio so high that an output of three sentences fit two better (three sentences in one output of six)."""
    alone = [k for k in written if all(outputs[j].strip() for j in (k - 1, k + 1) if 0 <= j < len(outputs))] or written
    return sum(len(outputs[k]) for k in alone) / max(sum(len(sources[k]) for k in alone), 1)


def joins_output(run: list[int], sentence: int, sources: list[str], outputs: list[str], ratio: float,
                 min_gain: float = MIN_GAIN) -> bool:
    """Whether the output of `run` (consecutive source sentences) translates `sentence` too: the output's cosine
    with the run's sentences joined with it is higher than with the run's alone, by more than min_gain for a run of
    one sentence and min_gain x 2 / (n + 1) for a run of n (the sentence moves a longer joined text less: at 0.08,
    a third sentence of one output was found 43-49% of the time on WMT 2022 dev, at 0.053 61%, no omission of
    the third read as one, 1,296 draws; a fourth at 0.04 47-49%, none, 864), and higher
    than with any source sentence within BAND that another output translates (an output that reads as nothing, as a
    broken system's, is no translation of them); and the output's length, divided by the document's output:source
    length ratio, is nearer the joined sentences' length. Measured by benchmarks/merged_outputs.py
    (docs/alignment.md)."""
    gain_needed = min_gain * 2 / (len(run) + 1)   # the sentence's share of the joined text: a half, a third ...
    output = joined_outputs(outputs, run)
    alone = " ".join(sources[k] for k in run)
    joined = " ".join(sources[k] for k in sorted([*run, sentence]))
    nearby = range(max(0, sentence - BAND), min(len(sources), sentence + BAND + 1))   # a long document: its part
    others = [sources[k] for k in nearby if outputs[k].strip() and k not in run]   # translated apart
    vectors = embed([output, alone, joined, *others])
    cosines = vectors[1:] @ vectors[0]
    misfit = lambda source: abs(math.log(max(len(output), 1) / max(ratio * len(source), 1)))  # noqa: E731
    beyond_chance = not others or cosines[1] > cosines[2:].max()
    return cosines[1] - cosines[0] > gain_needed and beyond_chance and misfit(joined) < misfit(alone)


def together_note(translation: Translation) -> list[str]:
    """The runs of source sentences one output translates together, for the document's alignment notes."""
    if not translation.merged:
        return []
    runs = ", ".join(f"{run[0] + 1}-{run[-1] + 1}" for run in translation.merged)
    return [f"source sentences translated together by one output: {runs} (each run one unit for adequacy and "
            f"reference-free scores; no omission)"]


def partition_note(translation: Translation) -> list[str]:
    """What the partition did, for the document's alignment notes (none for a model's outputs)."""
    if translation.line_sentences is None:
        return []
    empty = sum(not output and any(has_letters(translation.segments[k].text) for k in unit)   # a markup tag or a
                for unit, output in zip(translation.units(), translation.unit_outputs))      # figure needs no output
    return [f"document-level output: its {sum(translation.line_sentences)} sentences partitioned over the "
            f"{len(translation.segments)} source sentences (harness.align.partition"
            + (", each paragraph over its own line" if translation.by_lines else "") + f"); {empty} source sentences have "
            f"no output" + (" (they score 0)" if empty else "")]
