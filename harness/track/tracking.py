"""Experiment tracking: finished runs logged to MLflow (tracking=mlflow), a -m sweep's runs nested under one
parent run, so that models are compared side by side in `mlflow ui`.

Called by the Hydra callback harness.cli.TrackingCallback, so that single runs and sweeps both log whatever
the launcher. Jobs of the joblib or SLURM launchers run in other processes: the sweep's parent run id is kept
in the sweep folder (PARENT_RUN_FILE), where every job finds it. What is logged is read back from the finished
run folder through harness.results.results, never from memory, so MLflow shows what result.json says. The run folder
is complete before anything is logged: a tracking store that fails at the end costs the log, never the run.

One MLflow run per harness run: params are the resolved config, flattened; tags the command-line overrides,
the metrics' signatures and where the run lives; metrics every document's scores ("doc/<id>/<metric>"), and
their means per language ("lang/<lang>/<metric>") and over all ("mean/<metric>"), taken over the parallel
documents only (harness.compare.reports.run_index.parallel_documents); artifacts result.json, hypotheses/,
alignment/ and summaries/. A sweep's parent run gets the sweep's comparison report folders.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import socket
import sqlite3
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from harness.config import TrackingSpec
from harness.errors import UserError, first_line, root_cause
from harness.compare.reports.tables import REPORT_FILES
from harness.results.results import DocumentRecord, RunRecord, read_record
from harness.results.run_folder import TRACKING_ARTIFACTS, refuse_store_inside
from harness.compare.reports.run_index import mean, parallel_documents

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

INSTALL_COMMAND = 'pip install "mt-harness[tracking]"'
PARENT_RUN_FILE = "mlflow_parent_run_id"       # in the sweep folder: the run its jobs are nested under
RUN_ARTIFACTS = ("result.json", "hypotheses", "alignment", "summaries")
PARAMS_PER_BATCH = 100                         # MLflow's limits on one log_batch call
METRICS_PER_BATCH = 1000
MAX_PARAM_LENGTH = 6000
CUT = "…(cut here)"                            # ends a param value longer than MLflow holds
NOT_A_NAME_CHARACTER = re.compile(r"[^\w./\- ]")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Store:
    """Where runs are logged: tracking.uri and tracking.experiment of the config."""
    uri: str
    experiment: str

    @classmethod
    def of(cls, tracking: TrackingSpec) -> Store | None:
        """The store a config's tracking node names, None for tracking=none."""
        if tracking.name == "none":
            return None
        if tracking.name != "mlflow":
            raise UserError(f"tracking.name={tracking.name}: unknown tracker; use tracking=mlflow or tracking=none")
        if not tracking.uri:   # tracking.name=mlflow on the none group: no store named
            raise UserError("tracking.uri is not set; use tracking=mlflow (its store is sqlite:///results/mlflow.db) "
                            "or set tracking.uri=...")
        return cls(tracking.uri, tracking.experiment)


def require_mlflow(tracking: TrackingSpec) -> None:
    """tracking=mlflow without MLflow installed fails before anything runs, saying how to install it."""
    if Store.of(tracking) is not None and importlib.util.find_spec("mlflow") is None:
        raise UserError(f"tracking=mlflow needs MLflow, which is not installed; install it with {INSTALL_COMMAND}, "
                        "or run with tracking=none")


def tracking_errors() -> tuple[type[BaseException], ...]:
    """What a store that cannot be reached or written raises (MLflow wraps HTTP and database errors). Also unwrapped:
    a database store's driver that is not installed (ImportError: 'postgresql://...' without psycopg) and a URL that
    cannot be read (ValueError: 'http://[::1'). Those two went past every check as errors of no store: Hydra turns a
    callback's error into a warning, so the run went on unlogged and harness-run exited 0."""
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError   # a SQLite store's database errors reach the caller unwrapped
    return MlflowException, SQLAlchemyError, OSError, ImportError, ValueError


# ---------------------------------------------------------------- the store

