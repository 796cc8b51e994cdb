"""Names shared by a source and an English reference, found across scripts with the multilingual encoder.

Two texts about the same event name the same people and places; two texts on the same topic about other
events mostly do not. The reference's names are capitalised spans that are not sentence openings (nor the
first word of a quotation), without weekdays and months, and whose words never appear in lower case in the
reference. Each is embedded alone and compared with every one- and two-word span of the source: the
encoder puts 'Tokyo' near 'طوكيو' and 'Kanada' near 'Canada', so this works for Arabic as for French. A source
written without spaces between words (Chinese, Japanese, Thai) has no such spans: its 'words' are whole clauses, whose
cosine with a name says nothing (MAC, zh: a median share of 0.077 for true translations), so its names are not
compared (written_without_spaces); embedding those clauses was a sixth of the alignment's CPU on MAC-Dev.
"""
from __future__ import annotations

import re

from harness.align.encoder import embed

NAME_SPAN = re.compile(r"(?<![.!?]\s)(?<![.!?][\"“”’']\s)(?<![“\"‘(])(?<!^)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
POSSESSIVE = re.compile(r"(’s|'s)$")
LOWER_WORD = re.compile(r"\b[a-z][\w’'-]*")
SOURCE_WORD = re.compile(r"[^\W\d_][\w’'-]*")
CALENDAR = frozenset({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
                      "February", "March", "April", "May", "June", "July", "August", "September", "October",
                      "November", "December"})


def reference_names(sentences: list[str]) -> list[str]:
    lower = set(LOWER_WORD.findall(" ".join(sentences)))
    found = set()
    for sentence in sentences:
        for span in NAME_SPAN.findall(sentence):
            words = [w for w in POSSESSIVE.sub("", span).split() if w not in CALENDAR and w.lower() not in lower]
            if words:
                found.add(" ".join(words))
    return sorted(found)


def source_spans(sentences: list[str]) -> list[str]:
    spans = set()
    for sentence in sentences:
        words = SOURCE_WORD.findall(sentence)
        spans.update(words)
        spans.update(" ".join(words[k:k + 2]) for k in range(len(words) - 1))
    return sorted(spans)


def shared_names(source: list[str], reference: list[str], min_similarity: float) -> tuple[list[str], int]:
    """The reference's names found in the source (cosine >= min_similarity), and how many names it has."""
    names, spans = reference_names(reference), source_spans(source)
    if not names or not spans:
        return [], len(names)
    best = (embed(names) @ embed(spans).T).max(axis=1)
    return [name for name, cosine in zip(names, best) if cosine >= min_similarity], len(names)
