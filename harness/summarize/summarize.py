"""Summarizers (config group `summarizer=`) and the summary stage of a run.

Each translated document (or, with summary.cross_lingual, its source) and the English reference are
summarized by the same summarizer; summaries go through the translation cache (keyed by the summarizer's
fingerprint), then are scored by harness.score.metrics.summary against the reference summary and the full reference
(where the summaries are in its language).

- lead: the first k sentences, the standard news baseline.
- centrality: LexRank-style ranking (PageRank over the cosine graph of all-MiniLM-L6-v2 sentence embeddings);
  the k most central sentences, kept in document order.
- hf_seq2seq: any transformers summarization model (BART, PEGASUS, ...) through the seq2seq backend.
- hf_causal: a causal LM (by default the run's own model: the embedded Gemma) with a summary prompt.
Abstractive inputs longer than the model's input limit are cut at sentence boundaries into chunks, each
chunk is summarized and the chunk summaries are concatenated; the chunking is recorded, never hidden.
"""
from __future__ import annotations

import json
import os
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from harness.translate.backends.base import BuiltWith, user_parts
from harness.translate.backends.hf_causal import CausalLMBackend
from harness.translate.backends.prompted import filled
from harness.translate.backends.hf_seq2seq import Seq2SeqBackend
from harness.cache import TranslationCache
from harness.config import GenerationSpec, ModelSpec
from harness.data.documents import Document
from harness.score.embeddings import cosine_matrix
from harness.errors import UserError
from harness.data.languages import language_name
from harness.score.metrics.summary import SummaryMetrics, reference_free, words
from harness.data.lines import split_lines
from harness.data.segment import split_sentences, splitter_signature
from harness.translate.translate import Translation, translate_with_cache

SUMMARY_LANG = "en"


def sentences_of(text: str, lang: str) -> list[str]:
    return [sentence for line in split_lines(text) for sentence in split_sentences(line, lang)]


@dataclass
class SummaryOutput:
    """A summary, one sentence per entry, and how a long input was chunked (abstractive only)."""

    sentences: list[str]
    chunking: dict | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.sentences) + "\n"

    @property
    def words(self) -> list[str]:
        """Its words as the summary metrics count them (runs of letters and digits): punctuation alone is no word."""
        return words(self.text)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, stored: str) -> SummaryOutput:
        return cls(**json.loads(stored))


class Summarizer(BuiltWith, ABC):
    """Text in, summary out. It satisfies the Translator protocol (harness.translate.backends.protocol) so that the
    translation cache stores its outputs unchanged."""

    multilingual = False   # can it summarize a non-English text into English?
    supplies_documents = False

    def __init__(self, name: str):
        self.name = name
        self.stats: Counter = Counter()

    def settings(self) -> dict:
        """Everything besides the name that decides the summary."""
        return {}

    def reads(self, lang: str) -> bool:
        """Whether it summarizes a text written in lang."""
        return lang == SUMMARY_LANG or self.multilingual

    def summary_lang(self, input_lang: str) -> str:
        """The language of its summary of a text in input_lang: the input's (its summary is sentences of it)."""
        return input_lang

    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """A summary is kept by the whole text it summarizes, but it is made of that text's sentences (or of chunks
        cut at them): the splitter is part of its key. A user's summarizer is keyed by its code and the settings it
        was built with (user_parts) too."""
        return {"task": "summary", "summarizer": type(self).__name__, "sentences_cut_by": splitter_signature(),
                **self.settings(), **user_parts(self, ("name", "cache_dir"))}

    def describe(self) -> dict:
        return {"name": self.name, **self.settings()}

    @abstractmethod
    def summarize(self, text: str, lang: str) -> SummaryOutput:
        """Summarize one document (paragraphs on separate lines) written in lang."""

    def translate(self, texts: list[str], src_lang: str, tgt_lang: str) -> Iterator[tuple[list[int], list[str]]]:
        for index, text in enumerate(texts):
            yield [index], [self.summarize(text, src_lang).to_json()]


