"""Bar charts of a comparison, one PNG per language and metric, with the 95% intervals as error bars."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # files only, never a window: runs headless on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402

from harness.report import metric_label  # noqa: E402

BAR_GROUP_WIDTH = 0.8


def chart_name(lang: str, metric: str) -> str:
    safe = metric.replace("+", "p")    # chrf++ -> chrfpp: no '+' in file names people paste around
    return f"{lang}_{safe}.png"


def error_bars(rows: list[dict]) -> list[list[float]] | None:
    """Asymmetric error bars from the percentile intervals; None when no row has one (document level)."""
    if all(row["ci"] is None for row in rows):
        return None
    lower = [row["score"] - row["ci"][0] if row["ci"] else 0.0 for row in rows]
    upper = [row["ci"][1] - row["score"] if row["ci"] else 0.0 for row in rows]
    return [lower, upper]


def draw_chart(rows: list[dict], systems: list[str], documents: list[str], title: str, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(max(4.0, 1.2 + 1.1 * len(documents) * max(1, len(systems)) ** 0.5), 3.2))
    width = BAR_GROUP_WIDTH / len(systems)
    for position, system in enumerate(systems):
        mine = [next(r for r in rows if r["system"] == system and r["document"] == d) for d in documents]
        xs = [i + (position - (len(systems) - 1) / 2) * width for i in range(len(documents))]
        axes.bar(xs, [r["score"] for r in mine], width, yerr=error_bars(mine), capsize=3, label=system)
    axes.set_xticks(range(len(documents)), documents)
    axes.set_title(title, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


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
            draw_chart(rows, systems, labels, f"{lang}: {metric_label(metric)}", path)
            charts.append({"lang": lang, "metric": metric["name"], "path": path})
    return charts
