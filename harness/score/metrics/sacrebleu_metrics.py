"""BLEU, chrF, chrF++ and TER through sacrebleu's own metric classes and signatures, via its public API only.

Settings are sacrebleu's command-line defaults, so `sacrebleu REF -l SRC-TGT < HYP` reproduces every stored score:
BLEU's tokenizer follows the target language as the command line's -l picks it (zh, ja-mecab, ko-mecab, else 13a).

Statistics rows have sacrebleu's own layout (that of its private corpus statistics), taken from public calls:
- BLEU: each segment's `corpus_score` result carries its statistics (sys_len, ref_len, counts, totals), and
  `BLEU.compute_bleu` (public, static) is the score formula.
- TER: each segment's `corpus_score` result carries num_edits and ref_length; the formula is edits / length.
- chrF, chrF++: CHRFScore carries no statistics and sacrebleu offers no public extraction, so the counts come
  from sacrebleu's public n-gram helpers (sacrebleu.metrics.helpers) with its match counting and punctuation
  split restated below, and the F-score formula is restated in the same order of operations. Tests hold both
  to sacrebleu's corpus_score and sentence_score.
The vectorized formulas (many resampled sums at once, for harness.compare.significance) agree with sacrebleu's to 1e-9.

Several references per segment are read as sacrebleu reads them: BLEU's closest reference length and clipped
counts over all references, TER's fewest edits over the average reference length (both from sacrebleu's own
multi-reference corpus_score on each segment), chrF's statistics of the reference with the best F-score
(CHRF._compute_segment_statistics, restated: the first best wins a tie). The signature then says nrefs:N.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Callable

import numpy as np
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric as SacreMetric
from sacrebleu.metrics.helpers import extract_all_char_ngrams, extract_word_ngrams

from harness.errors import UserError
from harness.score.metrics.base import Metric

CHRF_PUNCTUATION = set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')   # sacrebleu's CHRF._PUNCTS


class SacrebleuMetric(Metric):
    """A sacrebleu metric object behind the harness interface; the signature is sacrebleu's own."""

    multiple_references = True

    def __init__(self, name: str, metric: SacreMetric):
        self.name = name
        self.metric = metric
        self._signatures: dict[int, str] = {}

    @property
    def signature(self) -> str:
        return self.signature_for(1)

    def signature_for(self, references: int) -> str:
        """sacrebleu fills its signature (nrefs) on scoring, so it is read after scoring one line."""
        if references not in self._signatures:
            result = self.metric.corpus_score(["."], [["."]] * references)
            self._signatures[references] = f"{result.name}|{self.metric.get_signature()}"
        return self._signatures[references]

    def segment_results(self, hypotheses: list[str], references: list[list[str]]) -> list:
        """sacrebleu's corpus_score of each segment alone, against its reference in each list of references."""
        return [self.metric.corpus_score([hyp], [[ref] for ref in refs])
                for hyp, refs in zip(hypotheses, zip(*references))]

    def segment_statistics(self, hypotheses, references, sources=None) -> np.ndarray:
        return self.multi_reference_statistics(hypotheses, [references])


def target_bleu(target_lang: str, **options) -> BLEU:
    """sacrebleu's BLEU with the tokenizer its command line takes for `-l SRC-TGT`: zh for Chinese, ja-mecab and
    ko-mecab for Japanese and Korean (sacrebleu's ja and ko extras), 13a for any other target."""
    try:
        return BLEU(trg_lang=target_lang, **options)
    except RuntimeError as err:   # the MeCab tokenizers' packages are missing
        raise UserError(f"BLEU of a {target_lang} target tokenizes as sacrebleu -l xx-{target_lang} does, with "
                        f"{target_lang}-mecab, which needs sacrebleu's extra: pip install "
                        f"\"sacrebleu[{target_lang}]\" (or leave bleu out of metrics, alignment.segment_metrics and "
                        "alignment.corpus_metrics)") from err


