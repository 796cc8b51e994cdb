"""Structured config schemas, registered in Hydra's ConfigStore so that a typo in a key or a wrong type
fails at composition with the key's name, before anything runs. A function that takes a config node is
annotated with its schema class here (spec: AlignmentSpec); at run time it gets the DictConfig that the
schema checked, which has the same fields."""
from __future__ import annotations

import argparse
import itertools
import logging
import math
import os
import re
import shlex
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, get_type_hints

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.errors import (ConfigAttributeError, ConfigKeyError, InterpolationResolutionError,
                              InterpolationToMissingValueError, OmegaConfBaseException)

from harness.errors import UserError, first_line, require_utf8, unknown_name, yaml_problem

PACKAGE_DIR = Path(__file__).resolve().parent
# conf/, seeds/ and references/ ship inside the package in a wheel (harness/conf); a checkout keeps them
# beside it. HARNESS_HOME is the folder that holds them, wherever the harness was installed.
CONF_DIR = next(folder for folder in (PACKAGE_DIR / "conf", PACKAGE_DIR.parent / "conf") if folder.is_dir())
HARNESS_HOME = CONF_DIR.parent
DEFAULT_CACHE_DIR = "~/.cache/mt-harness"   # translations, alignments, converted models; HARNESS_CACHE_DIR moves it


@dataclass
class PromptSpec:
    """How a decoder-only LM is asked to translate one segment."""

    instruction: str = "Translate {src_name} to {tgt_name}."
    # few-shot pairs per source language; never taken from the data being evaluated
    examples: Dict[str, List[List[str]]] = field(default_factory=dict)
    use_chat_template: str = "auto"   # auto: when the tokenizer has one; never; always


@dataclass
class ModelSpec:
    name: str = MISSING
    model_id: Optional[str] = None       # hub id or local folder; "{src}"/"{tgt}" pick a model per language
    revision: str = "main"
    gguf_file: Optional[str] = None      # a GGUF file inside model_id (hub repo or folder)
    gguf_package: Optional[str] = None   # a Python package whose assemble() returns a GGUF path
    path: Optional[str] = None           # files backend: folder of <doc_id>.txt hypotheses
    lang_codes: Dict[str, str] = field(default_factory=dict)  # harness code -> the model's code
    target_token: Optional[str] = None   # token forced as first output (NLLB eng_Latn, M2M100 __en__)
    source_prefix: str = ""              # text put before each source segment (MADLAD "<2en> ")
    prompt: PromptSpec = field(default_factory=PromptSpec)
    trust_remote_code: bool = False      # run Python code shipped with a hub model: only if you trust it
    allow_pickle: bool = False           # load .bin/.pt (pickle) weights; by default only safetensors or GGUF


@dataclass
class GenerationSpec:
    batch_size: int = 16          # most segments in one batch
    max_batch_tokens: int = 4096  # most (padded) source tokens in one batch
    num_beams: int = 1
    max_new_tokens: int = 256
    min_new_tokens: int = 0       # >0 holds back the end of output until then (benchmarks: a fixed length)
    do_sample: bool = False
    device: str = "auto"          # auto, cpu, cuda, cuda:N
    dtype: str = "auto"           # auto (float32 on CPU, bfloat16 on CUDA), float32, float16, bfloat16
    seed: int = 0


@dataclass
class Ct2BackendSpec:
    """backend=ct2: CTranslate2 for a seq2seq model or a decoder-only LM (conf/backend/ct2.yaml)."""

    _target_: str = "harness.translate.backends.ct2.ct2_backend"
    compute_type: str = "int8"   # int8, int8_float32, float32 on CPU; also int8_float16, float16, bfloat16 on CUDA
    inter_threads: int = 0       # replicas decoding parts of a batch in parallel; 0: one per physical core on CPU, 1 on CUDA
    intra_threads: int = 0       # threads per replica; 0: physical cores / inter_threads on CPU, physical cores on CUDA
    max_batch_size: int = 0      # most segments one replica decodes at once; 0: a batch split evenly over the replicas
    #                              (a decoder-only LM on CPU: 4 a part, ct2.LM_PART_ON_CPU)


@dataclass
class DataSpec:
    root: str = "seeds"                    # folder with manifest.yaml; relative to where you launch
    documents: Optional[List[str]] = None  # only these ids
    max_segments: Optional[int] = None     # only the first N segments of each document (smoke runs)
    reference_root: Optional[str] = None   # a folder outside root that the manifest's reference_dir may point into
    max_sentences: int = 50000             # a document with more source sentences is refused (split it)


@dataclass
class CacheSpec:
    dir: str = "${harness_cache_dir:}"
    enabled: bool = True


@dataclass
class AlignmentSpec:
    """Hypothesis <-> reference sentence alignment (harness/score/align.py: the fallback for source languages the
    multilingual encoder does not cover) and the scores over aligned segments.
    Values live in conf/config.yaml (one place); this is their schema."""

    embeddings: bool = MISSING        # encoder cosine in the similarity; false: chrF + length
    weights: Dict[str, float] = MISSING   # embedding, chrf, length: mixed into one similarity in [0, 1]
    min_similarity: float = MISSING   # a pair below it is cheaper left unaligned (1-0 + 0-1)
    merge_penalty: float = MISSING    # extra cost of a bead of more than two sentences
    beads: List[str] = MISSING        # allowed bead shapes "hyp-ref"
    segment_metrics: List[str] = MISSING
    corpus_metrics: List[str] = MISSING


@dataclass
class LimitsSpec:
    """Bounds on what one input may cost (harness.score.aligned_scoring). Values in conf/config.yaml."""

    max_segment_chars: Optional[int] = MISSING   # longer segments: BLEU and chrF only, with a note (null: no bound)


