"""The comparison report folder: one self-contained HTML file (charts embedded as base64, no external URL)
next to the same charts as PNG files, the leaderboard as Markdown and CSV, and comparison.json.

The page answers first: under a table of contents, its first screen is the ranking and the verdicts (what changed
on the documents that are real translations: each difference with its paired interval, p and a verdict); then what
the other documents say (apart, with no significance styling), charts, all scores, length buckets, examples both
ways, and last which runs were compared (metadata). Every section is one renderer in SECTIONS, (comparison, charts)
-> HTML or "" when it has nothing to show; a module that adds a section (xCOMET error spans, ...) passes its own
list to write_comparison, e.g. [*SECTIONS, my_section].

Every text from a run is escaped and every user-supplied name isolated in <bdi> (harness.compare.reports.html_text);
text cells and blocks carry dir="auto", so that Arabic or Hebrew reads right to left and wraps aligned right. Tables fit the
screen at phone and desktop width: cells wrap between figures, never inside one, and on a phone a table of more
than STACKED_COLUMNS columns shows each row as a card, each cell labelled with its column.
"""
from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.compare.comparison import Comparison
from harness.compare.reports.charts import DELTA_CHART, write_charts
from harness.compare.reports.tables import (LEADERBOARD_HEADERS, METRIC_LABELS, NO_OUTPUT, NO_OUTPUT_NOTE,
                                           NO_SOURCE, REPORT_FILES, ReportPlace, baseline_family_text,
                                           comparison_csv, comparison_markdown,
                                           comparison_notes, example_headings, interval, group_folder,
                                           leaderboard_cells, metric_label, metric_rows, number, untested_rows,
                                           p_floor, p_text, ranking_csv, ranking_tables, score_with_interval,
                                           short_note,
                                           skipped_document_notes, SUMMARY_NAME_COLUMNS, summary_notes,
                                           summary_table)
from harness.compare.reports.html_text import bdi, escape, isolated, said, with_names_isolated
from harness.compare.reports.spans import error_spans_html
from harness.compare.rows import (BucketRow, DocumentInfo, Example, ExampleOutput, MetricInfo, SystemInfo,
                                  TestedRow)
from harness.results.results import write_json_atomically, write_text