class SacreBLEU(SacrebleuMetric):
    linear_cost = True   # n-gram counts

    def __init__(self, target_lang: str = "en"):
        super().__init__("bleu", target_bleu(target_lang))
        self.sentence_metric = target_bleu(target_lang, effective_order=True)   # sacrebleu's advice for sentences

    def multi_reference_statistics(self, hypotheses, references) -> np.ndarray:
        rows = [[r.sys_len, r.ref_len, *r.counts, *r.totals] for r in self.segment_results(hypotheses, references)]
        return np.array(rows, dtype=np.float64).reshape(len(rows), 2 + 2 * self.metric.max_ngram_order)

    @staticmethod
    def formula(metric: BLEU, stats: np.ndarray) -> float:
        stats, order = [int(x) for x in stats], metric.max_ngram_order
        return BLEU.compute_bleu(stats[2:2 + order], stats[2 + order:], stats[0], stats[1], metric.smooth_method,
                                 metric.smooth_value, metric.effective_order, order).score

    def score_from_statistics(self, statistics: np.ndarray) -> float:
        return self.formula(self.metric, statistics)

    def sentence_score_from_statistics(self, row: np.ndarray) -> float:
        return self.formula(self.sentence_metric, row)

    def scores_from_statistics(self, statistics: np.ndarray) -> np.ndarray:
        """compute_bleu with exponential smoothing, on many rows of summed statistics at once."""
        stats, order = np.atleast_2d(statistics), self.metric.max_ngram_order
        sys_len, ref_len = stats[:, 0], stats[:, 1]
        correct, total = stats[:, 2:2 + order], stats[:, 2 + order:2 + 2 * order]
        with np.errstate(divide="ignore", invalid="ignore"):
            brevity = np.where(sys_len < ref_len, np.where(sys_len > 0, np.exp(1 - ref_len / sys_len), 0.0), 1.0)
            smoothing = np.cumprod(np.where(correct == 0, 2.0, 1.0), axis=1)   # doubles at each zero-match order
            precisions = np.where(correct == 0, 100.0 / (smoothing * total), 100.0 * correct / total)
            # sacrebleu stops at the first order with no n-grams; the orders after it keep precision 0
            reached = np.cumprod(total > 0, axis=1).astype(bool)
            logs = np.where(reached & (precisions > 0), np.log(np.where(precisions > 0, precisions, 1.0)),
                            -9999999999.0)
        scores = brevity * np.exp(logs.sum(axis=1) / order)
        return np.where(correct.sum(axis=1) == 0, 0.0, scores)


def chrf_words(sentence: str) -> list[str]:
    """sacrebleu's chrF word split: punctuation at the start or end of a word is a word of its own."""
    words = []
    for word in sentence.split():
        if len(word) > 1 and word[-1] in CHRF_PUNCTUATION:
            words += [word[:-1], word[-1]]
        elif len(word) > 1 and word[0] in CHRF_PUNCTUATION:
            words += [word[0], word[1:]]
        else:
            words.append(word)
    return words


def match_statistics(hyp: Counter, ref: Counter) -> list[int]:
    """[hypothesis n-grams, reference n-grams, matches], as sacrebleu counts them (no hits without a reference)."""
    matches = sum(min(count, ref[gram]) for gram, count in hyp.items() if gram in ref)
    return [sum(hyp.values()) if ref else 0, sum(ref.values()), matches]


def pair_statistics(pairs, ngrams: Callable[[str], list[Counter]], orders: int) -> np.ndarray:
    """match_statistics of every (hypothesis, reference) pair, order after order: one row of 3 x orders each."""
    rows = [[value for h, r in zip(ngrams(hyp), ngrams(ref)) for value in match_statistics(h, r)] for hyp, ref in pairs]
    return np.array(rows, dtype=np.float64).reshape(len(rows), 3 * orders)


@lru_cache(maxsize=32)
def char_statistics(order: int, whitespace: bool, lowercase: bool, hypotheses: tuple[str, ...],
                    references: tuple[str, ...]) -> np.ndarray:
    """The character n-gram part of chrF's statistics, remembered for the last few calls: chrF and chrF++ of the
    same segments (chrF++ adds word n-grams to the same character n-grams) extract them once."""
    def ngrams(text: str) -> list[Counter]:
        return extract_all_char_ngrams(text.lower() if lowercase else text, order, whitespace)
    statistics = pair_statistics(zip(hypotheses, references), ngrams, order)
    statistics.flags.writeable = False
    return statistics


