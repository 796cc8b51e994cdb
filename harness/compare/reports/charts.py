"""Charts of a comparison as PNG files: one bar chart per metric across every document (95% intervals as error
bars; documents whose reference is not a translation of the source drawn apart, hatched, on a grey band), and
one chart of each system's difference from the baseline with its paired 95% interval on the parallel documents."""
from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # files only, never a window: runs headless on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402

from harness.compare.reports.tables import metric_label, terminal_text  # noqa: E402
from harness.compare.comparison import Comparison  # noqa: E402
from harness.compare.rows import DocumentInfo, MetricInfo, ScoreRow, TestedRow  # noqa: E402

BAR_GROUP_WIDTH = 0.8
DPI = 110
NOT_PARALLEL_BAND = "#ececec"
NOT_PARALLEL_LABEL = "not translations:\ntopical overlap only"
DELTA_CHART = "delta"


def file_safe(text: str) -> str:
    """Only letters, digits, '-' and '_': a metric name read from a result.json never leads a chart file out of
    the report folder."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def chart_name(metric: str) -> str:
    safe = metric.replace("+", "p")    # chrf++ -> chrfpp: no '+' in file names people paste around
    return f"{file_safe(safe)}.png"


def error_bars(rows: list[ScoreRow], key: str = "ci", value: str = "score") -> list[list[float]] | None:
    """Asymmetric error bars from the percentile intervals; None when no row has one (document level). A percentile
    interval of few resamples can miss the observed score: that side's bar is then drawn with no length."""
    if all(getattr(row, key) is None for row in rows):
        return None
    lower = [max(0.0, getattr(row, value) - getattr(row, key)[0]) if getattr(row, key) else 0.0 for row in rows]
    upper = [max(0.0, getattr(row, key)[1] - getattr(row, value)) if getattr(row, key) else 0.0 for row in rows]
    return [lower, upper]


def plain_text(text: str) -> str:
    """A label matplotlib draws as typed: `$` would start mathtext (a name like `a$\\foo$b` crashes the drawing);
    control characters drawn as their escapes (terminal_text), as every table shows them: the font has no glyph
    for ESC or BEL, and matplotlib's warning that says so printed the character itself on the console."""
    return terminal_text(text).replace("$", r"\$")


def chart_documents(comparison: Comparison) -> list[DocumentInfo]:
    """The documents in drawing order: the parallel ones first, then the others (drawn apart)."""
    documents = comparison.data.documents
    return [d for d in documents if d.parallel] + [d for d in documents if not d.parallel]


def document_label(document: DocumentInfo) -> str:
    return f"{plain_text(document.id)}\n{plain_text(document.lang)}"


def legend_below(axes, handles: list, systems: list[str]):
    """The legend under the plot, in as many columns as fit: never cut at the right edge on a narrow figure."""
    # labels passed explicitly: matplotlib would drop a system whose name starts with "_" from the legend
    return axes.legend(handles, [plain_text(s) for s in systems], fontsize=8, frameon=False, loc="upper center",
                       bbox_to_anchor=(0.5, -0.22), ncol=min(len(systems), 3))


def shade_not_parallel(axes, first: int, count: int) -> None:
    """A grey band behind the documents that are not translations of their source, labelled as such."""
    if first >= count:
        return
    axes.axvspan(first - 0.5, count - 0.5, color=NOT_PARALLEL_BAND, zorder=0)
    axes.text((first + count - 1) / 2, 0.98, NOT_PARALLEL_LABEL, transform=axes.get_xaxis_transform(),
              ha="center", va="top", fontsize=7, color="#555")