STYLE = """
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 1em; max-width: 1100px; color: #222;
       line-height: 1.4; overflow-wrap: break-word; }
h1 { font-size: 1.45em; margin: 0.3em 0; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.02em; margin: 1.2em 0 0.3em; }
bdi { overflow-wrap: anywhere; }
nav#contents { font-size: 0.9em; margin: 0.3em 0 0.6em; }
nav#contents ol { display: flex; flex-wrap: wrap; gap: 0.1em 1.1em; margin: 0; padding: 0; list-style: none; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.88em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #e4e4e4; text-align: start; vertical-align: top; }
th { background: #f6f6f6; }
td.num, th.num { text-align: end; font-variant-numeric: tabular-nums; } td.num { white-space: nowrap; }
td.wraps { white-space: normal; }   /* one column per system: a score and its interval may take two lines */
.atom { white-space: nowrap; }
td > .label { display: none; }
td.text { min-width: 14em; max-width: 40em; }
tr.baseline td { color: #555; } td.small { color: #777; font-style: italic; }
td.better { font-weight: bold; color: #0a6b2d; } td.worse { font-weight: bold; color: #a61b1b; }
.verdict { font-size: 1.05em; font-weight: 600; margin: 0.4em 0; }
.note, .notes { font-size: 0.85em; color: #444; } .notes code, .meta code { word-break: break-all; }
.meta td, .meta th { font-size: 0.95em; }
.warning { background: #fff4e0; border-left: 4px solid #e0a030; padding: 0.4em 0.8em; }
section.not-parallel { background: #f4f4f4; border: 1px dashed #999; padding: 0 1em 0.5em; margin-top: 2em; }
section.not-parallel h2 { border-bottom-color: #999; color: #444; }
.charts, .tables { display: flex; flex-wrap: wrap; gap: 0 1.5em; }
.charts figure { margin: 0 0 1em; min-width: 0; max-width: 100%; } .tables > div { min-width: 0; max-width: 100%; }
h4 { margin: 0.6em 0 0; font-size: 0.95em; }
ul.runs { padding-left: 1.2em; } ul.runs li { margin-bottom: 0.3em; }
.charts img { max-width: 100%; height: auto; border: 1px solid #eee; }
.example { margin: 0 0 1.2em; padding: 0.5em 0.8em; border: 1px solid #e4e4e4; border-radius: 4px; }
.example p { margin: 0.2em 0; } .example table { width: 100%; } .example td.text { min-width: 0; width: 70%; }
.said { display: grid; grid-template-columns: 6em minmax(0, 1fr); gap: 0 0.5em; margin: 0.2em 0; }
.said > div { text-align: start; }
mark { background: #d9f2d9; color: inherit; padding: 0 1px; }
.empty { color: #a61b1b; font-style: italic; }
@media (max-width: 600px) {
  body { padding: 0.6em; } table { font-size: 0.8em; } h1 { font-size: 1.2em; }
  .said { grid-template-columns: minmax(0, 1fr); } .tables > div { width: 100%; }
  table.stacked, table.stacked tbody, table.stacked tr, table.stacked td { display: block; width: 100%; }
  table.stacked thead { display: none; }
  table.stacked tr { border: 1px solid #ddd; border-radius: 4px; margin: 0 0 0.5em; padding: 0.15em 0.5em; }
  table.stacked td { border: 0; padding: 0.1em 0; text-align: end; }
  table.stacked td > .label { display: block; float: left; margin-right: 1em; font-weight: 600; font-style: normal;
                              color: #555; text-align: left; }
  table.stacked td[dir="auto"] { text-align: start; } table.stacked td[dir="auto"] > .label { float: none; }
}
"""
STACKED_COLUMNS = 3   # on a phone, a table of more columns shows each row as a card, each cell labelled
WORD = re.compile(r"\w+", re.UNICODE)


# ---------------------------------------------------------------- building blocks

INTERVAL_OR_BOUND = re.compile(r"\[[^\]]*\]|≤ \S+")


def figure(value: object) -> str:
    """A figure cell's text, escaped, each interval "[a, b]" and bound "≤ p" kept on one line: a cell may wrap
    between a score and its interval, never inside a number."""
    text, parts, position = str(value), [], 0
    for match in INTERVAL_OR_BOUND.finditer(text):
        parts += [escape(text[position:match.start()]), f"<span class=\"atom\">{escape(match.group())}</span>"]
        position = match.end()
    return "".join(parts) + escape(text[position:])


CELL_MARKUP = {"": escape, "html": str, "num": figure, "name": bdi, "names": str, "plain": escape}


def td(content: object, kind: str = "", css: str = "") -> str:
    """A cell. Text from a run: kind "" (escaped here) or "html" (finished markup); such a cell gets dir="auto",
    so that text in any script reads in its own direction and wraps aligned to its own side. The report's own
    cells: "num" a right-aligned figure, "name" a user-supplied name (isolated in <bdi> here), "names" finished
    markup of isolated names, "plain" the report's own words (escaped here)."""
    classes = " ".join(c for c in ("num" if kind == "num" else "", css) if c)
    attributes = (f" class=\"{classes}\"" if classes else "") + (" dir=\"auto\"" if kind in ("", "html") else "")
    return f"<td{attributes}>{CELL_MARKUP[kind](content)}</td>"


