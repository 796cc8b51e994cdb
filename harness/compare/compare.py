"""Comparison of finished runs: the assembly of its four parts, from result.json records to comparison data.

Discovery (harness.compare.discovery) finds and reads the runs; comparability (harness.compare.comparability)
decides which may share a column; statistics (harness.compare.statistics) tests them from their stored per-segment
statistics; rows (harness.compare.rows) are the typed records the reports (harness.compare.reports) render. A
comparison is a frozen Comparison (harness.compare.comparison; written as comparison.json); it holds one row per
document x system x metric with the score, its 95% interval, the delta against the baseline and the paired tests,
plus per parallel document length buckets, examples where each system beats the baseline and where it falls behind,
one verdict per system, error spans and, when runs have them, summaries.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from harness.compare.comparability import (check_comparable, choose_metrics, comparable_groups, compared_documents,
                                           duplicate_groups, not_compared, not_in_every_run, score_level)
from harness.compare.comparison import Comparison, DataSet, Significance
from harness.compare.discovery import (Collection, Run, Skipped, baseline_index, collect_runs, load_runs,
                                       order_with_baseline, path_suffix, unknown_baseline)
from harness.compare.rows import (BucketRow, PairRow, RankRow, Ranking, SystemExamples, TestedRow,
                                  baseline_family_size, document_description, document_rows, duplicate_note,
                                  error_span_rows, examples_both_ways, metric_description, skipped_document,
                                  skipped_records, split_by_relation, summary_rows, system_description, verdicts)
from harness.compare.significance import DEFAULT_RESAMPLES, environment_seed, p_floor
from harness.compare.statistics import (ALPHA, BASELINE_FAMILY, MIN_BUCKET_SEGMENTS, bucket_rows, holm_within_systems,
                                        length_bucket, ranking, scored_over_source_units, statistics_by_system,
                                        tested_metrics, tested_rows)
from harness.errors import UserError
from harness.results.results import package_version

# The names harness.compare.compare offered before it was split in four (tests and users import them here).
__all__ = ["Collection", "Run", "Skipped", "collect_runs", "load_runs", "path_suffix", "comparable_groups",
           "MIN_BUCKET_SEGMENTS", "length_bucket", "RankRow", "PairRow", "Ranking", "duplicate_note",
           "compare_runs", "compare_collection", "Comparisons", "Comparison"]


@dataclass
class Analysis:
    """What the aligned segments give: score rows, length buckets, examples and the ranking."""
    rows: list[TestedRow]
    buckets: list[BucketRow]
    examples: list[SystemExamples]
    ranking: Ranking
    over_units: list[str]
    left_out: dict[str, str]     # metric -> why it is left out


def aligned_analysis(runs: list[Run], names: list[str], compared: list[int], duplicate_of: dict[str, str],
                     all_pairs: bool, n_resamples: int, seed: int) -> Analysis:
    documents = runs[0].result.documents
    tested, left_out = tested_metrics(runs, names)
    over_units = [name for name, metric in tested.items() if scored_over_source_units(metric)]
    tested = {name: metric for name, metric in tested.items() if name not in over_units}
    stats = {i: statistics_by_system(runs, i, tested) for i in compared}
    rows = [row for i in compared for name in names if name in tested or name in over_units
            for row in (document_rows(runs, i, [name]) if name in over_units
                        else tested_rows(runs, i, tested[name], stats[i][name], n_resamples, seed))]
    holm_within_systems(rows)
    parallel = [i for i in compared if documents[i].parallel]
    buckets = [row for i in parallel for row in bucket_rows(runs, i, stats[i], tested, n_resamples, seed)]
    return Analysis(rows, buckets, examples_both_ways(runs, compared),
                    ranking(runs, parallel, tested, stats, duplicate_of, all_pairs, n_resamples, seed),
                    over_units, left_out)


def document_analysis(runs: list[Run], names: list[str], compared: list[int]) -> Analysis:
    rows = [row for i in compared for row in document_rows(runs, i, names)]
    no_ranking = Ranking([], [], [], [
        "no ranking: the runs have no aligned segments (document-level scores have no interval and no test)"])
    return Analysis(rows, [], [], no_ranking, [], {})


def baseline_family(rows: list[TestedRow]) -> str:
    return BASELINE_FAMILY.format(count=baseline_family_size(rows))


MAX_RESAMPLES = 100_000   # the resampled counts take resamples x segments x 8 bytes: 1.6 GB for 2,000 segments


def check_resamples(n_resamples: int) -> None:
    if n_resamples < 1:
        raise UserError(f"--resamples {n_resamples}: needs at least 1 (1000 is the usual number)")
    if n_resamples > MAX_RESAMPLES:
        raise UserError(f"--resamples {n_resamples}: at most {MAX_RESAMPLES} (each resample holds a count per segment; "
                        "1000 is the usual number)")


def compare_runs(runs: list[Run], baseline: str | None = None, metrics: list[str] | None = None,
                 n_resamples: int = DEFAULT_RESAMPLES, seed: int | None = None, skipped: list[Skipped] = (),
                 all_pairs: bool = False) -> Comparison:
    """The comparison of comparable runs: the ranking per metric (with every pair tested when all_pairs), the
    tests against a baseline (default: the first run); `skipped` run folders are recorded, so that the report
    says what it leaves out. The seed: SACREBLEU_SEED's (environment_seed) unless given."""
    check_resamples(n_resamples)
    seed = environment_seed() if seed is None else seed
    runs = order_with_baseline(runs, baseline)
    level = score_level(runs)
    names = choose_metrics(runs, level, metrics)
    uncommon = {} if metrics else not_in_every_run(runs, level, names)   # named ones: the user chose them
    check_comparable(runs, level, names)
    documents = runs[0].result.documents
    compared = compared_documents(runs, level)
    duplicates = duplicate_groups(runs)
    duplicate_of = {name: group[0] for group in duplicates for name in group[1:]}
    analysis = (aligned_analysis(runs, names, compared, duplicate_of, all_pairs, n_resamples, seed)
                if level == "aligned" else document_analysis(runs, names, compared))
    names = [name for name in names if name not in analysis.left_out]
    rows, not_parallel = split_by_relation(analysis.rows)
    metric_list = [metric_description(runs, "document" if name in analysis.over_units else level, name, compared)
                   for name in names]
    return Comparison(
        created=datetime.now().isoformat(timespec="seconds"),
        harness_version=package_version("mt-harness"),
        baseline=runs[0].name,
        systems=[system_description(r) for r in runs],
        data=DataSet(runs[0].result.data_root,
                     [document_description([r.result.documents[i] for r in runs]) for i in compared]),
        skipped_documents=[skipped_document(runs, i) for i in range(len(documents)) if i not in compared],
        level=level,
        metrics=metric_list,
        metrics_left_out=[*uncommon.values(), *analysis.left_out.values()],
        significance=(Significance(n_resamples, seed, ALPHA, p_floor(n_resamples),
                                   ["paired bootstrap resampling", "paired approximate randomization"],
                                   baseline_family(rows))
                      if level == "aligned" else None),
        ranking=replace(analysis.ranking, duplicates=duplicates),
        rows=rows,
        not_parallel_rows=not_parallel,
        verdicts=verdicts(rows, metric_list),
        buckets=analysis.buckets,
        min_bucket_segments=MIN_BUCKET_SEGMENTS,
        examples=analysis.examples,
        error_spans=error_span_rows(runs) if level == "aligned" else [],
        summaries=summary_rows(runs),
        skipped=skipped_records(skipped),
    )


