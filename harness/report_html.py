"""The comparison report folder: one self-contained HTML file (charts embedded as base64, no external URL)
next to the same charts as PNG files, the leaderboard as Markdown and CSV, and comparison.json.

The page reads top-down as a researcher asks: which runs (metadata), what changed on the documents that are real
translations (summary: each difference with its paired interval, p and a verdict), what the other documents say
(apart, with no significance styling), then charts, all scores, length buckets and examples both ways. Every
section is one renderer in SECTIONS, (comparison, charts) -> HTML or "" when it has nothing to show; a module that
adds a section (xCOMET error spans, ...) passes its own list to write_comparison, e.g. [*SECTIONS, my_section].
Every text from a run is escaped, and text cells carry dir="auto" so that Arabic or Hebrew reads right to left.
"""
from __future__ import annotations

import base64
import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.charts import DELTA_CHART, write_charts
from harness.report import (LEADERBOARD_HEADERS, METRIC_LABELS, NO_OUTPUT, NO_OUTPUT_NOTE, NO_SOURCE, REPORT_FILES,
                            ReportPlace, comparison_csv, comparison_markdown, comparison_notes, example_headings, interval,
                            group_folder, leaderboard_cells, metric_label, metric_rows, number, untested_rows,
                            p_floor, p_text, ranking_csv, ranking_tables, score_with_interval, skipped_document_notes,
                            summary_table)
from harness.report_spans import error_spans_html
from harness.results import write_json_atomically, write_text

STYLE = """
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 1em; max-width: 1100px; color: #222;
       line-height: 1.4; overflow-wrap: break-word; }
h1 { font-size: 1.45em; margin: 0.3em 0; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.02em; margin: 1.2em 0 0.3em; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.88em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { min-width: 14em; max-width: 40em; }
tr.baseline td { color: #555; } tr.small td { color: #777; font-style: italic; }
td.better { font-weight: bold; color: #0a6b2d; } td.worse { font-weight: bold; color: #a61b1b; }
.verdict { font-size: 1.05em; font-weight: 600; margin: 0.4em 0; }
.note, .notes { font-size: 0.85em; color: #444; } .notes code, .meta code { word-break: break-all; }
.meta td, .meta th { font-size: 0.95em; }
.warning { background: #fff4e0; border-left: 4px solid #e0a030; padding: 0.4em 0.8em; }
section.not-parallel { background: #f4f4f4; border: 1px dashed #999; padding: 0 1em 0.5em; margin-top: 2em; }
section.not-parallel h2 { border-bottom-color: #999; color: #444; }
.charts, .tables { display: flex; flex-wrap: wrap; gap: 0 1.5em; }
.charts figure { margin: 0 0 1em; min-width: 0; max-width: 100%; } .tables > div { min-width: 0; max-width: 100%; }
h4 { margin: 0.6em 0 0; font-size: 0.95em; } td.label { white-space: nowrap; }
ul.runs { padding-left: 1.2em; } ul.runs li { margin-bottom: 0.3em; }
.charts img { max-width: 100%; height: auto; border: 1px solid #eee; }
.example { margin: 0 0 1.2em; padding: 0.5em 0.8em; border: 1px solid #e4e4e4; border-radius: 4px; }
.example p { margin: 0.2em 0; } .example table { width: 100%; } .example td.text { min-width: 0; width: 70%; }
mark { background: #d9f2d9; color: inherit; padding: 0 1px; }
.empty { color: #a61b1b; font-style: italic; }
@media (max-width: 600px) { body { padding: 0.6em; } table { font-size: 0.8em; } h1 { font-size: 1.2em; } }
"""
WORD = re.compile(r"\w+", re.UNICODE)


# ---------------------------------------------------------------- building blocks

def escape(text: object) -> str:
    return html.escape(str(text))