def labelled(cell: str, label: str) -> str:
    """A finished <td> with its column's heading inside, hidden but on a phone, where the row is a card."""
    end_of_tag = cell.index(">") + 1
    return f"{cell[:end_of_tag]}<span class=\"label\">{label}</span>{cell[end_of_tag:]}"


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
          row_classes: list[str] | None = None, names: set[int] = frozenset()) -> str:
    """A table; `rows` hold finished <td> cells, `names` are the columns whose heading is a user-supplied name
    (a system). A table of more than STACKED_COLUMNS columns is stacked on a phone: each row a card, each cell
    labelled. The scroll box around it is the last resort for content that cannot wrap."""
    titles = [bdi(h) if i in names else escape(h) for i, h in enumerate(headers)]
    head = "".join(f"<th class=\"num\">{t}</th>" if i in numeric else f"<th>{t}</th>" for i, t in enumerate(titles))
    stacked = len(headers) > STACKED_COLUMNS
    lines = [(f"<tr class=\"{row_classes[i]}\">" if row_classes and row_classes[i] else "<tr>")
             + "".join(labelled(cell, titles[j]) if stacked else cell for j, cell in enumerate(row)) + "</tr>"
             for i, row in enumerate(rows)]
    css = " class=\"stacked\"" if stacked else ""
    return (f"<div class=\"scroll\"><table{css}><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody>"
            "</table></div>")


def document_name(document_id: str, lang: str) -> str:
    return f"{bdi(document_id)} {bdi(lang)}"


def metric_name(metric: MetricInfo) -> str:
    """A metric's label (a user's metric is named by its user) with its direction."""
    return bdi(metric_label(metric))


def user_names(comparison: Comparison) -> list[str]:
    """Every name in a comparison that a user chose: systems, models, run folders, the data set, documents,
    languages, metrics; what with_names_isolated looks for in sentences composed for every format."""
    documents = comparison.data.documents + comparison.skipped_documents
    return [*comparison.system_names, *(s.run_dir for s in comparison.systems),
            *(s.model.get("name", "") for s in comparison.systems), comparison.baseline,
            comparison.data.root or "", *(d.id for d in documents), *(d.lang for d in documents),
            *(m.name for m in comparison.metrics), *(metric_label(m) for m in comparison.metrics),
            *(s.run_dir for s in comparison.skipped)]


def documents_of(comparison: Comparison, parallel: bool) -> list[DocumentInfo]:
    return [d for d in comparison.data.documents if d.parallel == parallel]


def delta_class(row: TestedRow, higher: bool) -> str:
    """Significant differences on parallel documents in green when the system is better, red when worse."""
    if not row.significant or not row.parallel:
        return ""
    return "better" if (row.delta > 0) == higher else "worse"


def delta_with_interval(row: TestedRow) -> str:
    return number(row.delta, sign=True) + ("" if not row.delta_ci else f" {interval(row.delta_ci)}")


def relation_text(document: DocumentInfo) -> str:
    measured = document.measured_relation
    return document.relation if not measured or measured == document.relation else \
        f"declared {document.relation}, measured {measured}"


# ---------------------------------------------------------------- the head of the page

def warnings_html(comparison: Comparison) -> str:
    """Runs and documents left out of the comparison, at the top: they qualify every figure below."""
    names = user_names(comparison)
    skipped = "".join(f"<p class=\"warning\">skipped {bdi(s.run_dir)} ({escape(s.state)}: "
                      f"{with_names_isolated(s.reason, names)})</p>" for s in comparison.skipped)
    return skipped + "".join(f"<p class=\"warning\">{with_names_isolated(text, names)}</p>"
                             for text in skipped_document_notes(comparison))


def contents_html(shown: list[Section]) -> str:
    links = "".join(f"<li><a href=\"#{s.anchor}\">{escape(s.contents or s.title)}</a></li>" for s in shown)
    return f"<nav id=\"contents\" aria-label=\"Contents\"><ol>{links}</ol></nav>"


# ---------------------------------------------------------------- ranking: the first answer

