"""Text from runs in HTML: escaped, and every user-supplied name (a system, run folder, document id, language,
file or metric name) isolated in <bdi>, so that a name holding right-to-left text or a bidirectional override
(U+202E) displays as itself and reverses nothing around it. Where markup cannot go (<title>, attributes), the
name is isolated with the Unicode isolate characters instead (FSI ... PDI, what <bdi> does in plain text)."""
from __future__ import annotations

import html
import re
from collections.abc import Iterable

from harness.compare.reports.tables import terminal_text

FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


# characters HTML calls errors in text (controls but tab, line feed, form feed and CR): ESC, BEL and their kin
HTML_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def escape(text: object) -> str:
    """Text in HTML: markup escaped, control characters shown as their escapes (terminal_text), as every other
    format shows them (`cat report.html` obeys no escape)."""
    return html.escape(HTML_CONTROLS.sub(lambda control: terminal_text(control.group()), str(text)))


def bdi(name: object) -> str:
    """A user-supplied name in running HTML."""
    return f"<bdi>{escape(name)}</bdi>"


def isolated(name: object) -> str:
    """A user-supplied name in plain text (a <title>, an attribute): bracketed by FSI and PDI."""
    return f"{FIRST_STRONG_ISOLATE}{name}{POP_DIRECTIONAL_ISOLATE}"


def name_pattern(names: Iterable[str]) -> re.Pattern | None:
    """Any of the names, longest first, not inside a longer word (document 000 is not in "1000 resamples")."""
    def whole(name: str) -> str:
        before = r"(?<!\w)" if re.match(r"\w", name[0]) else ""
        after = r"(?!\w)" if re.match(r"\w", name[-1]) else ""
        return before + re.escape(name) + after
    wanted = sorted({str(n) for n in names if n}, key=len, reverse=True)
    return re.compile("|".join(whole(n) for n in wanted)) if wanted else None


def with_names_isolated(text: str, names: Iterable[str]) -> str:
    """A sentence composed for every format (terminal, Markdown, HTML: a note, a heading), escaped, with each of
    the given names in it isolated in <bdi>."""
    pattern = name_pattern(names)
    if pattern is None:
        return escape(text)
    parts, position = [], 0
    for match in pattern.finditer(text):
        parts += [escape(text[position:match.start()]), bdi(match.group())]
        position = match.end()
    return "".join(parts) + escape(text[position:])


def said(label: str, markup: str) -> str:
    """A labelled text of a run (a source, a reference, an output; `markup` already escaped): a block of its own
    with dir="auto", so that right-to-left text wraps aligned right (the report's style lays out class "said")."""
    return f"<div class=\"said\"><i>{escape(label)}:</i><div dir=\"auto\">{markup}</div></div>"
