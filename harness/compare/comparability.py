"""Comparability: which runs may share a column. Runs are compared only when they scored the same documents, cut to
the same source segments, against the same references with the same metric signatures; anything else is refused
(named runs) or put in a group of its own (runs found by a search). Also the score level (aligned segments or whole
documents), the metrics compared, and the systems whose outputs are identical.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from harness.compare.discovery import Run, Skipped
from harness.data.documents import is_plain_id
from harness.data.lines import split_lines
from harness.errors import UserError, unknown_name
from harness.results.records import DocumentRecord, Segment
from harness.score.aligned_scoring import comparable_signature
from harness.score.metrics import Score, is_metric_name
from harness.translate.backends.files import HYPOTHESES_DIR


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
    """The requested metrics (each must be in every run, each once: a metric named twice would count twice in the
    Holm correction), or those every run has (at least one)."""
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
    return list(dict.fromkeys(requested))


def not_in_every_run(runs: list[Run], level: str, names: list[str]) -> dict[str, str]:
    """The metrics some runs have and others lack, which a comparison of the metrics in common leaves out, each
    with the runs that lack it, in words."""
    available = [available_metric_names(run, level) for run in runs]
    uncommon = dict.fromkeys(name for names_of_run in available for name in names_of_run if name not in names)
    return {name: (f"metric '{name}' left out: not in run(s) "
                   f"{', '.join(repr(run.name) for run, has in zip(runs, available) if name not in has)} at "
                   f"{level} level (the metrics every run has are compared)") for name in uncommon}


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


def differing_data(first: Run, other: Run) -> list[str]:
    """What differs between two runs' data, in words: data_identity's parts, and the source sentences where both runs
    record them (a run without segments, of document scores only, records none)."""
    mine, theirs = data_identity(first), data_identity(other)
    differing = [key for key in mine if mine[key] != theirs[key]]
    sources = [(source_digest(a), source_digest(b)) for a, b in zip(first.result.documents, other.result.documents)]
    if any(None not in pair and pair[0] != pair[1] for pair in sources):
        differing.append("source sentences")
    return differing


def source_digest(document: DocumentRecord) -> str | None:
    """A digest of the source sentences the reference sentences were paired with, and of those left unpaired: a
    source edited between two runs keeps its file name and sentence count, and its systems translated another text.
    None where the pairing follows the system's output (the hypothesis-side path) or the run has no segments."""
    if document.alignment.get("method") == "hypothesis" or not document.segments:
        return None
    sources = [segment.src or "" for segment in document.segments]
    sources += [str(unpaired.get("src", "")) for unpaired in document.unmatched_source]
    return hashlib.sha256("\0".join(sources).encode("utf-8", "surrogateescape")).hexdigest()


def signatures(run: Run, level: str, metric_names: list[str]) -> dict:
    """What each metric's scores must share across runs: the signature, and the direction (higher or lower is
    better: a result edited to call TER higher-is-better would be ranked the other way round)."""
    records = [metric_records(d, level) for d in scored_documents(run, level)]
    return {f"{name} signature": sorted({comparable_signature(record[name].signature) for record in records})
            for name in metric_names} | {f"{name} direction": sorted({record[name].higher_is_better for record in records})
                                         for name in metric_names}


def incomparability(first: Run, other: Run, level: str, metric_names: list[str]) -> str | None:
    """Why `other` cannot be compared with `first`, in words, or None when it can."""
    mine, theirs = signatures(first, level, metric_names), signatures(other, level, metric_names)
    differing = differing_data(first, other) + [key for key in mine if mine[key] != theirs[key]]
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
    for same_data in grouped(runs, lambda first, run: not differing_data(first, run)):
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
                            f"'{runs[0].name}' (the reference was edited between the runs, or split otherwise); "
                            "runs scored against other reference text cannot be paired: re-run both on the same data")
    return segments


def output_fingerprint(run: Run) -> str:
    """A digest of what the system output on every document: the lines of its hypotheses/<id>.txt as they are
    scored (split_lines: a copy with Windows line ends is the same output), or for a result without that file (or
    whose id, edited, is no plain file name: '../../x' would read a file outside the run) the hypothesis text of
    its aligned segments."""
    digest = hashlib.sha256()
    for document in run.result.documents:
        path = run.path / HYPOTHESES_DIR / f"{document.id}.txt"
        lines = (split_lines(path.read_text(encoding="utf-8", errors="surrogateescape"))
                 if is_plain_id(document.id) and path.is_file() else [s.hyp for s in document.segments or ()])
        text = "\n".join(lines).encode("utf-8", "surrogateescape")
        digest.update(document.id.encode() + b"\0" + hashlib.sha256(text).digest())
    return digest.hexdigest()


def duplicate_groups(runs: list[Run]) -> list[list[str]]:
    """Systems whose outputs are identical on every document, in groups of two or more (a run copied under
    another name, or the same system run twice): their differences are 0 by construction, not a finding."""
    by_output: dict[str, list[str]] = {}
    for run in runs:
        by_output.setdefault(output_fingerprint(run), []).append(run.name)
    return [names for names in by_output.values() if len(names) > 1]