def ranking_table(text_table, names: list[str]) -> str:
    """A ranking or win matrix of report.ranking_tables: the names in its label columns (rank, system and a
    duplicate's note) isolated, the others figures; a system name in a heading (the win matrix) isolated too."""
    rows = [[td(with_names_isolated(cell, names), "names") if j < text_table.labels else td(cell.strip() or "–", "num")
             for j, cell in enumerate(row)] for row in text_table.rows]   # "–": nothing to test (the first of a ranking)
    return (f"<h3>{with_names_isolated(text_table.title, names)}</h3>"
            + table(text_table.headers, rows, numeric=set(range(text_table.labels, len(text_table.headers))),
                    names={i for i, h in enumerate(text_table.headers) if h in names}))


def ranking_section(comparison: Comparison, charts: list[dict]) -> str:
    """Each metric's ranking over the parallel documents (corpus score, interval, rank with ties by
    significance) and the --all-pairs win matrices, as report.ranking_tables makes them for the terminal: the
    first thing on the page."""
    names = user_names(comparison)
    return "".join(ranking_table(t, names) for t in ranking_tables(comparison))


# ---------------------------------------------------------------- summary: the parallel documents

def significance_text(row: TestedRow, css: str) -> str:
    if row.significant is None:
        return "n/a"
    return css if row.significant else "no"


def summary_cells(row: TestedRow, baseline: TestedRow, document: DocumentInfo, floor: float | None, metric: MetricInfo,
                  with_system: bool) -> list[str]:
    css = delta_class(row, metric.higher_is_better)
    p_values = (f"{p_text(row.p_bootstrap_holm, row.p_bootstrap, floor)} / "
                f"{p_text(row.p_randomization_holm, row.p_randomization, floor)}")
    segments = "" if document.segments is None else document.segments
    return [td(document_name(row.document, row.lang), "names"), td(metric_name(metric), "names"),
            *([td(row.system, "name")] if with_system else []),
            td(delta_with_interval(row), "num", css), td(significance_text(row, css), "plain", css), td(p_values, "num"),
            td(number(baseline.score), "num"), td(number(row.score), "num"), td(segments, "num")]


def summary_headers(comparison: Comparison, with_system: bool) -> list[str]:
    """Most telling first: the difference comes right after what it is a difference of."""
    return ["document", "metric", *(["system"] if with_system else []), "Δ [paired 95% CI]", "significant",
            "p bootstrap / AR", comparison.baseline, "score", "segments"]


def summary_rows(comparison: Comparison, documents: list[DocumentInfo], with_system: bool) -> list[list[str]]:
    floor = p_floor(comparison)
    rows = []
    for document in documents:
        for metric in comparison.metrics:
            mine = [r for r in metric_rows(comparison, metric.name) if r.document == document.id]
            baseline = next(r for r in mine if r.delta is None)
            rows += [summary_cells(r, baseline, document, floor, metric, with_system)
                     for r in mine if r.delta is not None]
    return rows


def verdict_lines(comparison: Comparison, tested: int) -> str:
    return "".join(f"<p class=\"verdict\">{bdi(verdict.system)} against {bdi(comparison.baseline)}: "
                   f"significantly better in {verdict.better} of {tested}, significantly worse in "
                   f"{verdict.worse}, not told apart in {verdict.unclear} (parallel document × metric)</p>"
                   for verdict in comparison.verdicts)


def holm_note(comparison: Comparison, documents: int) -> str:
    test = comparison.significance
    if not test:
        return ("<p class=\"note\">Document-level scores: each document is one segment, so there is no interval and "
                "no test (n/a). Re-run with aligned segments for intervals and tests.</p>")
    others, metrics = len(comparison.systems) - 1, len(comparison.metrics)
    cells = documents * metrics * others
    return (f"<p class=\"note\">Δ: system minus baseline, with the paired 95% bootstrap interval ({test.resamples} "
            f"resamples of the aligned sentences, seed {test.seed}{escape(short_note(test.resamples))}). p: paired "
            "bootstrap and paired approximate "
            "randomization tests, Holm-corrected; ≤ marks a p at its floor 1/(resamples + 1). Significant: "
            f"Holm-corrected p &lt; {test.alpha} in both tests; the interval and the tests are separate procedures "
            f"and can disagree near the threshold. What Holm covers: {escape(test.correction)}. The {cells} "
            f"tests of this table ({documents} document(s) × {metrics} metrics × {others} system(s)) are strongly "
            "correlated across metrics: read a pattern across documents, not one cell.</p>")