@dataclass
class CrosslingualSpec:
    """Sentence alignment across languages with the multilingual encoder (harness/align/crosslingual.py): source
    <-> reference once per document pair, and source <-> output for the files backend. Values in conf/config.yaml."""

    largest_bead: int = MISSING        # beads of a source and b reference sentences with a + b <= this
    skip: float = MISSING              # score of a sentence left without counterpart (bead scores are margins)
    size_penalty: float = MISSING      # taken from a bead's score for each sentence beyond 1-1 ...
    bead_penalty: Dict[str, float] = MISSING       # ... unless its shape ('1-2', the smaller side first) is listed here
    top_k: int = MISSING               # first pass: a source sentence's nearest reference sentences ...
    anchor_window: int = MISSING       # ... within this many columns of the diagonal ...
    anchor_share: float = MISSING      # ... or this share of the longer document, whichever is wider
    window: int = MISSING              # second pass: columns searched beyond the first pass's anchors
    trim_below: float = MISSING        # an edge sentence this many sd under the pair's background cosine leaves its bead
    trim_fragment_below: float = MISSING   # ... an edge piece that is no sentence, beside sentences: this many (0: chance)
    trim_gain: float = MISSING             # ... or, in a translation that drops sentences, an edge whose bead's cosine is this much higher without it
    trim_document_share: float = MISSING   # a translation drops sentences when this share of its merged beads has such an edge
    sure_margin: float = MISSING           # a bead at this mining margin (cosine / neighbourhood) is sure ...
    recovery_min_margin: float = MISSING   # ... an unsure one gives way to a reordered 1-1 pair at this margin
    names_max_sentences: int = MISSING     # names compared in documents up to this many sentences
    name_min_similarity: float = MISSING   # a reference name is found in the source at this cosine (harness/align/names.py)
    line_sample: Optional[int] = MISSING   # line-aligned sets: cosines on this many evenly spaced lines (null: all)
    line_adequacy: bool = MISSING          # line-aligned sets: adequacy too (loads the encoder for every system)


@dataclass
class HypothesisSideThresholds:
    """The relation from the hypothesis side, for source languages the encoder does not cover."""

    parallel_min_coverage: float = MISSING
    parallel_min_similarity: float = MISSING
    comparable_min_name_overlap: float = MISSING
    comparable_min_coverage: float = MISSING


@dataclass
class DiagnosticsSpec:
    """Thresholds that turn measured numbers into verdicts (harness/score/diagnostics.py); none is hard-coded.
    The relation thresholds are chosen on the dev split of benchmarks/relation_benchmark.py."""

    min_english_share: float = MISSING          # below it: the output is off-target
    min_reference_sentences: int = MISSING      # fewer in the reference, or in the source: too little to judge
    parallel_min_coverage: float = MISSING      # share of sentences in sure beads, on the better-covered side ...
    parallel_min_gap: float = MISSING           # ... whose mean cosine is this far above that of the sentence pairs
                                                # the alignment does not pair (the pair's own null)
    parallel_high_coverage: float = MISSING     # or this share of sentences in sure beads ...
    parallel_high_coverage_min_gap: float = MISSING   # ... standing this far above the null (a narrow topic's high null)
    parallel_one_to_one_share: float = MISSING      # or this share of the longer side's sentences each paired with one
                                                    # sentence of the other in sure beads ...
    parallel_one_to_one_min_gap: float = MISSING    # ... standing this far above the null
    comparable_min_document_cosine: float = MISSING   # else comparable: the same topic (document cosine) ...
    comparable_min_name_share: float = MISSING        # ... and the same event: this share of the reference's names
    comparable_min_number_overlap: float = MISSING    # found in the source, or this Jaccard overlap of numbers > 10
    max_background_similarity: float = MISSING  # a pair that is not parallel, whose unpaired sentences reach this
                                                # mean cosine, is not judged: the gap cannot show a translation there
    null_error_z: float = MISSING               # a pair that is not parallel but would be with its gap raised by this
                                                # many standard errors of its null's mean is not judged (a null of a
                                                # few pairs)
    hypothesis_side: HypothesisSideThresholds = field(default_factory=HypothesisSideThresholds)


@dataclass
class SummarySpec:
    """What is done with the summaries of summarizer=... (none by default)."""

    metrics: List[str] = MISSING   # conf/config.yaml holds the default list; plus evaluate:NAME[@KEY]
    cross_lingual: bool = False    # summarize each source directly (needs a multilingual summarizer)


@dataclass
class TrackingSpec:
    """Where finished runs are logged (conf/tracking/*.yaml; harness/track/tracking.py): none, or mlflow."""

    name: str = "none"
    uri: Optional[str] = None          # MLflow tracking URI: sqlite:///results/mlflow.db or a server's http:// address
    experiment: str = "mt-harness"     # MLflow experiment the runs go into


@dataclass
class CometSettings:
    """A COMET metric's model and how it runs (harness/score/metrics/comet.py). Values in conf/config.yaml."""

    model_id: Optional[str] = None   # hub id, or a local folder in COMET's layout; null: the metric's default model
    revision: str = "main"           # of a hub id; resolved to a commit, which names the model in cache keys
    batch_size: int = MISSING        # segments per forward pass
    device: str = MISSING            # auto, cpu, cuda, cuda:N


@dataclass
class MetricSettings:
    """Settings of the metrics that run a model, by metric name (the constructor arguments of harness.score.metrics)."""

    comet: CometSettings = field(default_factory=CometSettings)
    cometkiwi: CometSettings = field(default_factory=CometSettings)
    xcomet: CometSettings = field(default_factory=CometSettings)