def draw_chart(rows: list[ScoreRow], systems: list[str], documents: list[DocumentInfo], metric: MetricInfo,
               path: Path) -> dict:
    """Draw one metric's chart; returns what was drawn: each system's bar heights (one per document, in drawing
    order) and the legend."""
    figure, axes = plt.subplots(figsize=(max(4.2, 1.6 + 0.55 * len(documents) * max(1, len(systems)) ** 0.5), 3.4))
    width = BAR_GROUP_WIDTH / len(systems)
    parallel = sum(1 for d in documents if d.parallel)
    bars = []
    for position, system in enumerate(systems):
        mine = [next(r for r in rows if r.system == system and r.document == d.id) for d in documents]
        xs = [i + (position - (len(systems) - 1) / 2) * width for i in range(len(documents))]
        container = axes.bar(xs, [r.score for r in mine], width, yerr=error_bars(mine), capsize=3, zorder=2,
                             error_kw={"elinewidth": 1, "zorder": 3})
        for patch in container.patches[parallel:]:
            patch.set_hatch("//")
            patch.set_alpha(0.55)
        bars.append(container)
    shade_not_parallel(axes, parallel, len(documents))
    axes.set_xticks(range(len(documents)), [document_label(d) for d in documents], fontsize=8)
    axes.set_xlim(-0.5, len(documents) - 0.5)
    axes.set_xlabel("document, source language", fontsize=8)
    axes.set_ylabel(plain_text(metric_label(metric)), fontsize=9)
    axes.set_title(plain_text(f"{metric_label(metric)} by document"), fontsize=10)
    axes.grid(axis="y", alpha=0.3, zorder=1)
    legend = legend_below(axes, bars, systems)
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return {"bars": {system: [float(patch.get_height()) for patch in container.patches]
                     for system, container in zip(systems, bars)},
            "legend": [text.get_text() for text in legend.get_texts()]}


def delta_rows(comparison: Comparison, metric: str, parallel_ids: list[str]) -> list[TestedRow]:
    return [r for d in parallel_ids for r in comparison.rows
            if r.metric == metric and r.document == d and r.delta is not None]


def draw_delta_chart(comparison: Comparison, parallel_ids: list[str], path: Path) -> dict | None:
    """Each system's difference from the baseline on the parallel documents, one panel per metric, with the
    paired 95% interval: an interval that crosses zero is not told apart from the baseline. Returns the points
    drawn, (document, system, metric) -> difference; None without intervals (document level)."""
    metrics = comparison.metrics
    if not parallel_ids or not any(r.delta_ci for m in metrics for r in delta_rows(comparison, m.name,
                                                                                         parallel_ids)):
        return None
    columns = min(2, len(metrics))
    panel_rows = math.ceil(len(metrics) / columns)
    lines = len(delta_rows(comparison, metrics[0].name, parallel_ids))
    figure, grid = plt.subplots(panel_rows, columns, squeeze=False,
                                figsize=(3.6 * columns, panel_rows * (1.1 + 0.38 * lines)))
    points = {}
    for axes, metric in zip(grid.flat, metrics):
        rows = delta_rows(comparison, metric.name, parallel_ids)
        points |= {(r.document, r.system, metric.name): r.delta for r in rows}
        ys = list(range(len(rows)))[::-1]
        axes.errorbar([r.delta for r in rows], ys, xerr=error_bars(rows, "delta_ci", "delta"), fmt="o",
                      capsize=3, markersize=4)
        axes.axvline(0, color="#888", linewidth=1)
        several = len(comparison.systems) > 2
        axes.set_yticks(ys, [plain_text(f"{r.document} {r.lang}" + (f" {r.system}" if several else ""))
                             for r in rows], fontsize=8)
        axes.set_ylim(-0.6, len(rows) - 0.4)
        direction = "higher" if metric.higher_is_better else "lower"
        axes.set_xlabel(plain_text(f"Δ {metric_label(metric)} ({direction} is better)"), fontsize=8)
        axes.tick_params(axis="x", labelsize=7)
        axes.grid(axis="x", alpha=0.3)
    for axes in list(grid.flat)[len(metrics):]:
        axes.axis("off")
    figure.suptitle(plain_text(f"Difference from {comparison.baseline}, paired 95% interval"), fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return {"metric": DELTA_CHART, "path": path, "points": points}


def write_charts(comparison: Comparison, folder: Path) -> list[dict]:
    """One chart per metric across every document (with its bars), then the difference chart (with its points);
    returns what was drawn, for the HTML report and the tests."""
    folder.mkdir(parents=True, exist_ok=True)
    systems = comparison.system_names
    documents = chart_documents(comparison)
    charts = []
    for metric in comparison.metrics:
        rows = [r for r in [*comparison.rows, *comparison.not_parallel_rows]
                if r.metric == metric.name]
        path = folder / chart_name(metric.name)
        charts.append({"metric": metric.name, "path": path, **draw_chart(rows, systems, documents, metric, path)})
    parallel_ids = [d.id for d in documents if d.parallel]
    delta = draw_delta_chart(comparison, parallel_ids, folder / f"{DELTA_CHART}.png") if len(systems) > 1 else None
    return charts + ([delta] if delta else [])