class LeadSummarizer(Summarizer):
    def __init__(self, name: str = "lead", sentences: int = 3):
        super().__init__(name)
        self.sentences = sentences

    def settings(self) -> dict:
        return {"sentences": self.sentences}

    def reads(self, lang: str) -> bool:
        return True   # sentences cut in the input's language

    def summarize(self, text: str, lang: str) -> SummaryOutput:
        return SummaryOutput(sentences_of(text, lang)[:self.sentences])


def centrality(similarity: np.ndarray, damping: float = 0.85, tolerance: float = 1e-8) -> np.ndarray:
    """PageRank over a weighted similarity graph (continuous LexRank, Erkan & Radev 2004): negative
    similarities and self-loops dropped; a sentence similar to nothing links to every sentence."""
    size = len(similarity)
    weights = np.clip(similarity, 0.0, None) * (1 - np.eye(size))
    totals = weights.sum(axis=1, keepdims=True)
    transition = np.where(totals > 0, weights / np.where(totals > 0, totals, 1), 1.0 / size)
    scores = np.full(size, 1.0 / size)
    for _ in range(1000):
        updated = (1 - damping) / size + damping * transition.T @ scores
        if np.abs(updated - scores).sum() < tolerance:
            return updated
        scores = updated
    return scores


class CentralitySummarizer(Summarizer):
    """The k most central sentences by MiniLM embeddings (English only), in document order."""

    def __init__(self, name: str = "centrality", sentences: int = 3, damping: float = 0.85):
        super().__init__(name)
        self.sentences = sentences
        self.damping = damping

    def settings(self) -> dict:
        return {"sentences": self.sentences, "damping": self.damping, "embeddings": "all-MiniLM-L6-v2"}

    def summarize(self, text: str, lang: str) -> SummaryOutput:
        sentences = sentences_of(text, lang)
        if len(sentences) <= self.sentences:
            return SummaryOutput(sentences)
        scores = centrality(cosine_matrix(sentences, sentences), self.damping)
        chosen = sorted(np.argsort(-scores, kind="stable")[:self.sentences])
        return SummaryOutput([sentences[i] for i in chosen])


def pack(units: list[str], fits: Callable[[str], bool]) -> list[str]:
    """Join consecutive units (sentences or words) into the longest pieces that fit; a unit that does not
    fit alone stays a piece of its own."""
    pieces: list[str] = []
    for unit in units:
        candidate = f"{pieces[-1]} {unit}" if pieces else unit
        if pieces and fits(candidate):
            pieces[-1] = candidate
        else:
            pieces.append(unit)
    return pieces


def chunk_text(text: str, lang: str, fits: Callable[[str], bool]) -> list[str]:
    """Cut a document into chunks that fit the model, at sentence boundaries; a sentence too long on
    its own is cut between words."""
    units = [piece for sentence in sentences_of(text, lang)
             for piece in ([sentence] if fits(sentence) else pack(sentence.split(), fits))]
    return pack(units, fits)


def model_spec(model: dict) -> ModelSpec:
    """A summarizer's `model:` node, checked against the same schema as the run's model."""
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(ModelSpec), model))


BACKEND_SETTING = re.compile(r"(?<![\w./-])(generation|model)\.(\w+)")   # a setting a backend's error names


def summarizer_setting(message: str) -> str:
    """A backend's error as the summarizer's: its model.X is summarizer.model.X, its generation.X summarizer.X."""
    return BACKEND_SETTING.sub(lambda m: f"summarizer.{'model.' if m[1] == 'model' else ''}{m[2]}", message)


@contextmanager
def named_as_summarizer_settings() -> Iterator[None]:
    """The summarizer's backend names the settings it was given as a run's (generation.max_new_tokens=500,
    model.model_id=...): the user was told to change the run's model or generation settings, which the summarizer
    does not read, and the same error came again."""
    try:
        yield
    except UserError as err:
        raise UserError(summarizer_setting(str(err))) from None


