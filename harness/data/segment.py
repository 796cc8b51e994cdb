"""Sentence splitting that keeps each sentence linked to its document and paragraph.

Splitter: sentencex (Wikimedia's rule-based segmenter, ~300 languages, offline, pure Python).
On the seeds it splits the one-paragraph Arabic text into its 10 sentences at full stops while
pysbd cuts it at 27 Arabic commas, and pysbd has no Turkish; see docs/datasets.md, "Sentence segmentation".
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from importlib import metadata
from itertools import accumulate

from sentencex import segment as sentencex_segment

from harness.data.languages import written_without_spaces

SPLITTING_RULES_VERSION = 7   # raise it when a rule here changes where a text is cut (splitter_signature)
HAS_WORD = re.compile(r"\w")
BRACKET_END = re.compile(r"[.!?][)\]]+(\s+)(?=\w)")   # 'bus.)', and the white space before a word
WIDE_SPACES = {code: " " for code in range(0x80, 0x3001) if chr(code).isspace()}   # U+00A0 ... U+3000
# sentencex does not split a paragraph that opens with one of these bullets and a space ('● Prices rose. Sales fell.'
# stays one sentence, in every language; found by trying every character of U+0021-U+2FFF on sentencex 1.0.32): such a
# bullet is read as a dash, with which it splits as without one (piece_spans)
OPENING_BULLET = re.compile(r"^\s*([\u2022\u2043\u204c\u204d\u25a0\u25a1\u25aa\u25ab\u25b6\u25b8\u25ba\u25c6\u25c7\u25cb"
                            r"\u25cf\u25e6\u2605\u2606\u27a2-\u27a4])(?=\s)")
# A straight double quote between two word characters, one of them a word of one or two letters (an elision or a
# contraction: '2017"s', 'don"t', 'we"ll', 'l"homme', 'qu"il'), in a paragraph with an odd number of them, is no
# quotation mark but a typed apostrophe ('in 2017"s election', WMT 2023 en-de): read as an opening quote, it pairs with
# the next real one and the full stops between them end no sentence. A closing quote typed without its space ('"the
# end"and left') is left a quote. With an even number it may close or open a pair ('a series of "okay"s', MAC-Dev;
# 'J"ohn, ... mérité"', WMT 2022 fr-de) and is left as it is.
INNER_QUOTE = re.compile(r'(?:(?<=\b\w)|(?<=\b\w\w))"(?=\w)|(?<=\w)"(?=\w{1,2}\b)')
# A straight double quote after a plural's s and before the next word, with no quotation open before it in the
# paragraph ('that Mercedes" team orders would', 'Dragons" Den', 'the Lakers" six-game preseason': NTREX-128's
# English, where every such apostrophe was typed as a double quote), cannot close a quotation: it is a typed apostrophe.
# Read as a quote it paired with the paragraph's next real one and the sentences between them were one.
PLURAL_APOSTROPHE = re.compile(r'(?<=\ws)"(?=\s+\w)')
OTHER_OPENING_QUOTES = re.compile(r"[\u201c\u201e\u00ab\u201a\u2039]")   # “ „ « ‚ ‹: a quotation they open is not counted
INITIAL = re.compile(r"(?:^|(?<!\w)(\w*)\W*\s)\w\.$")   # a one-letter abbreviation ending a piece, the word before it
# a title that sentencex 1.0 ends a sentence after where it does not after Mr., Mrs., Dr. or Prof.: 'In passing, Ms. Joly
# condemned ...' was 'In passing, Ms.' and the rest, and the aligner paired that fragment with an unrelated one
UNKNOWN_TITLE = re.compile(r"(?<!\w)Ms\.$")


@dataclass(frozen=True)
class Segment:
    doc_id: str
    index: int          # position in the document
    paragraph: int      # index of the source line it came from
    lang: str
    text: str


def splitter_signature() -> str:
    """Which splitter cut a text: a result kept by the whole text it was cut from (a summary) names it in its key."""
    return f"sentencex {metadata.version('sentencex')}|rules {SPLITTING_RULES_VERSION}"


def split_sentences(text: str, lang: str) -> list[str]:
    """Split one paragraph into sentences, each as it is written there (sentence_spans)."""
    return [text[start:end] for start, end in sentence_spans(text, lang)]


def sentence_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """Where each sentence of one paragraph lies in it (start, end; the white space around it left out), so that a
    sentence is read as it is written (joined with a space, a closing ')' made 'He left.)' read 'He left. )'). A
    piece with no word character (a stray '.', a ')') belongs to the sentence before it. Two misses of sentencex
    are mended: it ends a sentence at '...' and 'bus."' but never at '…' nor at 'bus.)' (piece_spans: a model's
    output ending so ran into the next one), and it ends one at any capital's '.' before a capital, so French
    'M. Dupont a payé.' (Monsieur) was two sentences, 'M.' and the rest: a piece ending in a one-letter capital
    abbreviation (an initial or a title, ends_in_initial) takes the next piece ('plan B. Then ...' reads as one), as
    does one ending in 'Ms.', a title sentencex alone of Mr., Mrs., Ms. and Dr. cuts after (ends_in_title).
    Direction marks and other format characters written right after a sentence's end stay with it (after_format_marks)."""
    spans: list[tuple[int, int]] = []
    for start, end in piece_spans(text, lang):
        if spans and start == spans[-1][1]:
            marks = after_format_marks(text, start, end)
            spans[-1], start = (spans[-1][0], marks), marks + len(text[marks:end]) - len(text[marks:end].lstrip())
        if start == end:
            continue
        if spans and (not HAS_WORD.search(text[start:end]) or ends_in_title(text[spans[-1][0]:spans[-1][1]])):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def after_format_marks(text: str, start: int, end: int) -> int:
    """Where the format characters (Cf: direction marks, zero-width spaces) that open text[start:end] end, if white
    space or the piece's end follows them; else start. sentencex cuts right after a sentence's full stop, so a mark
    written after it ('bus.\u200f \u200fThe') opened the next piece: the output a model wrote as '\u200fX.\u200f' was,
    read back from its hypotheses file, two sentences cut elsewhere ('\u200fX.' and '\u200f \u200fY.'), and scored
    otherwise. Such marks belong to the sentence they follow (sentence_spans)."""
    marks = start
    while marks < end and unicodedata.category(text[marks]) == "Cf":
        marks += 1
    return marks if marks > start and (marks == end or text[marks].isspace()) else start


