"""COMET, CometKiwi and xCOMET through the unbabel-comet package (the `comet` extra), behind the Metric interface.

COMET is a sentence-level model: it scores the aligned segments (a reference sentence, the output aligned to it
and its source), never a whole document in one input, and a document's or a system's score is the mean of its
segment scores, as COMET computes a system score. Scores are COMET's number times 100, on the scale of the
other metrics' tables. A segment longer than the model accepts (512 tokens for XLM-R, counted in its own tokens by
unbabel-comet's rules, for each input the model builds) is cut into the fewest pieces at word boundaries that all
fit, each piece scored, and its score is the mean over the pieces; the count of pieces is recorded on the
segment ("comet" details), never silently truncated.

Each segment's result is cached in the run's cache file (table metric_scores) under the model's identity (hub
commit, or a local folder's content hash, and its encoder's), the metric, the unbabel-comet version and the three
texts, so that a re-score loads no model. harness-compare reads the stored segment scores (the statistics of a
mean), so it never runs the model either.

The model is a hub id at a revision resolved to a commit, or a local folder in COMET's layout
(checkpoints/model.ckpt and hparams.yaml, as the hub repositories hold them). The encoder named in hparams.yaml
(pretrained_model: xlm-roberta-large, facebook/xlm-roberta-xl, or a local folder) provides the tokenizer and
configuration, so it must be in the Hugging Face cache (or a local folder) when offline.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import math
from dataclasses import asdict, dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path

import yaml

from harness.translate.backends.hf_loading import local_files_only, model_identity, resolve_device, unavailable_model
from harness.cache import TranslationCache, content_key
from harness.errors import UserError
from harness.score.metrics.base import Metric
from harness.data.segment import share_hypothesis

log = logging.getLogger(__name__)
COMET_EXTRA = ('it pins older transformers, numpy and huggingface-hub, so install it into a separate virtual '
               'environment, not this one: python3 -m venv .venv-comet && . .venv-comet/bin/activate && '
               'pip install -e ".[comet]" (from PyPI: pip install "mt-harness[comet]"); see docs/neural-metrics.md')
SCORE_SCALE = 100          # COMET's 0-1 number times 100, like the other metrics' tables
SCORES_TABLE = "metric_scores"   # harness.cache.TABLES
CACHE_VERSION = 2          # bump when what is cached for a segment changes (2: pieces counted in model tokens)


@dataclass(frozen=True)
class SegmentResult:
    """One segment's COMET result: its score (times 100), how many pieces it was cut into, and xCOMET's error
    spans (character offsets into the hypothesis) when the model gives them."""

    score: float
    pieces: int = 1
    error_spans: tuple[dict, ...] | None = None

    def details(self) -> dict:
        """What the segment record keeps beside its score (nothing for a one-piece segment without spans)."""
        record = {"pieces": self.pieces} if self.pieces > 1 else {}
        return record | ({"error_spans": list(self.error_spans)} if self.error_spans is not None else {})

    @classmethod
    def from_json(cls, text: str) -> SegmentResult:
        record = json.loads(text)
        spans = record.get("error_spans")
        return cls(record["score"], record["pieces"], None if spans is None else tuple(spans))


def require_comet() -> None:
    """The extra is optional: a run that asks for a COMET metric without it stops before translating."""
    if importlib.util.find_spec("comet") is None:
        raise UserError(f"the COMET metrics need the unbabel-comet package, which is not installed here; {COMET_EXTRA}")


def comet_version() -> str:
    return metadata.version("unbabel-comet")


def even_pieces(text: str, count: int) -> list[str]:
    """A text cut into `count` pieces of about equal length, at word boundaries (share_hypothesis cuts at the
    words nearest the length ratios of its references: here `count` equal ones); at characters where a word is
    longer than a piece (scripts written without spaces), so that no piece is left over-long."""
    if max((len(word) for word in text.split()), default=0) <= len(text) / count:
        return share_hypothesis(text, ["x"] * count)
    size, extra = divmod(len(text), count)
    bounds = [k * size + min(k, extra) for k in range(count + 1)]
    return [text[bounds[k]:bounds[k + 1]] for k in range(count)]


def shifted_spans(spans: list[dict], offset: int) -> list[dict]:
    """A piece's error spans moved to the whole hypothesis' character offsets."""
    return [{**span, "start": span["start"] + offset, "end": span["end"] + offset} for span in spans]


def joined_spans(hypothesis: str, pieces: list[dict], spans: list[list[dict]]) -> tuple[dict, ...]:
    """The error spans of a segment's pieces, at their offsets in the whole hypothesis (each piece found where
    the previous one ended: cut at words or at characters), each with the text it marks there: COMET's own span
    text may hold a special token ('<s> The'), and a span of no character (a special token alone) is dropped."""
    joined, position = [], 0
    for piece, piece_spans in zip(pieces, spans):
        found = hypothesis.find(piece["mt"], position)
        start = found if found >= 0 else position
        joined += shifted_spans([dict(span) for span in piece_spans], start)
        position = start + len(piece["mt"])
    return tuple({key: (round(v, 4) if isinstance(v, float) else v) for key, v in span.items()}
                 | {"text": hypothesis[span["start"]:span["end"]]}
                 for span in joined if span["end"] > span["start"])


class CometMetric(Metric):
    """Reference-based COMET (default Unbabel/wmt22-comet-da): source, hypothesis and reference."""

    name = "comet"
    default_model = "Unbabel/wmt22-comet-da"
    needs_source = True
    sentence_model = True
    uses_reference = True
    label = ""

    def __init__(self, model_id: str | None = None, revision: str = "main", batch_size: int = 16,
                 device: str = "auto", cache_path: str | None = None):
        self.model_id = model_id or self.default_model
        self.revision = revision
        self.batch_size = batch_size
        self.device = device
        self.cache_path = Path(cache_path) if cache_path else None
        self.results: dict[str, SegmentResult] = {}   # this process' results by cache key

    @property
    def setting(self) -> str:
        """The config key that names this metric's model."""
        return f"metric_settings.{self.name}.model_id"

    # ------------------------------------------------------------ identity and signature (no model loaded)

    def check_ready(self) -> None:
        """Before translating: the extra is installed, the device exists and the model can be found."""
        require_comet()
        if self.batch_size < 1:
            raise UserError(f"metric_settings.{self.name}.batch_size={self.batch_size}: must be a whole number >= 1")
        resolve_device(self.device, setting=f"metric_settings.{self.name}.device")
        log.info("%s: %s", self.name, self.signature)   # resolves the model's identity: fails here if it cannot

    @cached_property
    def local_folder(self) -> Path | None:
        folder = Path(self.model_id).expanduser()
        return folder if folder.is_dir() else None

    @cached_property
    def identity(self) -> dict:
        """The checkpoint's identity (hub commit or folder content) and its encoder's: what the cache keys hold."""
        checkpoint = model_identity(self.model_id, self.revision, self.setting)
        encoder = self.hparams.get("pretrained_model")
        encoder_identity = model_identity(encoder, "main", self.setting) if encoder else None
        return {"checkpoint": checkpoint, "encoder": encoder_identity}

    @cached_property
    def model_folder(self) -> Path:
        """The checkpoint folder: the local folder, or the hub snapshot at the resolved commit."""
        if self.local_folder is not None:
            return self.local_folder
        from huggingface_hub import snapshot_download
        commit = model_identity(self.model_id, self.revision, self.setting)["commit"]
        try:
            return Path(snapshot_download(self.model_id, revision=commit, local_files_only=local_files_only()))
        except Exception as err:   # the hub client raises many types; all mean "not available"
            raise unavailable_model(self.model_id, self.revision, " ".join(str(err).split()), self.setting) from err

    @cached_property
    def hparams(self) -> dict:
        path = self.model_folder / "hparams.yaml"
        if not (path.is_file() and (path.parent / "checkpoints" / "model.ckpt").is_file()):
            raise UserError(f"{self.setting}={self.model_id}: no hparams.yaml and checkpoints/model.ckpt in "
                            f"{path.parent}; give a folder in COMET's layout (as the hub repositories hold it)")
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    @cached_property
    def signature(self) -> str:
        checkpoint = self.identity["checkpoint"]
        model = Path(self.model_id).name if self.local_folder else self.model_id
        version = (f"sha256:{checkpoint['content_sha256'][:12]}" if "content_sha256" in checkpoint
                   else f"commit:{checkpoint['commit'][:12]}")
        return (f"{self.name}{self.label}|model:{model}|{version}|unbabel-comet {comet_version()}|"
                f"x{SCORE_SCALE}, mean of segment scores")

    # ------------------------------------------------------------ scoring

    @cached_property
    def scorer(self) -> dict:
        """What decides a segment's result besides its texts: the metric, the checkpoint's and encoder's identity, and
        the unbabel-comet that scores (its signature names it: scores an older one cached were served under it)."""
        return {"metric": self.name, "version": CACHE_VERSION, "unbabel-comet": comet_version(), **self.identity}

    def key(self, source: str, hypothesis: str, reference: str | None) -> str:
        return content_key(self.scorer, source, hypothesis, reference if self.uses_reference else None)

    def segment_scores(self, hypotheses: list[str], references: list[str],
                       sources: list[str] | None = None) -> list[float]:
        triples = list(zip(sources, hypotheses, references))
        return [result.score for result in self.segment_results(triples)]

    def segment_details(self, hypotheses: list[str], references: list[str],
                        sources: list[str] | None = None) -> list[dict]:
        return [result.details() for result in self.segment_results(list(zip(sources, hypotheses, references)))]

    def segment_results(self, triples: list[tuple[str, str, str]]) -> list[SegmentResult]:
        """Each (source, hypothesis, reference)'s result: from this process, the cache, or the model."""
        keys = [self.key(*triple) for triple in triples]
        wanted = {key: triple for key, triple in zip(keys, triples) if key not in self.results}
        if wanted:
            self.results.update(self.cached_or_scored(wanted))
        return [self.results[key] for key in keys]

    def cached_or_scored(self, wanted: dict[str, tuple[str, str, str]]) -> dict[str, SegmentResult]:
        cache = TranslationCache(self.cache_path) if self.cache_path else None
        try:
            found = cache.get_many(wanted, table=SCORES_TABLE) if cache else {}
            results = {key: SegmentResult.from_json(text) for key, text in found.items()}
            missing = {key: triple for key, triple in wanted.items() if key not in results}
            log.info("%s: %d segments, %d from the cache, %d to score", self.name, len(wanted), len(results),
                     len(missing))
            if missing:
                scored = dict(zip(missing, self.score_with_model(list(missing.values()))))
                if cache:
                    cache.put_many({key: json.dumps(asdict(r)) for key, r in scored.items()}, table=SCORES_TABLE)
                results |= scored
        finally:
            if cache:
                cache.close()
        return results

    @cached_property
    def model(self):
        """The COMET model, loaded once and only when a segment is missing from the cache."""
        require_comet()
        import comet
        # Lightning (under unbabel-comet) logs device lines and tips at INFO on every predict call; the level is
        # set after the import because importing it sets its own
        logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
        checkpoint = self.model_folder / "checkpoints" / "model.ckpt"
        log.info("%s: loading %s", self.name, checkpoint)
        try:
            model = comet.load_from_checkpoint(str(checkpoint), local_files_only=local_files_only())
        except OSError as err:   # the encoder's tokenizer or config cannot be found (offline, typo)
            encoder = self.hparams.get("pretrained_model")
            raise unavailable_model(str(encoder), "main", " ".join(str(err).split()), self.setting) from err
        return model

    def sample(self, source: str, hypothesis: str, reference: str) -> dict:
        return {"src": source, "mt": hypothesis, **({"ref": reference} if self.uses_reference else {})}

    def token_lengths(self, sample: dict) -> dict[str, int]:
        """Each text's length in the model's own tokens, without the special tokens COMET adds."""
        tokenizer = self.model.encoder.tokenizer
        return {field: len(tokenizer(text, add_special_tokens=False)["input_ids"]) for field, text in sample.items()}

    def joined_fields(self, sample: dict) -> list[str]:
        """The texts COMET joins in its longest input (CometKiwi: mt and src; xCOMET: mt, src and ref; none for
        COMET, which encodes each text alone), as unbabel-comet's UnifiedMetric.prepare_sample chooses them."""
        from comet.models import UnifiedMetric
        if not isinstance(self.model, UnifiedMetric):
            return []
        return [field for field in sample if field == "mt" or field in self.model.hparams.input_segments]

    def overflow(self, sample: dict) -> float:
        """How many times longer than COMET takes whole the sample is, by unbabel-comet's own rules: each text is
        encoded with at most max_positions - 2 tokens, its special tokens included (Encoder.prepare_sample);
        texts joined in one input have at most max_positions - (1 + texts x size_separator) together
        (Encoder.concat_sequences). At most 1: COMET truncates nothing."""
        encoder, lengths, joined = self.model.encoder, self.token_lengths(sample), self.joined_fields(sample)
        per_text = encoder.max_positions - 2 - encoder.tokenizer.num_special_tokens_to_add(pair=False)
        together = encoder.max_positions - (1 + len(joined) * encoder.size_separator)
        return max(max(lengths.values()) / per_text, sum(lengths[field] for field in joined) / together)

    def split_sample(self, sample: dict) -> list[dict]:
        """The sample, or its pieces when it is longer than the model accepts: every text cut alike into the fewest
        pieces of which each one fits (counted again in model tokens after cutting), never truncated by COMET."""
        overflow = self.overflow(sample)
        if overflow <= 1:
            return [sample]
        for count in range(max(2, math.ceil(overflow)), max(len(text) for text in sample.values()) + 1):
            parts = {field: even_pieces(text, count) for field, text in sample.items()}
            pieces = [{field: parts[field][k] for field in sample} for k in range(count)]
            if all(self.overflow(piece) <= 1 for piece in pieces):
                return pieces
        raise AssertionError(f"{self.name}: a piece of one character is longer than the model accepts")

    def score_with_model(self, triples: list[tuple[str, str, str]]) -> list[SegmentResult]:
        """Score the segments (their pieces in one predict call, batched by length) and gather the pieces."""
        pieces = [self.split_sample(self.sample(*triple)) for triple in triples]
        flat = [piece for segment in pieces for piece in segment]
        prediction = self.predict(flat)
        spans = (prediction.metadata.error_spans if "metadata" in prediction
                 and "error_spans" in prediction.metadata else None)
        results, start = [], 0
        for (_, hypothesis, _), segment in zip(triples, pieces):
            scores = prediction.scores[start:start + len(segment)]
            results.append(SegmentResult(round(SCORE_SCALE * sum(scores) / len(scores), 6), len(segment),
                                         None if spans is None else joined_spans(hypothesis, segment, spans[start:])))
            start += len(segment)
        split = sum(1 for segment in pieces if len(segment) > 1)
        if split:
            log.warning("%s: %d segments longer than the model accepts were scored in pieces", self.name, split)
        return results

    def predict(self, samples: list[dict]):
        """unbabel-comet's own predict: length-sorted batches, CPU or one GPU, no worker processes (COMET's
        data workers are what crash under parallel jobs)."""
        device = resolve_device(self.device, setting=f"metric_settings.{self.name}.device")
        gpu = device.startswith("cuda")
        index = int(device.partition(":")[2] or 0)
        return self.model.predict(samples, batch_size=self.batch_size, gpus=1 if gpu else 0,
                                  devices=[index] if gpu else None, accelerator="cuda" if gpu else "cpu",
                                  progress_bar=False, num_workers=0, length_batching=True)


class CometKiwiMetric(CometMetric):
    """Reference-free quality estimation (default Unbabel/wmt22-cometkiwi-da): source and hypothesis only, so
    it also scores documents whose reference is not a translation of the source."""

    name = "cometkiwi"
    default_model = "Unbabel/wmt22-cometkiwi-da"
    uses_reference = False
    reference_free = True
    label = " (reference-free: source and output only)"


class XCometMetric(CometMetric):
    """xCOMET (default Unbabel/XCOMET-XL): a score and the hypothesis' error spans with their severity."""

    name = "xcomet"
    default_model = "Unbabel/XCOMET-XL"


def comet_metric_classes() -> dict[str, type[CometMetric]]:
    return {cls.name: cls for cls in (CometMetric, CometKiwiMetric, XCometMetric)}
