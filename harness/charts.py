"""Bar charts of a comparison, one PNG per language and metric, with the 95% intervals as error bars."""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # files only, never a window: runs headless on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402

from harness.report import metric_label  # noqa: E402

BAR_GROUP_WIDTH = 0.8


def file_safe(text: str) -> str:
    """Only letters, digits, '-' and '_': a language or metric read from a result.json never leads a chart file
    out of the report folder."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def chart_name(lang: str, metric: str) -> str:
    safe = metric.replace("+", "p")    # chrf++ -> chrfpp: no '+' in file names people paste around
    return f"{file_safe(lang)}_{file_safe(safe)}.png"


def error_bars(rows: list[dict]) -> list[list[float]] | None:
    """Asymmetric error bars from the percentile intervals; None when no row has one (document level)."""
    if all(row["ci"] is None for row in rows):
        return None
    lower = [row["score"] - row["ci"][0] if row["ci"] else 0.0 for row in rows]
    upper = [row["ci"][1] - row["score"] if row["ci"] else 0.0 for row in rows]
    return [lower, upper]


def plain_text(text: str) -> str:
    """A label matplotlib draws as typed: `$` would start mathtext (a name like `a$\\foo$b` crashes the drawing)."""
    return text.replace("$", r"\$")


def draw_chart(rows: list[dict], systems: list[str], documents: list[str], title: str, path: Path) -> dict:
    """Draw one chart; returns what was drawn: each system's bar heights (one per document) and the legend."""
    figure, axes = plt.subplots(figsize=(max(4.0, 1.2 + 1.1 * len(documents) * max(1, len(systems)) ** 0.5), 3.2))
    width = BAR_GROUP_WIDTH / len(systems)
    bars = []
    for position, system in enumerate(systems):
        mine = [next(r for r in rows if r["system"] == system and r["document"] == d) for d in documents]
        xs = [i + (position - (len(systems) - 1) / 2) * width for i in range(len(documents))]
        bars.append(axes.bar(xs, [r["score"] for r in mine], width, yerr=error_bars(mine), capsize=3))
    axes.set_xticks(range(len(documents)), [plain_text(d) for d in documents])
    axes.set_title(plain_text(title), fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    # labels passed explicitly: matplotlib would drop a system whose name starts with "_" from the legend
    legend = axes.legend(bars, [plain_text(s) for s in systems], fontsize=8, frameon=False, loc="upper left",
                         bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return {"bars": {system: [float(patch.get_height()) for patch in container.patches]
                     for system, container in zip(systems, bars)},
            "legend": [text.get_text() for text in legend.get_texts()]}


def write_charts(comparison: dict, folder: Path) -> list[dict]:
    """Every (language, metric) chart as a PNG in `folder`; returns what was drawn, for the HTML report."""
    folder.mkdir(parents=True, exist_ok=True)
    systems = [s["name"] for s in comparison["systems"]]
    languages = list(dict.fromkeys(d["lang"] for d in comparison["data"]["documents"]))
    charts = []
    for lang in languages:
        documents = [d for d in comparison["data"]["documents"] if d["lang"] == lang]
        labels = [f"{d['id']} ({d['relation']})" for d in documents]
        for metric in comparison["metrics"]:
            rows = [dict(r, document=f"{r['document']} ({r['relation']})") for r in comparison["rows"]
                    if r["metric"] == metric["name"] and r["lang"] == lang]
            path = folder / chart_name(lang, metric["name"])
            drawn = draw_chart(rows, systems, labels, f"{lang}: {metric_label(metric)}", path)
            charts.append({"lang": lang, "metric": metric["name"], "path": path, **drawn})
    return charts
