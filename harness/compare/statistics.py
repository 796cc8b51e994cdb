"""Statistics: per-segment sufficient statistics of each system, read from result.json (each scored segment's
stored statistics, or a sentence model's stored scores; extracted again from the texts only for a run made before
they were stored), and what they give: bootstrap intervals, paired tests against the baseline with Holm's
correction, length buckets, and the ranking with its clusters and all-pairs tests.
"""
from __future__ import annotations

import logging
import math
from itertools import compress

import numpy as np

from harness.compare.comparability import metric_records, paired_segments, scored_documents
from harness.compare.discovery import Run
from harness.compare.rows import BucketRow, PairRow, RankRow, Ranking, TestedRow, rounded, score_row
from harness.compare.significance import PairTest, Resampled, compare_systems, holm, resample
from harness.errors import UserError
from harness.results.records import Segment
from harness.results.run_folder import RESULT_FILE
from harness.score.metrics import REGISTRY, Metric, Score, check_code_allowed, select_metrics, target_settings
from harness.score.metrics.base import SCORE_DIGITS


log = logging.getLogger(__name__)
ALPHA = 0.05
LENGTH_BUCKETS = [(1, 9), (10, 19), (20, 29), (30, 39), (40, None)]   # reference words, as compare-mt's defaults
MIN_BUCKET_SEGMENTS = 5    # fewer segments in a length bucket: no interval (a bootstrap of 1-4 sentences means nothing)


class StoredMean(Metric):
    """A metric read from stored statistics whose kind is "mean" ([score, 1] rows: the score of a sum is total /
    count), so that a run made with a metric of the user's own (a dotted path) is compared without its code."""

    def __init__(self, record: Score):
        self.name, self.signature, self.higher_is_better = record.metric, record.signature, record.higher_is_better


def stored_as_means(runs: list[Run], name: str, level: str) -> bool:
    """Whether every run stored its segment statistics of the metric as means on every compared document."""
    return all(document.statistics_kinds.get(name) == "mean" for run in runs
               for document in scored_documents(run, level))


def built_metric(runs: list[Run], name: str, level: str) -> Metric:
    """The metric behind a compared score: the harness's own (the registry), a stand-in for stored means (no code
    of the user's is imported), or the user's class by its dotted path."""
    if name not in REGISTRY and stored_as_means(runs, name, level):
        return StoredMean(metric_records(scored_documents(runs[0], level)[0], level)[name])
    return select_metrics([name], settings=target_settings(runs[0].result.target_lang))[0]


def check_direction(run: Run, metric: Metric, level: str) -> None:
    """The run's stored scores declare the metric's own direction (the runs compared agree on theirs): the ranking
    follows the metric's, the labels the stored one's, and they must not tell opposite stories."""
    stored = metric_records(scored_documents(run, level)[0], level)[metric.name].higher_is_better
    if stored != metric.higher_is_better:
        raise UserError(f"{run.path / RESULT_FILE}: its {metric.name} scores say {'higher' if stored else 'lower'} is "
                        f"better, and {metric.name} is not: the file was edited or damaged; re-run it")


def tested_metrics(runs: list[Run], names: list[str], level: str = "aligned"
                   ) -> tuple[dict[str, Metric], dict[str, str]]:
    """The metrics behind the compared scores and, in words, those left out because their code cannot be imported
    and their stored statistics need it (a metric of the user's own, not on PYTHONPATH here): one such metric
    does not stop the comparison of the others. An evaluate: metric runs its script's code, so every run must
    have been made with allow_metric_code=true."""
    check_code_allowed(names, all(run.result.allow_metric_code for run in runs))
    metrics, left_out = {}, {}
    for name in names:
        try:
            metrics[name] = built_metric(runs, name, level)
        except UserError as err:
            left_out[name] = (f"metric '{name}' left out: {err} (its stored statistics are not means, so scoring "
                              "them needs its code)")
    for metric in metrics.values():
        check_direction(runs[0], metric, level)
    return metrics, left_out


def tested_rows(runs: list[Run], doc_index: int, metric: Metric, stats: list[np.ndarray],
                n_resamples: int, seed: int) -> list[TestedRow]:
    """Aligned-segment scores with bootstrap intervals and, on a parallel document, both paired tests against the
    baseline (raw p-values here: holm_within_systems corrects them); a document whose reference is not a
    translation of its source gets no test (its scores measure topical overlap, not translation quality)."""
    tests = compare_systems(metric, stats, n_resamples, seed)
    scores = [round(t.score, SCORE_DIGITS) for t in tests]   # as harness.score.metrics stores scores
    rows = [score_row(run, doc_index, metric.name, score, rounded(t.ci),
                      None if i == 0 else round(score - scores[0], SCORE_DIGITS))
            for i, (run, t, score) in enumerate(zip(runs, tests, scores))]
    for row, test in zip(rows[1:], tests[1:]):
        row.delta_ci = rounded(test.delta_ci)
        if row.parallel:
            row.p_bootstrap, row.p_randomization = test.p_bootstrap, test.p_randomization
    return rows


