"""Hugging Face `evaluate` metrics (BERTScore, COMET, BLEURT, ...) named in config as `evaluate:NAME[@KEY]`.

NAME is what `evaluate.load` takes: a Hub name (fetched at run time, so offline it needs a filled cache and
HF_HUB_OFFLINE=1) or a local path to a metric script. KEY picks one number from the metric's result; without
it the harness takes "score", then the metric's own name, then "f1", then the only number. A list (one value
per segment, as BERTScore returns) is averaged. The core metrics never depend on this module.
"""
from __future__ import annotations

from pathlib import Path

from harness.errors import UserError
from harness.metrics.base import Metric, Score

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
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(
            f"metric '{name}': evaluate.load('{path}') failed: {reason} -- give a local path to the metric "
            f"script (evaluate:/path/to/{Path(path).stem}.py), or fill the Hugging Face cache on a machine with "
            "network access (python -c \"import evaluate; evaluate.load('" + path + "')\") and run with "
            "HF_HUB_OFFLINE=1; install the metric's own packages too"
        ) from err


def mean_if_list(value):
    return sum(value) / len(value) if isinstance(value, list) and value else value


class EvaluateMetric(Metric):
    """An evaluate module behind the harness Metric interface (one number per call)."""

    def __init__(self, name: str):
        self.name = name
        self.path, self.key = parse_name(name)
        self.module = load_module(name, self.path)
        self.signature = f"evaluate:{self.path}|key:{self.key or 'auto'}|evaluate {self.version()}"

    @staticmethod
    def version() -> str:
        import evaluate
        return evaluate.__version__

    def pick(self, result: dict) -> float:
        numbers = {key: mean_if_list(value) for key, value in result.items()
                   if isinstance(mean_if_list(value), (int, float))}
        own_name = Path(self.path).stem
        candidates = [self.key] if self.key else [k.format(name=own_name) for k in PREFERRED_KEYS]
        chosen = next((k for k in candidates if k in numbers), None)
        if chosen is None and not self.key and len(numbers) == 1:
            chosen = next(iter(numbers))
        if chosen is None:
            raise UserError(f"metric '{self.name}' returns {', '.join(sorted(numbers)) or 'no number'}; "
                            f"pick one with {EVALUATE_PREFIX}{self.path}@KEY")
        return float(numbers[chosen])

    def compute(self, hypotheses: list[str], references: list[str]) -> float:
        return self.pick(self.module.compute(predictions=hypotheses, references=references))

    def corpus_score(self, hypotheses: list[str], references: list[str]) -> Score:
        return Score(self.name, round(self.compute(hypotheses, references), 4), self.signature,
                     self.higher_is_better)

    def sentence_score(self, hypothesis: str, reference: str) -> float:
        return self.compute([hypothesis], [reference])