@dataclass
class Comparisons:
    comparisons: list[Comparison]      # one per group compared, each listing every run folder skipped
    skipped: list[Skipped]       # the run folders of groups that could not be compared, and why


def compare_collection(collection: Collection, baseline: str | None = None, metrics: list[str] | None = None,
                       n_resamples: int = DEFAULT_RESAMPLES, seed: int | None = None,
                       all_pairs: bool = False) -> Comparisons:
    """Runs named one by one are one comparison; runs found by searching folders (a sweep, results/) are compared
    per data set, and a group that cannot be compared (a stale run, no metric in common) is skipped with its
    reason while the others are compared; it is an error only when no group can be."""
    seed = environment_seed() if seed is None else seed      # one seed for every group, refused before any work
    groups, skipped = comparable_groups(collection.runs, metrics) if collection.searched else ([collection.runs], [])
    holding = [baseline is not None and baseline_index(runs, baseline) is not None for runs in groups]
    if baseline and len(groups) > 1 and not any(holding):
        raise unknown_baseline(collection.runs, baseline)
    comparisons, errors = [], [skip.reason for skip in skipped]
    for runs, holds_baseline in zip(groups, holding):
        try:
            comparisons.append(compare_runs(runs, baseline if len(groups) == 1 or holds_baseline else None, metrics,
                                            n_resamples, seed, all_pairs=all_pairs))
        except UserError as err:
            if not collection.searched:
                raise
            skipped += not_compared(runs, err)
            errors.append(str(err))
    if not comparisons:
        errors = list(dict.fromkeys(errors))
        raise UserError(errors[0] if len(errors) == 1 else f"no group of runs could be compared: {'; '.join(errors)}")
    records = skipped_records(collection.skipped + skipped)
    return Comparisons([replace(comparison, skipped=records) for comparison in comparisons], skipped)