def holm_within_systems(rows: list[TestedRow]) -> None:
    """Holm's correction within each system's comparison with the baseline: the family is that system's tests
    over the parallel documents x metrics, so a verdict does not change with the other runs in the call."""
    for system in dict.fromkeys(row.system for row in rows):
        family = [row for row in rows if row.system == system and row.p_bootstrap is not None]
        for row, bootstrap, randomization in zip(family, holm([row.p_bootstrap for row in family]),
                                                 holm([row.p_randomization for row in family])):
            row.p_bootstrap_holm, row.p_randomization_holm = bootstrap, randomization
            row.significant = max(bootstrap, randomization) < ALPHA


def scored_over_source_units(metric: Metric) -> bool:
    """A reference-free sentence model (CometKiwi): a run's document score is its mean over every source sentence
    and its output, not over the aligned segments, and the result keeps no score per source sentence; so compare
    shows the run's own document score and label, with no interval or test."""
    return metric.sentence_model and metric.reference_free


def stored_scores(run: Run, doc_index: int, metric: Metric, system: tuple[Segment, ...]) -> np.ndarray:
    """A sentence model's statistics from the segment scores an older run stored: compare never runs the model."""
    if any(metric.name not in s.scores for s in system):
        raise UserError(f"run '{run.name}' ({run.path}), document '{run.result.documents[doc_index].id}': some "
                        f"segments have no stored {metric.name} score; re-run it with {metric.name} in metrics=[...]")
    return metric.statistics_from_scores([s.scores[metric.name] for s in system])


def has_stored_statistics(run: Run, doc_index: int, name: str) -> bool:
    """Whether the run stored each scored segment's statistics of the metric (harness.score.aligned_scoring); a result
    whose segments were rewritten without them (or that holds none) is read from its texts."""
    document = run.result.documents[doc_index]
    return name in document.statistics_kinds and any(name in s.statistics for s in document.segments or ())


def system_statistics(run: Run, doc_index: int, metric: Metric, system: tuple[Segment, ...],
                      references: list[list[str]], scored: np.ndarray) -> np.ndarray:
    """One row of statistics per segment: those the run stored, else extracted again from the texts (a run made
    before they were stored); references: one list per reference (several for a line-aligned test set with
    several references); a segment not `scored` gets a row of zeros, which adds nothing to a sum."""
    chosen = tuple(compress(system, scored))
    if has_stored_statistics(run, doc_index, metric.name):
        width = next((len(s.statistics[metric.name]) for s in system if metric.name in s.statistics), 2)
        rows = np.array([s.statistics[metric.name] for s in chosen], dtype=np.float64).reshape(len(chosen), width)
    elif metric.sentence_model:
        rows = stored_scores(run, doc_index, metric, chosen)
    else:
        kept = [list(compress(stream, scored)) for stream in references]
        rows = metric.statistics([s.hyp for s in chosen], kept[0],
                                 [s.src for s in chosen] if metric.needs_source else None, kept[1:])
    full = np.zeros((len(system), rows.shape[1] if rows.size else 2))
    full[scored] = rows
    return full


def scored_segments(runs: list[Run], doc_index: int, metric: Metric, segments: list[tuple[Segment, ...]]
                    ) -> np.ndarray:
    """The segments that every run scores with the metric: with stored statistics, those that have them in every
    run; else those every run's limits.max_segment_chars lets it score (a longer segment has no TER or COMET
    score there: its stored one is missing, TER would run for minutes), so in no system."""
    if all(has_stored_statistics(run, doc_index, metric.name) for run in runs):
        return np.array([all(metric.name in s.statistics for s in paired) for paired in zip(*segments)], dtype=bool)
    return np.array([all(metric.accepts((s.src, s.hyp, s.ref, *s.extra_refs), run.result.max_segment_chars)
                         for run, s in zip(runs, paired)) for paired in zip(*segments)], dtype=bool)