def piece_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """sentencex's pieces of the text as (start, end) in it, its white space left out. sentencex reads each '…' as
    the '...' it stands for (it ends a sentence at '...' before a capital, or in Chinese, and never at '…'), and
    any white space as a space (sentencex 1.x panicked, a Rust backtrace that ended the run, on a capital, a
    U+00A0, U+3000 or other white space of several bytes, and a '.': 'plan A\u00a0.'); a piece is cut after a
    sentence end in a bracket that a capital follows (at_bracket_ends); a bullet opening the paragraph is read as a
    dash (OPENING_BULLET: before it, a bulleted paragraph of several sentences was one sentence), and a double quote
    inside a word where the paragraph's double quotes do not pair up (INNER_QUOTE), or after a plural's s where no
    quotation is open (PLURAL_APOSTROPHE), as an apostrophe."""
    read = text.replace("…", "...").translate(WIDE_SPACES)
    read = OPENING_BULLET.sub(lambda bullet: bullet[0][:-1] + "-", read, count=1)
    if read.count('"') % 2:
        read = INNER_QUOTE.sub("'", read)   # one character for one: the offsets into the text stay
    read = plural_apostrophes(read)
    where = [k for k, character in enumerate(text) for _ in range(3 if character == "…" else 1)]   # read -> text
    spans, position = [], 0
    for piece in sentencex_segment(lang, read):
        start = read.index(piece, position)
        position = start + len(piece)
        for part_start, part_end in at_bracket_ends(read, start, position):
            if part_end > part_start:
                spans.append((where[part_start], where[part_end - 1] + 1))
    return spans