def verdicts_section(comparison: Comparison, charts: list[dict]) -> str:
    """Each system against the baseline in one line, over the parallel documents × metrics: the answer, first."""
    documents = documents_of(comparison, True)
    if not documents or len(comparison.systems) < 2:
        return ""
    return verdict_lines(comparison, len(documents) * len(comparison.metrics))


def summary_section(comparison: Comparison, charts: list[dict]) -> str:
    documents = documents_of(comparison, True)
    if not documents:
        return ("<p class=\"warning\">No document of this data set is a translation of its source (declared and "
                "measured parallel): there is nothing to summarize as translation quality. See the section on the "
                "other documents below.</p>")
    if len(comparison.systems) < 2:
        return "<p>One system only: no difference to test. Its scores are below.</p>"
    with_system = len(comparison.systems) > 2
    headers = summary_headers(comparison, with_system)
    labels = 3 if with_system else 2
    numeric = set(range(labels, len(headers))) - {labels + 1}    # all but the labels and "significant"
    rows = summary_rows(comparison, documents, with_system)
    return table(headers, rows, numeric, names={labels + 3}) + holm_note(comparison, len(documents))


# ---------------------------------------------------------------- the other documents

def not_parallel_rows(comparison: Comparison, documents: list[DocumentInfo]) -> tuple[list[list[str]], list[str]]:
    """One row per document, metric and system (score and interval, and the plain difference from the baseline):
    as many columns for 2 systems as for 20, so that the table fits the screen."""
    rows, classes = [], []
    for document in documents:
        for metric in comparison.metrics:
            for row in (r for r in untested_rows(comparison, metric.name) if r.document == document.id):
                delta = "baseline" if row.delta is None else number(row.delta, sign=True)
                rows.append([td(document_name(document.id, document.lang), "names"),
                             td(relation_text(document), "plain"), td(metric_name(metric), "names"),
                             td(row.system, "name"),
                             td(score_with_interval(row), "num"), td(delta, "num")])
                classes.append("baseline" if row.delta is None else "")
    return rows, classes


def not_parallel_section(comparison: Comparison, charts: list[dict]) -> str:
    documents = documents_of(comparison, False)
    if not documents:
        return ""
    names = ", ".join(f"{bdi(d.id)} ({escape(relation_text(d))})" for d in documents)
    explanation = (f"<p><b>{names}</b>: the reference is not a translation of the source "
                   "(comparable: the same event written independently; unrelated: another event or topic). Their "
                   "scores measure topical overlap with the reference, not translation quality, so no difference here "
                   "is tested or marked, and they are left out of the summary, the length buckets and the "
                   "examples.</p>")
    headers = ["document", "relation", "metric", "system", "score [95% CI]", "Δ vs baseline"]
    rows, classes = not_parallel_rows(comparison, documents)
    return explanation + table(headers, rows, {4, 5}, classes)


# ---------------------------------------------------------------- charts

