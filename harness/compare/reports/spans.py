"""xCOMET's error spans in the comparison report: a system's output with its error spans marked by severity.

The rows come from harness.compare.rows (error_span_rows: from the segment details the runs stored, into
comparison.json); here the HTML (error_spans_html: every text escaped, one <mark> per span with a severity class),
so the report module only places the section.
"""
from __future__ import annotations

import html

from harness.compare.reports.html_text import bdi, said
from harness.compare.rows import SPAN_SEGMENTS_PER_SYSTEM, SpanRow

SEVERITIES = ("minor", "major", "critical")   # xCOMET's error labels
SPAN_STYLE = ("<style>mark.span-minor { background: #fff3b0; } mark.span-major { background: #ffc98a; } "
              "mark.span-critical { background: #ff9a9a; } mark.span-unknown { background: #ddd; }</style>")


def severity_class(span: dict) -> str:
    severity = span.get("severity")
    return f"span-{severity if severity in SEVERITIES else 'unknown'}"


def marked_text(text: str, spans: list[dict]) -> str:
    """The text, escaped, with each span (character offsets; overlaps cut) in a <mark> of its severity."""
    parts, position = [], 0
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        start, end = max(int(span["start"]), position), min(int(span["end"]), len(text))
        if start >= end:
            continue
        confidence = span.get("confidence")
        title = f"{span.get('severity', 'unknown')}" + (f", confidence {confidence:.2f}" if confidence is not None else "")
        parts += [html.escape(text[position:start]),
                  f"<mark class=\"{severity_class(span)}\" title=\"{html.escape(title)}\">"
                  f"{html.escape(text[start:end])}</mark>"]
        position = end
    return "".join(parts) + html.escape(text[position:])


def span_row_html(row: SpanRow) -> str:
    """One segment: whose, which, its score, then its output with the spans marked and the reference, each a block
    of its own (right-to-left text aligned right); every name in <bdi>."""
    score = "n/a" if row.score is None else f"{row.score:.1f}"
    return (f"<div class=\"example\"><p><b>{bdi(row.system)}</b>, {bdi(row.document)} ({bdi(row.lang)}), "
            f"reference sentence {row.ref_index}, {bdi(row.metric)} {score}, {len(row.error_spans)} spans</p>"
            + said("output", marked_text(row.hyp, row.error_spans)) + said("reference", html.escape(row.ref))
            + "</div>")


def error_spans_html(rows: list[SpanRow]) -> str:
    """The report section (rows: the comparison's error_spans): a legend, then each chosen segment's output with
    its spans marked."""
    if not rows:
        return "<p>No error spans in these runs (add xcomet to metrics=[...]).</p>"
    legend = " ".join(f"<mark class=\"span-{s}\">{s}</mark>" for s in SEVERITIES)
    return (f"{SPAN_STYLE}<p>Error spans by severity: {legend}. The lowest-scored segments of each system "
            f"(at most {SPAN_SEGMENTS_PER_SYSTEM}), from the documents whose reference translates the source.</p>" + "".join(span_row_html(row) for row in rows))
