"""The metric interface and the score record: every score carries its signature and its direction.

Modelled on sacrebleu's metrics/base.py: a metric turns each segment into a row of additive sufficient
statistics, and a score is computed from a sum of rows. Corpus scores, sentence scores and the paired tests
of harness.compare.significance (which sum resampled rows) all come from these two hooks, so a new metric implements:

- `name`, `signature`, `higher_is_better` (declared once, on the class), `needs_source`;
- either `segment_statistics` + `score_from_statistics` (a metric with its own statistics, like BLEU's n-gram
  counts), or only `segment_scores` (then the statistics are [score, 1] per segment and the corpus score is
  the mean of the segment scores).

Several references per segment (a line-aligned test set with `reference: [ref1.txt, ref2.txt]`) reach a metric
that declares `multiple_references` (sacrebleu's) through `multi_reference_statistics`, as sacrebleu's CLI
scores them; any other metric scores against the first reference, and its signature says one reference.
"""
from __future__ import annotations

from abc import ABC
from dataclasses import asdict, dataclass

import numpy as np

from harness.errors import UserError

# decimals a corpus score is stored with: far beyond the one a table shows (no second rounding moves it) and
# short of the float noise of the computation
SCORE_DIGITS = 10


@dataclass(frozen=True)
class Score:
    metric: str
    score: float
    signature: str
    higher_is_better: bool
    name: str | None = None     # the name the metric declares, when it is stored under another key (a dotted path)

    def as_dict(self) -> dict:
        record = asdict(self)
        del record["metric"]
        if self.name is None:
            del record["name"]
        return record

    @classmethod
    def from_dict(cls, metric: str, record: dict) -> Score:
        """A stored score (as_dict's) read back."""
        return cls(metric, record["score"], record["signature"], record["higher_is_better"], record.get("name"))

    @property
    def shown_name(self) -> str:
        """What a table calls the metric: the name it declares, not the dotted path that finds its code."""
        return self.name or self.metric


def within_limit(texts: tuple[str | None, ...], max_chars: int | None) -> bool:
    """Whether no text of a segment (source, hypothesis, reference; None: absent) is longer than max_chars
    (limits.max_segment_chars; None: no bound)."""
    return max_chars is None or all(len(text or "") <= max_chars for text in texts)