def embedded_png(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def charts_note(comparison: Comparison) -> str:
    test = comparison.significance
    bars = (f"error bars: the 95% bootstrap percentile interval ({test.resamples} resamples of the aligned "
            "sentences)" if test else "no error bars: document-level scores have no interval")
    return (f"<p class=\"note\">Bars: each system's corpus score per document; {bars}. Hatched bars on the grey band: "
            "documents whose reference is not a translation of the source (topical overlap only). The difference "
            "chart shows each system minus the baseline on the parallel documents with the paired 95% interval: an "
            "interval that crosses the zero line does not tell the system apart from the baseline.</p>")


def figure_html(chart: dict) -> str:
    label = "difference from the baseline" if chart["metric"] == DELTA_CHART else isolated(chart["metric"])
    return (f"<figure><img alt=\"{escape(label)} chart\" data-chart=\"{escape(chart['path'].name)}\" "
            f"src=\"{embedded_png(chart['path'])}\"></figure>")


def charts_section(comparison: Comparison, charts: list[dict]) -> str:
    return charts_note(comparison) + f"<div class=\"charts\">{''.join(figure_html(c) for c in charts)}</div>"


# ---------------------------------------------------------------- every score

LEADERBOARD_KINDS = {0: "name", 1: "name", 2: "plain", 3: "name"}   # document, lang, relation, system; then figures


def scores_section(comparison: Comparison, charts: list[dict]) -> str:
    """Every system's score with its interval and tests, per metric, on the parallel documents (the terminal
    leaderboard; the other documents have their own section); signatures and the legend below."""
    floor, parts = p_floor(comparison), []
    parallel = {d.id for d in documents_of(comparison, True)}
    for metric in comparison.metrics if parallel else []:
        rows = [r for r in metric_rows(comparison, metric.name) if r.document in parallel]
        cells = [[td(c, LEADERBOARD_KINDS.get(i, "num"), delta_class(r, metric.higher_is_better) if i == 6 else "")
                  for i, c in enumerate(leaderboard_cells(r, floor))] for r in rows]
        classes = ["baseline" if r.delta is None else "" for r in rows]
        parts.append(f"<h3>{metric_name(metric)}{escape(baseline_family_text(comparison))}</h3>"
                     + table(LEADERBOARD_HEADERS, cells, set(range(4, len(LEADERBOARD_HEADERS))), classes))
    names = user_names(comparison)
    notes = "".join(f"<li dir=\"auto\">{with_names_isolated(n, names)}</li>" for n in comparison_notes(comparison))
    return "".join(parts) + f"<ul class=\"notes\">{notes}</ul>"


# ---------------------------------------------------------------- length buckets

def bucket_heading(row: BucketRow) -> str:
    return f"{row.bucket} words ({row.segments}{', small' if row.small else ''})"


def metric_buckets(comparison: Comparison, rows: list[BucketRow], metric: MetricInfo) -> str:
    """One metric's length buckets of one document: a row per system, a column per bucket (as many columns for
    20 systems as for 2, so that the table fits the screen)."""
    mine = [r for r in rows if r.metric == metric.name]
    buckets = list(dict.fromkeys(r.bucket for r in mine))
    cells = []
    for system in comparison.system_names:
        by_bucket = {r.bucket: r for r in mine if r.system == system}
        cells.append([td(system, "name"), *[td(score_with_interval(by_bucket[b]), "num", "wraps small" if
                                                by_bucket[b].small else "wraps") for b in buckets]])
    first = {r.bucket: r for r in mine if r.system == comparison.systems[0].name}
    headers = ["system", *[bucket_heading(first[b]) for b in buckets]]
    return (f"<div><h4>{metric_name(metric)}</h4>"
            + table(headers, cells, set(range(1, len(headers))), ["baseline", *[""] * (len(cells) - 1)]) + "</div>")


def document_buckets(comparison: Comparison, document: DocumentInfo) -> str:
    rows = [r for r in comparison.buckets if r.document == document.id]
    return (f"<h3>{bdi(document.id)} ({bdi(document.lang)})</h3><div class=\"tables\">"
            + "".join(metric_buckets(comparison, rows, m) for m in comparison.metrics) + "</div>")


def buckets_section(comparison: Comparison, charts: list[dict]) -> str:
    if not comparison.buckets:
        return ("<p>No length analysis: these runs have no aligned segments, or no document is a translation of its "
                "source.</p>")
    limit = comparison.min_bucket_segments
    note = (f"<p class=\"note\">Corpus score of each system over the reference sentences of that length (how many: "
            f"in brackets), with its 95% bootstrap interval. Buckets of fewer than {limit} segments are marked small, "
            "in grey, without an interval: one or two sentences say little.</p>")
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


def output_cell(output: ExampleOutput, reference: str) -> str:
    if not output.hyp:
        return td(f"<span class=\"empty\">{escape(NO_OUTPUT)}</span>", "html")
    return td(marked_words(output.hyp, reference), "html", "text")


def example_html(example: Example) -> str:
    metric = METRIC_LABELS.get(example.metric, example.metric)
    rows = [[td(o.system, "name"), td(number(o.score), "num"), output_cell(o, example.ref)]
            for o in example.outputs]
    return (f"<div class=\"example\"><p><b>{bdi(example.document)} ({bdi(example.lang)}), "
            f"reference sentence {example.ref_index}</b>: sentence {bdi(metric)} difference "
            f"{example.difference:+.1f}</p>"
            + said("source", escape(example.src or NO_SOURCE)) + said("reference", escape(example.ref))
            + table(["system", metric, "output (words also in the reference marked)"], rows, {1}, names={1})
            + "</div>")


def examples_section(comparison: Comparison, charts: list[dict]) -> str:
    if not comparison.examples:
        return ("<p>No examples: these runs have no aligned segments, there is one system only, or no document is a "
                "translation of its source.</p>")
    parts = ["<p class=\"note\">Sentences of the parallel documents where the two systems' sentence scores differ "
             "most, in each direction. <mark>Marked</mark> words also occur in the reference. "
             f"{escape(NO_OUTPUT_NOTE)}.</p>"]
    for examples in comparison.examples:
        for heading, chosen in example_headings(examples):
            parts.append(f"<h3>{with_names_isolated(heading, [examples.system, examples.baseline])}</h3>")
            parts += [example_html(e) for e in chosen] or ["<p>None: no sentence scores differently this way.</p>"]
    return "".join(parts)


def summaries_section(comparison: Comparison, charts: list[dict]) -> str:
    """Each document's summary scores per system: document, language and system, then one column per score."""
    if not comparison.summaries:
        return ""
    headers, cells = summary_table(comparison)
    scores = set(range(SUMMARY_NAME_COLUMNS, len(headers) - 1))   # the last column: what was degraded, in words
    kinds = ["num" if i in scores else "name" if i < SUMMARY_NAME_COLUMNS else "plain" for i in range(len(headers))]
    rows = [[td(c, kind) for c, kind in zip(row, kinds)] for row in cells]
    return table(headers, rows, scores, names=scores) + "".join(f"<p>{escape(note)}</p>"
                                                                for note in summary_notes(comparison))


# ---------------------------------------------------------------- what was compared: metadata, last

def short_commit(commit: str | None) -> str:
    return "" if not commit else commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def system_item(system: SystemInfo) -> str:
    """One run: its name, model and backend, run folder, start time and the versions it recorded."""
    versions = system.versions or {}
    model = system.model
    harness = " ".join(v for v in (versions.get("harness"), short_commit(versions.get("git_commit"))) if v)
    facts = [f"{bdi(model.get('name', '?'))} ({escape(model.get('backend', '?'))})",
             f"run folder <code>{bdi(system.run_dir)}</code>", f"started {escape(system.started or '?')}",
             f"harness {escape(harness or '?')}", f"sacrebleu {escape(versions.get('sacrebleu') or '?')}",
             f"torch {escape(versions.get('torch') or '?')}"]
    return f"<li><b>{bdi(system.name)}</b>: {' · '.join(facts)}</li>"


def metadata_section(comparison: Comparison, charts: list[dict]) -> str:
    test = comparison.significance
    facts = [("report made", escape(comparison.created or "?")),
             ("harness-compare", escape(comparison.harness_version or "?")),
             ("data set", bdi(comparison.data.root or "?")), ("baseline", bdi(comparison.baseline)),
             ("scores", "aligned sentences" if comparison.level == "aligned" else "whole documents"),
             ("tests", escape(f"{test.resamples} resamples, seed {test.seed}" if test else
                              "none (document level)"))]
    rows = "".join(f"<tr><th>{escape(k)}</th><td><code>{v}</code></td></tr>" for k, v in facts)
    systems = "".join(system_item(s) for s in comparison.systems)
    return (f"<div class=\"meta\"><div class=\"scroll\"><table>{rows}</table></div>"
            f"<ul class=\"runs\">{systems}</ul></div>")


# ---------------------------------------------------------------- the page

@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    render: Callable[[Comparison, list[dict]], str]    # (comparison, charts) -> HTML, or "" to leave the section out
    css: str = ""
    contents: str = ""                           # its entry in the table of contents (the title when empty)


SECTIONS = [
    Section("verdicts", "Verdicts against the baseline", verdicts_section, contents="Verdicts"),
    Section("ranking", "Ranking", ranking_section),
    Section("summary", "Summary: documents whose reference translates the source", summary_section,
            contents="Summary"),
    Section("not-parallel", "Not translations: documents scored for topical overlap only", not_parallel_section,
            "not-parallel", "Not translations"),
    Section("charts", "Charts", charts_section),
    Section("scores", "All scores", scores_section),
    Section("lengths", "Scores by reference sentence length (parallel documents)", buckets_section,
            contents="By sentence length"),
    Section("examples", "Examples in both directions (parallel documents)", examples_section, contents="Examples"),
    Section("error-spans", "Error spans (xCOMET)", lambda comparison, charts: error_spans_html(comparison.error_spans)
            if comparison.error_spans else ""),
    Section("summaries", "Summaries", summaries_section),
    Section("runs", "Runs compared", metadata_section),
]


def section_html(section: Section, content: str) -> str:
    css = f" class=\"{section.css}\"" if section.css else ""
    return f"<section id=\"{section.anchor}\"{css}><h2>{escape(section.title)}</h2>{content}</section>"


def comparison_html(comparison: Comparison, charts: list[dict], sections: list[Section] = SECTIONS) -> str:
    names = comparison.system_names
    rendered = [(section, section.render(comparison, charts)) for section in sections]
    shown = [(section, content) for section, content in rendered if content]
    title = escape(" vs ".join(isolated(name) for name in names))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Comparison: {title}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>Comparison: {' vs '.join(bdi(name) for name in names)}</h1>{warnings_html(comparison)}"
            f"{contents_html([section for section, _ in shown])}</header>"
            f"{''.join(section_html(section, content) for section, content in shown)}</body></html>\n")