class AbstractiveSummarizer(Summarizer):
    """A transformers model behind one of the translation backends; subclasses pick the backend."""

    backend_class: type = Seq2SeqBackend

    def __init__(self, name: str, model: dict, max_new_tokens: int = 142, num_beams: int = 4,
                 max_input_tokens: int | None = None, multilingual: bool = False, device: str = "auto",
                 dtype: str = "auto", batch_size: int = 4, cache_dir: str | None = None):
        super().__init__(name)
        generation = GenerationSpec(max_new_tokens=max_new_tokens, num_beams=num_beams, device=device, dtype=dtype,
                                    batch_size=batch_size)
        with named_as_summarizer_settings():
            self.backend = self.backend_class(model_spec(model), generation, cache_dir)
        self.stats = self.backend.stats
        self.max_input_tokens = max_input_tokens
        self.multilingual = multilingual

    def settings(self) -> dict:
        return {"max_input_tokens": self.max_input_tokens}

    def summary_lang(self, input_lang: str) -> str:
        return SUMMARY_LANG   # the backend is asked for a summary in English

    def fingerprint(self, src_lang: str, tgt_lang: str) -> dict:
        """The backend's key leaves out the model's name (base.without_model_name): a label, by default the run's
        model's (harness-score: each system's name), so the same summarizer model under another run's name makes the
        same summaries."""
        with named_as_summarizer_settings():
            return {**super().fingerprint(src_lang, tgt_lang), **self.backend.fingerprint(src_lang, tgt_lang)}

    def describe(self) -> dict:
        """Its record in result.json: with the summary length and the beams, which decide the summaries (they are in
        the cache key through the backend's fingerprint)."""
        generation = self.backend.generation
        return {**super().describe(), "max_new_tokens": generation.max_new_tokens, "num_beams": generation.num_beams,
                "model": self.backend.describe()}

    @abstractmethod
    def limit_and_counter(self, lang: str) -> tuple[int, Callable[[str], int]]:
        """The input token limit for lang and a function counting a text's input tokens."""

    def summarize(self, text: str, lang: str) -> SummaryOutput:
        with named_as_summarizer_settings():
            return self.summarize_in_chunks(text, lang)

    def summarize_in_chunks(self, text: str, lang: str) -> SummaryOutput:
        limit, count = self.limit_and_counter(lang)
        chunks = chunk_text(text, lang, lambda piece: count(piece) < limit)
        before = dict(self.backend.stats)
        outputs: dict[int, str] = {}
        for indices, summaries in self.backend.translate(chunks, lang, SUMMARY_LANG):
            outputs.update(zip(indices, summaries))
        sentences = [s for i in range(len(chunks)) for s in sentences_of(outputs[i], SUMMARY_LANG)]
        added = {key: self.backend.stats[key] - before.get(key, 0)
                 for key in ("truncated_inputs", "cut_at_max_new_tokens")}
        chunking = {"input_limit": limit, "chunk_tokens": [count(chunk) for chunk in chunks],
                    "combined": "concatenated" if len(chunks) > 1 else "single",
                    "truncated_chunks": added["truncated_inputs"],
                    "cut_chunks": added["cut_at_max_new_tokens"]}   # chunk summaries cut at summarizer.max_new_tokens
        return SummaryOutput(sentences, chunking)


class Seq2SeqSummarizer(AbstractiveSummarizer):
    backend_class = Seq2SeqBackend

    def limit_and_counter(self, lang: str) -> tuple[int, Callable[[str], int]]:
        model_limit = self.backend.input_limit(lang, SUMMARY_LANG)
        limit = min(model_limit, self.max_input_tokens or model_limit)
        return limit, lambda text: self.backend.measure([text], lang, SUMMARY_LANG)[0]


