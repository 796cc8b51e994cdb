"""The orchestrator: one function per stage, in the order of the data flow.

documents -> segments -> backend (behind the cache) -> hypotheses (a document-level output partitioned over the
          source sentences) -> document metrics
          -> source <-> reference alignment (once per pair, cached) -> shared segments -> segment metrics
          -> diagnostics (relation of the pair, output language, adequacy) -> result.json
                                └─> summaries (summarizer, summary metrics)
"""
from __future__ import annotations

import importlib
import inspect
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hydra.errors import InstantiationException
from hydra.utils import get_object, instantiate
from omegaconf import DictConfig

from harness.align.crosslingual import check_bead_penalty
from harness.align.encoder import covers, load_in_background
from harness.score.align import check_alignment_settings
from harness.score.aligned_scoring import AlignedMetrics, align_and_score, measures_adequacy
from harness.translate.backends.hf_loading import forget_hub_answers
from harness.translate.backends.base import BuiltWith
from harness.translate.backends.protocol import Translator
from harness.cache import TranslationCache
from harness.config import check_model_folder_name, check_ranges, new_run_folder, to_plain
from harness.score.diagnostics import diagnose_documents
from harness.data.documents import Dataset, data_set_target_lang, load_dataset, resolved_input
from harness.errors import UserError, require_utf8, root_cause, unknown_name
from harness.score.metrics import Metric, check_code_allowed, check_metric_names, select_metrics, target_settings
from harness.align.partition import partition_documents
from harness.results.results import Evaluation, build_result, write_run
from harness.results.run_folder import RunFolder, refuse_store_inside
from harness.score.scoring import score_document
from harness.summarize.summarize import SummaryStage, summarize_documents
from harness.translate.translate import release_model, translate_documents, uncut_documents

log = logging.getLogger(__name__)


UNEXPECTED_ARGUMENT = re.compile(r"unexpected keyword argument '(\w+)'")   # a constructor's TypeError


def instantiate_component(node: DictConfig, key: str, **kwargs):
    """Build the class `node` names (_target_) from its settings; `key` is the node's place in the config."""
    try:
        return keyed_as_configured(instantiate(node, **kwargs, _convert_="object"), node)
    except InstantiationException as err:
        if isinstance(err.__cause__, UserError):   # Hydra wraps constructor errors; keep the user's message
            raise err.__cause__ from None
        if isinstance(err.__cause__, ImportError):   # a misspelt _target_, or its module not on the path
            raise UserError(f"cannot import '{node._target_}' ({root_cause(err)}); check the class name in the "
                            "config's _target_, and that its module is installed or on PYTHONPATH") from None
        unexpected = UNEXPECTED_ARGUMENT.search(str(err.__cause__)) if isinstance(err.__cause__, TypeError) else None
        if unexpected:   # a setting added with + that the class does not take
            setting, known = f"{key}.{unexpected.group(1)}", settings_of(node, kwargs)
            if known is None:   # a factory that passes its settings on: its own message names the class
                raise UserError(f"unknown config key '{setting}' ({err.__cause__})") from None
            if not known:
                raise UserError(f"unknown config key '{setting}': {node._target_} takes no settings of its own")
            raise unknown_name("config key", setting, [f"{key}.{name}" for name in known]) from None
        raise


def keyed_as_configured(built: object, node: DictConfig) -> object:
    """A user's class is keyed by the settings it was built with (base.BuiltWith). A setting with a _target_ of its
    own reaches the constructor as the object Hydra built from it, which no key can hold (the run stopped with a
    traceback once the cache was asked for its key) nor tell from one built with other settings: each setting is
    keyed as configured, which is the same as built for plain data, so those keys stay as they were."""
    if isinstance(built, BuiltWith):
        configured = to_plain(node)
        built.built_with = {name: configured.get(name, value) for name, value in built.built_with.items()}
    return built


def settings_of(node: DictConfig, given: dict) -> list[str] | None:
    """The keyword arguments the class (or factory) `node` names takes, less those the pipeline passes itself;
    None when it takes any (**settings)."""
    taken = inspect.signature(get_object(node._target_)).parameters.values()
    if any(parameter.kind == parameter.VAR_KEYWORD for parameter in taken):
        return None
    return [parameter.name for parameter in taken if parameter.name not in given
            and parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)]


def build_backend(cfg: DictConfig) -> Translator:
    return instantiate_component(cfg.backend, "backend", model=cfg.model, generation=cfg.generation,
                                 cache_dir=cfg.cache.dir)


