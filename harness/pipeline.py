"""The orchestrator: one function per stage, in the order of the data flow.

documents -> segments -> backend (behind the cache) -> hypotheses -> document metrics
          -> source <-> reference alignment (once per pair, cached) -> shared segments -> segment metrics
          -> diagnostics (relation of the pair, output language, adequacy) -> result.json
                                └─> summaries (summarizer, summary metrics)
"""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from harness.aligned_scoring import AlignedDocument, align_and_score
from harness.cache import TranslationCache
from harness.config import to_plain
from harness.diagnostics import diagnose_documents
from harness.documents import Dataset, load_dataset
from harness.errors import UserError
from harness.metrics import Metric, select_metrics
from harness.metrics.summary import SummaryMetrics
from harness.results import SCHEMA_VERSION, claim_run_folder, document_record, summary_fields, versions, write_run
from harness.scoring import DocumentScores, score_document
from harness.summarize import SummaryEvaluation, SummaryStage, summarize_documents
from harness.translate import translate_documents

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    scored: list[DocumentScores]            # document-level scores
    aligned: list[AlignedDocument]          # sentence alignment and segment scores
    diagnostics: list[dict]                 # measured relation and output language
    summaries: SummaryEvaluation | None     # None when summarizer=none


def instantiate_component(node: DictConfig, **kwargs):
    try:
        return instantiate(node, **kwargs, _convert_="object")
    except InstantiationException as err:
        if isinstance(err.__cause__, UserError):   # Hydra wraps constructor errors; keep the user's message
            raise err.__cause__ from None
        raise


def build_backend(cfg: DictConfig):
    return instantiate_component(cfg.backend, model=cfg.model, generation=cfg.generation, cache_dir=cfg.cache.dir)


def build_summary_stage(cfg: DictConfig) -> SummaryStage | None:
    """The summarizer and summary metrics, built before translating so that mistakes fail fast."""
    if cfg.summarizer.name == "none":
        return None
    return SummaryStage(instantiate_component(cfg.summarizer), SummaryMetrics(list(cfg.summary.metrics)),
                        cfg.summary.cross_lingual)


def open_cache(cfg: DictConfig) -> TranslationCache:
    path = Path(cfg.cache.dir).expanduser() / "translations.sqlite" if cfg.cache.enabled else None
    return TranslationCache(path)


def default_output_dir(cfg: DictConfig) -> Path:
    return Path("results") / (datetime.now().strftime("%Y-%m-%d/%H-%M-%S") + f"_{cfg.model.name}")


def build_result(cfg: DictConfig, backend, dataset: Dataset, evaluation: Evaluation, started: float) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {"started": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
                "wall_seconds": round(time.time() - started, 2)},
        "config": to_plain(cfg),
        "model": backend.describe(),
        "versions": versions(),
        "data": {"root": str(dataset.root), "target_lang": dataset.target_lang},
        "backend_stats": dict(getattr(backend, "stats", {})),
        "documents": [document_record(*parts, evaluation.summaries) for parts in
                      zip(evaluation.scored, evaluation.aligned, evaluation.diagnostics, strict=True)],
        **summary_fields(evaluation.summaries),
    }


def evaluate(cfg: DictConfig, dataset: Dataset, backend, metrics: list[Metric],
             summary_stage: SummaryStage | None) -> Evaluation:
    """The stages after the data set is loaded, in the order of the data flow."""
    cache = open_cache(cfg)
    try:
        translations = translate_documents(list(dataset.documents), backend, cache, dataset.target_lang,
                                           cfg.data.max_segments)
        summaries = summarize_documents(summary_stage, translations, cache)
        aligned = align_and_score(translations, dataset.target_lang, cfg.alignment, cfg.crosslingual, cache)
    finally:
        cache.close()
    scored = [score_document(t, metrics) for t in translations]
    diagnostics = diagnose_documents(translations, aligned, dataset.target_lang, cfg.diagnostics)
    return Evaluation(scored, aligned, diagnostics, summaries)


def run(cfg: DictConfig, output_dir: str | Path | None = None) -> dict:
    """Translate the data set with the configured model, score it and write the run folder."""
    started = time.time()
    output_dir = Path(output_dir) if output_dir else default_output_dir(cfg)
    dataset = load_dataset(cfg.data.root, cfg.data.documents)
    metrics = select_metrics(list(cfg.metrics))
    backend = build_backend(cfg)
    summary_stage = build_summary_stage(cfg)
    created = not output_dir.exists()
    claim_run_folder(output_dir)
    try:
        evaluation = evaluate(cfg, dataset, backend, metrics, summary_stage)
    except UserError:
        if created:   # a user error leaves no half-written folder behind
            shutil.rmtree(output_dir, ignore_errors=True)
        raise
    result = build_result(cfg, backend, dataset, evaluation, started)
    write_run(output_dir, result, evaluation.scored, evaluation.aligned, evaluation.summaries)
    log.info("wrote %s", output_dir / "result.json")
    return result