@dataclass
class RunConfig:
    data: DataSpec = field(default_factory=DataSpec)
    model: ModelSpec = MISSING
    backend: Any = MISSING
    generation: GenerationSpec = field(default_factory=GenerationSpec)
    cache: CacheSpec = field(default_factory=CacheSpec)
    metrics: List[str] = MISSING      # conf/config.yaml holds the default list
    metric_settings: MetricSettings = field(default_factory=MetricSettings)
    allow_metric_code: bool = False   # evaluate:NAME metrics run their script's code: only when you trust it
    alignment: AlignmentSpec = field(default_factory=AlignmentSpec)
    limits: LimitsSpec = field(default_factory=LimitsSpec)
    crosslingual: CrosslingualSpec = field(default_factory=CrosslingualSpec)
    diagnostics: DiagnosticsSpec = field(default_factory=DiagnosticsSpec)
    summarizer: Any = MISSING
    summary: SummarySpec = field(default_factory=SummarySpec)
    tracking: TrackingSpec = field(default_factory=TrackingSpec)


def is_whole(value: object) -> bool:
    """An int, not a bool: a summarizer's settings have no schema, so 2.5 or true reach the range check as they are."""
    return isinstance(value, int) and not isinstance(value, bool)


COUNT = (lambda v: is_whole(v) and v >= 1, "a whole number >= 1")
AT_LEAST_ONE = (lambda v: v is None or COUNT[0](v), COUNT[1])   # null: no bound
AUTOMATIC_OR_MORE = (lambda v: is_whole(v) and v >= 0, "a whole number >= 0 (0: chosen for the machine)")
AT_LEAST_ZERO = (lambda v: v >= 0, ">= 0")
SHARE = (lambda v: 0 <= v <= 1, "a share between 0 and 1")
COSINE = (lambda v: -1 <= v <= 1, "a cosine between -1 and 1")
RANGES = {   # key: (accepts, what it must be); checked before anything runs
    "backend.inter_threads": AUTOMATIC_OR_MORE,    # ct2
    "backend.intra_threads": AUTOMATIC_OR_MORE,
    "backend.max_batch_size": AUTOMATIC_OR_MORE,
    "generation.seed": (lambda v: v >= 0, "a whole number >= 0"),
    "metric_settings.comet.batch_size": AT_LEAST_ONE,
    "metric_settings.cometkiwi.batch_size": AT_LEAST_ONE,
    "metric_settings.xcomet.batch_size": AT_LEAST_ONE,
    "summarizer.sentences": COUNT,          # lead, centrality
    "summarizer.damping": (lambda v: 0 < v < 1, "between 0 and 1, e.g. 0.85"),
    "summarizer.max_new_tokens": COUNT,     # hf_causal, hf_seq2seq
    "summarizer.num_beams": COUNT,
    "summarizer.max_input_tokens": AT_LEAST_ONE,
    "crosslingual.largest_bead": (lambda v: v >= 2, "a whole number >= 2 (2: 1-1 beads only)"),
    # bead scores are mining margins, about 1: a skip far beyond them is no choice, and one near the largest float
    # made the search's sums overflow (no path found)
    "crosslingual.skip": (lambda v: -10 <= v <= 10, "a score between -10 and 10 (a bead scores its margin, about 1)"),
    "crosslingual.size_penalty": AT_LEAST_ZERO,
    "crosslingual.bead_penalty": (lambda v: all(p >= 0 for p in v.values()), 'penalties >= 0, e.g. {1-2: 0.02}'),
    "crosslingual.top_k": AT_LEAST_ONE,
    "crosslingual.anchor_window": AT_LEAST_ZERO,
    "crosslingual.anchor_share": SHARE,
    "crosslingual.window": AT_LEAST_ZERO,
    "crosslingual.trim_gain": AT_LEAST_ZERO,
    "crosslingual.trim_document_share": SHARE,
    "crosslingual.names_max_sentences": AT_LEAST_ZERO,
    "crosslingual.name_min_similarity": COSINE,
    "crosslingual.line_sample": AT_LEAST_ONE,
    "diagnostics.min_english_share": SHARE,
    "diagnostics.min_reference_sentences": AT_LEAST_ONE,
    "diagnostics.parallel_min_coverage": SHARE,
    "diagnostics.parallel_high_coverage": SHARE,
    "diagnostics.comparable_min_document_cosine": COSINE,
    "diagnostics.comparable_min_name_share": SHARE,
    "diagnostics.comparable_min_number_overlap": SHARE,
    "diagnostics.max_background_similarity": COSINE,
    "diagnostics.null_error_z": AT_LEAST_ZERO,
    "diagnostics.hypothesis_side.parallel_min_coverage": SHARE,
    "diagnostics.hypothesis_side.parallel_min_similarity": COSINE,
    "diagnostics.hypothesis_side.comparable_min_name_overlap": SHARE,
    "diagnostics.hypothesis_side.comparable_min_coverage": SHARE,
    "data.documents": (lambda v: v is None or len(v) > 0, "a non-empty list of document ids, e.g. [002] (null: every document)"),
    "data.max_segments": AT_LEAST_ONE,
    "data.max_sentences": AT_LEAST_ONE,
    "limits.max_segment_chars": AT_LEAST_ONE,
    "generation.batch_size": AT_LEAST_ONE,
    "generation.max_batch_tokens": AT_LEAST_ONE,
    "generation.num_beams": AT_LEAST_ONE,
    "generation.max_new_tokens": AT_LEAST_ONE,
    "generation.min_new_tokens": (lambda v: v >= 0, "a whole number >= 0"),
    "metrics": (lambda v: len(v) > 0, "a non-empty list, e.g. metrics=[bleu,chrf]"),
    "summary.metrics": (lambda v: len(v) > 0, "a non-empty list, e.g. summary.metrics=[rouge1,chrf]"),
    "alignment.segment_metrics": (lambda v: len(v) > 0, "a non-empty list"),
    "alignment.corpus_metrics": (lambda v: len(v) > 0, "a non-empty list"),
    "alignment.beads": (lambda v: len(v) > 0, "a non-empty list of beads such as [1-1, 2-1, 1-2, 1-0, 0-1]"),
    "alignment.min_similarity": (lambda v: 0 <= v <= 1, "between 0 and 1"),
    "alignment.merge_penalty": (lambda v: v >= 0, ">= 0"),
    "alignment.weights": (lambda v: all(w >= 0 for w in v.values()) and sum(v.values()) > 0,
                          "weights >= 0 with a positive sum, e.g. {embedding: 0.5, chrf: 0.3, length: 0.2}"),
}