def sqlite_file(uri: str) -> Path | None:
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def client(store: Store) -> MlflowClient:
    from mlflow.tracking import MlflowClient
    database = sqlite_file(store.uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=store.uri)


def artifact_location(store: Store) -> str | None:
    """A SQLite store keeps its artifacts beside the database file (MLflow's default would be ./mlruns, wherever
    the command runs); a server decides for itself."""
    database = sqlite_file(store.uri)
    return (database.parent.resolve() / TRACKING_ARTIFACTS).as_uri() if database is not None else None


def experiment_id(store: Store) -> str:
    """The experiment's id, creating it on first use (also the check, before a run, that the store answers)."""
    mlflow = client(store)
    experiment = mlflow.get_experiment_by_name(store.experiment)
    if experiment is not None:
        return experiment.experiment_id
    return mlflow.create_experiment(store.experiment, artifact_location=artifact_location(store))


def unreachable(store: Store, err: BaseException) -> UserError:
    if isinstance(err, ImportError):   # SQLAlchemy imports a database's driver when MLflow opens the store
        return UserError(f"tracking.uri={store.uri}: MLflow cannot open that store without a module that is not "
                         f"installed ({first_line(err)}); install the database's driver into this environment, point "
                         "tracking.uri at a SQLite store (sqlite:///PATH/mlflow.db), or run with tracking=none")
    if file_store_folder(store.uri) is not None:   # a folder: no server to start (MLflow 3 opens file stores on request)
        return UserError(f"tracking.uri={store.uri}: MLflow's file store at that folder cannot be opened "
                         f"({first_line(err)}); point tracking.uri at a SQLite store (sqlite:///PATH/mlflow.db), set "
                         "MLFLOW_ALLOW_FILE_STORE=true to use the folder, or run with tracking=none")
    return UserError(f"tracking.uri={store.uri}: the MLflow store does not answer ({first_line(err)}); start the "
                     "tracking server, fix tracking.uri, or run with tracking=none")


def check_store(store: Store, run_folder: Path | None = None) -> None:
    """Before anything runs: the store must answer and take writes, or the run would finish unlogged; a SQLite store
    must lie outside the run's folder (run_folder, of a single run)."""
    database = sqlite_file(store.uri)
    if database is not None and run_folder is not None:
        refuse_store_inside(database, f"tracking.uri={store.uri}", run_folder)
    if database is not None:
        refuse_file_in_the_way(store, database.absolute().parent, "its database")
    refuse_read_only(store)
    refuse_foreign_file(store)
    refuse_foreign_folder(store)
    refuse_closed_server(store)
    try:
        with mlflow_quiet():
            artifacts = artifact_folder(store)
    except tracking_errors() as err:
        raise unreachable(store, err) from err
    if artifacts is not None:
        refuse_file_in_the_way(store, artifacts, "the runs' files (artifacts)")


SERVER_PROBE_SECONDS = 10   # a tracking server that takes longer to accept a connection does not answer


def refuse_closed_server(store: Store) -> None:
    """A tracking server that refuses the connection, or whose host is not found: MLflow retries such a request with
    growing waits, and gave up only after about four minutes (printing a line for each try); one connection says so
    at once. Not where a proxy carries the requests (MLflow's requests go through it): MLflow asks there."""
    try:
        location = urlparse(store.uri)
        port = location.port or (443 if location.scheme == "https" else 80)
    except ValueError:   # no port number ('host:abc', 'host:99999'), a bracket left open: MLflow names the URL
        return
    if location.scheme not in ("http", "https") or not location.hostname or proxied(location.scheme,
                                                                                   location.hostname):
        return
    try:
        socket.create_connection((location.hostname, port), timeout=SERVER_PROBE_SECONDS).close()
    except OSError as err:
        raise unreachable(store, err) from err


def proxied(scheme: str, host: str) -> bool:
    """Whether the environment's proxy settings (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) send requests to host
    through a proxy, as the requests library that MLflow uses reads them."""
    proxies = urllib.request.getproxies()
    return (scheme in proxies or "all" in proxies) and not urllib.request.proxy_bypass(host)