def statistics_by_system(runs: list[Run], doc_index: int, metrics: dict[str, Metric]) -> dict[str, list[np.ndarray]]:
    """Per metric, each system's per-segment sufficient statistics (read or extracted once, reused by every test);
    a metric that needs the source gets the segments' sources. A segment that some run left out of a metric
    (limits.max_segment_chars) has zero statistics in every system, with a warning."""
    segments = paired_segments(runs, doc_index)
    first = segments[0]
    references = [[s.ref for s in first]] + [[s.extra_refs[k] for s in first]
                                             for k in range(len(first[0].extra_refs) if first else 0)]
    statistics = {}
    for name, metric in metrics.items():
        scored = scored_segments(runs, doc_index, metric, segments)
        if not scored.all():
            log.warning("document '%s': %d of %d segments longer than limits.max_segment_chars left out of %s",
                        runs[0].result.documents[doc_index].id, int((~scored).sum()), len(scored), name)
        statistics[name] = [system_statistics(run, doc_index, metric, system, references, scored)
                            for run, system in zip(runs, segments)]
        if scored.all():
            check_stored_scores(runs, doc_index, metric, statistics[name])
    return statistics


SCORE_TOLERANCE = 1e-3   # a stored score is rounded to SCORE_DIGITS decimals; its statistics' score agrees to 1e-9


def check_stored_scores(runs: list[Run], doc_index: int, metric: Metric, stats: list[np.ndarray]) -> None:
    """Each run's stored aligned score of a document is the one its stored segment statistics give, as the run
    computed it: the comparison's scores, intervals and tests come from the statistics, so a result.json whose
    score was edited (or damaged) while its statistics were not would be shown with numbers it does not hold."""
    for run, rows in zip(runs, stats):
        if not has_stored_statistics(run, doc_index, metric.name):
            continue
        document = run.result.documents[doc_index]
        stored = document.aligned[metric.name].score
        try:   # counts edited past the float range sum to inf: a score they do not give, named below, no warning
            with np.errstate(over="ignore", invalid="ignore"):
                given = metric.score_from_statistics(rows.sum(axis=0))
        except (ArithmeticError, ValueError):   # a negative count: BLEU's log of it
            given = math.nan
        if not abs(given - stored) <= SCORE_TOLERANCE:
            raise UserError(f"{run.path / RESULT_FILE}: document '{document.id}' of '{run.name}': its stored "
                            f"{metric.name} score {stored} is one its segment statistics do not give (they give "
                            f"{'no score' if math.isnan(given) else round(given, SCORE_DIGITS)}): the file was "
                            "edited or damaged; re-run it")


def length_bucket(words: int) -> str:
    for low, high in LENGTH_BUCKETS:
        if high is None or words <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable: the last bucket is open")


def bucket_rows(runs: list[Run], doc_index: int, stats: dict, metrics: dict[str, Metric],
                n_resamples: int, seed: int) -> list[BucketRow]:
    """One parallel document's corpus scores by reference-sentence length (compare-mt's view), each system with its
    95% interval and its paired interval against the baseline; a bucket of fewer than MIN_BUCKET_SEGMENTS
    segments is marked small and gets no interval."""
    document = runs[0].result.documents[doc_index]
    labels = np.array([length_bucket(len(s.ref.split())) for s in document.segments])
    rows = []
    for bucket in dict.fromkeys(length_bucket(low) for low, _ in LENGTH_BUCKETS):
        chosen = labels == bucket
        count = int(chosen.sum())
        if not count:
            continue
        for name, metric in metrics.items():
            shared = resample(metric, [system[chosen] for system in stats[name]], n_resamples, seed)
            small = count < MIN_BUCKET_SEGMENTS
            for position, (run, score) in enumerate(zip(runs, shared.scores)):
                rows.append(BucketRow(document.id, document.src_lang, bucket, count, small, run.name, name,
                                      round(score, SCORE_DIGITS),
                                      None if small else rounded(shared.interval(position)),
                                      None if position == 0 else round(score - shared.scores[0], SCORE_DIGITS),
                                      None if small or position == 0 else rounded(shared.delta_interval(position, 0))))
    return rows


RANK_FAMILY = ("Holm over the {count} test(s) between neighbours in one metric's ranking; a system starts a new "
               "rank cluster only where it is significantly different from the one above it (both tests)")
PAIRS_FAMILY = "Holm over the {count} pair(s) of systems in one metric's table"
BASELINE_FAMILY = ("Holm within each system's comparison with the baseline: its tests over the parallel documents x "
                   "metrics ({count} per test), the same whichever other runs are in the call")


def pooled(stats: dict[int, dict[str, list[np.ndarray]]], documents: list[int], name: str) -> list[np.ndarray]:
    """Each system's statistics over the aligned segments of all the documents, one after another."""
    return [np.vstack([stats[i][name][k] for i in documents]) for k in range(len(stats[documents[0]][name]))]