class SacreCHRF(SacrebleuMetric):
    linear_cost = True   # character and word n-gram counts

    def __init__(self, name: str, metric: CHRF):
        if metric.eps_smoothing:
            raise ValueError("the restated chrF formula covers sacrebleu's default (effective order) averaging")
        super().__init__(name, metric)

    def word_ngrams(self, text: str) -> list[Counter]:
        words = chrf_words(text.lower() if self.metric.lowercase else text)
        return [extract_word_ngrams(words, n) for n in range(1, self.metric.word_order + 1)]

    def reference_statistics(self, hypotheses: list[str], references: list[str]) -> np.ndarray:
        """Each segment's statistics against one reference each: character n-grams, then word n-grams (chrF++)."""
        chars = char_statistics(self.metric.char_order, self.metric.whitespace, self.metric.lowercase,
                                tuple(hypotheses), tuple(references))
        if not self.metric.word_order:
            return chars.copy()
        return np.hstack([chars, pair_statistics(zip(hypotheses, references), self.word_ngrams, self.metric.word_order)])

    def multi_reference_statistics(self, hypotheses, references) -> np.ndarray:
        """Per segment, the statistics against the reference with the best F-score, the first of equals (sacrebleu's
        CHRF._compute_segment_statistics)."""
        candidates = [self.reference_statistics(hypotheses, stream) for stream in references]
        if len(candidates) == 1:
            return candidates[0]
        scores = [[self.score_from_statistics(row) for row in statistics] for statistics in candidates]
        best = [max(range(len(candidates)), key=lambda k: scores[k][i]) for i in range(len(hypotheses))]
        return np.array([candidates[k][i] for i, k in enumerate(best)]).reshape(len(hypotheses), 3 * self.metric.order)

    def score_from_statistics(self, statistics: np.ndarray) -> float:
        """sacrebleu's CHRF._compute_f_score without eps smoothing, in its order of operations."""
        factor, precision, recall, orders = self.metric.beta ** 2, 0.0, 0.0, 0
        for i in range(self.metric.order):
            n_hyp, n_ref, n_match = (int(x) for x in statistics[3 * i:3 * i + 3])
            if n_hyp > 0 and n_ref > 0:
                precision += n_match / n_hyp
                recall += n_match / n_ref
                orders += 1
        if orders:
            precision, recall = precision / orders, recall / orders
        if not precision + recall:
            return 0.0
        return 100 * ((1 + factor) * precision * recall / ((factor * precision) + recall))

    def scores_from_statistics(self, statistics: np.ndarray) -> np.ndarray:
        """The same formula on many rows of summed statistics at once."""
        stats, factor = np.atleast_2d(statistics), self.metric.beta ** 2
        n_hyp, n_ref, n_match = (stats[:, i::3][:, :self.metric.order] for i in range(3))
        with np.errstate(divide="ignore", invalid="ignore"):
            counted = (n_hyp > 0) & (n_ref > 0)
            precision = np.where(counted, n_match / n_hyp, 0.0).sum(axis=1)
            recall = np.where(counted, n_match / n_ref, 0.0).sum(axis=1)
            orders = counted.sum(axis=1)
            precision = np.where(orders > 0, precision / np.maximum(orders, 1), 0.0)
            recall = np.where(orders > 0, recall / np.maximum(orders, 1), 0.0)
            denominator = factor * precision + recall
            return np.where(precision + recall > 0, 100 * (1 + factor) * precision * recall / denominator, 0.0)


class SacreTER(SacrebleuMetric):
    higher_is_better = False   # an edit rate
    slow_statistics = True     # sacrebleu's edit distance with shifts: pure Python, super-linear in the length
    remember_statistics = True   # the signature names sacrebleu's version and TER's settings

    def __init__(self):
        super().__init__("ter", TER())

    def multi_reference_statistics(self, hypotheses, references) -> np.ndarray:
        rows = [[r.num_edits, r.ref_length] for r in self.segment_results(hypotheses, references)]
        return np.array(rows, dtype=np.float64).reshape(len(rows), 2)

    def score_from_statistics(self, statistics: np.ndarray) -> float:
        return float(self.scores_from_statistics(statistics)[0])

    def scores_from_statistics(self, statistics: np.ndarray) -> np.ndarray:
        """sacrebleu's TER formula: edits / reference length; 1 for output against an empty reference."""
        stats = np.atleast_2d(statistics)
        edits, ref_length = stats[:, 0], stats[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100 * np.where(ref_length > 0, edits / ref_length, np.where(edits > 0, 1.0, 0.0))


def sacrebleu_metrics() -> dict[str, Callable[[], Metric]]:
    """Constructors of the sacrebleu metrics by name."""
    return {"bleu": SacreBLEU, "chrf": lambda: SacreCHRF("chrf", CHRF()),
            "chrf++": lambda: SacreCHRF("chrf++", CHRF(word_order=2)), "ter": SacreTER}
