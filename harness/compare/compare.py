"""Comparison of finished runs: small pure functions from result.json records to comparison data.

A comparison is a plain dict (written as comparison.json, rendered by harness.compare.report); it holds one row per
document x system x metric with the score, its 95% interval, the delta against the baseline and the paired
tests, plus per parallel document length buckets, examples where each system beats the baseline and where it falls
behind, one verdict per system and, when runs have them, summaries.
Runs are compared only when they scored the same documents, cut to the same source segments, against the same
references with the same metric signatures; anything else is refused, never put in one column. Run folders that
hold no finished run (RUNNING, FAILED) are named and left out, never passed over in silence.
"""
from __future__ import annotations

import glob
import hashlib
import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import compress
from pathlib import Path
from typing import Callable

import numpy as np

from harness.errors import UserError, unknown_name
from harness.score.metrics import REGISTRY, Metric, Score, check_code_allowed, is_metric_name, select_metrics
from harness.compare.report_spans import error_span_rows
from harness.results.results import DocumentRecord, RunRecord, Segment, as_run_record, package_version, read_record
from harness.results.run_folder import FAILED_MARKER, RESULT_FILE, RUNNING_MARKER, TRACKING_STORES
from harness.compare.significance import (DEFAULT_RESAMPLES, DEFAULT_SEED, PairTest, Resampled, compare_systems, holm,
                                  p_floor, resample)

log = logging.getLogger(__name__)

ALPHA = 0.05
SCORE_DECIMALS = 4
LENGTH_BUCKETS = [(1, 9), (10, 19), (20, 29), (30, 39), (40, None)]   # reference words, as compare-mt's defaults
MIN_BUCKET_SEGMENTS = 5    # fewer segments in a length bucket: no interval (a bootstrap of 1-4 sentences means nothing)
EXAMPLES_PER_DIRECTION = 3     # per system: where it beats the baseline most, and where the baseline beats it most
EXAMPLE_METRICS = ("chrf", "bleu")    # sentence chrF is stable on short segments; BLEU is not


@dataclass(frozen=True)
class Run:
    name: str
    path: Path
    result: RunRecord    # a result dict given here is typed by the one reader, harness.results.results.run_record

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", as_run_record(self.result))


# ---------------------------------------------------------------- loading

def natural_key(path: Path) -> list:
    """Sweep jobs sort as 0, 1, 2, ... 10, not 0, 1, 10, 2."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


@dataclass(frozen=True)
class Skipped:
    """A run folder left out of the comparison because it holds no finished run, and why."""
    path: Path
    state: str
    reason: str

    def describe(self) -> str:
        return f"{self.path} is {self.state}: {self.reason}"


@dataclass
class Collection:
    runs: list[Run]
    skipped: list[Skipped]
    searched: bool = False   # some runs were found by searching folders, not named one by one


def matching_paths(argument: str) -> list[Path]:
    if not glob.has_magic(argument):
        return [Path(argument)]
    return [Path(p) for p in sorted(glob.glob(argument), key=natural_key)]


def marker_lines(marker: Path, limit: int = 300) -> list[str]:
    """A marker's non-empty lines (what failed, or which process claimed the folder), cut to a readable length."""
    with marker.open(encoding="utf-8", errors="replace") as handle:
        text = handle.read(limit)
    return [line.strip() for line in text.splitlines() if line.strip()]


def unfinished_state(folder: Path) -> Skipped | None:
    """Why a folder that looks like a run folder has no result.json, or None when it is no run folder at all."""
    if (folder / FAILED_MARKER).is_file():
        error = marker_lines(folder / FAILED_MARKER)
        return Skipped(folder, "FAILED", error[0] if error else "stopped on an error it did not record")
    if (folder / RUNNING_MARKER).is_file():
        claim = ", ".join(marker_lines(folder / RUNNING_MARKER))
        return Skipped(folder, "RUNNING", "still running or was killed" + (f" ({claim})" if claim else ""))
    if (folder / ".hydra").is_dir():
        return Skipped(folder, "unfinished", f"no {RESULT_FILE}, no {RUNNING_MARKER} or {FAILED_MARKER} marker")
    return None


def subfolders(folder: Path) -> list[Path]:
    """The folders a search looks into: not hidden ones, symbolic links (no loops) or MLflow's stores, which hold
    copies of result.json (harness.track.tracking)."""
    try:
        children = list(folder.iterdir())
    except OSError:   # a folder this user cannot list holds nothing to compare
        return []
    return sorted((child for child in children if child.is_dir() and not child.is_symlink()
                   and not child.name.startswith(".") and child.name not in TRACKING_STORES), key=natural_key)