def td(content: object, kind: str = "", css: str = "") -> str:
    """A cell: kind "num" holds a right-aligned figure, "html" finished markup, "" text from a run (a name, a
    label), escaped here. Every cell but a figure gets dir="auto": text in any script reads in its own direction."""
    classes = " ".join(c for c in ("num" if kind == "num" else "", css) if c)
    attributes = (f" class=\"{classes}\"" if classes else "") + ("" if kind == "num" else " dir=\"auto\"")
    return f"<td{attributes}>{content if kind == 'html' else escape(content)}</td>"


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
          row_classes: list[str] | None = None) -> str:
    """A table in a horizontal scroll container (a wide table scrolls on a phone instead of widening the page);
    `rows` hold finished <td> cells."""
    head = "".join(f"<th class=\"num\">{escape(h)}</th>" if i in numeric else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    lines = [(f"<tr class=\"{row_classes[i]}\">" if row_classes and row_classes[i] else "<tr>") + "".join(row) + "</tr>"
             for i, row in enumerate(rows)]
    return f"<div class=\"scroll\"><table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table></div>"


def plain_table(headers: list[str], cells: list[list[str]], label_columns: int) -> str:
    """A table of plain strings: the first `label_columns` are labels, the rest figures."""
    rows = [[td(c, "num" if i >= label_columns else "") for i, c in enumerate(row)] for row in cells]
    return table(headers, rows, set(range(label_columns, len(headers))))


def documents_of(comparison: dict, parallel: bool) -> list[dict]:
    return [d for d in comparison["data"]["documents"] if d.get("parallel", True) == parallel]


def delta_class(row: dict, higher: bool) -> str:
    """Significant differences on parallel documents in green when the system is better, red when worse."""
    if not row["significant"] or not row.get("parallel", True):
        return ""
    return "better" if (row["delta"] > 0) == higher else "worse"


def delta_with_interval(row: dict) -> str:
    return number(row["delta"], sign=True) + ("" if not row.get("delta_ci") else f" {interval(row['delta_ci'])}")


def relation_text(document: dict) -> str:
    measured = document.get("measured_relation")
    return document["relation"] if not measured or measured == document["relation"] else \
        f"declared {document['relation']}, measured {measured}"


# ---------------------------------------------------------------- header: what was compared

def short_commit(commit: str | None) -> str:
    return "" if not commit else commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def system_item(system: dict) -> str:
    """One run: its name, model and backend, run folder, start time and the versions it recorded."""
    versions = system.get("versions") or {}
    model = system["model"]
    harness = " ".join(v for v in (versions.get("harness"), short_commit(versions.get("git_commit"))) if v)
    facts = [escape(f"{model.get('name', '?')} ({model.get('backend', '?')})"),
             f"run folder <code>{escape(system['run_dir'])}</code>", f"started {escape(system.get('started') or '?')}",
             f"harness {escape(harness or '?')}", f"sacrebleu {escape(versions.get('sacrebleu') or '?')}",
             f"torch {escape(versions.get('torch') or '?')}"]
    return f"<li dir=\"auto\"><b>{escape(system['name'])}</b>: {' · '.join(facts)}</li>"


def metadata_html(comparison: dict) -> str:
    test = comparison["significance"]
    facts = [("report made", comparison.get("created") or "?"),
             ("harness-compare", comparison.get("harness_version") or "?"),
             ("data set", comparison["data"]["root"] or "?"), ("baseline", comparison["baseline"]),
             ("scores", "aligned sentences" if comparison["level"] == "aligned" else "whole documents"),
             ("tests", f"{test['resamples']} resamples, seed {test['seed']}" if test else "none (document level)")]
    rows = "".join(f"<tr><th>{escape(k)}</th><td dir=\"auto\"><code>{escape(v)}</code></td></tr>" for k, v in facts)
    systems = "".join(system_item(s) for s in comparison["systems"])
    skipped = "".join(f"<p class=\"warning\">skipped {escape(s['run_dir'])} ({escape(s['state'])}: "
                      f"{escape(s['reason'])})</p>" for s in comparison.get("skipped", []))
    skipped += "".join(f"<p class=\"warning\">{escape(text)}</p>" for text in skipped_document_notes(comparison))
    return (f"<div class=\"meta\"><div class=\"scroll\"><table>{rows}</table></div><p>Runs compared:</p>"
            f"<ul class=\"runs\">{systems}</ul></div>{skipped}")


# ---------------------------------------------------------------- summary: the parallel documents

def significance_text(row: dict, css: str) -> str:
    if row["significant"] is None:
        return "n/a"
    return css if row["significant"] else "no"


def summary_cells(row: dict, baseline: dict, document: dict, floor: float | None, higher: bool,
                  with_system: bool) -> list[str]:
    css = delta_class(row, higher)
    p_values = (f"{p_text(row['p_bootstrap_holm'], row['p_bootstrap'], floor)} / "
                f"{p_text(row['p_randomization_holm'], row['p_randomization'], floor)}")
    segments = "" if document.get("segments") is None else document["segments"]
    return [td(f"{row['document']} {row['lang']}", css="label"),
            td(metric_label({"name": row["metric"], "higher_is_better": higher}), css="label"),
            *([td(row["system"])] if with_system else []),
            td(delta_with_interval(row), "num", css), td(significance_text(row, css), "", css), td(p_values, "num"),
            td(number(baseline["score"]), "num"), td(number(row["score"]), "num"), td(segments, "num")]


def summary_headers(comparison: dict, with_system: bool) -> list[str]:
    """Most telling first, so that a phone shows the difference without scrolling sideways."""
    return ["document", "metric", *(["system"] if with_system else []), "Δ [paired 95% CI]", "significant",
            "p bootstrap / AR", comparison["baseline"], "score", "segments"]


def summary_rows(comparison: dict, documents: list[dict], with_system: bool) -> list[list[str]]:
    floor = p_floor(comparison)
    rows = []
    for document in documents:
        for metric in comparison["metrics"]:
            mine = [r for r in metric_rows(comparison, metric["name"]) if r["document"] == document["id"]]
            baseline = next(r for r in mine if r["delta"] is None)
            rows += [summary_cells(r, baseline, document, floor, metric["higher_is_better"], with_system)
                     for r in mine if r["delta"] is not None]
    return rows


def verdict_lines(comparison: dict, tested: int) -> str:
    lines = []
    for verdict in comparison.get("verdicts", []):
        lines.append(f"{verdict['system']} against {comparison['baseline']}: significantly better in "
                     f"{verdict['better']} of {tested}, significantly worse in {verdict['worse']}, "
                     f"not told apart in {verdict['unclear']} (parallel document × metric)")
    return "".join(f"<p class=\"verdict\" dir=\"auto\">{escape(line)}</p>" for line in lines)


def holm_note(comparison: dict, documents: int) -> str:
    test = comparison["significance"]
    if not test:
        return ("<p class=\"note\">Document-level scores: each document is one segment, so there is no interval and "
                "no test (n/a). Re-run with aligned segments for intervals and tests.</p>")
    others, metrics = len(comparison["systems"]) - 1, len(comparison["metrics"])
    cells = documents * metrics * others
    return (f"<p class=\"note\">Δ: system minus baseline, with the paired 95% bootstrap interval ({test['resamples']} "
            f"resamples of the aligned sentences, seed {test['seed']}). p: paired bootstrap and paired approximate "
            "randomization tests, Holm-corrected; ≤ marks a p at its floor 1/(resamples + 1). Significant: "
            f"Holm-corrected p &lt; {test['alpha']} in both tests; the interval and the tests are separate procedures "
            f"and can disagree near the threshold. What Holm covers: {escape(test['correction'])}. The {cells} "
            f"tests of this table ({documents} document(s) × {metrics} metrics × {others} system(s)) are strongly "
            "correlated across metrics: read a pattern across documents, not one cell.</p>")


def summary_section(comparison: dict, charts: list[dict]) -> str:
    documents = documents_of(comparison, True)
    if not documents:
        return ("<p class=\"warning\">No document of this data set is a translation of its source (declared and "
                "measured parallel): there is nothing to summarize as translation quality. See the section on the "
                "other documents below.</p>")
    if len(comparison["systems"]) < 2:
        return "<p>One system only: no difference to test. Its scores are below.</p>"
    tested = len(documents) * len(comparison["metrics"])
    with_system = len(comparison["systems"]) > 2
    headers = summary_headers(comparison, with_system)
    labels = 3 if with_system else 2
    numeric = set(range(labels, len(headers))) - {labels + 1}    # all but the labels and "significant"
    rows = summary_rows(comparison, documents, with_system)
    return verdict_lines(comparison, tested) + table(headers, rows, numeric) + holm_note(comparison, len(documents))


# ---------------------------------------------------------------- the other documents

def not_parallel_rows(comparison: dict, documents: list[dict]) -> list[list[str]]:
    """One row per document and metric, a column per system (score and interval) and the plain difference."""
    systems = [s["name"] for s in comparison["systems"]]
    rows = []
    for document in documents:
        for metric in comparison["metrics"]:
            by_system = {r["system"]: r for r in untested_rows(comparison, metric["name"])
                         if r["document"] == document["id"]}
            rows.append([td(f"{document['id']} {document['lang']}", css="label"), td(relation_text(document)),
                         td(metric_label(metric), css="label"),
                         *[td(score_with_interval(by_system[s]), "num") for s in systems],
                         *[td(number(by_system[s]["delta"], sign=True), "num") for s in systems[1:]]])
    return rows


def not_parallel_section(comparison: dict, charts: list[dict]) -> str:
    documents = documents_of(comparison, False)
    if not documents:
        return ""
    names = ", ".join(f"{d['id']} ({relation_text(d)})" for d in documents)
    explanation = (f"<p dir=\"auto\"><b>{escape(names)}</b>: the reference is not a translation of the source "
                   "(comparable: the same event written independently; unrelated: another event or topic). Their "
                   "scores measure topical overlap with the reference, not translation quality, so no difference here "
                   "is tested or marked, and they are left out of the summary, the length buckets and the "
                   "examples.</p>")
    systems = [s["name"] for s in comparison["systems"]]
    headers = ["document", "relation", "metric", *systems, *[f"Δ {s}" for s in systems[1:]]]
    return explanation + table(headers, not_parallel_rows(comparison, documents), set(range(3, len(headers))))


# ---------------------------------------------------------------- charts

def embedded_png(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def charts_note(comparison: dict) -> str:
    test = comparison["significance"]
    bars = (f"error bars: the 95% bootstrap percentile interval ({test['resamples']} resamples of the aligned "
            "sentences)" if test else "no error bars: document-level scores have no interval")
    return (f"<p class=\"note\">Bars: each system's corpus score per document; {bars}. Hatched bars on the grey band: "
            "documents whose reference is not a translation of the source (topical overlap only). The difference "
            "chart shows each system minus the baseline on the parallel documents with the paired 95% interval: an "
            "interval that crosses the zero line does not tell the system apart from the baseline.</p>")


def figure_html(chart: dict) -> str:
    label = "difference from the baseline" if chart["metric"] == DELTA_CHART else chart["metric"]
    return (f"<figure><img alt=\"{escape(label)} chart\" data-chart=\"{escape(chart['path'].name)}\" "
            f"src=\"{embedded_png(chart['path'])}\"></figure>")


def charts_section(comparison: dict, charts: list[dict]) -> str:
    return charts_note(comparison) + f"<div class=\"charts\">{''.join(figure_html(c) for c in charts)}</div>"


# ---------------------------------------------------------------- every score

def scores_section(comparison: dict, charts: list[dict]) -> str:
    """Every system's score with its interval and tests, per metric, on the parallel documents (the terminal
    leaderboard; the other documents have their own section); signatures and the legend below."""
    floor, parts = p_floor(comparison), []
    parallel = {d["id"] for d in documents_of(comparison, True)}
    for metric in comparison["metrics"] if parallel else []:
        rows = [r for r in metric_rows(comparison, metric["name"]) if r["document"] in parallel]
        cells = [[td(c, "num" if i >= 4 else "", delta_class(r, metric["higher_is_better"]) if i == 6 else "")
                  for i, c in enumerate(leaderboard_cells(r, floor))] for r in rows]
        classes = ["baseline" if r["delta"] is None else "" for r in rows]
        parts.append(f"<h3>{escape(metric_label(metric))}</h3>"
                     + table(LEADERBOARD_HEADERS, cells, set(range(4, len(LEADERBOARD_HEADERS))), classes))
    notes = "".join(f"<li dir=\"auto\">{escape(n)}</li>" for n in comparison_notes(comparison))
    return "".join(parts) + f"<ul class=\"notes\">{notes}</ul>"


# ---------------------------------------------------------------- length buckets

def metric_buckets(comparison: dict, rows: list[dict], metric: dict) -> str:
    """One metric's length buckets of one document: a row per bucket, a column per system."""
    systems = [s["name"] for s in comparison["systems"]]
    mine = [r for r in rows if r["metric"] == metric["name"]]
    cells, classes = [], []
    for bucket in dict.fromkeys(r["bucket"] for r in mine):
        by_system = {r["system"]: r for r in mine if r["bucket"] == bucket}
        first = by_system[systems[0]]
        count = f"{first['segments']} (small)" if first["small"] else str(first["segments"])
        cells.append([td(bucket), td(count, "num"), *[td(score_with_interval(by_system[s]), "num") for s in systems]])
        classes.append("small" if first["small"] else "")
    return (f"<div><h4>{escape(metric_label(metric))}</h4>"
            + table(["words", "segments", *systems], cells, set(range(1, 2 + len(systems))), classes) + "</div>")


def document_buckets(comparison: dict, document: dict) -> str:
    rows = [r for r in comparison["buckets"] if r["document"] == document["id"]]
    return (f"<h3 dir=\"auto\">{escape(document['id'])} ({escape(document['lang'])})</h3><div class=\"tables\">"
            + "".join(metric_buckets(comparison, rows, m) for m in comparison["metrics"]) + "</div>")


def buckets_section(comparison: dict, charts: list[dict]) -> str:
    if not comparison["buckets"]:
        return ("<p>No length analysis: these runs have no aligned segments, or no document is a translation of its "
                "source.</p>")
    limit = comparison.get("min_bucket_segments")
    note = (f"<p class=\"note\">Corpus score of each system over the reference sentences of that length, with its 95% "
            f"bootstrap interval. Buckets of fewer than {limit} segments are marked small, in grey, without an "
            "interval: one or two sentences say little.</p>")
    return note + "".join(document_buckets(comparison, d) for d in documents_of(comparison, True))


# ---------------------------------------------------------------- examples

def marked_words(hypothesis: str, reference: str) -> str:
    """The hypothesis, escaped, with each word that also occurs in the reference in <mark> (case-insensitive,
    each reference word matched at most as often as it occurs there): compare-mt's matched-word view."""
    available = Counter(word.lower() for word in WORD.findall(reference))
    parts, position = [], 0
    for match in WORD.finditer(hypothesis):
        parts.append(escape(hypothesis[position:match.start()]))
        word = match.group()
        if available[word.lower()] > 0:
            available[word.lower()] -= 1
            parts.append(f"<mark>{escape(word)}</mark>")
        else:
            parts.append(escape(word))
        position = match.end()
    return "".join(parts) + escape(hypothesis[position:])


def output_cell(output: dict, reference: str) -> str:
    if not output["hyp"]:
        return td(f"<span class=\"empty\">{escape(NO_OUTPUT)}</span>", "html")
    return td(marked_words(output["hyp"], reference), "html", "text")


def example_html(example: dict) -> str:
    metric = METRIC_LABELS.get(example["metric"], example["metric"])
    rows = [[td(o["system"]), td(number(o["score"]), "num"), output_cell(o, example["ref"])]
            for o in example["outputs"]]
    return (f"<div class=\"example\"><p dir=\"auto\"><b>{escape(example['document'])} ({escape(example['lang'])}), "
            f"reference sentence {example['ref_index']}</b>: sentence {escape(metric)} difference "
            f"{example['difference']:+.1f}</p>"
            f"<p><i>source:</i> <span dir=\"auto\">{escape(example['src'] or NO_SOURCE)}</span></p>"
            f"<p><i>reference:</i> <span dir=\"auto\">{escape(example['ref'])}</span></p>"
            + table(["system", metric, "output (words also in the reference marked)"], rows, {1})
            + "</div>")


def examples_section(comparison: dict, charts: list[dict]) -> str:
    if not comparison["examples"]:
        return ("<p>No examples: these runs have no aligned segments, there is one system only, or no document is a "
                "translation of its source.</p>")
    parts = ["<p class=\"note\">Sentences of the parallel documents where the two systems' sentence scores differ "
             "most, in each direction. <mark>Marked</mark> words also occur in the reference. "
             f"{escape(NO_OUTPUT_NOTE)}.</p>"]
    for examples in comparison["examples"]:
        for heading, chosen in example_headings(examples):
            parts.append(f"<h3 dir=\"auto\">{escape(heading)}</h3>")
            parts += [example_html(e) for e in chosen] or ["<p>None: no sentence scores differently this way.</p>"]
    return "".join(parts)


def summaries_section(comparison: dict, charts: list[dict]) -> str:
    return plain_table(*summary_table(comparison), 3) if comparison["summaries"] else ""


# ---------------------------------------------------------------- the page

@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    render: Callable[[dict, list[dict]], str]    # (comparison, charts) -> HTML, or "" to leave the section out
    css: str = ""


def ranking_section(comparison: dict, charts: list[dict]) -> str:
    """Each metric's ranking (and --all-pairs win matrix) as report.ranking_tables makes them for the terminal."""
    return "".join(f"<h3 dir=\"auto\">{escape(t.title)}</h3>" + plain_table(t.headers, t.rows, t.labels)
                   for t in ranking_tables(comparison))


SECTIONS = [
    Section("ranking", "Ranking", ranking_section),
    Section("summary", "Summary: documents whose reference translates the source", summary_section),
    Section("not-parallel", "Not translations: documents scored for topical overlap only", not_parallel_section,
            "not-parallel"),
    Section("charts", "Charts", charts_section),
    Section("scores", "All scores", scores_section),
    Section("lengths", "Scores by reference sentence length (parallel documents)", buckets_section),
    Section("examples", "Examples in both directions (parallel documents)", examples_section),
    Section("error-spans", "Error spans (xCOMET)", lambda comparison, charts: error_spans_html(comparison)
            if comparison.get("error_spans") else ""),
    Section("summaries", "Summaries", summaries_section),
]


def section_html(section: Section, comparison: dict, charts: list[dict]) -> str:
    content = section.render(comparison, charts)
    if not content:
        return ""
    css = f" class=\"{section.css}\"" if section.css else ""
    return f"<section id=\"{section.anchor}\"{css}><h2>{escape(section.title)}</h2>{content}</section>"


def comparison_html(comparison: dict, charts: list[dict], sections: list[Section] = SECTIONS) -> str:
    systems = " vs ".join(s["name"] for s in comparison["systems"])
    body = "".join(section_html(s, comparison, charts) for s in sections)
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Comparison: {escape(systems)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1 dir=\"auto\">Comparison: {escape(systems)}</h1>{metadata_html(comparison)}</header>"
            f"{body}</body></html>\n")


def write_comparison(comparison: dict, folder: str | Path, sections: list[Section] = SECTIONS) -> Path:
    """Write the whole report folder; returns the HTML file's path."""
    folder = Path(folder)
    charts = write_charts(comparison, folder / REPORT_FILES["charts"])
    write_json_atomically(folder / REPORT_FILES["json"], comparison)
    write_text(folder / REPORT_FILES["markdown"], comparison_markdown(comparison))
    write_text(folder / REPORT_FILES["csv"], comparison_csv(comparison))
    write_text(folder / REPORT_FILES["ranking_csv"], ranking_csv(comparison))
    write_text(folder / REPORT_FILES["html"], comparison_html(comparison, charts, sections))
    return folder / REPORT_FILES["html"]


def publish_comparisons(comparisons: list[dict], place: ReportPlace) -> tuple[list[Path], bool]:
    """Every comparison's report (one: the folder itself; several: a comparison_<n> folder each) put in place
    whole (ReportPlace.publish); each report's HTML file where it now lies, and whether an earlier report was
    replaced."""
    def write(staging: Path) -> list[Path]:
        return [write_comparison(comparison, group_folder(staging, number, len(comparisons))).relative_to(staging)
                for number, comparison in enumerate(comparisons, start=1)]
    pages, replaced = place.publish(write)
    return [place.folder / page for page in pages], replaced