def check_ranges(cfg: DictConfig) -> None:
    """Values a schema type cannot rule out (a batch of 0, an empty metric list, a path that is not UTF-8, a NaN)
    fail here, by name."""
    refuse_missing_values(cfg)
    for key, value in leaf_values(to_plain(cfg)):   # first: a NaN or an infinity is named as what it is
        if isinstance(value, str):
            require_utf8(value, key)
        elif isinstance(value, float) and not math.isfinite(value):   # a NaN would end the run unwritable
            raise UserError(f"{key}={value}: must be a finite number")
    for key, (accepts, requirement) in RANGES.items():
        value = OmegaConf.select(cfg, key, default=ABSENT)   # null is checked: summarizer.sentences=null
        if value is not ABSENT and not in_range(accepts, value):
            shown = OmegaConf.to_container(value) if isinstance(value, (DictConfig, ListConfig)) else value
            raise UserError(f"{key}={shown}: must be {requirement}")
    check_cache_dir(OmegaConf.select(cfg, "cache.dir"))
    check_declared_keys(cfg)


ABSENT = object()   # a key this config does not have (summarizer.sentences with summarizer=hf_causal)


def in_range(accepts: Callable[[Any], bool], value: object) -> bool:
    """A value of another type (a word, a list, true where a number is due) is out of range, not a TypeError."""
    try:
        return not isinstance(value, bool) and bool(accepts(value))
    except TypeError:
        return False


def refuse_missing_values(cfg: DictConfig) -> None:
    """A setting without a value (??? left unset, or removed with ~key) stopped the run where it was first read,
    with a traceback and the folder marked FAILED."""
    missing = sorted(OmegaConf.missing_keys(cfg) | {key for key in get_type_hints(RunConfig) if key not in cfg})
    if missing:
        raise UserError(f"{missing[0]}: has no value; give it one ({missing[0]}=...), or drop the ~{missing[0]} "
                        "that removed it (a config file of your own made from an older conf/config.yaml: copy the "
                        "setting from the harness's)")


def check_cache_dir(folder: str | None) -> None:
    """The cache folder is made where it is missing: a name that begins or ends in white space (HARNESS_CACHE_DIR read
    from a file with its line end) made a new, empty cache beside the one meant, in silence, and every translation
    was done again."""
    if folder and folder != folder.strip():
        raise UserError(f"cache.dir={folder!r}: the folder name begins or ends with white space or a line break "
                        "(HARNESS_CACHE_DIR read from a file with its line end?), so a new, empty cache would be made "
                        "beside the one meant; remove it from HARNESS_CACHE_DIR (or cache.dir=...)")


def check_declared_keys(cfg: DictConfig, schema: type = None, prefix: str = "") -> None:
    """A key added with + or ++ that its schema does not declare would be read by nothing: refused by name, as a
    misspelt key without + is when the config is composed. Free mappings are left to their readers: Dict fields,
    and the backend and the summarizer, whose keys are their class's arguments (checked when it is built)."""
    types = get_type_hints(schema or RunConfig)
    for key in cfg.keys():
        if key not in types:
            raise unknown_name("config key", f"{prefix}{key}", [f"{prefix}{name}" for name in types])
        if is_dataclass(types[key]) and isinstance(cfg.get(key), DictConfig):
            check_declared_keys(cfg[key], types[key], f"{prefix}{key}.")


def leaf_values(node: object, prefix: str = "") -> list[tuple[str, object]]:
    """Every value of a plain config that is no mapping or list, with its dotted key."""
    if isinstance(node, dict):
        return [item for key, child in node.items() for item in leaf_values(child, f"{prefix}{key}.")]
    if isinstance(node, list):
        return [item for k, child in enumerate(node) for item in leaf_values(child, f"{prefix.rstrip('.')}[{k}].")]
    return [(prefix.rstrip("."), node)]


UNSAFE_IN_FOLDER_NAME = re.compile(r"[^\w.+=-]+")


def folder_name(name: str) -> str:
    """A model name as one plain folder name: 'Helsinki-NLP/opus-mt-fr-en' -> 'Helsinki-NLP_opus-mt-fr-en'; '/' and
    '..' can neither nest a run folder nor lead out of the results folder."""
    return UNSAFE_IN_FOLDER_NAME.sub("_", name).strip(".") or "_"


MODEL_FOLDER_NAME_LIMIT = 200   # a file system allows 255 characters a name; a run folder adds '<time>_' or '<job>_'


def check_model_folder_name(model_name: str) -> None:
    """model.name names the run's folder (and each sweep job's): one too long for a folder name is refused before any
    folder is made (a sweep's second job failed with a traceback, after the first had run)."""
    length = len(folder_name(model_name))
    if length > MODEL_FOLDER_NAME_LIMIT:
        raise UserError(f"model.name={model_name[:40]}...: {length} characters, too long to name the run's folder "
                        f"(at most {MODEL_FOLDER_NAME_LIMIT}); give a shorter model.name")


def new_run_folder(model_name: str) -> str:
    """Where a run goes unless told otherwise (hydra.run.dir and the Python API share it): a name no folder has yet
    (-2, -3, ... after the second), so that two runs started in one second do not ask for one folder (a notebook's
    loop of run(cfg) calls: the second was refused, 'already holds a finished run')."""
    first = f"results/{datetime.now():%Y-%m-%d/%H-%M-%S}_{folder_name(model_name)}"
    names = itertools.chain([first], (f"{first}-{number}" for number in itertools.count(2)))
    return next(name for name in names if not os.path.lexists(name))