class Metric(ABC):
    name: str
    signature: str
    higher_is_better: bool = True
    needs_source: bool = False        # segment_statistics then receives the source segments
    sentence_per_line: bool = False   # a multi-sentence text (a summary) is given one sentence per line
    # A model that scores sentences (COMET): never given a whole document as one input. Named in metrics=[...],
    # it scores the aligned segments and a document's score is their mean; harness-compare reads its stored
    # segment scores (statistics_from_scores) instead of running the model again.
    sentence_model: bool = False
    declared_name: str | None = None   # the class's own `name` when it is selected (and stored) by its dotted path
    reference_free: bool = False      # scores source and output only: it has a score for any source document
    # Time and memory linear in a segment's length (BLEU, chrF): it scores segments of any length. Any other
    # metric (TER's edit distance, a sentence model, a metric of unknown cost) leaves out a segment longer than
    # limits.max_segment_chars, with a note, instead of running for minutes or exhausting memory on it.
    linear_cost: bool = False
    multiple_references: bool = False  # implements multi_reference_statistics (several references per segment)
    slow_statistics: bool = False     # worth a process of its own beside the others on a long test set (TER)
    # Statistics that depend on the signature and the texts alone: cached by segment (harness.score.metrics.remembered),
    # so a run scoring the same outputs again does not compute them again (TER)
    remember_statistics: bool = False

    def segment_scores(self, hypotheses: list[str], references: list[str],
                       sources: list[str] | None = None) -> list[float]:
        """One score per segment: what a metric without its own statistics implements."""
        raise NotImplementedError(f"{type(self).__name__} implements neither segment_scores nor segment_statistics")

    def segment_statistics(self, hypotheses: list[str], references: list[str],
                           sources: list[str] | None = None) -> np.ndarray:
        """One row of additive sufficient statistics per segment; by default [score, 1], whose sums give means."""
        return self.statistics_from_scores(self.segment_scores(hypotheses, references, sources))

    @staticmethod
    def statistics_from_scores(scores: list[float]) -> np.ndarray:
        """The [score, 1] rows of a mean of segment scores (from new scores, or scores stored in a result)."""
        return np.column_stack([np.asarray(scores, dtype=np.float64), np.ones(len(scores))]).reshape(-1, 2)

    def segment_details(self, hypotheses: list[str], references: list[str],
                        sources: list[str] | None = None) -> list[dict]:
        """What a metric records on each segment beside its score (xCOMET's error spans, an input scored in
        pieces), asked after scoring the same segments; by default nothing."""
        return [{} for _ in hypotheses]

    def accepts(self, texts: tuple[str | None, ...], max_chars: int | None) -> bool:
        """Whether it scores a segment of these texts (source, hypothesis, each reference) under limits.max_segment_chars
        (None: no bound): the texts it reads are bounded, the source only for a metric that needs it (TER never
        reads it: a long source line left a line of short output and reference out of TER, not sacrebleu's then)."""
        read = texts if self.needs_source else (None, *texts[1:])
        return self.linear_cost or within_limit(read, max_chars)

    def multi_reference_statistics(self, hypotheses: list[str], references: list[list[str]]) -> np.ndarray:
        """One statistics row per segment against all its references; `references` holds one list per reference
        (as sacrebleu's corpus_score takes them). Only a metric with multiple_references implements it."""
        raise NotImplementedError(f"{type(self).__name__} scores against one reference per segment")

    def signature_for(self, references: int) -> str:
        """The signature of a score against this many references per segment (by default the one signature)."""
        return self.signature

    def references_used(self, extra_references: list[list[str]] | tuple = ()) -> int:
        """How many references per segment the metric reads, given the extra ones beside the first."""
        return 1 + len(extra_references) if self.multiple_references else 1

    def check_ready(self) -> None:
        """Fail before anything is translated when the metric cannot run (a missing package or model)."""

    def score_from_statistics(self, statistics: np.ndarray) -> float:
        """The score of a sum of statistics rows (the default: the mean of the segment scores)."""
        total, count = statistics
        return float(total / count) if count else 0.0

    def scores_from_statistics(self, statistics: np.ndarray) -> np.ndarray:
        """score_from_statistics for each row of a matrix of sums (resamples); metrics vectorize it for speed."""
        return np.array([self.score_from_statistics(row) for row in np.atleast_2d(statistics)])

    @property
    def statistics_kind(self) -> str:
        """How a sum of its statistics rows becomes its score: "mean" (the default score_from_statistics, total /
        count, which a reader of stored statistics computes without this metric's code) or "own"."""
        default = (type(self).score_from_statistics is Metric.score_from_statistics
                   and type(self).scores_from_statistics is Metric.scores_from_statistics)
        return "mean" if default else "own"

    def sentence_score_from_statistics(self, row: np.ndarray) -> float:
        """One segment's score from its own row (BLEU uses its effective order here)."""
        return self.score_from_statistics(row)

    # ---------------------------------------------------------------- derived from the hooks

    def checked_sources(self, sources: list[str] | None, count: int) -> list[str] | None:
        if self.needs_source and (sources is None or len(sources) != count or any(s is None for s in sources)):
            raise UserError(f"metric '{self.name}' needs the source of every segment, and some have none (segments "
                            "aligned from the hypothesis side, for a language the multilingual encoder does not cover)")
        return sources

    def score_record(self, score: float, references: int = 1) -> Score:
        """The score to SCORE_DIGITS decimals: shown to one decimal, a score stored rounded to four was rounded twice
        (chrF 64.149974 stored as 64.15 and shown as 64.2, where sacrebleu's CLI shows 64.1); the float noise of the
        computation (BLEU 100.00000000000004) is rounded away."""
        return Score(self.name, round(float(score), SCORE_DIGITS), self.signature_for(references),
                     self.higher_is_better, self.declared_name)

    def statistics(self, hypotheses: list[str], references: list[str], sources: list[str] | None,
                   extra_references: list[list[str]] | tuple = ()) -> np.ndarray:
        """segment_statistics, once the sources of a metric that needs them are checked; with extra_references (one
        list per further reference) a metric with multiple_references reads them all, any other the first."""
        sources = self.checked_sources(sources, len(hypotheses))
        if self.references_used(extra_references) > 1:
            return self.checked_rows(self.multi_reference_statistics(hypotheses, [references, *extra_references]),
                                     len(hypotheses))
        return self.checked_rows(self.segment_statistics(hypotheses, references, sources), len(hypotheses))

    def checked_rows(self, rows: np.ndarray, count: int) -> np.ndarray:
        """A metric's statistics as scored: one row of finite numbers per segment. A NaN from a metric of one's own
        stopped the run after the work with a traceback naming result.json, not the metric; one score for three
        segments was stored as if it scored them all."""
        numbers = np.asarray(rows, dtype=np.float64)   # for the check only: the rows keep their type (counts)
        if numbers.ndim == 0 or len(numbers) != count:
            raise UserError(f"metric '{self.name}' returned {len(numbers) if numbers.ndim else 1} score rows for "
                            f"{count} segments; fix its segment_scores (or segment_statistics) to give one per segment")
        bad = np.flatnonzero(~np.isfinite(numbers).all(axis=tuple(range(1, numbers.ndim))))
        if bad.size:
            value = next(v for v in np.ravel(numbers[bad[0]]) if not np.isfinite(v))
            raise UserError(f"metric '{self.name}' returned a score that is not a finite number ({value}) for "
                            f"segment {bad[0] + 1} of {count}; fix its segment_scores (or segment_statistics)")
        return rows

    def corpus_score(self, hypotheses: list[str], references: list[str], sources: list[str] | None = None,
                     extra_references: list[list[str]] | tuple = ()) -> Score:
        """Score line-aligned hypotheses against their reference (and the extra references, see statistics)."""
        stats = self.statistics(hypotheses, references, sources, extra_references)
        return self.score_record(self.score_from_statistics(stats.sum(axis=0)), self.references_used(extra_references))

    def sentence_score(self, hypothesis: str, reference: str, source: str | None = None) -> float:
        """Score one hypothesis against one reference."""
        row = self.statistics([hypothesis], [reference], None if source is None else [source])[0]
        return self.sentence_score_from_statistics(row)

    def sentence_and_corpus_scores(self, hypotheses: list[str], references: list[str],
                                   sources: list[str] | None = None,
                                   extra_references: list[list[str]] | tuple = ()) -> tuple[list[float], Score]:
        """Every segment's score and the corpus score of the same segments, from one pass of statistics."""
        stats = self.statistics(hypotheses, references, sources, extra_references)
        return self.scores_of(stats, self.references_used(extra_references))

    def scores_of(self, statistics: np.ndarray, references: int = 1) -> tuple[list[float], Score]:
        """Every segment's score and the corpus score of the segments, from their statistics rows."""
        sentences = [self.sentence_score_from_statistics(row) for row in statistics]
        return sentences, self.score_record(self.score_from_statistics(statistics.sum(axis=0)), references)