def ranked_order(shared: Resampled, higher_is_better: bool) -> list[int]:
    """The systems best first (equal scores in the order given)."""
    return sorted(range(len(shared.scores)), key=lambda k: -shared.scores[k] if higher_is_better else shared.scores[k])


def corrected(tests: list[PairTest]) -> list[tuple[float, float]]:
    """Holm-corrected (bootstrap, randomization) p-values of a family of tests."""
    return list(zip(holm([t.p_bootstrap for t in tests]), holm([t.p_randomization for t in tests])))


def clusters(significant: list[bool]) -> list[int]:
    """Rank clusters down a ranking: the first is 1, and each system below starts a new cluster only where it is
    significantly different from the one above it."""
    found = [1]
    for step in significant:
        found.append(found[-1] + 1 if step else found[-1])
    return found


def rank_ranges(cluster_of: list[int]) -> list[str]:
    """WMT's rank of each place: the range of places its cluster spans ("1", "2-4")."""
    places = {c: [p for p, other in enumerate(cluster_of, start=1) if other == c] for c in cluster_of}
    return [str(places[c][0]) if len(places[c]) == 1 else f"{places[c][0]}-{places[c][-1]}" for c in cluster_of]


def metric_ranking(runs: list[Run], metric: Metric, shared: Resampled, duplicate_of: dict[str, str]) -> list[RankRow]:
    order = ranked_order(shared, metric.higher_is_better)
    tests = [shared.pair(order[place], order[place - 1]) for place in range(1, len(order))]
    adjusted = corrected(tests)
    significant = [max(p) < ALPHA for p in adjusted]
    cluster_of = clusters(significant)
    ranks = rank_ranges(cluster_of)
    rows = []
    for place, system in enumerate(order):
        above = {} if place == 0 else {
            "delta_above": round(tests[place - 1].delta, SCORE_DIGITS),
            "p_bootstrap_above": adjusted[place - 1][0], "p_randomization_above": adjusted[place - 1][1],
            "significant_above": significant[place - 1],
            "raw_p_above": (tests[place - 1].p_bootstrap, tests[place - 1].p_randomization)}
        rows.append(RankRow(metric.name, runs[system].name, place + 1, cluster_of[place], ranks[place],
                            round(shared.scores[system], SCORE_DIGITS), tuple(rounded(shared.interval(system))),
                            **above, duplicate_of=duplicate_of.get(runs[system].name)))
    return rows


def metric_pairs(runs: list[Run], metric: Metric, shared: Resampled) -> list[PairRow]:
    """Every pair of systems (in the order given) with both paired tests, Holm-corrected over the pairs."""
    pairs = [(i, j) for i in range(len(runs)) for j in range(i + 1, len(runs))]
    tests = [shared.pair(i, j) for i, j in pairs]
    return [PairRow(metric.name, runs[i].name, runs[j].name, round(t.delta, SCORE_DIGITS), tuple(rounded(t.delta_ci)),
                    t.p_bootstrap, t.p_randomization, p_bs, p_ar, max(p_bs, p_ar) < ALPHA)
            for (i, j), t, (p_bs, p_ar) in zip(pairs, tests, corrected(tests))]


def ranking(runs: list[Run], documents: list[int], metrics: dict[str, Metric], stats: dict,
            duplicate_of: dict[str, str], all_pairs: bool, n_resamples: int, seed: int) -> Ranking:
    """Per metric, every system's corpus score over the aligned segments of the parallel documents (for a
    line-aligned test set: over its lines, as sacrebleu REF -i HYP), ranked with clusters; with all_pairs the
    paired tests between every two systems too (a win matrix, as COMET's comet-compare)."""
    if not documents:
        return Ranking([], [], [], ["no ranking: no compared document's reference is a translation of its source"])
    rows, pairs = [], []
    for name, metric in metrics.items():
        shared = resample(metric, pooled(stats, documents, name), n_resamples, seed)
        rows += metric_ranking(runs, metric, shared, duplicate_of)
        pairs += metric_pairs(runs, metric, shared) if all_pairs else []
    ids = [runs[0].result.documents[i].id for i in documents]
    count = len(runs) * (len(runs) - 1) // 2
    notes = [f"ranking: corpus score of each system over the aligned segments of the parallel documents "
             f"({', '.join(ids)}); 95% CI: bootstrap, {n_resamples} resamples (seed {seed}); "
             + RANK_FAMILY.format(count=len(runs) - 1)]
    notes += [f"all pairs: paired bootstrap and approximate randomization between every two systems, "
              + PAIRS_FAMILY.format(count=count)] if all_pairs else []
    return Ranking(rows, pairs, ids, notes)