def folder_contents(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """A run folder's result.json, or those of every run folder at any depth below (a sweep folder, a whole
    results/ folder), and the unfinished run folders among them."""
    if (folder / RESULT_FILE).is_file():
        return [folder / RESULT_FILE], []
    own_state = unfinished_state(folder)
    if own_state:
        return [], [own_state]
    found: list[Path] = []
    skipped: list[Skipped] = []
    for child in subfolders(folder):
        files, unfinished = folder_contents(child)
        found += files
        skipped += unfinished
    return found, skipped


def result_files(argument: str) -> tuple[list[Path], list[Skipped]]:
    """The result.json files behind one command-line argument (a run folder, a sweep folder, a file or a glob)
    and the run folders in it that hold no finished run."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for path in matching_paths(argument):
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            files, unfinished = folder_contents(path)
            found += files
            skipped += unfinished
    return found, skipped


def path_suffix(folder: Path, depth: int) -> str:
    return "/".join(folder.parts[-depth:])


def unique_names(paths: list[Path], results: list[RunRecord]) -> list[str]:
    """Systems are named by their model; runs of one model are told apart by as much of their run folder's
    path as it takes (job 0_identity of two sweeps: sweep_a/0_identity, sweep_b/0_identity)."""
    names = [result.model_name for result in results]
    folders = [path.resolve().parent for path in paths]
    for depth in range(0, max(len(folder.parts) for folder in folders) + 1):
        labels = [name if depth == 0 or names.count(name) == 1 else f"{name}@{path_suffix(folder, depth)}"
                  for name, folder in zip(names, folders)]
        if len(set(labels)) == len(labels):
            return labels
    return [f"{label}#{number}" for number, label in enumerate(labels, start=1)]


def check_cut_files_run(path: Path, result: RunRecord) -> None:
    """A files run made with data.max_segments scored whole output files against a cut source: harness versions
    before issue 16 wrote such results (the files backend now refuses the setting); their scores mean nothing."""
    cut = result.max_segments
    if result.backend == "files" and cut:
        raise UserError(f"{path}: model=files with data.max_segments={cut}: whole output files were scored against "
                        f"the first {cut} source sentences, so its scores compare with nothing; re-run it without "
                        "data.max_segments")


def not_finished_message(skipped: list[Skipped]) -> str:
    return (f"no finished run to compare: {'; '.join(s.describe() for s in skipped)}; "
            "wait for the runs to finish, or re-run the failed ones")


def named_files(arguments: list[str]) -> set[Path]:
    """The result files named one by one (a result.json, or a run folder), as opposed to found by a search."""
    return {path.resolve() / RESULT_FILE if path.is_dir() else path.resolve()
            for argument in arguments for path in matching_paths(argument)}


def read_run(path: Path) -> RunRecord:
    result = read_record(path)
    check_cut_files_run(path, result)
    return result


def read_found(files: list[Path], named: set[Path]) -> tuple[list[Path], list[RunRecord], list[Skipped]]:
    """Results named one by one must be readable; one found by searching a folder that cannot be read is named
    and left out, like an unfinished run."""
    kept, results, skipped = [], [], []
    for path in files:
        try:
            results.append(read_run(path))
            kept.append(path)
        except UserError as err:
            if path.resolve() in named:
                raise
            skipped.append(Skipped(path.parent, "unreadable", str(err)))
    return kept, results, skipped


def nothing_found(argument: str) -> UserError:
    """Why an argument holds no run: a pattern that matches nothing, a path that is not there, or a folder
    without any result.json."""
    if glob.has_magic(argument) and not matching_paths(argument):
        return UserError(f"'{argument}' matches no file or folder; check the pattern, or pass run folders, a sweep "
                         "folder or a results folder")
    if not Path(argument).exists():
        return UserError(f"'{argument}' does not exist; pass finished run folders, a sweep folder or a results "
                         "folder")
    return UserError(f"'{argument}': no {RESULT_FILE} found; pass finished run folders or a sweep folder")


def collect_runs(arguments: list[str]) -> Collection:
    """The finished runs behind the command-line arguments, and the unfinished run folders among them."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for argument in arguments:
        matched, unfinished = result_files(argument)
        if not matched and not unfinished:
            raise nothing_found(argument)
        files += [path for path in matched if path.resolve() not in {f.resolve() for f in files}]
        skipped += unfinished
    named = named_files(arguments)
    files, results, unreadable = read_found(files, named)
    skipped += unreadable
    if not files:
        raise UserError(not_finished_message(skipped))
    runs = [Run(name, path.parent, result) for name, path, result in zip(unique_names(files, results), files, results)]
    return Collection(runs, skipped, searched=any(path.resolve() not in named for path in files))


def load_runs(arguments: list[str]) -> list[Run]:
    return collect_runs(arguments).runs


def baseline_index(runs: list[Run], baseline: str) -> int | None:
    """Which run the baseline names (a system's name, or its run folder); None when none."""
    names = [run.name for run in runs]
    if baseline in names:
        return names.index(baseline)
    folders = [run.path.resolve() for run in runs]
    return folders.index(Path(baseline).resolve()) if Path(baseline).resolve() in folders else None


def order_with_baseline(runs: list[Run], baseline: str | None) -> list[Run]:
    """The baseline (a system's name or its run folder; default: the first run) first, the others in the order given."""
    if baseline is None:
        return runs
    chosen = baseline_index(runs, baseline)
    if chosen is None:
        raise unknown_name("baseline system", baseline, [run.name for run in runs])
    return [runs[chosen]] + runs[:chosen] + runs[chosen + 1:]


# ---------------------------------------------------------------- comparability

def has_segments(run: Run) -> bool:
    return all(document.has_segments for document in run.result.documents)


def compared_documents(runs: list[Run], level: str) -> list[int]:
    """The documents compared at a level: at aligned level those every run has aligned scores for (a document
    where no reference sentence has a source counterpart has none, in the data set's nature), at document level
    every document."""
    documents = zip(*(run.result.documents for run in runs))
    return [i for i, same in enumerate(documents) if level == "document" or all(d.aligned for d in same)]


def score_level(runs: list[Run]) -> str:
    """Aligned-segment scores when every run has them on at least one document: a column never mixes the two
    levels."""
    aligned = all(has_segments(run) for run in runs) and compared_documents(runs, "aligned")
    return "aligned" if aligned else "document"


def metric_records(document: DocumentRecord, level: str) -> dict[str, Score]:
    return document.aligned if level == "aligned" else document.metrics


def scored_documents(run: Run, level: str) -> list[DocumentRecord]:
    """A run's documents that have scores at the level (aligned: not those where nothing aligned)."""
    return [d for d in run.result.documents if metric_records(d, level)]


def available_metric_names(run: Run, level: str) -> list[str]:
    documents = scored_documents(run, level)
    names = [name for name in metric_records(documents[0], level)] if documents else []
    return [name for name in names if all(name in metric_records(d, level) for d in documents)]


def choose_metrics(runs: list[Run], level: str, requested: list[str] | None) -> list[str]:
    """The requested metrics (each must be in every run), or those every run has (at least one)."""
    available = [available_metric_names(run, level) for run in runs]
    if not requested:
        common = [name for name in available[0] if all(name in names for names in available)]
        if not common:
            having = "; ".join(f"'{run.name}' has {', '.join(names) or 'none'}" for run, names in zip(runs, available))
            raise UserError(f"no metric in common between the runs at {level} level ({having}); "
                            "re-run them with a shared metric, or compare them separately")
        return common
    everywhere = {name for names in available for name in names}
    for name in requested:
        if name not in everywhere and not is_metric_name(name):
            raise unknown_name("metric", name, everywhere)
        for run, names in zip(runs, available):
            if name not in names:
                raise UserError(f"metric '{name}' is not in run '{run.name}' ({run.path}) at {level} level; "
                                f"it has {', '.join(names) or 'none'}: drop it from --metrics or re-run with it")
    return list(requested)


def data_identity(run: Run) -> dict:
    """What must be equal for two runs' scores to be comparable: the data set, its documents and references."""
    result = run.result
    return {
        "data set root": result.data_root,
        "documents": [[d.id, d.src_lang, d.source_file] for d in result.documents],
        "references": [[d.reference_file, d.reference_cleaning] for d in result.documents],
        "data.max_segments": result.max_segments,
        "source segments per document": [d.source_segments for d in result.documents],
    }


def signatures(run: Run, level: str, metric_names: list[str]) -> dict:
    return {f"{name} signature": sorted({metric_records(d, level)[name].signature
                                         for d in scored_documents(run, level)}) for name in metric_names}


def incomparability(first: Run, other: Run, level: str, metric_names: list[str]) -> str | None:
    """Why `other` cannot be compared with `first`, in words, or None when it can."""
    mine = {**data_identity(first), **signatures(first, level, metric_names)}
    theirs = {**data_identity(other), **signatures(other, level, metric_names)}
    differing = [key for key in mine if mine[key] != theirs[key]]
    return f"different {', '.join(differing)}" if differing else None


def check_comparable(runs: list[Run], level: str, metric_names: list[str]) -> None:
    for other in runs[1:]:
        reason = incomparability(runs[0], other, level, metric_names)
        if reason:
            raise UserError(f"runs '{runs[0].name}' ({runs[0].path}) and '{other.name}' ({other.path}) are not "
                            f"comparable: {reason}; compare them in separate harness-compare calls")


def not_compared(runs: list[Run], error: UserError) -> list[Skipped]:
    return [Skipped(run.path, "not compared", str(error)) for run in runs]


def comparable_groups(runs: list[Run], metric_names: list[str] | None = None) -> tuple[list[list[Run]], list[Skipped]]:
    """Runs split into groups that can be compared, each in the order given (for a sweep over data sets, or a whole
    results/ folder): first by their data, then by their metrics' signatures within one data set. The runs of a
    data set that cannot be split so (no metric in common) are skipped with the reason."""
    groups: list[list[Run]] = []
    skipped: list[Skipped] = []
    for same_data in grouped(runs, lambda first, run: data_identity(first) == data_identity(run)):
        try:
            groups += signature_groups(same_data, metric_names)
        except UserError as err:
            skipped += not_compared(same_data, err)
    return groups, skipped


def signature_groups(runs: list[Run], metric_names: list[str] | None) -> list[list[Run]]:
    level = score_level(runs)
    names = choose_metrics(runs, level, metric_names)
    return grouped(runs, lambda first, run: incomparability(first, run, level, names) is None)


def grouped(runs: list[Run], belongs: Callable[[Run, Run], bool]) -> list[list[Run]]:
    """Runs in groups, each run in the first group whose first run it belongs with, in the order given."""
    groups: list[list[Run]] = []
    for run in runs:
        home = next((group for group in groups if belongs(group[0], run)), None)
        if home is None:
            groups.append([run])
        else:
            home.append(run)
    return groups


def paired_segments(runs: list[Run], doc_index: int) -> list[tuple[Segment, ...]]:
    """Each system's segments of one document, checked to pair up by ref_index with the same reference text."""
    segments = [run.result.documents[doc_index].segments for run in runs]
    keys = [[(s.ref_index, s.ref, s.extra_refs) for s in system] for system in segments]
    for run, system_keys in zip(runs[1:], keys[1:]):
        if system_keys != keys[0]:
            doc_id = runs[0].result.documents[doc_index].id
            raise UserError(f"document '{doc_id}': the reference sentences of '{run.name}' ({run.path}) differ from "
                            f"'{runs[0].name}'; runs from different segmentations cannot be paired, re-run both")
    return segments


# ---------------------------------------------------------------- scores and tests

def document_rows(runs: list[Run], doc_index: int, metric_names: list[str]) -> list[dict]:
    """Document-level scores: one segment per document, so no interval and no test ("n/a")."""
    rows = []
    for name in metric_names:
        base = runs[0].result.documents[doc_index].metrics[name].score
        for position, run in enumerate(runs):
            score = run.result.documents[doc_index].metrics[name].score
            rows.append(score_row(run, doc_index, name, score, None,
                                      None if position == 0 else round(score - base, SCORE_DECIMALS)))
    return rows


def score_row(run: Run, doc_index: int, metric: str, score: float, ci, delta) -> dict:
    """One document x system x metric; `parallel` False: the reference is not a translation of the source, so the
    scores measure topical overlap and the tests say nothing about translation quality."""
    document = run.result.documents[doc_index]
    return {"document": document.id, "lang": document.src_lang, "relation": document.relation,
            "parallel": document.parallel, "system": run.name, "metric": metric, "score": score, "ci": ci,
            "delta": delta, "delta_ci": None, "p_bootstrap": None, "p_randomization": None, "p_bootstrap_holm": None,
            "p_randomization_holm": None, "significant": None}


def rounded(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [round(bound, SCORE_DECIMALS) for bound in interval]


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
    return select_metrics([name])[0]


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
    return metrics, left_out


def tested_rows(runs: list[Run], doc_index: int, metric: Metric, stats: list[np.ndarray],
                n_resamples: int, seed: int) -> list[dict]:
    """Aligned-segment scores with bootstrap intervals and, on a parallel document, both paired tests against the
    baseline (raw p-values here: holm_within_systems corrects them); a document whose reference is not a
    translation of its source gets no test (its scores measure topical overlap, not translation quality)."""
    tests = compare_systems(metric, stats, n_resamples, seed)
    scores = [round(t.score, SCORE_DECIMALS) for t in tests]   # as harness.score.metrics stores scores
    rows = [score_row(run, doc_index, metric.name, score, rounded(t.ci),
                      None if i == 0 else round(score - scores[0], SCORE_DECIMALS))
            for i, (run, t, score) in enumerate(zip(runs, tests, scores))]
    for row, test in zip(rows[1:], tests[1:]):
        row["delta_ci"] = rounded(test.delta_ci)
        if row["parallel"]:
            row["p_bootstrap"], row["p_randomization"] = test.p_bootstrap, test.p_randomization
    return rows


def holm_within_systems(rows: list[dict]) -> None:
    """Holm's correction within each system's comparison with the baseline: the family is that system's tests
    over the parallel documents x metrics, so a verdict does not change with the other runs in the call."""
    for system in dict.fromkeys(row["system"] for row in rows):
        family = [row for row in rows if row["system"] == system and row["p_bootstrap"] is not None]
        for key in ("bootstrap", "randomization"):
            for row, adjusted in zip(family, holm([row[f"p_{key}"] for row in family])):
                row[f"p_{key}_holm"] = adjusted
        for row in family:
            row["significant"] = max(row["p_bootstrap_holm"], row["p_randomization_holm"]) < ALPHA


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
    return statistics


# ---------------------------------------------------------------- analysis

def length_bucket(words: int) -> str:
    for low, high in LENGTH_BUCKETS:
        if high is None or words <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable: the last bucket is open")


def bucket_rows(runs: list[Run], doc_index: int, stats: dict, metrics: dict[str, Metric],
                n_resamples: int, seed: int) -> list[dict]:
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
                rows.append({"document": document.id, "lang": document.src_lang, "bucket": bucket, "segments": count,
                             "small": small, "system": run.name, "metric": name,
                             "score": round(score, SCORE_DECIMALS),
                             "ci": None if small else rounded(shared.interval(position)),
                             "delta": None if position == 0 else round(score - shared.scores[0], SCORE_DECIMALS),
                             "delta_ci": None if small or position == 0 else rounded(shared.delta_interval(position, 0))})
    return rows


def example_metric(segment: Segment) -> str | None:
    return next((name for name in EXAMPLE_METRICS if name in segment.scores), None)


def example(document: DocumentRecord, pair: tuple[Segment, Segment], names: tuple[str, str], metric: str) -> dict:
    baseline, system = pair
    return {"document": document.id, "lang": document.src_lang, "ref_index": baseline.ref_index, "ref": baseline.ref,
            "src": baseline.src or system.src, "metric": metric,
            "difference": round(system.scores[metric] - baseline.scores[metric], SCORE_DECIMALS),
            "outputs": [{"system": name, "hyp": segment.hyp, "score": segment.scores[metric]}
                        for name, segment in zip(names, pair)]}


def system_examples(runs: list[Run], position: int, paired: dict[int, list[tuple[Segment, ...]]],
                    limit: int) -> dict:
    """Where one system's sentence score beats the baseline's most, and where it falls behind most: the
    compare-mt examples, drawn from the parallel documents only."""
    names = (runs[0].name, runs[position].name)
    found = []
    for doc_index, per_segment in paired.items():
        document = runs[0].result.documents[doc_index]
        for segments in per_segment:
            pair = (segments[0], segments[position])
            metric = example_metric(pair[0])
            if metric and metric in pair[1].scores:
                found.append(example(document, pair, names, metric))
    found.sort(key=lambda e: -e["difference"])
    return {"system": runs[position].name, "baseline": runs[0].name,
            "better": [e for e in found if e["difference"] > 0][:limit],
            "worse": [e for e in reversed(found) if e["difference"] < 0][:limit]}


def examples_both_ways(runs: list[Run], compared: list[int], limit: int = EXAMPLES_PER_DIRECTION) -> list[dict]:
    paired = {i: list(zip(*paired_segments(runs, i))) for i in compared if runs[0].result.documents[i].parallel}
    return [system_examples(runs, position, paired, limit) for position in range(1, len(runs))]


def verdicts(rows: list[dict], metrics: list[dict]) -> list[dict]:
    """Per system, over the parallel documents x metrics: how often it is significantly better than the
    baseline, significantly worse, or not told apart (a metric's direction decides better and worse)."""
    higher = {m["name"]: m["higher_is_better"] for m in metrics}
    tally: dict[str, dict] = {}
    for row in rows:
        if row["delta"] is None or not row["parallel"] or row["significant"] is None:
            continue
        counts = tally.setdefault(row["system"], {"system": row["system"], "better": 0, "worse": 0, "unclear": 0})
        if not row["significant"]:
            counts["unclear"] += 1
        else:
            counts["better" if (row["delta"] > 0) == higher[row["metric"]] else "worse"] += 1
    return list(tally.values())


def summary_rows(runs: list[Run]) -> list[dict]:
    return [{"document": document.id, "lang": document.src_lang, "system": run.name,
             "scores": document.summary.flat_scores()}
            for run in runs for document in run.result.documents if document.summary is not None]


# ---------------------------------------------------------------- ranking, all pairs, duplicates

RANK_FAMILY = ("Holm over the {count} test(s) between neighbours in one metric's ranking; a system starts a new "
               "rank cluster only where it is significantly different from the one above it (both tests)")
PAIRS_FAMILY = "Holm over the {count} pair(s) of systems in one metric's table"
BASELINE_FAMILY = ("Holm within each system's comparison with the baseline: its tests over the parallel documents x "
                   "metrics ({count} per test), the same whichever other runs are in the call")


@dataclass(frozen=True)
class RankRow:
    """One system's place in one metric's ranking: its corpus score over the parallel documents' aligned
    segments with the bootstrap 95% interval, its rank cluster (as WMT ranks: 1, 2, ...) and the range of places
    that cluster spans ("2-4"), and the paired tests against the system ranked just above it."""
    metric: str
    system: str
    place: int
    cluster: int
    rank: str
    score: float
    ci: tuple[float, float]
    delta_above: float | None = None          # score minus that of the system above (None for the first)
    p_bootstrap_above: float | None = None    # Holm-corrected over the ranking's neighbours (RANK_FAMILY)
    p_randomization_above: float | None = None
    significant_above: bool | None = None
    duplicate_of: str | None = None           # another system whose output is identical
    raw_p_above: tuple[float, float] | None = None   # (bootstrap, randomization) before the correction


@dataclass(frozen=True)
class PairRow:
    """Two systems on one metric over the parallel documents' aligned segments (--all-pairs): the difference
    `system` minus `other` with its paired interval and both paired tests, raw and Holm-corrected (PAIRS_FAMILY)."""
    metric: str
    system: str
    other: str
    delta: float
    delta_ci: tuple[float, float]
    p_bootstrap: float
    p_randomization: float
    p_bootstrap_holm: float
    p_randomization_holm: float
    significant: bool


@dataclass(frozen=True)
class Ranking:
    """A comparison's ranking and all-pairs tables, typed (read from the comparison by ranking_of)."""
    rows: list[RankRow]
    pairs: list[PairRow]
    documents: list[str]                 # the parallel documents pooled
    notes: list[str]                     # what the tests and their families are; why there is no ranking
    duplicates: list[list[str]]          # groups of systems with identical outputs

    def metric_rows(self, metric: str) -> list[RankRow]:
        return [row for row in self.rows if row.metric == metric]

    def metric_pairs(self, metric: str) -> list[PairRow]:
        return [pair for pair in self.pairs if pair.metric == metric]


def ranking_of(comparison: dict) -> Ranking:
    """The ranking part of a comparison (as compare_runs writes it, or as read back from comparison.json)."""
    part = comparison.get("ranking") or {}
    return Ranking([RankRow(**{**row, "ci": tuple(row["ci"]),
                               "raw_p_above": row["raw_p_above"] and tuple(row["raw_p_above"])})
                    for row in part.get("rows", [])],
                   [PairRow(**{**pair, "delta_ci": tuple(pair["delta_ci"])}) for pair in part.get("pairs", [])],
                   part.get("documents", []), part.get("notes", []), comparison.get("duplicates", []))


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


def metric_ranking(runs: list[Run], metric: Metric, shared: Resampled, duplicate_of: dict[str, str]) -> list[dict]:
    order = ranked_order(shared, metric.higher_is_better)
    tests = [shared.pair(order[place], order[place - 1]) for place in range(1, len(order))]
    adjusted = corrected(tests)
    significant = [max(p) < ALPHA for p in adjusted]
    cluster_of = clusters(significant)
    ranks = rank_ranges(cluster_of)
    rows = []
    for place, system in enumerate(order):
        above = {} if place == 0 else {
            "delta_above": round(tests[place - 1].delta, SCORE_DECIMALS),
            "p_bootstrap_above": adjusted[place - 1][0], "p_randomization_above": adjusted[place - 1][1],
            "significant_above": significant[place - 1],
            "raw_p_above": (tests[place - 1].p_bootstrap, tests[place - 1].p_randomization)}
        rows.append(RankRow(metric.name, runs[system].name, place + 1, cluster_of[place], ranks[place],
                            round(shared.scores[system], SCORE_DECIMALS), tuple(rounded(shared.interval(system))),
                            **above, duplicate_of=duplicate_of.get(runs[system].name)))
    return rows


def metric_pairs(runs: list[Run], metric: Metric, shared: Resampled) -> list[PairRow]:
    """Every pair of systems (in the order given) with both paired tests, Holm-corrected over the pairs."""
    pairs = [(i, j) for i in range(len(runs)) for j in range(i + 1, len(runs))]
    tests = [shared.pair(i, j) for i, j in pairs]
    return [PairRow(metric.name, runs[i].name, runs[j].name, round(t.delta, SCORE_DECIMALS), tuple(rounded(t.delta_ci)),
                    t.p_bootstrap, t.p_randomization, p_bs, p_ar, max(p_bs, p_ar) < ALPHA)
            for (i, j), t, (p_bs, p_ar) in zip(pairs, tests, corrected(tests))]


def ranking(runs: list[Run], documents: list[int], metrics: dict[str, Metric], stats: dict,
            duplicate_of: dict[str, str], all_pairs: bool, n_resamples: int, seed: int) -> dict:
    """Per metric, every system's corpus score over the aligned segments of the parallel documents (for a
    line-aligned test set: over its lines, as sacrebleu REF -i HYP), ranked with clusters; with all_pairs the
    paired tests between every two systems too (a win matrix, as COMET's comet-compare)."""
    if not documents:
        return {"rows": [], "pairs": [], "documents": [], "notes": [
            "no ranking: no compared document's reference is a translation of its source"]}
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
    return {"rows": [asdict(row) for row in rows], "pairs": [asdict(pair) for pair in pairs], "documents": ids,
            "notes": notes}


def output_fingerprint(run: Run) -> str:
    """A digest of what the system output on every document: its hypotheses/<id>.txt as the run wrote it, or
    for a result without that file the hypothesis text of its aligned segments."""
    digest = hashlib.sha256()
    for document in run.result.documents:
        path = run.path / "hypotheses" / f"{document.id}.txt"
        text = path.read_bytes() if path.is_file() else "\n".join(s.hyp for s in document.segments or ()).encode()
        digest.update(document.id.encode() + b"\0" + hashlib.sha256(text).digest())
    return digest.hexdigest()


def duplicate_groups(runs: list[Run]) -> list[list[str]]:
    """Systems whose outputs are identical on every document, in groups of two or more (a run copied under
    another name, or the same system run twice): their differences are 0 by construction, not a finding."""
    by_output: dict[str, list[str]] = {}
    for run in runs:
        by_output.setdefault(output_fingerprint(run), []).append(run.name)
    return [names for names in by_output.values() if len(names) > 1]


def duplicate_note(groups: list[list[str]]) -> list[str]:
    return [f"duplicate outputs: {' = '.join(names)} (identical hypotheses on every document; their scores are "
            "the same by construction)" for names in groups]


# ---------------------------------------------------------------- the comparison

def system_description(run: Run) -> dict:
    return {"name": run.name, "run_dir": str(run.path), "model": run.result.model, "started": run.result.started,
            "versions": run.result.versions or {}}


def document_description(document: DocumentRecord) -> dict:
    return {"id": document.id, "lang": document.src_lang, "relation": document.relation,
            "measured_relation": document.measured_relation, "parallel": document.parallel,
            "segments": None if document.segments is None else len(document.segments)}


def metric_description(run: Run, level: str, name: str) -> dict:
    record = metric_records(scored_documents(run, level)[0], level)[name]
    return {"name": name, "signature": record.signature, "higher_is_better": record.higher_is_better}


def skipped_document(runs: list[Run], doc_index: int) -> dict:
    """A document left out of an aligned comparison, and which runs have no aligned score for it."""
    document = runs[0].result.documents[doc_index]
    lacking = [run.name for run in runs if not run.result.documents[doc_index].aligned]
    return {"id": document.id, "lang": document.src_lang, "relation": document.relation,
            "reason": f"no aligned segment in {', '.join(lacking)} (no reference sentence has a source counterpart)"}


def split_by_relation(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The rows of parallel documents (tested), and those of the others, without any test field: their scores
    measure topical overlap, so they are shown in a section of their own and never tested."""
    tests = ("delta_ci", "p_bootstrap", "p_randomization", "p_bootstrap_holm", "p_randomization_holm", "significant")
    others = [{k: v for k, v in row.items() if k not in tests} for row in rows if not row["parallel"]]
    return [row for row in rows if row["parallel"]], others


@dataclass
class Analysis:
    """What the aligned segments give: score rows, length buckets, examples and the ranking."""
    rows: list[dict]
    buckets: list[dict]
    examples: list[dict]
    ranking: dict
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
    no_ranking = {"rows": [], "pairs": [], "documents": [], "notes": [
        "no ranking: the runs have no aligned segments (document-level scores have no interval and no test)"]}
    return Analysis(rows, [], [], no_ranking, [], {})


def baseline_family(rows: list[dict]) -> str:
    sizes = {sum(1 for r in rows if r["system"] == system and r["p_bootstrap"] is not None)
             for system in dict.fromkeys(r["system"] for r in rows if r["delta"] is not None)}
    return BASELINE_FAMILY.format(count=" or ".join(str(size) for size in sorted(sizes)) or "0")


def compare_runs(runs: list[Run], baseline: str | None = None, metrics: list[str] | None = None,
                 n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, skipped: list[Skipped] = (),
                 all_pairs: bool = False) -> dict:
    """The comparison of comparable runs: the ranking per metric (with every pair tested when all_pairs), the
    tests against a baseline (default: the first run); `skipped` run folders are recorded, so that the report
    says what it leaves out."""
    if n_resamples < 1:
        raise UserError(f"--resamples {n_resamples}: needs at least 1 (1000 is the usual number)")
    runs = order_with_baseline(runs, baseline)
    level = score_level(runs)
    names = choose_metrics(runs, level, metrics)
    check_comparable(runs, level, names)
    documents = runs[0].result.documents
    compared = compared_documents(runs, level)
    duplicates = duplicate_groups(runs)
    duplicate_of = {name: group[0] for group in duplicates for name in group[1:]}
    analysis = (aligned_analysis(runs, names, compared, duplicate_of, all_pairs, n_resamples, seed)
                if level == "aligned" else document_analysis(runs, names, compared))
    names = [name for name in names if name not in analysis.left_out]
    rows, not_parallel = split_by_relation(analysis.rows)
    metric_list = [metric_description(runs[0], "document" if name in analysis.over_units else level, name)
                   for name in names]
    return {
        "created": datetime.now().isoformat(timespec="seconds"),
        "harness_version": package_version("mt-harness"),
        "baseline": runs[0].name,
        "systems": [system_description(r) for r in runs],
        "data": {"root": runs[0].result.data_root,
                 "documents": [document_description(documents[i]) for i in compared]},
        "skipped_documents": [skipped_document(runs, i) for i in range(len(documents)) if i not in compared],
        "level": level,
        "metrics": metric_list,
        "metrics_left_out": list(analysis.left_out.values()),
        "significance": ({"resamples": n_resamples, "seed": seed, "alpha": ALPHA, "p_floor": p_floor(n_resamples),
                          "tests": ["paired bootstrap resampling", "paired approximate randomization"],
                          "correction": baseline_family(rows)}
                         if level == "aligned" else None),
        "ranking": analysis.ranking,
        "duplicates": duplicates,
        "rows": rows,
        "not_parallel_rows": not_parallel,
        "verdicts": verdicts(rows, metric_list),
        "buckets": analysis.buckets,
        "min_bucket_segments": MIN_BUCKET_SEGMENTS,
        "examples": analysis.examples,
        "error_spans": error_span_rows(runs) if level == "aligned" else [],
        "summaries": summary_rows(runs),
        "skipped": skipped_records(skipped),
    }


def skipped_records(skipped: list[Skipped]) -> list[dict]:
    return [{"run_dir": str(s.path), "state": s.state, "reason": s.reason} for s in skipped]


@dataclass
class Comparisons:
    comparisons: list[dict]      # one per group compared, each listing every run folder skipped
    skipped: list[Skipped]       # the run folders of groups that could not be compared, and why


def compare_collection(collection: Collection, baseline: str | None = None, metrics: list[str] | None = None,
                       n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                       all_pairs: bool = False) -> Comparisons:
    """Runs named one by one are one comparison; runs found by searching folders (a sweep, results/) are compared
    per data set, and a group that cannot be compared (a stale run, no metric in common) is skipped with its
    reason while the others are compared; it is an error only when no group can be."""
    groups, skipped = comparable_groups(collection.runs, metrics) if collection.searched else ([collection.runs], [])
    holding = [baseline is not None and baseline_index(runs, baseline) is not None for runs in groups]
    if baseline and len(groups) > 1 and not any(holding):
        raise unknown_name("baseline system", baseline, [run.name for run in collection.runs])
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
    for comparison in comparisons:
        comparison["skipped"] = skipped_records(collection.skipped + skipped)
    return Comparisons(comparisons, skipped)
