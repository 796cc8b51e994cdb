"""Comparison of finished runs: small pure functions from result.json records to comparison data.

A comparison is a plain dict (written as comparison.json, rendered by harness.report); it holds one row per
document x system x metric with the score, its 95% interval, the delta against the baseline and the paired
tests, plus length buckets, the segments where systems disagree most and, when runs have them, summaries.
Runs are compared only when they scored the same documents, cut to the same source segments, against the same
references with the same metric signatures; anything else is refused, never put in one column. Run folders that
hold no finished run (RUNNING, FAILED) are named and left out, never passed over in silence.
"""
from __future__ import annotations

import glob
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.errors import UserError, unknown_name
from harness.metrics import Metric, Score, check_code_allowed, is_metric_name, select_metrics
from harness.report_spans import error_span_rows
from harness.results import DocumentRecord, RunRecord, Segment, as_run_record, read_record
from harness.run_folder import FAILED_MARKER, RESULT_FILE, RUNNING_MARKER
from harness.significance import DEFAULT_RESAMPLES, DEFAULT_SEED, compare_systems, holm, scores_from_stats

ALPHA = 0.05
SCORE_DECIMALS = 4
LENGTH_BUCKETS = [(1, 9), (10, 19), (20, 29), (30, 39), (40, None)]   # reference words, as compare-mt's defaults
DISAGREEMENT_EXAMPLES = 10
DISAGREEMENT_METRICS = ("chrf", "bleu")    # sentence chrF is stable on short segments; BLEU is not


@dataclass(frozen=True)
class Run:
    name: str
    path: Path
    result: RunRecord    # a result dict given here is typed by the one reader, harness.results.run_record

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