def plural_apostrophes(read: str) -> str:
    """The text with each PLURAL_APOSTROPHE that no quotation before it in the paragraph can be closing (an even
    number of straight double quotes before it, none of the other opening quotes) read as an apostrophe."""
    characters = list(read)
    for match in PLURAL_APOSTROPHE.finditer(read):
        before = "".join(characters[:match.start()])
        if before.count('"') % 2 == 0 and not OTHER_OPENING_QUOTES.search(before):
            characters[match.start()] = "'"
    return "".join(characters)


def at_bracket_ends(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """text[start:end] cut after each sentence end in a bracket ('(by bus.)') that a capital follows, as sentencex
    cuts after 'bus."'; each part without its surrounding white space."""
    cuts = [match.start(1) for match in BRACKET_END.finditer(text, start, end) if text[match.end()].isupper()]
    parts = zip([start, *cuts], [*cuts, end])
    return [(first + len(text[first:last]) - len(text[first:last].lstrip()), first + len(text[first:last].rstrip()))
            for first, last in parts]


def ends_in_initial(piece: str) -> bool:
    """Whether the piece ends in a capital's one-letter abbreviation that is a title or an initial ('M.' alone,
    'vu M.', 'maire, M.'), not a numeral or a letter after a name ('World War I.', 'Vitamin D.')."""
    initial = INITIAL.search(piece)
    return bool(initial) and piece[-2].isupper() and not (initial.group(1) or "")[:1].isupper()


def ends_in_title(piece: str) -> bool:
    """Whether the piece ends in an abbreviation that the next piece's name follows: a one-letter initial or title
    (ends_in_initial), or a title sentencex does not know (UNKNOWN_TITLE, 'Ms.')."""
    return ends_in_initial(piece) or bool(UNKNOWN_TITLE.search(piece))


def glued(pieces: list[str], stands_alone) -> list[str]:
    """The pieces, each one that does not stand alone joined to the one before it (the first always stands)."""
    units: list[str] = []
    for piece in pieces:
        if units and not stands_alone(piece):
            units[-1] = f"{units[-1]} {piece}"
        else:
            units.append(piece)
    return units


def segment_paragraphs(doc_id: str, paragraphs: tuple[str, ...] | list[str], lang: str, pre_split: bool = False
                       ) -> list[Segment]:
    """A searched document's sentences; pre_split (segmentation: lines): each paragraph (a non-empty line) is one."""
    segments: list[Segment] = []
    for number, paragraph in enumerate(paragraphs):
        for sentence in [paragraph.strip()] if pre_split else split_sentences(paragraph, lang):
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
    reference: the text as it is); a text written without spaces between words (Chinese, Japanese, Thai) at the
    characters: at its words it was one word, whole in the first part and nothing in the others."""
    if len(references) == 1:
        return [text]
    unspaced = written_without_spaces([text])
    words, glue = (list(text.strip()), "") if unspaced else (text.split(), " ")
    total = sum(len(r) for r in references) or 1
    # prefix[k] = len(glue.join(words[:k])): strictly increasing, so the nearest cut is found by bisection
    prefix = [0, *(length - len(glue) for length in accumulate(len(word) + len(glue) for word in words))]
    parts, start, covered = [], 0, 0
    for reference in references[:-1]:
        covered += len(reference)
        target = covered / total * len(text)
        after = bisect_left(prefix, target, lo=start)
        cut = after - 1 if after > start and (after == len(prefix)
                                              or target - prefix[after - 1] <= prefix[after] - target) else after
        parts.append(glue.join(words[start:cut]).strip())
        start = cut
    return parts + [glue.join(words[start:]).strip()]