def register_resolvers() -> None:
    """The config's own interpolations. Also run when this module is imported, so that a sweep's worker process
    (joblib, submitit), which resolves hydra.sweep.subdir itself, has them."""
    # ${harness_home:} holds seeds/ and references/, so that the default data set is found from any folder
    OmegaConf.register_new_resolver("harness_home", lambda: str(HARNESS_HOME), replace=True)
    OmegaConf.register_new_resolver("harness_run_folder", new_run_folder, use_cache=True, replace=True)
    OmegaConf.register_new_resolver("harness_folder_name", folder_name, replace=True)
    # HARNESS_CACHE_DIR, unless unset or empty (an exported empty variable put the cache in the working folder)
    OmegaConf.register_new_resolver("harness_cache_dir", lambda: os.environ.get("HARNESS_CACHE_DIR") or DEFAULT_CACHE_DIR,
                                    replace=True)


register_resolvers()


def register_schemas() -> None:
    register_resolvers()
    store = ConfigStore.instance()
    store.store(name="run_schema", node=RunConfig)
    # Outside the backend group, so that --help lists only backends one can choose (backend/ct2.yaml extends it)
    store.store(name="ct2_backend_schema", node=Ct2BackendSpec)


def literal_override(key: str, value: str) -> str:
    """key=VALUE for Hydra's override parser with VALUE read as written, whatever it holds (a path with an accent,
    a space, a comma, brackets, parentheses, '#', a quote or '${'): single-quoted, a quote and the backslashes
    before it escaped as Hydra reads them, and '${' escaped as OmegaConf reads it (no interpolation)."""
    text = re.sub(r"(\\*)\$\{", lambda m: m.group(1) * 2 + "\\${", value)
    text = re.sub(r"(\\*)('|$)", lambda m: m.group(1) * 2 + ("\\'" if m.group(2) else ""), text)
    return f"{key}='{text}'"


def compose_config(overrides: list[str] | None = None) -> DictConfig:
    """Compose the real configs from conf/ (for notebooks and tests), e.g. ["model=identity"]."""
    check_experiment_names(overrides or [])
    refuse_hydra_settings(overrides or [])
    return composed(overrides or [])


def compose_launch(overrides: list[str], flags: LaunchFlags | None = None) -> DictConfig:
    """A -m sweep job's config as harness-run's launch composes it: Hydra's own settings (hydra.*, hydra/launcher=...)
    applied and kept under 'hydra', so that one Hydra refuses (in several lines, exit 1) is refused before the launch;
    read from the configs the launch's flags name (--config-name, --config-dir)."""
    check_experiment_names(overrides)
    flags = flags or LaunchFlags()
    return composed(flags.searched(overrides), with_hydra=True, config_name=flags.config_name,
                    config_dir=flags.primary_folder())


@dataclass(frozen=True)
class LaunchFlags:
    """Hydra's command-line flags that choose where a launch reads its configs: --config-name (-cn), the primary
    config, and --config-dir (-cd), a folder searched after conf/. A -m sweep's jobs were checked against conf/'s
    config.yaml alone: `harness-run --config-dir my_conf -m experiment=mine` was refused ('unknown experiment config
    'mine''), and -cn my_config read 'Cannot find primary config' in several lines (exit 1), where the same commands
    without -m ran."""

    config_name: str = "config"
    config_dir: str | None = None

    @classmethod
    def of(cls, arguments: list[str]) -> LaunchFlags:
        parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
        parser.add_argument("--config-name", "-cn", default="config")
        parser.add_argument("--config-dir", "-cd")
        flags, _ = parser.parse_known_args(arguments)
        folder = flags.config_dir and os.path.abspath(flags.config_dir)   # as Hydra reads it (~: cli.expand_home)
        if folder and not os.path.isdir(folder):   # Hydra's own check comes after a warning of its search path's
            raise UserError(f"--config-dir {flags.config_dir}: no such folder ({folder}); give the folder that holds "
                            "your configs")
        return cls(flags.config_name, folder)

    def primary_folder(self) -> Path:
        """conf/, or the --config-dir folder where the primary config is found there only."""
        if self.config_dir is None or (CONF_DIR / f"{self.config_name}.yaml").is_file():
            return CONF_DIR
        return Path(self.config_dir)

    def searched(self, overrides: list[str]) -> list[str]:
        """The other folder (--config-dir, or conf/ where the primary config is the --config-dir's) in hydra.searchpath
        before the folders the overrides name there, as Hydra searches it: after the primary config's folder, before
        hydra.searchpath's. (A primary config of the --config-dir's reads a file that both folders hold from the
        --config-dir, where Hydra reads conf/'s.)"""
        if self.config_dir is None:
            return overrides
        other = Path(self.config_dir) if self.primary_folder() == CONF_DIR else CONF_DIR
        given = next((o for o in overrides if o.lstrip("+").partition("=")[0] == "hydra.searchpath"), None)
        folders = [f"file://{other}", *(OverridesParser.create().parse_override(given.lstrip("+")).value() if given
                                          else [])]
        quoted = ",".join("'" + str(f).replace("\\", "\\\\").replace("'", "\\'") + "'" for f in folders)
        return [o for o in overrides if o is not given] + [f"hydra.searchpath=[{quoted}]"]


def composed(overrides: list[str], with_hydra: bool = False, config_name: str = "config",
             config_dir: Path = CONF_DIR) -> DictConfig:
    register_schemas()
    try:
        with hydra_of_our_own(), initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            return compose(config_name=config_name, overrides=overrides, return_hydra_config=with_hydra)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as err:   # the API's caller gets harness-run's line
        raise UserError(composition_message(err, overrides)) from err


UNKNOWN_KEY = re.compile(r"Could not override '([\w.]+)'")


GROUP_CHOICE = re.compile(r"([a-z_]+(?:/[a-z_]+)*)=[\w.-]+")   # model=identity, hydra/launcher=basic: no sweep