def artifact_folder(store: Store) -> Path | None:
    """The local folder where the store's experiment keeps its runs' files; None when a server keeps them."""
    return local_folder(client(store).get_experiment(experiment_id(store)).artifact_location)


def local_folder(uri: str) -> Path | None:
    """The folder a file:///PATH or bare-path URI names; None for any other scheme (a database, a server)."""
    location = urlparse(uri)
    return Path(unquote(location.path)) if location.scheme in ("", "file") else None


def refuse_file_in_the_way(store: Store, folder: Path, kept: str) -> None:
    """A file of the user's where the store's folder (or one above it) should be: MLflow would fail on it, the
    artifacts only once the run had finished (the run not logged, an MLflow run left RUNNING)."""
    existing = next(p for p in [folder, *folder.parents] if p.exists())
    if not existing.is_dir():
        raise UserError(f"tracking.uri={store.uri}: {existing} is a file, not a folder, where the store keeps {kept}; "
                        "move the file away, point tracking.uri at another store "
                        "(tracking.uri=sqlite:///PATH/mlflow.db) or run with tracking=none")


def refuse_read_only(store: Store) -> None:
    """A SQLite store that MLflow can read but not write (a read-only mount, another user's file) answers every
    check and fails only when the finished run is logged: refused before the run instead."""
    database = sqlite_file(store.uri)
    if database is None:   # a server decides for itself
        return
    database = database.absolute()
    existing = next(p for p in [database, *database.parents] if p.exists())
    folder = existing if existing.is_dir() else existing.parent
    if not os.access(existing, os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"tracking.uri={store.uri}: {existing} is read-only (a read-only mount or no write permission), "
                        "so no run could be logged there; point tracking.uri at a writable store "
                        "(tracking.uri=sqlite:///PATH/mlflow.db) or run with tracking=none")


MLFLOW_TABLES = {"alembic_version", "experiments", "runs"}   # in every SQLite store MLflow made


def file_store_folder(uri: str) -> Path | None:
    """The local folder of MLflow's file store (file:///PATH, or a bare path); None for a database or a server."""
    try:
        named = urlparse(uri).path and uri != "databricks"   # MLflow's name for a server, no path
    except ValueError:   # a URL that cannot be read ('http://[::1'): no folder; MLflow's check names it
        return None
    return local_folder(uri) if named else None


def refuse_foreign_folder(store: Store) -> None:
    """A file store (MLFLOW_ALLOW_FILE_STORE=true) at a folder of the user's that is no MLflow store: MLflow added its
    .trash/ and an experiment folder to it, and printed a traceback for each of the user's own subfolders."""
    folder = file_store_folder(store.uri)
    if folder is None or not folder.is_dir() or (folder / ".trash").is_dir():   # every file store holds .trash/
        return
    held = sorted(child.name for child in folder.iterdir())
    if held:
        shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        raise UserError(f"tracking.uri={store.uri}: {folder} holds files of its own ({shown}) and is not an MLflow "
                        "store, and MLflow would add its experiment folders to it; point tracking.uri at a new folder "
                        "or an MLflow store (or tracking.uri=sqlite:///PATH/mlflow.db) or run with tracking=none")