def build_summary_stage(cfg: DictConfig, target_lang: str) -> SummaryStage | None:
    """The summarizer and summary metrics, built before translating so that mistakes fail fast."""
    if cfg.summarizer.name == "none":
        return None
    return SummaryStage(instantiate_component(cfg.summarizer, "summarizer"), list(cfg.summary.metrics), target_lang,
                        cfg.summary.cross_lingual)


def cache_file(cfg: DictConfig) -> Path | None:
    return Path(cfg.cache.dir).expanduser() / "translations.sqlite" if cfg.cache.enabled else None


def refuse_cache_inside(cfg: DictConfig, folder: Path) -> None:
    """The cache outlives the run: not in its output folder (nor in harness-score's)."""
    cache = cache_file(cfg)
    if cache is not None:
        refuse_store_inside(cache.parent, f"cache.dir={cfg.cache.dir} (HARNESS_CACHE_DIR)", folder)


def refuse_cache_in_data(cfg: DictConfig) -> None:
    """The data folder is the run's input, which it only reads: HARNESS_CACHE_DIR at it put translations.sqlite
    beside the manifest."""
    cache = cache_file(cfg)
    if cache is not None:
        refuse_store_inside(cache.parent, f"cache.dir={cfg.cache.dir} (HARNESS_CACHE_DIR)",
                            resolved_input(Path(cfg.data.root).expanduser().absolute(), "data.root"), "data folder",
                            "the run's input")


def open_cache(cfg: DictConfig) -> TranslationCache:
    return TranslationCache(cache_file(cfg))


def metric_settings(cfg: DictConfig, target_lang: str) -> dict[str, dict]:
    """The constructor arguments of the metrics that run a model (metric_settings.NAME), with the run's cache
    file, where their segment scores are kept, and of those that follow the data set's target language."""
    cache = cache_file(cfg)
    return {name: {**settings, "cache_path": None if cache is None else str(cache)}
            for name, settings in to_plain(cfg.metric_settings).items()} | target_settings(target_lang)


def encoder_warm_up(dataset: Dataset, crosslingual: DictConfig) -> Callable[[], None] | None:
    """New outputs are embedded for adequacy where the encoder covers a document's languages: then the encoder
    loads in the background as soon as the backend is asked for a segment, beside the model's load."""
    if any(covers(doc.src_lang) and covers(dataset.target_lang) and measures_adequacy(doc.line_aligned, crosslingual)
           for doc in dataset.documents):
        return load_in_background
    return None


def evaluate(cfg: DictConfig, dataset: Dataset, backend: Translator, metrics: list[Metric],
             aligned_metrics: AlignedMetrics, summary_stage: SummaryStage | None) -> Evaluation:
    """The stages after the data set is loaded, in the order of the data flow."""
    cache = open_cache(cfg)
    try:
        translations = translate_documents(list(dataset.documents), backend, cache, dataset.target_lang,
                                           cfg.data.max_segments, cfg.data.max_sentences,
                                           encoder_warm_up(dataset, cfg.crosslingual))
        release_model(backend)
        translations = partition_documents(translations, dataset.target_lang, cache)
        summaries = summarize_documents(summary_stage, translations, cache)
        aligned = align_and_score(translations, dataset.target_lang, cfg.alignment, cfg.crosslingual, cache,
                                  aligned_metrics)
        diagnostics = diagnose_documents(translations, aligned, dataset.target_lang, cfg.diagnostics, cache)
    finally:
        cache.close()
    scored = [score_document(t, metrics, a, aligned_metrics.max_segment_chars)
              for t, a in zip(translations, aligned, strict=True)]
    return Evaluation(scored, aligned, diagnostics, summaries, cache.rejected)


@dataclass
class Plan:
    """Everything a run needs, built and checked before the first translation."""

    dataset: Dataset
    metrics: list[Metric]                   # document level (metrics=[...])
    aligned_metrics: AlignedMetrics         # alignment.segment_metrics and alignment.corpus_metrics
    backend: Translator
    summary_stage: SummaryStage | None


