"""Metric registry: the one place that maps a name in `metrics=[...]` to a metric."""
from __future__ import annotations

from harness.errors import UserError, unknown_name
from harness.metrics.base import Metric, Score
from harness.metrics.evaluate_metrics import EVALUATE_PREFIX, EvaluateMetric
from harness.metrics.sacrebleu_metrics import sacrebleu_metrics

__all__ = ["Metric", "Score", "available_metrics", "select_metrics", "check_code_allowed", "DOCUMENT_LEVEL_EXCLUDED",
           "EVALUATE_PREFIX"]

# sacrebleu's TER is super-linear in segment length: one 1,400-word "segment" takes over a minute,
# so TER is computed on aligned sentences only, never on a whole document as one segment.
DOCUMENT_LEVEL_EXCLUDED = {"ter"}


def available_metrics() -> dict[str, Metric]:
    return {metric.name: metric for metric in sacrebleu_metrics()}


def select_metrics(names: list[str]) -> list[Metric]:
    """The named metrics; `evaluate:NAME` loads a Hugging Face evaluate metric (see evaluate_metrics)."""
    registry = available_metrics()
    for name in names:
        if name not in registry and not name.startswith(EVALUATE_PREFIX):
            raise unknown_name("metric", name, [*registry, f"{EVALUATE_PREFIX}NAME"])
    return [EvaluateMetric(name) if name.startswith(EVALUATE_PREFIX) else registry[name] for name in names]


def check_code_allowed(names: list[str], allowed: bool) -> None:
    """An evaluate: metric runs its script's Python code (downloaded from the Hub unless it is a local path),
    so it needs the user's explicit opt-in."""
    scripts = [name for name in names if name.startswith(EVALUATE_PREFIX)]
    if scripts and not allowed:
        raise UserError(f"metric '{scripts[0]}' runs the Python code of an evaluate metric script (fetched from the "
                        "Hub unless it is a local path); set allow_metric_code=true if you trust it")