def refuse_foreign_file(store: Store) -> None:
    """A SQLite store at a file MLflow did not make: another program's database would get MLflow's tables added to
    it, and a file that is no database failed only once the run had finished (a warning, the run unlogged); at a
    folder, MLflow retried for a minute and a half, printing a warning each time."""
    database = sqlite_file(store.uri)
    fix = ("point tracking.uri at a new file or an MLflow store (tracking.uri=sqlite:///PATH/mlflow.db) or run with "
           "tracking=none")
    if database is not None and database.is_dir():
        raise UserError(f"tracking.uri={store.uri}: {database} is a folder, not a database file; {fix}")
    if database is None or not database.is_file() or database.stat().st_size == 0:
        return
    try:
        with closing(sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as err:
        raise UserError(f"tracking.uri={store.uri}: {database} is not an SQLite database ({err}); {fix}") from err
    if tables and not MLFLOW_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        raise UserError(f"tracking.uri={store.uri}: {database} is another program's database (tables: {shown}), not "
                        f"an MLflow store, and MLflow would add its tables to it; {fix}")


@contextmanager
def mlflow_quiet() -> Iterator[None]:
    """MLflow logs a store's database error with its traceback (dozens of lines) before it raises it; the caller
    reports the error once, in one line."""
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------- what a run logs

def mlflow_name(name: str) -> str:
    """A metric, param or tag name as MLflow accepts it: chrf++ becomes chrfpp, other signs an underscore."""
    return NOT_A_NAME_CHARACTER.sub("_", name.replace("+", "p"))


def flatten(node: object, prefix: str = "") -> dict[str, str]:
    """A nested config as dotted keys; lists and empty mappings as JSON text."""
    if isinstance(node, dict) and node:
        return {key: value for name, child in node.items()
                for key, value in flatten(child, f"{prefix}{name}.").items()}
    return {prefix.rstrip("."): json.dumps(node) if isinstance(node, (list, dict)) else str(node)}


def run_params(record: RunRecord) -> dict[str, str]:
    """The resolved config of the run, as result.json recorded it, flattened; a value MLflow cannot hold whole
    is cut and says so."""
    return {mlflow_name(key): value if len(value) <= MAX_PARAM_LENGTH else value[:MAX_PARAM_LENGTH - len(CUT)] + CUT
            for key, value in flatten(record.config).items()}


def document_scores(document: DocumentRecord) -> dict[str, float]:
    """Every score of one document: document metrics, aligned scores, adequacy, the output's share in the target
    language and summary scores."""
    scores = {name: score.score for name, score in document.metrics.items()}
    scores |= {f"aligned_{name}": score.score for name, score in document.aligned.items()}
    if document.adequacy is not None:
        scores["adequacy"] = document.adequacy
    if document.output_language is not None:
        scores["output_english"] = document.output_language.english   # share of output sentences in English
    if document.summary is not None:
        scores |= {f"summary {name}": value for name, value in document.summary.flat_scores().items()}
    return scores


def means(documents: list[DocumentRecord]) -> dict[str, float]:
    """Each score's mean over the documents (a score missing from one of them has no mean)."""
    per_document = [document_scores(document) for document in documents]
    names = [name for name in per_document[0] if all(name in scores for scores in per_document)] if documents else []
    return {name: mean([scores[name] for scores in per_document]) for name in names}


def run_metrics(record: RunRecord) -> dict[str, float]:
    """doc/<id>/<score> for every document; lang/<lang>/<score> and mean/<score> over the parallel documents."""
    metrics = {f"doc/{d.id}/{name}": value for d in record.documents for name, value in document_scores(d).items()}
    by_language: dict[str, list[DocumentRecord]] = defaultdict(list)
    for document in parallel_documents(record):
        by_language[document.src_lang].append(document)
    for language, documents in by_language.items():
        metrics |= {f"lang/{language}/{name}": value for name, value in means(documents).items()}
    metrics |= {f"mean/{name}": value for name, value in means(parallel_documents(record)).items()}
    return {mlflow_name(name): value for name, value in metrics.items()}


def signature_tags(record: RunRecord) -> dict[str, str]:
    """Each metric's signature (sacrebleu's, or the summary metric's own)."""
    tags = {}
    for document in record.documents:
        tags |= {f"signature/{name}": score.signature for name, score in document.metrics.items()}
        tags |= {f"signature/aligned_{name}": score.signature for name, score in document.aligned.items()}
    tags |= {f"signature/summary {name}": signature for name, signature in record.summary_metrics.items()}
    return tags


def override_tags(overrides: list[str]) -> dict[str, str]:
    """The command line's overrides: all of them in one tag, and each as override.<key>."""
    tags = {"overrides": " ".join(overrides)}
    for override in overrides:
        key, _, value = override.partition("=")
        tags[f"override.{key.lstrip('+~')}"] = value
    return tags


def run_tags(record: RunRecord, folder: Path, overrides: list[str]) -> dict[str, str]:
    parallel = parallel_documents(record)
    versions = record.versions or {}
    tags = {"run_dir": str(folder.resolve()), "model": record.model_name,
            "backend": str(record.backend), "data_root": str(record.data_root),
            "means_over": "parallel documents: " + (", ".join(d.id for d in parallel) or "none"),
            "harness_version": str(versions.get("harness")), "git_commit": str(versions.get("git_commit")),
            **override_tags(overrides), **signature_tags(record)}
    return tag_names(tags)


def tag_names(tags: dict[str, str]) -> dict[str, str]:
    return {mlflow_name(key): value for key, value in tags.items()}


def milliseconds(stamp: str | None, after_seconds: float = 0) -> int | None:
    if not stamp:
        return None
    return int((datetime.fromisoformat(stamp).timestamp() + after_seconds) * 1000)


# ---------------------------------------------------------------- logging

def chunks(items: list, size: int) -> list[list]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def log_values(mlflow: MlflowClient, run_id: str, params: dict[str, str], metrics: dict[str, float],
               tags: dict[str, str]) -> None:
    """Params, metrics and tags in as few calls as MLflow's batch limits allow."""
    from mlflow.entities import Metric, Param, RunTag
    stamp = int(datetime.now().timestamp() * 1000)
    for batch in chunks([Param(key, value) for key, value in params.items()], PARAMS_PER_BATCH):
        mlflow.log_batch(run_id, params=batch)
    for batch in chunks([RunTag(key, value) for key, value in tags.items()], PARAMS_PER_BATCH):
        mlflow.log_batch(run_id, tags=batch)
    for batch in chunks([Metric(key, value, stamp, 0) for key, value in metrics.items()], METRICS_PER_BATCH):
        mlflow.log_batch(run_id, metrics=batch)


def log_folder_items(mlflow: MlflowClient, run_id: str, folder: Path, names: list[str]) -> None:
    for name in names:
        path = folder / name
        if path.is_dir():
            mlflow.log_artifacts(run_id, str(path), artifact_path=name)
        elif path.is_file():
            mlflow.log_artifact(run_id, str(path))


def log_run(store: Store, folder: Path, overrides: list[str], parent_run_id: str | None = None) -> str:
    """Log one finished run folder as an MLflow run (nested under parent_run_id); its run id."""
    record = read_record(folder)
    mlflow = client(store)
    nested = {"mlflow.parentRunId": parent_run_id} if parent_run_id else None
    run = mlflow.create_run(experiment_id(store), start_time=milliseconds(record.started),
                            run_name=folder.name, tags=nested)
    try:
        log_values(mlflow, run.info.run_id, run_params(record), run_metrics(record),
                   run_tags(record, folder, overrides))
        log_folder_items(mlflow, run.info.run_id, folder, list(RUN_ARTIFACTS))
    except BaseException:
        end_quietly(mlflow, run.info.run_id, "FAILED")
        raise
    mlflow.set_terminated(run.info.run_id, "FINISHED",
                          end_time=milliseconds(record.started, record.run.wall_seconds or 0))
    return run.info.run_id


def end_quietly(mlflow: MlflowClient, run_id: str, status: str) -> None:
    """An MLflow run that stopped (its logging half-way: FAILED; a sweep interrupted: KILLED) says so, rather than
    RUNNING for ever; a store that has stopped answering keeps it as it is (the caller says what stopped)."""
    try:
        with mlflow_quiet():
            mlflow.set_terminated(run_id, status)
    except tracking_errors():
        pass


def start_sweep(store: Store, sweep_dir: Path, overrides: list[str]) -> str:
    """Before the sweep's jobs: its parent run, whose id is kept in the sweep folder for the jobs."""
    check_store(store)
    try:
        mlflow = client(store)
        resumed = earlier_parent(mlflow, store, sweep_dir)
        if resumed is not None:
            mlflow.update_run(resumed, status="RUNNING")
            return resumed
        run = mlflow.create_run(experiment_id(store), run_name=str(sweep_dir),
                                tags=tag_names({"sweep_dir": str(sweep_dir.resolve()), **override_tags(overrides)}))
    except tracking_errors() as err:
        raise unreachable(store, err) from err
    (sweep_dir / PARENT_RUN_FILE).write_text(run.info.run_id + "\n", encoding="utf-8")
    return run.info.run_id


def earlier_parent(mlflow: MlflowClient, store: Store, sweep_dir: Path) -> str | None:
    """The parent run of an earlier launch of this sweep, when this store's experiment holds it: a resumed sweep goes
    on under it, rather than splitting its jobs between two parents and leaving the first as it ended."""
    run_id = sweep_parent(sweep_dir)
    if run_id is None:
        return None
    from mlflow.exceptions import MlflowException
    try:
        run = mlflow.get_run(run_id)
    except MlflowException:   # another store's, or deleted from this one
        return None
    usable = run.info.experiment_id == experiment_id(store) and run.info.lifecycle_stage == "active"
    return run_id if usable else None


def sweep_parent(sweep_dir: Path) -> str | None:
    path = sweep_dir / PARENT_RUN_FILE
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def finish_sweep(store: Store, sweep_dir: Path, failed_jobs: list[str]) -> None:
    """The parent run gets the sweep's comparison reports (every folder of the sweep holding comparison.json), and
    ends FAILED when a job failed, as the sweep's summary and exit code say."""
    run_id = sweep_parent(sweep_dir)
    if run_id is None:
        return
    mlflow = client(store)
    reports = sorted(path.parent.name for path in sweep_dir.glob(f"*/{REPORT_FILES['json']}"))
    log_folder_items(mlflow, run_id, sweep_dir, reports)
    mlflow.set_terminated(run_id, "FAILED" if failed_jobs else "FINISHED")


def job_logged(store: Store, parent_run_id: str, folder: Path) -> bool:
    """Whether the sweep's parent run has the run of this job folder (log_run tags each run with its folder)."""
    children = client(store).search_runs([experiment_id(store)], f"tags.mlflow.parentRunId = '{parent_run_id}'")
    return any(child.data.tags.get("run_dir") == str(folder.resolve()) for child in children)


def interrupt_sweep(store: Store | None, sweep_dir: Path) -> None:
    """Ctrl-C or SIGTERM in a sweep's job: its parent run ends KILLED (no end callback runs after it); the same
    command resumes the sweep under it (start_sweep)."""
    run_id = sweep_parent(sweep_dir) if store else None
    if run_id is not None:
        end_quietly(client(store), run_id, "KILLED")


def log_finished_run(store: Store, folder: Path, overrides: list[str], sweep_dir: Path | None,
                     unless_logged: bool = False) -> None:
    """Log a finished run; with unless_logged (a sweep's job that an earlier launch finished), only when the sweep's
    parent run lacks it: that launch may have been killed between the job's result and its log. A store that fails
    now raises one line that says so: the run folder stays as it is, complete, and the caller makes the failure
    visible (harness-run then exits 1)."""
    parent = sweep_parent(sweep_dir) if sweep_dir else None
    try:
        with mlflow_quiet():
            if unless_logged and (parent is None or job_logged(store, parent, folder)):
                return
            run_id = log_run(store, folder, overrides, parent)
    except tracking_errors() as err:
        raise UserError(f"run NOT logged to MLflow ({store.uri}): {root_cause(err)}; the run folder {folder} is "
                        "complete, MLflow has no (or a partial) record of it") from err
    log.info("logged to MLflow %s, experiment '%s', run %s", store.uri, store.experiment, run_id)


def end_sweep(store: Store, sweep_dir: Path, failed_jobs: list[str]) -> None:
    """The sweep's parent run gets the comparison; a store that fails raises one line, as log_finished_run."""
    try:
        with mlflow_quiet():
            finish_sweep(store, sweep_dir, failed_jobs)
    except tracking_errors() as err:
        raise UserError(f"sweep comparison NOT logged to MLflow ({store.uri}): {root_cause(err)}; it stays in "
                        f"{sweep_dir}") from err
