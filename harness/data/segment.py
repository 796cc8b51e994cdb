"""Sentence splitting that keeps each sentence linked to its document and paragraph.

Splitter: sentencex (Wikimedia's rule-based segmenter, ~300 languages, offline, pure Python).
On the seeds it splits the one-paragraph Arabic text into its 10 sentences at full stops while
pysbd cuts it at 27 Arabic commas, and pysbd has no Turkish; see docs/datasets.md, "Sentence segmentation".
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate

from sentencex import segment as sentencex_segment

HAS_WORD = re.compile(r"\w")
MISSED_END = re.compile(r"(?:…|[.!?…][)\]]+)(\s+)(?=\w)")   # '…' or 'bus.)', and the white space before a word
INITIAL = re.compile(r"(?:^|(?<!\w)(\w*)\W*\s)\w\.$")   # a one-letter abbreviation ending a piece, the word before it


@dataclass(frozen=True)
class Segment:
    doc_id: str
    index: int          # position in the document
    paragraph: int      # index of the source line it came from
    lang: str
    text: str


def split_sentences(text: str, lang: str) -> list[str]:
    """Split one paragraph into sentences, each as it is written there (sentence_spans)."""
    return [text[start:end] for start, end in sentence_spans(text, lang)]


def sentence_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """Where each sentence of one paragraph lies in it (start, end; the white space around it left out), so that a
    sentence is read as it is written (joined with a space, a closing ')' made 'He left.)' read 'He left. )'). A
    piece with no word character (a stray '.', a ')') belongs to the sentence before it. Two misses of sentencex
    are mended: it ends a sentence at '...' or 'bus."' before a capital but not at '…' or 'bus.)' (a model's output
    ending so ran into the next one), and it ends one at any capital's '.' before a capital, so French 'M. Dupont a
    payé.' (Monsieur) was two sentences, 'M.' and the rest: a piece ending in a one-letter capital abbreviation (an
    initial or a title, ends_in_initial) takes the next piece (so 'plan B. Then ...' reads as one sentence)."""
    spans: list[tuple[int, int]] = []
    for start, end in piece_spans(text, lang):
        if spans and (not HAS_WORD.search(text[start:end]) or ends_in_initial(text[spans[-1][0]:spans[-1][1]])):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def piece_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """sentencex's pieces of the text, cut after each '…' that a capital follows too, as (start, end) in it."""
    spans, position = [], 0
    for piece in sentencex_segment(lang, text):
        for part in at_missed_ends(piece):
            start = text.index(part, position) + len(part) - len(part.lstrip())
            position = start + len(part.strip())
            if position > start:
                spans.append((start, position))
    return spans


def at_missed_ends(piece: str) -> list[str]:
    """The piece cut after each '…', and each sentence end in a bracket ('(by bus.)'), that a capital follows, as
    sentencex cuts after '...' and 'bus."' (the parts make the piece)."""
    cuts = [match.start(1) for match in MISSED_END.finditer(piece) if piece[match.end()].isupper()]
    return [piece[start:end] for start, end in zip([0, *cuts], [*cuts, len(piece)])]


def ends_in_initial(piece: str) -> bool:
    """Whether the piece ends in a capital's one-letter abbreviation that is a title or an initial ('M.' alone,
    'vu M.', 'maire, M.'), not a numeral or a letter after a name ('World War I.', 'Vitamin D.')."""
    initial = INITIAL.search(piece)
    return bool(initial) and piece[-2].isupper() and not (initial.group(1) or "")[:1].isupper()


def glued(pieces: list[str], stands_alone) -> list[str]:
    """The pieces, each one that does not stand alone joined to the one before it (the first always stands)."""
    units: list[str] = []
    for piece in pieces:
        if units and not stands_alone(piece):
            units[-1] = f"{units[-1]} {piece}"
        else:
            units.append(piece)
    return units


def segment_paragraphs(doc_id: str, paragraphs: tuple[str, ...] | list[str], lang: str) -> list[Segment]:
    segments: list[Segment] = []
    for number, paragraph in enumerate(paragraphs):
        for sentence in split_sentences(paragraph, lang):
            segments.append(Segment(doc_id, len(segments), number, lang, sentence))
    return segments


def join_paragraphs(segments: list[Segment], outputs: list[str]) -> str:
    """Rebuild a document from per-sentence outputs, one line per source paragraph."""
    lines: dict[int, list[str]] = {}
    for segment, output in zip(segments, outputs, strict=True):
        lines.setdefault(segment.paragraph, []).append(output.strip())
    return "\n".join(" ".join(part for part in parts if part) for parts in lines.values()) + "\n"


def share_hypothesis(text: str, references: list[str]) -> list[str]:
    """Cut one hypothesis into len(references) parts at the words nearest the references' length ratios (one
    reference: the text as it is)."""
    if len(references) == 1:
        return [text]
    words = text.split()
    total = sum(len(r) for r in references) or 1
    # prefix[k] = len(" ".join(words[:k])): strictly increasing, so the nearest cut is found by bisection
    prefix = [0, *(length - 1 for length in accumulate(len(word) + 1 for word in words))]
    parts, start, covered = [], 0, 0
    for reference in references[:-1]:
        covered += len(reference)
        target = covered / total * len(text)
        after = bisect_left(prefix, target, lo=start)
        cut = after - 1 if after > start and (after == len(prefix)
                                              or target - prefix[after - 1] <= prefix[after] - target) else after
        parts.append(" ".join(words[start:cut]))
        start = cut
    return parts + [" ".join(words[start:])]
