"""Metric registry: the one place that maps a name in `metrics=[...]`, `alignment.*_metrics` or
`summary.metrics` to a metric object (harness.score.metrics.base.Metric), which declares its direction, signature
and needs.

A name is one of
- a registered name (REGISTRY below: sacrebleu's BLEU, chrF, chrF++, TER; ROUGE; embedding cosine; COMET,
  CometKiwi and xCOMET, whose settings come from metric_settings.NAME and whose package is the comet extra);
- `evaluate:NAME[@KEY]`, a Hugging Face evaluate metric (see evaluate_metrics; needs allow_metric_code=true);
- a dotted path `package.module.Class` to a Metric subclass of your own, importable from where the harness
  runs (PYTHONPATH): the way to add a metric without touching the harness (see docs/extending.md, "A metric").
"""
from __future__ import annotations

import importlib
from typing import Callable, Mapping

from harness.errors import UserError, unknown_name
from harness.score.metrics.base import Metric, Score
from harness.score.metrics.evaluate_metrics import EVALUATE_PREFIX, EvaluateMetric
from harness.score.metrics.sacrebleu_metrics import sacrebleu_metrics
from harness.score.metrics.text_similarity import text_similarity_metrics

__all__ = ["Metric", "Score", "available_metrics", "check_metric_names", "select_metrics", "target_settings",
           "check_code_allowed",
           "DOCUMENT_LEVEL_EXCLUDED",
           "EVALUATE_PREFIX", "REGISTRY", "is_metric_name"]

COMET_METRICS = ("comet", "cometkiwi", "xcomet")   # harness/score/metrics/comet.py, imported when one is built


def comet_constructor(name: str) -> Callable[..., Metric]:
    def build(**settings) -> Metric:
        from harness.score.metrics.comet import comet_metric_classes
        return comet_metric_classes()[name](**settings)
    return build


REGISTRY: dict[str, Callable[..., Metric]] = {**sacrebleu_metrics(), **text_similarity_metrics(),
                                              **{name: comet_constructor(name) for name in COMET_METRICS}}

# sacrebleu's TER is super-linear in segment length: one 1,400-word "segment" takes over a minute,
# so TER is computed on aligned sentences only, never on a whole document as one segment.
DOCUMENT_LEVEL_EXCLUDED = {"ter"}


def target_settings(target_lang: str) -> dict[str, dict]:
    """The constructor arguments that follow the target language: BLEU's tokenizer, as sacrebleu -l SRC-TGT picks it;
    the metrics that read English only (ROUGE, embedding cosine) refuse another."""
    return {name: {"target_lang": target_lang} for name in ("bleu", *text_similarity_metrics())}


def available_metrics() -> dict[str, Metric]:
    """The translation metrics of the registry, built (sacrebleu's; the others load packages when built)."""
    return {name: build() for name, build in sacrebleu_metrics().items()}


def is_dotted_path(name: str) -> bool:
    module, _, attribute = name.rpartition(".")
    return bool(module) and attribute.isidentifier() and all(part.isidentifier() for part in module.split("."))


def is_metric_name(name: str) -> bool:
    """Whether a name can denote a metric (a registered name, an evaluate: name or a dotted path)."""
    return name in REGISTRY or name.startswith(EVALUATE_PREFIX) or is_dotted_path(name)


def metric_from_path(path: str, kind: str) -> Metric:
    """A Metric subclass named by its dotted path; the metric is stored under that path."""
    module_name, _, class_name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise UserError(f"{kind} '{path}': cannot import it ({err}); put its module on PYTHONPATH, or use one of "
                        f"{', '.join(REGISTRY)}") from None
    if not (isinstance(found, type) and issubclass(found, Metric)):
        raise UserError(f"{kind} '{path}' is not a subclass of harness.score.metrics.base.Metric")
    metric = found()
    missing = undeclared(metric)
    if missing:
        raise UserError(f"{kind} '{path}': {found.__name__} has {' and '.join(missing)}; add "
                        f"{'them' if len(missing) > 1 else 'it'} to the class (docs/extending.md, 'A metric', lists what "
                        "a metric declares)")
    declared = getattr(metric, "name", None)
    metric.name, metric.declared_name = path, declared if declared != path else None
    return metric


def undeclared(metric: Metric) -> list[str]:
    """What a metric named by its path lacks of what every score needs: its signature (a string that says how it was
    computed) and a way to score (segment_scores or segment_statistics). Both were found only once the outputs were
    made, in a traceback that marked the run FAILED."""
    missing = [] if isinstance(getattr(metric, "signature", None), str) and metric.signature.strip() else [
        "no signature (a string that says how its scores are computed)"]
    if type(metric).segment_scores is Metric.segment_scores and type(metric).segment_statistics is Metric.segment_statistics:
        missing.append("neither segment_scores nor segment_statistics")
    return missing


def build_metric(name: str, kind: str, settings: Mapping[str, dict]) -> Metric:
    if name in REGISTRY:
        return REGISTRY[name](**settings.get(name, {}))
    if name.startswith(EVALUATE_PREFIX):
        return EvaluateMetric(name)
    return metric_from_path(name, kind)


def check_metric_names(names: list[str], kind: str = "metric") -> None:
    """Each name can denote a metric, or "Did you mean": checked without building any."""
    for name in names:
        if not is_metric_name(name):
            raise unknown_name(kind, name, [*REGISTRY, f"{EVALUATE_PREFIX}NAME", "package.module.MetricClass"])


def select_metrics(names: list[str], kind: str = "metric", settings: Mapping[str, dict] | None = None) -> list[Metric]:
    """The named metrics, each built once (a name given twice gives the same object); `settings` holds the
    constructor arguments of registered metrics by name (metric_settings.NAME: a COMET metric's model)."""
    check_metric_names(names, kind)
    built: dict[str, Metric] = {}
    for name in names:
        if name not in built:
            built[name] = build_metric(name, kind, settings or {})
    return [built[name] for name in names]


def check_code_allowed(names: list[str], allowed: bool) -> None:
    """An evaluate: metric runs its script's Python code (downloaded from the Hub unless it is a local path),
    so it needs the user's explicit opt-in."""
    scripts = [name for name in names if name.startswith(EVALUATE_PREFIX)]
    if scripts and not allowed:
        raise UserError(f"metric '{scripts[0]}' runs the Python code of an evaluate metric script (fetched from the "
                        "Hub unless it is a local path); set allow_metric_code=true if you trust it")