def group_choices(overrides: Iterable[str]) -> list[str]:
    """The overrides that choose an option of a config group (a folder of conf/, or Hydra's): they decide which keys
    exist (model=identity's backend has none of ct2's settings). Only these, so that composing them cannot fail on
    the unknown key being explained."""
    chosen = (GROUP_CHOICE.fullmatch(override) for override in overrides)
    return [found.group(0) for found in chosen
            if found and (found.group(1).startswith("hydra/") or (CONF_DIR / found.group(1)).is_dir())]


def known_keys(dotted: str, overrides: Iterable[str] = ()) -> list[str]:
    """The keys that exist beside a dotted key in the config composed with the run's group choices (the default
    config where those do not compose), or beside the nearest of its parents that exists
    (hydra.job_logging.handlers.file.filename: the handlers there are, not an empty list)."""
    with_hydra = dotted.startswith("hydra.")
    try:
        config = composed(group_choices(overrides), with_hydra=with_hydra)
    except UserError:
        config = composed([], with_hydra=with_hydra)
    parent = dotted.rpartition(".")[0]
    while parent and not isinstance(OmegaConf.select(config, parent), DictConfig):
        parent = parent.rpartition(".")[0]
    node = OmegaConf.select(config, parent) if parent else config
    return [f"{parent}.{key}" if parent else key for key in node]


def unreadable_override(err: OverrideParseException) -> str:
    """An override Hydra's grammar cannot read (a value with $( ) ; ' ` and the like, e.g. a shell command): name it
    and how to quote it; Hydra's message names neither when the parser, not the lexer, stops."""
    key, _, value = err.override.partition("=")
    reason = first_line(err)
    if reason.startswith("LexerNoViableAltException"):
        reason = "a character the override grammar does not allow"
    readable = readable_override(key, value)
    if readable is None:
        return (f"override {err.override!r} cannot be read ({reason}); write it in Hydra's override grammar "
                "(https://hydra.cc/docs/advanced/override_grammar/basic/)")
    return (f"override {err.override!r} cannot be read ({reason}); quote a value with special characters, and the "
            f"whole override for the shell: {shlex.quote(readable)}")


def readable_override(key: str, value: str) -> str | None:
    """The override written so that Hydra's grammar reads it, as the fix to name: a mapping or list with the quotes
    around its keys dropped (the grammar has none: {"1-2": 0.02} is {1-2: 0.02}), else the value quoted; None when
    neither reads (the quoted form was named whether or not it read, and sent users round in circles)."""
    forms = [f"{key}={value.replace(chr(34), '')}"] if value.lstrip().startswith(("{", "[")) else []
    for form in [*forms, f'{key}="{value}"']:
        try:
            OverridesParser.create().parse_overrides([form])
        except OverrideParseException:
            continue
        return form
    return None


GROUP_FILE = re.compile(r"In '(\w+)/([^']+)': ")   # how Hydra's message names a config group's file


def group_file_message(err: Exception) -> str | None:
    """A key in a config group's file (an experiment, a user's model config) that no schema has: the file, the key and
    the fix. An experiment file without '# @package _global_' puts every key under 'experiment.'."""
    found, cause = GROUP_FILE.match(str(err)), err.__cause__ or err.__context__
    key = getattr(cause, "full_key", None)
    if not found or not key or not isinstance(cause, (ConfigKeyError, ConfigAttributeError)):
        return None
    group, name = found.groups()
    where = f"{group}={name} ({group}/{name}.yaml)"
    if key == group:
        return (f"{where} does not start with '# @package _global_', so its keys would go under '{group}.', which "
                "is no config key; add that line first (conf/experiment/smoke.yaml starts with it)")
    return f"{where}: {unknown_name('config key', key, known_keys(key))}; fix or remove the key in that file"


LAUNCHER_HINT = ("; hydra.launcher.* are the settings of the launcher that hydra/launcher= chooses (the default, "
                 "basic, runs the jobs one after another and has none; add hydra/launcher=local_parallel for n_jobs)")


def composition_message(err: Exception, overrides: Iterable[str] = ()) -> str:
    """One line for a config that does not compose; `overrides`: the run's, whose group choices decide which keys
    an unknown key's message lists."""
    if isinstance(err, yaml.YAMLError):   # a config file of the user's (an experiment) that is no YAML
        mark = getattr(err, "problem_mark", None)
        return f"{mark.name if mark else 'a config file'}: not valid YAML ({yaml_problem(err)})"
    if isinstance(err, OverrideParseException):
        return unreadable_override(err)
    if isinstance(err, InterpolationResolutionError):
        return str(unresolvable(err))
    if isinstance(err, MissingConfigException) and err.options and err.missing_cfg_file:
        group, _, name = err.missing_cfg_file.rpartition("/")
        return str(unknown_name(f"{group} config", name, err.options))
    in_file = group_file_message(err)
    if in_file:
        return in_file
    unknown_key = UNKNOWN_KEY.search(str(err))
    if unknown_key and isinstance(err.__cause__, (ConfigKeyError, ConfigAttributeError)):
        key = unknown_key.group(1)
        return str(unknown_name("config key", key, known_keys(key, overrides))) + (LAUNCHER_HINT if key.startswith(
            "hydra.launcher.") else "")
    mistyped = mistyped_override(err)
    if mistyped:
        return mistyped
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if err.__cause__ is not None:   # e.g. "Value 'abc' of type 'str' could not be converted to Integer"
        lines.append(str(err.__cause__).splitlines()[0])
    return " ".join(lines)


MERGING_OVERRIDE = re.compile(r"^Error merging override (\S+)")
EXPECTED_VALUE = [   # what OmegaConf's type check said, and what the setting takes, as a user writes it
    (re.compile(r"could not be converted to Integer"), "a whole number", ""),
    (re.compile(r"could not be converted to Float"), "a number", ""),
    (re.compile(r"is not a valid bool"), "true or false", ""),
    (re.compile(r"is not a ListConfig"), "a list", ", e.g. {key}=[{value}]"),
    (re.compile(r"to Dict\[|is not a DictConfig|is not a subclass of"), "a mapping", ", e.g. {key}={{name: value}}"),
]