def folder_contents(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """A run folder's result.json, or a sweep folder's: each job's result.json and its unfinished jobs."""
    if (folder / RESULT_FILE).is_file():
        return [folder / RESULT_FILE], []
    own_state = unfinished_state(folder)
    if own_state:
        return [], [own_state]
    jobs = sorted((p for p in folder.iterdir() if p.is_dir()), key=natural_key)
    found = [job / RESULT_FILE for job in jobs if (job / RESULT_FILE).is_file()]
    skipped = [state for job in jobs if not (job / RESULT_FILE).is_file() for state in [unfinished_state(job)] if state]
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


def collect_runs(arguments: list[str]) -> Collection:
    """The finished runs behind the command-line arguments, and the unfinished run folders among them."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for argument in arguments:
        matched, unfinished = result_files(argument)
        if not matched and not unfinished:
            raise UserError(f"'{argument}': no {RESULT_FILE} found; pass finished run folders or a sweep folder")
        files += [path for path in matched if path.resolve() not in {f.resolve() for f in files}]
        skipped += unfinished
    if not files:
        raise UserError(not_finished_message(skipped))
    results = [read_record(path) for path in files]
    for path, result in zip(files, results):
        check_cut_files_run(path, result)
    runs = [Run(name, path.parent, result) for name, path, result in zip(unique_names(files, results), files, results)]
    return Collection(runs, skipped)


def load_runs(arguments: list[str]) -> list[Run]:
    return collect_runs(arguments).runs


def order_with_baseline(runs: list[Run], baseline: str | None) -> list[Run]:
    """The baseline (a system's name or its run folder; default: the first run) first, the others in the order given."""
    if baseline is None:
        return runs
    names = [run.name for run in runs]
    folders = [run.path.resolve() for run in runs]
    if baseline in names:
        chosen = names.index(baseline)
    elif Path(baseline).resolve() in folders:
        chosen = folders.index(Path(baseline).resolve())
    else:
        raise unknown_name("baseline system", baseline, names)
    return [runs[chosen]] + runs[:chosen] + runs[chosen + 1:]


# ---------------------------------------------------------------- comparability

def has_segments(run: Run) -> bool:
    return all(document.has_segments for document in run.result.documents)


def score_level(runs: list[Run]) -> str:
    """Aligned-segment scores only when every run has them: a column never mixes the two levels."""
    return "aligned" if all(has_segments(run) for run in runs) else "document"


def metric_records(document: DocumentRecord, level: str) -> dict[str, Score]:
    return document.aligned if level == "aligned" else document.metrics


def available_metric_names(run: Run, level: str) -> list[str]:
    documents = run.result.documents
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
    return {f"{name} signature": sorted({metric_records(d, level)[name].signature for d in run.result.documents})
            for name in metric_names}


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


def comparable_groups(runs: list[Run], metric_names: list[str] | None = None) -> list[list[Run]]:
    """Runs split into groups that can be compared, each in the order given (for a sweep over data sets)."""
    level = score_level(runs)
    names = choose_metrics(runs, level, metric_names)
    groups: list[list[Run]] = []
    for run in runs:
        home = next((g for g in groups if incomparability(g[0], run, level, names) is None), None)
        if home is None:
            groups.append([run])
        else:
            home.append(run)
    return groups


def paired_segments(runs: list[Run], doc_index: int) -> list[tuple[Segment, ...]]:
    """Each system's segments of one document, checked to pair up by ref_index with the same reference text."""
    segments = [run.result.documents[doc_index].segments for run in runs]
    keys = [[(s.ref_index, s.ref) for s in system] for system in segments]
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
    document = run.result.documents[doc_index]
    return {"document": document.id, "lang": document.src_lang, "relation": document.relation,
            "system": run.name, "metric": metric, "score": score, "ci": ci, "delta": delta,
            "p_bootstrap": None, "p_randomization": None, "p_bootstrap_holm": None, "p_randomization_holm": None,
            "significant": None}


def tested_metrics(runs: list[Run], names: list[str]) -> dict[str, Metric]:
    """The metrics behind the compared scores, from the registry; an evaluate: metric runs its script's code,
    so every run must have been made with allow_metric_code=true."""
    check_code_allowed(names, all(run.result.allow_metric_code for run in runs))
    return {metric.name: metric for metric in select_metrics(names)}


def tested_rows(runs: list[Run], doc_index: int, metric: Metric, stats: list[np.ndarray],
                n_resamples: int, seed: int) -> list[dict]:
    """Aligned-segment scores with bootstrap intervals and both paired tests, Holm-corrected over the systems."""
    tests = compare_systems(metric, stats, n_resamples, seed)
    scores = [round(t.score, SCORE_DECIMALS) for t in tests]   # as harness.metrics stores scores
    rows = [score_row(run, doc_index, metric.name, score, [round(b, SCORE_DECIMALS) for b in t.ci],
                      None if i == 0 else round(score - scores[0], SCORE_DECIMALS))
            for i, (run, t, score) in enumerate(zip(runs, tests, scores))]
    for key, values in (("bootstrap", [t.p_bootstrap for t in tests[1:]]),
                        ("randomization", [t.p_randomization for t in tests[1:]])):
        for row, raw, adjusted in zip(rows[1:], values, holm(values)):
            row[f"p_{key}"], row[f"p_{key}_holm"] = raw, adjusted
    for row in rows[1:]:
        row["significant"] = max(row["p_bootstrap_holm"], row["p_randomization_holm"]) < ALPHA
    return rows


def stored_statistics(run: Run, doc_index: int, metric: Metric, system: tuple[Segment, ...]) -> np.ndarray:
    """A sentence model's statistics from the segment scores the run stored: compare never runs the model."""
    if any(metric.name not in s.scores for s in system):
        raise UserError(f"run '{run.name}' ({run.path}), document '{run.result.documents[doc_index].id}': some "
                        f"segments have no stored {metric.name} score; re-run it with {metric.name} in metrics=[...]")
    return metric.statistics_from_scores([s.scores[metric.name] for s in system])


def system_statistics(run: Run, doc_index: int, metric: Metric, system: tuple[Segment, ...],
                      references: list[str]) -> np.ndarray:
    if metric.sentence_model:
        return stored_statistics(run, doc_index, metric, system)
    return metric.statistics([s.hyp for s in system], references,
                             [s.src for s in system] if metric.needs_source else None)


def statistics_by_system(runs: list[Run], doc_index: int, metrics: dict[str, Metric]) -> dict[str, list[np.ndarray]]:
    """Per metric, each system's per-segment sufficient statistics (extracted once, reused by every test);
    a metric that needs the source gets the segments' sources."""
    segments = paired_segments(runs, doc_index)
    references = [s.ref for s in segments[0]]
    return {name: [system_statistics(run, doc_index, metric, system, references)
                   for run, system in zip(runs, segments)]
            for name, metric in metrics.items()}


# ---------------------------------------------------------------- analysis

def length_bucket(words: int) -> str:
    for low, high in LENGTH_BUCKETS:
        if high is None or words <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable: the last bucket is open")


def bucket_rows(runs: list[Run], stats: dict, metrics: dict[str, Metric]) -> list[dict]:
    """Corpus scores by reference-sentence length, per language (its documents pooled) and system."""
    pooled: dict = defaultdict(lambda: defaultdict(list))   # lang -> metric/"labels" -> per-doc arrays
    for doc_index, document in enumerate(runs[0].result.documents):
        lang = document.src_lang
        pooled[lang]["labels"].append(np.array([length_bucket(len(s.ref.split())) for s in document.segments]))
        for name in metrics:
            pooled[lang][name].append(stats[doc_index][name])
    rows = []
    for lang, parts in pooled.items():
        labels = np.concatenate(parts["labels"])
        for bucket in [length_bucket(low) for low, _ in LENGTH_BUCKETS]:
            chosen = labels == bucket
            if not chosen.any():
                continue
            for name, metric in metrics.items():
                for position, run in enumerate(runs):
                    system_stats = np.concatenate([per_doc[position] for per_doc in parts[name]])
                    score = float(scores_from_stats(metric, system_stats[chosen].sum(axis=0))[0])
                    rows.append({"lang": lang, "bucket": bucket, "segments": int(chosen.sum()),
                                 "system": run.name, "metric": name, "score": score})
    return rows


def disagreement_metric(segment: Segment) -> str | None:
    return next((name for name in DISAGREEMENT_METRICS if name in segment.scores), None)


def disagreements(runs: list[Run], limit: int = DISAGREEMENT_EXAMPLES) -> list[dict]:
    """The reference sentences whose outputs differ most in sentence score between systems (compare-mt style)."""
    examples = []
    for doc_index, document in enumerate(runs[0].result.documents):
        for per_system in zip(*paired_segments(runs, doc_index)):
            metric = disagreement_metric(per_system[0])
            if metric is None:
                continue
            scores = [s.scores[metric] for s in per_system]
            examples.append({"document": document.id, "lang": document.src_lang,
                             "ref_index": per_system[0].ref_index, "ref": per_system[0].ref,
                             "src": next((s.src for s in per_system if s.src), None),
                             "metric": metric, "spread": max(scores) - min(scores),
                             "outputs": [{"system": run.name, "hyp": s.hyp, "score": score}
                                         for run, s, score in zip(runs, per_system, scores)]})
    examples.sort(key=lambda e: -e["spread"])
    return [e for e in examples if e["spread"] > 0][:limit]


def summary_rows(runs: list[Run]) -> list[dict]:
    return [{"document": document.id, "lang": document.src_lang, "system": run.name,
             "scores": document.summary.flat_scores()}
            for run in runs for document in run.result.documents if document.summary is not None]


# ---------------------------------------------------------------- the comparison

def metric_description(run: Run, level: str, name: str) -> dict:
    record = metric_records(run.result.documents[0], level)[name]
    return {"name": name, "signature": record.signature, "higher_is_better": record.higher_is_better}


def compare_runs(runs: list[Run], baseline: str | None = None, metrics: list[str] | None = None,
                 n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, skipped: list[Skipped] = ()) -> dict:
    """The comparison of comparable runs against a baseline (default: the first run); `skipped` run folders
    are recorded, so that the report says what it leaves out."""
    if n_resamples < 1:
        raise UserError(f"--resamples {n_resamples}: needs at least 1 (1000 is the usual number)")
    runs = order_with_baseline(runs, baseline)
    level = score_level(runs)
    names = choose_metrics(runs, level, metrics)
    check_comparable(runs, level, names)
    documents = runs[0].result.documents
    rows, stats, buckets, examples = [], [], [], []
    if level == "aligned":
        tested = tested_metrics(runs, names)
        stats = [statistics_by_system(runs, i, tested) for i in range(len(documents))]
        rows = [row for i in range(len(documents)) for name, metric in tested.items()
                for row in tested_rows(runs, i, metric, stats[i][name], n_resamples, seed)]
        buckets, examples = bucket_rows(runs, stats, tested), disagreements(runs)
    else:
        rows = [row for i in range(len(documents)) for row in document_rows(runs, i, names)]
    return {
        "baseline": runs[0].name,
        "systems": [{"name": r.name, "run_dir": str(r.path), "model": r.result.model} for r in runs],
        "data": {"root": runs[0].result.data_root,
                 "documents": [{"id": d.id, "lang": d.src_lang, "relation": d.relation} for d in documents]},
        "level": level,
        "metrics": [metric_description(runs[0], level, name) for name in names],
        "significance": ({"resamples": n_resamples, "seed": seed, "alpha": ALPHA,
                          "tests": ["paired bootstrap resampling", "paired approximate randomization"],
                          "correction": "Holm, over the systems compared with the baseline on one document and metric"}
                         if level == "aligned" else None),
        "rows": rows,
        "buckets": buckets,
        "disagreements": examples,
        "error_spans": error_span_rows(runs) if level == "aligned" else [],
        "summaries": summary_rows(runs),
        "skipped": [{"run_dir": str(s.path), "state": s.state, "reason": s.reason} for s in skipped],
    }