class CausalSummaryBackend(CausalLMBackend):
    """The causal-LM backend with a summary prompt in place of the translation prompt."""

    summary_prompt = "{source}"

    def prompt_template(self, src_lang: str, tgt_lang: str) -> str:
        return filled(self.summary_prompt, "summarizer.prompt", src_name=language_name(src_lang),
                      tgt_name=language_name(tgt_lang), source="{source}")


class CausalLMSummarizer(AbstractiveSummarizer):
    backend_class = CausalSummaryBackend

    def __init__(self, name: str, model: dict, prompt: str, max_input_tokens: int = 2048, **kwargs):
        super().__init__(name, model, max_input_tokens=max_input_tokens, multilingual=True, **kwargs)
        if "{source}" not in prompt:
            raise UserError("summarizer.prompt: put {source} where the document goes")
        self.backend.summary_prompt = prompt
        self.backend.prompt_template(SUMMARY_LANG, SUMMARY_LANG)   # a placeholder it cannot fill fails here

    def describe(self) -> dict:
        return {**super().describe(), "prompt": self.backend.summary_prompt}

    def limit_and_counter(self, lang: str) -> tuple[int, Callable[[str], int]]:
        return self.max_input_tokens, lambda text: self.backend.measure(
            self.backend.prompts([text], lang, SUMMARY_LANG), lang, SUMMARY_LANG)[0]


@dataclass
class DocumentSummary:
    """One summary with its scores; doc_id is the reference file's path (reference_key) for a reference summary."""

    doc_id: str
    input_kind: str               # translation, source or reference
    output: SummaryOutput
    cache_hit: bool
    scores: dict = field(default_factory=dict)
    reference: DocumentSummary | None = None   # a document's: the reference summary it is scored against


@dataclass
class SummaryEvaluation:
    summarizer: Summarizer
    references: dict[str, DocumentSummary]   # reference file name -> its summary
    documents: dict[str, DocumentSummary]
    signatures: dict[str, str]


def summarize_texts(summarizer: Summarizer, cache: TranslationCache, texts: list[str],
                    lang: str) -> list[tuple[SummaryOutput, bool]]:
    outputs, hits = translate_with_cache(summarizer, cache, texts, lang, SUMMARY_LANG, f"summaries ({lang})")
    return [(SummaryOutput.from_json(output), hit) for output, hit in zip(outputs, hits)]


def summary_input(translation: Translation, cross_lingual: bool, target_lang: str) -> tuple[str, str, str]:
    """(kind, text, lang) that a document's summary is made from."""
    document = translation.document
    if cross_lingual:
        return "source", "\n".join(document.source.paragraphs), document.src_lang
    return "translation", translation.text, target_lang


def reference_text(document: Document) -> str:
    return "\n".join(document.reference.paragraphs)


def reference_keys(translations: list[Translation]) -> dict[Path, str]:
    """Each reference file by its path below the folder that holds them all: its name when they share one folder,
    a/ref.txt and b/ref.txt when two share a name (keyed by name, both documents were scored against one of them)."""
    paths = sorted({t.document.reference.path for t in translations})
    common = Path(os.path.commonpath([path.parent for path in paths]))
    return {path: path.relative_to(common).as_posix() for path in paths}


def summarize_references(summarizer: Summarizer, cache: TranslationCache, translations: list[Translation],
                         target_lang: str, keys: dict[Path, str]) -> dict[str, DocumentSummary]:
    """One summary per reference file, under its key (reference_keys)."""
    texts = {keys[t.document.reference.path]: reference_text(t.document) for t in translations}
    outputs = summarize_texts(summarizer, cache, list(texts.values()), target_lang)
    return {name: DocumentSummary(name, "reference", output, hit, extractiveness(summarizer, output, text, target_lang))
            for (name, text), (output, hit) in zip(texts.items(), outputs)}


