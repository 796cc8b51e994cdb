"""Hugging Face `evaluate` metrics (BERTScore, COMET, BLEURT, ...) named in config as `evaluate:NAME[@KEY]`.

NAME is what `evaluate.load` takes: a Hub name (fetched at run time, so offline it needs a filled cache and
HF_HUB_OFFLINE=1) or a local path to a metric script. KEY picks one number from the metric's result; without
it the harness takes "score", then the metric's own name, then "f1", then the only number. A list (one value
per segment, as BERTScore returns) is averaged. The core metrics never depend on this module.
"""
from __future__ import annotations

from pathlib import Path

from harness.errors import UserError, first_line
from harness.score.metrics.base import Metric

EVALUATE_PREFIX = "evaluate:"
PREFERRED_KEYS = ("score", "{name}", "f1")


def parse_name(name: str) -> tuple[str, str | None]:
    """'evaluate:bertscore@f1' -> ('bertscore', 'f1')."""
    path, _, key = name.removeprefix(EVALUATE_PREFIX).partition("@")
    return path, key or None


def load_module(name: str, path: str):
    """evaluate.load, with "cannot get it" turned into an error that says how to make the metric available."""
    try:
        import evaluate
        return evaluate.load(path)
    except (OSError, ImportError) as err:   # FileNotFoundError offline, ConnectionError, a missing package
        raise UserError(
            f"metric '{name}': evaluate.load('{path}') failed: {first_line(err)} -- give a local path to the metric "
            f"script (evaluate:/path/to/{Path(path).stem}.py), or fill the Hugging Face cache on a machine with "
            "network access (python -c \"import evaluate; evaluate.load('" + path + "')\") and run with "
            "HF_HUB_OFFLINE=1; install the metric's own packages too"
        ) from err


def mean_if_list(value):
    return sum(value) / len(value) if isinstance(value, list) and value else value


class EvaluateMetric(Metric):
    """An evaluate module behind the harness Metric interface. It has no statistics of its own: its segment
    scores come from one call when the module returns one value per segment (BERTScore), else from one call
    per segment, and the corpus score is their mean."""

    def __init__(self, name: str):
        self.name = name
        self.path, self.key = parse_name(name)
        self.module = load_module(name, self.path)
        self.signature = f"evaluate:{self.path}|key:{self.key or 'auto'}|evaluate {self.version()}|mean of segments"

    @staticmethod
    def version() -> str:
        import evaluate
        return evaluate.__version__

    def pick(self, result: dict) -> float | list[float]:
        """The chosen value of the module's result: a number, or a list of per-segment numbers."""
        numbers = {key: value for key, value in result.items()
                   if isinstance(mean_if_list(value), (int, float))}
        own_name = Path(self.path).stem
        candidates = [self.key] if self.key else [k.format(name=own_name) for k in PREFERRED_KEYS]
        chosen = next((k for k in candidates if k in numbers), None)
        if chosen is None and not self.key and len(numbers) == 1:
            chosen = next(iter(numbers))
        if chosen is None:
            raise UserError(f"metric '{self.name}' returns {', '.join(sorted(numbers)) or 'no number'}; "
                            f"pick one with {EVALUATE_PREFIX}{self.path}@KEY")
        return numbers[chosen]

    def compute(self, hypotheses: list[str], references: list[str]) -> float | list[float]:
        return self.pick(self.module.compute(predictions=hypotheses, references=references))

    def segment_scores(self, hypotheses: list[str], references: list[str], sources=None) -> list[float]:
        if not hypotheses:
            return []
        values = self.compute(hypotheses, references)
        if isinstance(values, list) and len(values) == len(hypotheses):
            return [float(v) for v in values]
        if len(hypotheses) == 1:
            return [float(mean_if_list(values))]
        return [float(mean_if_list(self.compute([h], [r]))) for h, r in zip(hypotheses, references)]