def mistyped_override(err: Exception) -> str | None:
    """An override whose value is not of its setting's type, said with what the setting takes: OmegaConf's
    'Error merging override limits.max_segment_chars=abc Value 'abc' of type 'str' could not be converted to
    Integer' and 'str is not a ListConfig' (metrics=bleu) named no fix. None for any other error."""
    merging = MERGING_OVERRIDE.match(str(err))
    if merging is None or err.__cause__ is None:
        return None
    override = merging.group(1)
    key, _, value = override.lstrip("+~").partition("=")
    for said, takes, example in EXPECTED_VALUE:
        if said.search(str(err.__cause__)):
            return f"{override}: {key} takes {takes}; give one{example.format(key=key, value=value)}"
    return None


@contextmanager
def hydra_of_our_own() -> Iterator[None]:
    """Hydra's global state put aside while our configs are composed, and given back: a notebook or an application
    that initialized Hydra for its own configs (hydra.initialize(...) outside a with-block, @hydra.main) made
    compose_config fail with 'ValueError: GlobalHydra is already initialized'."""
    global_hydra = GlobalHydra.instance()
    theirs = global_hydra.hydra
    global_hydra.clear()
    try:
        yield
    finally:
        GlobalHydra.instance().clear()
        if theirs is not None:
            GlobalHydra.instance().initialize(theirs)


def is_hydra_setting(override: str) -> bool:
    """Whether an override sets Hydra itself (hydra.run.dir=, hydra.verbose=, hydra/launcher=...), which only
    harness-run's launch reads, rather than the job's config; hydra.searchpath, which adds config folders of the
    user's, belongs to the job's composition."""
    key = override.lstrip("+~").partition("=")[0]
    return (key == "hydra" or key.startswith(("hydra.", "hydra/"))) and key != "hydra.searchpath"


def refuse_hydra_settings(overrides: list[str]) -> None:
    """Hydra's own settings are harness-run's: composed here they were dropped in silence, and run(cfg) wrote into
    results/<date>/<time>_<model>, not the folder asked for (hydra.run.dir), or ran no sweep (hydra/launcher=)."""
    for override in overrides:
        key, _, value = override.lstrip("+~").partition("=")
        if is_hydra_setting(override):
            where = "give the folder to run(cfg, output_dir=...)" if key == "hydra.run.dir" else "leave it out"
            raise UserError(f"{key}={value}: a setting of Hydra's, which harness-run reads and compose_config and "
                            f"run() do not; {where}")


# Hydra's settings that the harness owns: set by a user they undid what it guarantees
OWNED_HYDRA_SETTINGS = {
    # Hydra wrote its record there before any check, so a refused run replaced a user's config.yaml (..) or a finished
    # run's .hydra/ record; the run writes .hydra/ into its own folder itself, once it has claimed it
    "hydra.output_subdir": "the run writes Hydra's record into .hydra/ of its own folder once its checks have passed",
    # Hydra ran the job inside its run folder, so every relative path given (data.root=my_data, model.path=hyps) was
    # read from there and refused as not found, with no word of why
    "hydra.job.chdir": "harness-run reads the relative paths it is given (data.root, model.path, cache.dir, ...) from "
                       "the folder it starts in, and writes into the run folder by its full path; run inside that "
                       "folder, it would read them from there",
}
UNCHANGED_BY = {"hydra.job.chdir": {"false", "no", "off", "0", "null", ""}}   # values that keep the harness's setting


def refuse_owned_hydra_values(cfg: DictConfig) -> None:
    """The owned settings as a config file sets them (an experiment of the user's --config-dir, a hydra.searchpath
    folder), read from the composed config before the launcher makes a folder: hydra.job.chdir: true there ran the
    job inside its run folder, and a relative data.root was refused as 'data folder .../out/my_data not found'."""
    for key, why in OWNED_HYDRA_SETTINGS.items():
        value = OmegaConf.select(cfg, key)
        if value not in (None, False):   # the harness's own values (conf/hydra/: no output_subdir, no chdir)
            raise UserError(f"{key}={value}, set in a config file: {why}; take it out of that file")


LOG_LEVEL_KEY = re.compile(r"^hydra\.(job|hydra)_logging\..*\blevel$")


LOG_HANDLER_KEY = re.compile(r"^(hydra\.(job|hydra)_logging\.handlers\.[^.]+)\.(\w+)$")


def refuse_owned_hydra_settings(overrides: list[str]) -> None:
    """Hydra settings that would undo the harness's guarantees, and logging settings that logging cannot set up:
    Hydra makes the run's folder, then sets up logging, which raised a traceback for hydra.job_logging.root.level=debug
    and left the folder behind."""
    settings = dict(override.lstrip("+~").partition("=")[::2] for override in overrides)
    added = {override.lstrip("+").partition("=")[0] for override in overrides if override.startswith("+")}
    for override in overrides:
        refuse_sweeper_params(override)
    for key, value in settings.items():
        if key in OWNED_HYDRA_SETTINGS and value.strip().lower() not in UNCHANGED_BY.get(key, ()):
            raise UserError(f"{key}={value}: {OWNED_HYDRA_SETTINGS[key]}; leave it out")
        if LOG_LEVEL_KEY.match(key) and not (value.isdigit() or value in logging.getLevelNamesMapping()):
            raise UserError(f"{key}={value}: not a logging level; give one of DEBUG, INFO, WARNING, ERROR, CRITICAL "
                            "(upper case)")
        handler = LOG_HANDLER_KEY.match(key)
        if handler and key in added:   # a key not added with + is Hydra's to refuse, with the keys there are
            check_log_handler(key, value, handler.group(1), handler.group(2), settings)


SWEEPER_PARAMS = "hydra.sweeper.params"


