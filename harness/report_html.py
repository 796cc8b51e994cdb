"""The comparison report folder: one self-contained HTML file (charts embedded as base64, no external URL)
next to the same charts as PNG files, the leaderboard as Markdown and CSV, and comparison.json."""
from __future__ import annotations

import base64
import html
from pathlib import Path

from harness.charts import write_charts
from harness.report import (LEADERBOARD_HEADERS, METRIC_LABELS, REPORT_FILES, bucket_table, comparison_csv,
                            comparison_markdown, comparison_notes, leaderboard_cells, metric_label, metric_rows, number,
                            summary_table)
from harness.report_spans import error_spans_html
from harness.results import write_json_atomically, write_text

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.baseline td { color: #555; } td.better { font-weight: bold; color: #0a6b2d; }
td.worse { font-weight: bold; color: #a61b1b; }
.notes { font-size: 0.85em; color: #444; } .notes code { font-size: 0.95em; word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } .charts figure { margin: 0; }
.charts img { max-width: 520px; border: 1px solid #eee; }
.example { margin-bottom: 1.5em; } .example p { margin: 0.2em 0; }
"""
LABEL_COLUMNS = 4
DELTA_COLUMN = LEADERBOARD_HEADERS.index("Δ vs baseline")


def delta_class(row: dict, higher_is_better: bool) -> str:
    """Significant differences in green when the system is better than the baseline, red when worse."""
    if not row["significant"]:
        return ""
    return "better" if (row["delta"] > 0) == higher_is_better else "worse"


def cell(text: str, numeric: bool, extra: str = "") -> str:
    classes = " ".join(c for c in ("num" if numeric else "", extra) if c)
    return f"<td class=\"{classes}\">{html.escape(str(text))}</td>" if classes else f"<td>{html.escape(str(text))}</td>"


def html_table(headers: list[str], rows: list[list[str]], numeric: range | set, row_classes: list[str] | None = None,
               delta_classes: list[str] | None = None) -> str:
    """A table whose `numeric` columns are right-aligned; delta_classes colour the leaderboard's delta column."""
    head = "".join(f"<th class=\"{'num' if i in numeric else ''}\">{html.escape(h)}</th>"
                   for i, h in enumerate(headers))
    body = []
    for index, row in enumerate(rows):
        marked = delta_classes[index] if delta_classes else ""
        cells = "".join(cell(c, i in numeric, marked if i == DELTA_COLUMN else "") for i, c in enumerate(row))
        css = f" class=\"{row_classes[index]}\"" if row_classes and row_classes[index] else ""
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def leaderboard_html(comparison: dict) -> str:
    parts = []
    for metric in comparison["metrics"]:
        rows = metric_rows(comparison, metric["name"])
        parts.append(f"<h3>{html.escape(metric_label(metric))}</h3>" + html_table(
            LEADERBOARD_HEADERS, [leaderboard_cells(r) for r in rows], range(LABEL_COLUMNS, len(LEADERBOARD_HEADERS)),
            ["baseline" if r["delta"] is None else "" for r in rows],
            [delta_class(r, metric["higher_is_better"]) for r in rows]))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in comparison_notes(comparison))
    return "".join(parts) + f"<ul class=\"notes\">{notes}</ul>"


def embedded_png(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure_html(chart: dict) -> str:
    return (f"<figure><img alt=\"{html.escape(chart['lang'])} {html.escape(chart['metric'])}\" "
            f"data-chart=\"{html.escape(chart['path'].name)}\" src=\"{embedded_png(chart['path'])}\"></figure>")


def charts_html(charts: list[dict]) -> str:
    """One row of charts per language; error bars are the 95% intervals (none at document level)."""
    languages = list(dict.fromkeys(c["lang"] for c in charts))
    return "".join(f"<h3>{html.escape(lang)}</h3><div class=\"charts\">"
                   + "".join(figure_html(c) for c in charts if c["lang"] == lang) + "</div>" for lang in languages)


def buckets_html(comparison: dict) -> str:
    if not comparison["buckets"]:
        return "<p>No aligned segments in these runs: no length analysis.</p>"
    tables = [f"<div><h3>{html.escape(metric_label(m))}</h3>" + numeric_table(*bucket_table(comparison, m["name"]), 2)
              + "</div>" for m in comparison["metrics"]]
    return f"<div class=\"charts\">{''.join(tables)}</div>"


def numeric_table(headers: list[str], rows: list[list[str]], label_columns: int) -> str:
    return html_table(headers, rows, range(label_columns, len(headers)))


def example_html(example: dict) -> str:
    rows = [[o["system"], number(o["score"]), o["hyp"] or "(nothing aligned)"] for o in example["outputs"]]
    metric = METRIC_LABELS.get(example["metric"], example["metric"])
    return (f"<div class=\"example\"><p><b>{html.escape(example['document'])} ({html.escape(example['lang'])}), "
            f"reference sentence {example['ref_index']}</b>: sentence {metric} spread {example['spread']:.1f}</p>"
            f"<p><i>source:</i> {html.escape(example['src'] or '(none aligned)')}</p>"
            f"<p><i>reference:</i> {html.escape(example['ref'])}</p>"
            + html_table(["system", f"sentence {metric}", "output"], rows, {1}) + "</div>")


def disagreements_html(comparison: dict) -> str:
    if not comparison["disagreements"]:
        return "<p>No aligned segments in these runs, or no disagreement between them.</p>"
    return "".join(example_html(e) for e in comparison["disagreements"])


def comparison_html(comparison: dict, charts: list[dict]) -> str:
    systems = ", ".join(s["name"] for s in comparison["systems"])
    sections = [("Leaderboard", leaderboard_html(comparison)), ("Charts", charts_html(charts)),
                ("Scores by reference sentence length", buckets_html(comparison)),
                ("Where the systems disagree most", disagreements_html(comparison))]
    if comparison.get("error_spans"):
        sections.append(("Error spans (xCOMET)", error_spans_html(comparison)))
    if comparison["summaries"]:
        sections.append(("Summaries", numeric_table(*summary_table(comparison), 3)))
    body = "".join(f"<h2>{title}</h2>{content}" for title, content in sections)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Comparison: {html.escape(systems)}"
            f"</title><style>{STYLE}</style></head><body><h1>Comparison: {html.escape(systems)}</h1>"
            f"<p>data set: <code>{html.escape(comparison['data']['root'])}</code></p>{body}</body></html>\n")


def write_comparison(comparison: dict, folder: str | Path) -> Path:
    """Write the whole report folder; returns the HTML file's path."""
    folder = Path(folder)
    charts = write_charts(comparison, folder / REPORT_FILES["charts"])
    write_json_atomically(folder / REPORT_FILES["json"], comparison)
    write_text(folder / REPORT_FILES["markdown"], comparison_markdown(comparison))
    write_text(folder / REPORT_FILES["csv"], comparison_csv(comparison))
    write_text(folder / REPORT_FILES["html"], comparison_html(comparison, charts))
    return folder / REPORT_FILES["html"]
