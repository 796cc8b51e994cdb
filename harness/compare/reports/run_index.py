"""The results index: every finished run under a folder, one line each (harness-compare --list results/).

Runs are found and read as harness-compare finds them (harness.compare.discovery.collect_runs): the folder is searched
at any depth, unfinished run folders and unreadable results are named and left out, never a traceback.
A mean score describes translation quality only over the documents whose reference translates the source,
so the index's chrF, like the means logged to MLflow (harness.track.tracking), is the mean over parallel documents.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.compare.discovery import Collection, Run, collect_runs, path_suffix
from harness.compare.reports.tables import NO_VALUE, format_table, terminal_text
from harness.results.results import DocumentRecord, RunRecord

INDEX_METRIC = "chrf"


def parallel_documents(record: RunRecord) -> list[DocumentRecord]:
    """The documents a mean score may be taken over: declared parallel and not measured otherwise."""
    return [document for document in record.documents if document.parallel]


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def started(record: RunRecord) -> str:
    """When the run started (result.json's run.started), as "YYYY-MM-DD HH:MM"."""
    stamp = record.started
    return stamp.replace("T", " ")[:16] if isinstance(stamp, str) else NO_VALUE


def data_set_labels(runs: list[Run]) -> dict[str, str]:
    """Each data set root by its folder's name, with as many parent folders as it takes to tell roots apart."""
    roots = sorted({run.result.data_root or NO_VALUE for run in runs})
    for depth in range(1, max(len(Path(root).parts) for root in roots) + 1):
        labels = {root: path_suffix(Path(root), depth) for root in roots}
        if len(set(labels.values())) == len(labels):
            return labels
    return {root: root for root in roots}


def shown_path(path: Path) -> str:
    """A run folder relative to where the command runs when it lies below it, else as an absolute path."""
    absolute = path.resolve()
    return str(absolute.relative_to(Path.cwd().resolve())) if absolute.is_relative_to(Path.cwd().resolve()) \
        else str(absolute)


@dataclass(frozen=True)
class IndexLine:
    started: str
    model: str
    data_set: str
    documents: int
    parallel: int
    mean_chrf: float | None
    folder: str

    def cells(self) -> list[str]:
        chrf = NO_VALUE if self.mean_chrf is None else f"{self.mean_chrf:.1f}"
        return [self.started, self.model, self.data_set, f"{self.documents} ({self.parallel} parallel)", chrf]


def index_line(run: Run, data_set: str) -> IndexLine:
    record = run.result
    parallel = parallel_documents(record)
    scores = [d.metrics[INDEX_METRIC].score for d in parallel if INDEX_METRIC in d.metrics]
    return IndexLine(started(record), record.model_name, data_set, len(record.documents), len(parallel),
                     mean(scores) if len(scores) == len(parallel) else None, shown_path(run.path))


def index_lines(collection: Collection) -> list[IndexLine]:
    labels = data_set_labels(collection.runs)
    lines = [index_line(run, labels[run.result.data_root or NO_VALUE]) for run in collection.runs]
    return sorted(lines, key=lambda line: (line.started, line.folder))


def index_table(lines: list[IndexLine]) -> str:
    headers = ["started", "model", "data set", "documents", "chrF"]
    table = format_table(headers, [line.cells() for line in lines], left=4).splitlines()
    # left-aligned, last; shown as the table's cells are (a line break in a folder's name would print a line)
    folders = ["run folder", "-" * len("run folder"), *[terminal_text(line.folder) for line in lines]]
    rows = "\n".join(f"{row}  {folder}" for row, folder in zip(table, folders))
    return f"{rows}\n\n{len(lines)} finished run{'s' if len(lines) != 1 else ''}; chrF: mean document chrF over " \
           f"the parallel documents ({NO_VALUE}: none, or chrF not scored)"


def list_runs(folders: list[str]) -> tuple[str, Collection]:
    """The index of the finished runs under the folders, and what was found (its skipped folders to report)."""
    collection = collect_runs(folders)
    return index_table(index_lines(collection)), collection
