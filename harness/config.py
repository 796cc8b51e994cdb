"""Structured config schemas, registered in Hydra's ConfigStore so that a typo in a key or a wrong type
fails at composition with the key's name, before anything runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from harness.metrics.summary import SIMILARITY_METRICS

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
DEFAULT_METRICS = ["bleu", "chrf", "chrf++"]


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
    """backend=ct2: CTranslate2 for any seq2seq model config (conf/backend/ct2.yaml)."""

    _target_: str = "harness.backends.ct2.Ct2Backend"
    compute_type: str = "int8"   # int8, int8_float32, float32 on CPU; also int8_float16, float16, bfloat16 on CUDA
    inter_threads: int = 1       # batches translated in parallel
    intra_threads: int = 0       # threads per batch; 0: the number of physical cores


@dataclass
class DataSpec:
    root: str = "seeds"                    # folder with manifest.yaml; relative to where you launch
    documents: Optional[List[str]] = None  # only these ids
    max_segments: Optional[int] = None     # only the first N segments of each document (smoke runs)


@dataclass
class CacheSpec:
    dir: str = "${oc.env:HARNESS_CACHE_DIR,'~/.cache/mt-harness'}"
    enabled: bool = True


@dataclass
class AlignmentSpec:
    """Hypothesis <-> reference sentence alignment (harness/align.py: the fallback for source languages the
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
class CrosslingualSpec:
    """Sentence alignment across languages with the multilingual encoder (harness/crosslingual.py): source
    <-> reference once per document pair, and source <-> output for the files backend. Values in conf/config.yaml."""

    min_similarity: float = MISSING   # a pair whose cosine is below it is cheaper left unaligned (1-0 + 0-1)
    merge_penalty: float = MISSING    # extra cost of a bead of more than two sentences
    beads: List[str] = MISSING        # allowed bead shapes "src-ref"
    recovery_passes: int = MISSING    # searches of what the monotonic pass left out (reordered blocks)
    full_search_max: int = MISSING    # documents with more sentences on a side are searched in a band ...
    band: int = MISSING               # ... of +-band sentences around the diagonal
    name_min_similarity: float = MISSING   # a reference name is found in the source at this cosine (harness/names.py)
    line_sample: Optional[int] = MISSING   # line-aligned sets: cosines on this many evenly spaced lines (null: all)


@dataclass
class HypothesisSideThresholds:
    """The relation from the hypothesis side, for source languages the encoder does not cover."""

    parallel_min_coverage: float = MISSING
    parallel_min_similarity: float = MISSING
    comparable_min_name_overlap: float = MISSING
    comparable_min_coverage: float = MISSING


@dataclass
class DiagnosticsSpec:
    """Thresholds that turn measured numbers into verdicts (harness/diagnostics.py); none is hard-coded.
    The relation thresholds are chosen on the dev split of benchmarks/relation_benchmark.py."""

    min_english_share: float = MISSING          # below it: the output is off-target
    min_reference_sentences: int = MISSING      # fewer: too little to judge
    parallel_min_coverage: float = MISSING      # share of sentences aligned, on the better-covered side ...
    parallel_min_similarity: float = MISSING    # ... and mean cosine of the aligned pairs
    comparable_min_document_cosine: float = MISSING   # else comparable: the same topic (document cosine) ...
    comparable_min_name_share: float = MISSING        # ... and the same event: this share of the reference's names
    comparable_min_number_overlap: float = MISSING    # found in the source, or this Jaccard overlap of numbers > 10
    hypothesis_side: HypothesisSideThresholds = field(default_factory=HypothesisSideThresholds)


@dataclass
class SummarySpec:
    """What is done with the summaries of summarizer=... (none by default)."""

    metrics: List[str] = field(default_factory=lambda: list(SIMILARITY_METRICS))  # plus evaluate:NAME[@KEY]
    cross_lingual: bool = False   # summarize each source directly (needs a multilingual summarizer)


@dataclass
class RunConfig:
    data: DataSpec = field(default_factory=DataSpec)
    model: ModelSpec = MISSING
    backend: Any = MISSING
    generation: GenerationSpec = field(default_factory=GenerationSpec)
    cache: CacheSpec = field(default_factory=CacheSpec)
    metrics: List[str] = field(default_factory=lambda: list(DEFAULT_METRICS))
    alignment: AlignmentSpec = field(default_factory=AlignmentSpec)
    crosslingual: CrosslingualSpec = field(default_factory=CrosslingualSpec)
    diagnostics: DiagnosticsSpec = field(default_factory=DiagnosticsSpec)
    summarizer: Any = MISSING
    summary: SummarySpec = field(default_factory=SummarySpec)


def register_schemas() -> None:
    # ${harness_repo:} is this checkout, so that the default data set is found from any working directory
    OmegaConf.register_new_resolver("harness_repo", lambda: str(CONF_DIR.parent), replace=True)
    store = ConfigStore.instance()
    store.store(name="run_schema", node=RunConfig)
    store.store(group="backend", name="ct2_schema", node=Ct2BackendSpec)


def compose_config(overrides: list[str] | None = None) -> DictConfig:
    """Compose the real configs from conf/ (for notebooks and tests), e.g. ["model=identity"]."""
    register_schemas()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=overrides or [])


def to_plain(cfg: DictConfig) -> dict:
    return OmegaConf.to_container(cfg, resolve=True)