def extractiveness(summarizer: Summarizer, output: SummaryOutput, text: str, lang: str) -> dict:
    """The reference-free scores of a summary of text (written in lang), under "reference_free"; none for a summary
    in another language (an abstractive summarizer's English of a French text), which shares no word with it: its
    coverage read 0.0 and its novel n-grams 100%, as if it were written from nothing."""
    return {"reference_free": reference_free(output.text, text)} if summarizer.summary_lang(lang) == lang else {}


def summarize_document(translation: Translation, output: SummaryOutput, hit: bool, summarized: tuple[str, str, str],
                       reference: DocumentSummary, stage: SummaryStage) -> DocumentSummary:
    """summarized: (kind, text, lang) of what the summary was made from (summary_input)."""
    kind, input_text, input_lang = summarized
    metrics = stage.metrics
    scores = {"vs_reference_summary": metrics.similarity(output.sentences, reference.output.sentences)}
    if stage.summary_lang == stage.target_lang:   # an English summary of a French text is never scored against it
        full_reference = sentences_of(reference_text(translation.document), stage.target_lang)
        scores["vs_reference"] = metrics.similarity(output.sentences, full_reference)
    scores.update(extractiveness(stage.summarizer, output, input_text, input_lang))
    return DocumentSummary(translation.document.id, kind, output, hit, scores, reference)


@dataclass
class SummaryStage:
    """What the run does with summaries: the summarizer, the similarity metrics (of summaries in the summarizer's
    output language), the data set's target language (of the translations and the reference), and whether documents
    are summarized from their source (cross-lingual) instead of their translation. Built before translating,
    so a bad name or setting fails fast."""

    summarizer: Summarizer
    metric_names: list[str]
    target_lang: str = SUMMARY_LANG
    cross_lingual: bool = False
    metrics: SummaryMetrics = field(init=False)

    @property
    def summary_lang(self) -> str:
        """The language of the summaries, of the reference as of the translations (an abstractive summarizer's:
        English), which their metrics read."""
        return self.summarizer.summary_lang(self.target_lang)

    def __post_init__(self):
        if not self.summarizer.reads(self.target_lang):   # before the metrics: the summarizer decides their language
            raise UserError(f"summarizer={self.summarizer.name} reads English only, and the translations and the "
                            f"reference are {language_name(self.target_lang)} (target_lang: {self.target_lang}); use "
                            "summarizer=lead (any language), summarizer=hf_causal, or summarizer=hf_seq2seq with a "
                            "multilingual model and summarizer.multilingual=true")
        self.metrics = SummaryMetrics(self.metric_names, self.summary_lang)
        if self.cross_lingual and not self.summarizer.multilingual:
            raise UserError(f"summary.cross_lingual=true needs a multilingual summarizer; '{self.summarizer.name}' "
                            "summarizes in the input's language -- use summarizer=hf_causal, or "
                            "summarizer=hf_seq2seq with a cross-lingual model and summarizer.multilingual=true")


def summarize_documents(stage: SummaryStage | None, translations: list[Translation],
                        cache: TranslationCache) -> SummaryEvaluation | None:
    """Summarize the reference(s) and every document, and score each summary; None with summarizer=none."""
    if stage is None:
        return None
    keys = reference_keys(translations)
    references = summarize_references(stage.summarizer, cache, translations, stage.target_lang, keys)
    inputs = [(t, *summary_input(t, stage.cross_lingual, stage.target_lang)) for t in translations]
    documents: dict[str, DocumentSummary] = {}
    for lang in sorted({lang for *_, lang in inputs}):
        group = [(t, kind, text) for t, kind, text, input_lang in inputs if input_lang == lang]
        outputs = summarize_texts(stage.summarizer, cache, [text for *_, text in group], lang)
        for (translation, kind, text), (output, hit) in zip(group, outputs):
            reference = references[keys[translation.document.reference.path]]
            documents[translation.document.id] = summarize_document(translation, output, hit, (kind, text, lang),
                                                                    reference, stage)
    ordered = {t.document.id: documents[t.document.id] for t in translations}
    return SummaryEvaluation(stage.summarizer, references, ordered, stage.metrics.signatures())