def check_settings(cfg: DictConfig) -> None:
    """What a composed config must pass before anything runs (each job of a sweep, before the first starts):
    ranges, the metrics' names, then the aligners' settings (bead names are read by harness.align.beads)."""
    check_ranges(cfg)
    check_model_folder_name(cfg.model.name)
    metrics = stage_metrics(cfg)
    check_metric_names(metrics)
    check_code_allowed(metrics + ([] if cfg.summarizer.name == "none" else list(cfg.summary.metrics)),
                       cfg.allow_metric_code)
    check_summary_settings(cfg)
    check_alignment_settings(cfg.alignment)
    check_bead_penalty(cfg.crosslingual)
    if cfg.data.max_segments and supplies_documents(cfg.backend):
        raise uncut_documents(cfg.data.max_segments)


def stage_metrics(cfg: DictConfig) -> list[str]:
    """The names of the metrics the run scores translations with: document level, then the aligned segments'."""
    return [*cfg.metrics, *cfg.alignment.segment_metrics, *cfg.alignment.corpus_metrics]


def check_summary_settings(cfg: DictConfig) -> None:
    """Summary settings are read even with summarizer=none (the default), which reads none of them: a misspelt
    summary metric is named before any job of a sweep runs, and a cross-lingual summary asked for is not dropped."""
    check_metric_names(list(cfg.summary.metrics), "summary metric")
    if cfg.summary.cross_lingual and cfg.summarizer.name == "none":
        raise UserError("summary.cross_lingual=true: summarizer=none makes no summaries; name a multilingual "
                        "summarizer, e.g. summarizer=hf_causal")


def supplies_documents(backend: DictConfig) -> bool:
    """Whether the backend's class reads whole documents (model=files), known before it is built; a class that
    cannot be imported is named when the run builds it (instantiate_component)."""
    module, _, name = str(backend.get("_target_", "")).rpartition(".")
    try:   # not hydra's get_object, which logs an error line of its own for a name it cannot import
        return bool(getattr(getattr(importlib.import_module(module), name, None), "supplies_documents", False))
    except (ImportError, ValueError):
        return False


def prepare(cfg: DictConfig) -> Plan:
    """Every check that can refuse the run, settings and metrics first (nothing written yet: BLEU tokenizes as the
    manifest's target language asks), then the data set, whose language checks are remembered in the cache."""
    check_settings(cfg)
    target_lang = data_set_target_lang(cfg.data.root)
    settings = metric_settings(cfg, target_lang)
    metrics = select_metrics(list(cfg.metrics), settings=settings)
    aligned_metrics = AlignedMetrics.build(cfg.alignment, metrics, settings, cfg.limits.max_segment_chars)
    for metric in {id(m): m for m in [*metrics, *aligned_metrics.segment, *aligned_metrics.corpus]}.values():
        metric.check_ready()
    refuse_cache_in_data(cfg)
    cache = open_cache(cfg)   # the language checks of the files, remembered
    try:
        dataset = load_dataset(cfg.data.root, cfg.data.documents, cfg.data.reference_root, cache)
    finally:
        cache.close()
    require_utf8(str(dataset.root), "data.root")   # a relative data.root inside a folder whose name is not UTF-8
    return Plan(dataset, metrics, aligned_metrics, build_backend(cfg), build_summary_stage(cfg, target_lang))


def run(cfg: DictConfig, output_dir: str | Path | None = None, records: dict[str, str] | None = None,
        keep_failed: bool = False, knob: str = "output_dir") -> dict:
    """Translate the data set with the configured model, score it and write the run folder.

    records: extra files (Hydra's .hydra/ record) written once the folder is claimed. keep_failed: a user error
    marks the folder FAILED with the error instead of taking back what the run wrote (a sweep's job). knob: where
    the caller chose output_dir, named in an error about the folder (the API's output_dir, harness-run's
    hydra.run.dir)."""
    started = time.time()
    forget_hub_answers()
    folder = RunFolder.claim(output_dir or new_run_folder(cfg.model.name), knob)
    try:
        refuse_cache_inside(cfg, folder.path)
        folder.start_log()
        for name, text in (records or {}).items():
            folder.write_text(name, text)
        plan = prepare(cfg)
        evaluation = evaluate(cfg, plan.dataset, plan.backend, plan.metrics, plan.aligned_metrics, plan.summary_stage)
        result = build_result(cfg, plan.backend, plan.dataset, evaluation, started, folder.notes, plan.metrics)
        write_run(folder, result, evaluation)
    except UserError as err:
        folder.give_up(err, keep_failed)   # nothing of this run left behind, nothing else touched; or marked FAILED
        raise
    except BaseException as err:   # a bug, a crash or ^C: keep what was written and mark the folder FAILED
        folder.fail(err)
        raise
    log.info("wrote %s", folder.path / "result.json")
    return result.to_dict()