def write_comparison(comparison: Comparison, folder: str | Path, sections: list[Section] = SECTIONS) -> Path:
    """Write the whole report folder; returns the HTML file's path."""
    folder = Path(folder)
    charts = write_charts(comparison, folder / REPORT_FILES["charts"])
    write_json_atomically(folder / REPORT_FILES["json"], comparison.as_record())
    write_text(folder / REPORT_FILES["markdown"], comparison_markdown(comparison))
    write_text(folder / REPORT_FILES["csv"], comparison_csv(comparison))
    write_text(folder / REPORT_FILES["ranking_csv"], ranking_csv(comparison))
    write_text(folder / REPORT_FILES["html"], comparison_html(comparison, charts, sections))
    return folder / REPORT_FILES["html"]


def publish_comparisons(comparisons: list[Comparison], place: ReportPlace) -> tuple[list[Path], bool]:
    """Every comparison's report (one: the folder itself; several: a comparison_<n> folder each) put in place
    whole (ReportPlace.publish); each report's HTML file where it now lies, and whether an earlier report was
    replaced."""
    def write(staging: Path) -> list[Path]:
        return [write_comparison(comparison, group_folder(staging, number, len(comparisons))).relative_to(staging)
                for number, comparison in enumerate(comparisons, start=1)]
    pages, replaced = place.publish(write)
    return [place.folder / page for page in pages], replaced