def refuse_sweeper_params(override: str) -> None:
    """Hydra cannot set its basic sweeper's params from the command line: they are empty (null) by default, and
    every form of the override (.x=a, +.x=a, ={x: a}) ended in an OmegaConf traceback, a -m sweep's or a single run's.
    Removing them (~hydra.sweeper.params, a config file's sweep) is Hydra's to do."""
    key, _, value = override.lstrip("+").partition("=")
    if key == SWEEPER_PARAMS or key.startswith(SWEEPER_PARAMS + "."):
        raise UserError(f"{key}={value}: Hydra reads the sweeper's params from a config file only; give the sweep "
                        "on the command line as key=a,b with -m, or write it under hydra: sweeper: params: in an "
                        "experiment's config file")


def check_log_handler(key: str, value: str, handler: str, kind: str, settings: dict[str, str]) -> None:
    """A logging handler's setting: of a handler that the harness's logging config has or that is given a class, and a
    log file in a folder that exists (+hydra.job_logging.handlers.file.filename=x.log, a handler with no class, and a
    file in a missing folder raised logging's traceback after Hydra had made the run's folder)."""
    configured = logging_handlers(kind)
    if handler.rpartition(".")[2] not in configured and f"{handler}.class" not in settings:
        raise UserError(f"{key}={value}: {handler} is no handler of the harness's logging (it has "
                        f"{', '.join(sorted(configured))}; each run writes its run.log itself); give the "
                        f"handler's class too (+{handler}.class=logging.FileHandler), or leave it out")
    if not key.endswith(".filename"):
        return
    folder = Path(value).expanduser().absolute().parent
    if not folder.is_dir():
        raise UserError(f"{key}={value}: no folder {folder} to write the log in; make it first, or give a file in a "
                        "folder that exists")


def logging_handlers(kind: str) -> set[str]:
    """The handlers of the harness's job_logging or hydra_logging config (conf/hydra/)."""
    return set(OmegaConf.load(CONF_DIR / "hydra" / f"{kind}_logging" / "harness.yaml").get("handlers") or {})


def check_launch(cfg: DictConfig, number: int) -> str | None:
    """Hydra's settings of a -m sweep's job (cfg: compose_launch's; number: the job's place in the sweep) that Hydra
    reads only once it has written the sweep folder (multirun.yaml, which the failed launch left behind). The job's
    own settings are resolved first: the job folder's name interpolates model.name, which is the key to name. The
    job's folder in the sweep folder (check_job_folder_name)."""
    check_interpolations(cfg)
    refuse_owned_hydra_values(cfg)
    folder = check_job_folder_name(cfg, number)
    if cfg.hydra.launcher.get("n_jobs") == 0:   # joblib's ValueError, a traceback once the jobs were launched
        raise UserError("hydra.launcher.n_jobs=0: no job would run; give the number of jobs to run at once (1 or "
                        "more), or -1 for one per CPU core")
    return folder


def check_job_folder_name(cfg: DictConfig, number: int) -> str | None:
    """hydra.sweep.subdir, the job's folder in the sweep folder, resolves (${oc.env:UNSET}, ${nope}: Hydra's traceback
    as it launched the first job); its value. Settings that the launcher gives each job (hydra.job.id) are left to it:
    None."""
    with open_dict(cfg.hydra.job):
        cfg.hydra.job.num = number
    try:
        return str(cfg.hydra.sweep.subdir)   # resolved as it is read
    except InterpolationToMissingValueError:
        return None
    except InterpolationResolutionError as err:
        raise unresolvable(err) from None


def check_experiment_names(overrides: list[str]) -> None:
    """experiment=NAME (each value of a -m sweep's) is a file of conf/experiment/ or of a hydra.searchpath folder's
    experiment/: a name with '..' read another group's file as an experiment (experiment=../model/identity ran the
    model config, exit 0; experiment=../config read 'Could not find experiment/tracking/none')."""
    for override in overrides:
        key, _, names = override.partition("=")
        for name in names.split(",") if key.lstrip("+~") == "experiment" else []:
            if name.startswith("/") or ".." in Path(name).parts:
                available = sorted(path.stem for path in (CONF_DIR / "experiment").glob("*.yaml"))
                raise UserError(f"experiment={name}: not an experiment name (it leads out of the experiment folder); "
                                "give the name of a file in conf/experiment/ or in the experiment/ folder of a "
                                f"hydra.searchpath folder. Available: {', '.join(available)}")


def to_plain(cfg: DictConfig) -> dict:
    """The config's values with every interpolation resolved; one that cannot be (${oc.env:NAME} of a variable that is
    not set, ${a.key} that does not exist) is a user error naming its key."""
    try:
        return OmegaConf.to_container(cfg, resolve=True)
    except InterpolationResolutionError as err:
        raise unresolvable(err) from None


def unresolvable(err: InterpolationResolutionError) -> UserError:
    reason = re.sub(r"^\w+ raised while resolving interpolation: ", "", err.msg.splitlines()[0])
    return UserError(f"{err.full_key}: its value cannot be resolved ({reason}); set what it refers to, or give the "
                     "value itself")


def check_interpolations(cfg: DictConfig) -> None:
    """Every interpolation of the run's settings resolves, checked before Hydra's own settings are read: the run
    folder's name interpolates model.name, and would otherwise be the key named."""
    to_plain(job_settings(cfg))


def job_settings(cfg: DictConfig) -> DictConfig:
    """A launch's composed config less Hydra's own settings (the 'hydra' node): the run's config."""
    return OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])


def read_unquoted(text: str) -> str:
    """What an unquoted element of a list of names (data.documents=[...]) becomes: Hydra reads 1.10 as the number
    1.1, 1_000 as 1000 and true as True, and the setting keeps the number's text."""
    try:
        return str(OverridesParser.create().parse_override(f"x={text}").value())
    except (HydraException, ValueError):
        return text
