"""Documents -> segments -> backend (behind the cache) -> hypotheses, one Translation per document."""
from __future__ import annotations

import json
import logging
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from harness.translate.backends.protocol import DocumentSource, Translator
from harness.cache import TranslationCache, content_key
from harness.data.documents import Document, character_notes, empty_file, has_visible_text
from harness.errors import UserError
from harness.data.lines import BYTE_ORDER_MARK, line_count_hint, split_lines, split_paragraphs
from harness.progress import progress
from harness.data.segment import Segment, join_paragraphs, segment_paragraphs, sentence_spans, split_sentences

log = logging.getLogger(__name__)


def translate_with_cache(backend: Translator, cache: TranslationCache, texts: list[str],
                         src_lang: str, tgt_lang: str, label: str | None = None,
                         before_generation: Callable[[], None] | None = None) -> tuple[list[str], list[bool]]:
    """Translate texts, asking the backend only for segments the cache lacks; label names the stage in
    the log and the progress bar (default "<src>-><tgt>"); before_generation is called before the backend is
    asked for anything (this stage makes new outputs).

    Returns the outputs and, for each, whether it came from the cache."""
    label = label or f"{src_lang}->{tgt_lang}"
    fingerprint = backend.fingerprint(src_lang, tgt_lang)
    keys = [content_key(fingerprint, src_lang, tgt_lang, text) for text in texts]
    found = cache.get_many(set(keys))
    flags = cache.get_many(set(found), table=FLAGS_TABLE)
    # an output whose degradations' row is damaged would be served unmarked: it is made again, with them
    found = {key: output for key, output in found.items() if (FLAGS_TABLE, key) not in cache.damaged}
    from_cache = [key in found for key in keys]
    recount_flags(backend, flags)
    missing = {key: text for key, text in zip(keys, texts) if key not in found}
    missing_keys, missing_texts = list(missing), list(missing.values())
    log.info("%s: %d segments, %d from the cache, %d to translate", label, len(texts), sum(from_cache),
             len(missing_texts))
    if missing_texts and before_generation:
        before_generation()
    with progress(label, len(missing_texts), "segments", backend.stats) as tracker:
        for indices, outputs in backend.translate(missing_texts, src_lang, tgt_lang):
            batch = {missing_keys[i]: output for i, output in zip(indices, outputs)}
            flagged = getattr(backend, "output_flags", {})   # before the outputs: never an output without its flags
            cache.put_many({missing_keys[i]: json.dumps(flagged[i]) for i in indices if flagged.get(i)},
                           FLAGS_TABLE)
            cache.put_many(batch)
            found.update(batch)
            tracker.advance(len(batch))
    return [found[key] for key in keys], from_cache


FLAGS_TABLE = "output_flags"   # translation key -> the degradations of that output (Backend.output_flags)


def recount_flags(backend: Translator, flags: dict[str, str]) -> None:
    """Outputs read from the cache count their degradations (cut at max_new_tokens, split, ...) in the backend's
    stats as when they were generated (a split segment's cut pieces each), so a re-run's table shows them too."""
    for counts in flags.values():
        for name, count in json.loads(counts).items():
            backend.stats[name] = backend.stats.get(name, 0) + count


@dataclass
class Translation:
    document: Document
    segments: list[Segment]       # source sentences
    outputs: list[str]            # hypothesis units as produced (one per source sentence for models)
    text: str                     # the document as produced: hypotheses/<doc_id>.txt
    source_aligned: bool          # outputs[i] is the translation of segments[i]
    cache_hits: int = 0
    line_sentences: list[int] | None = None   # a document-level output: the sentences of each of its lines
    gaps: list[str] | None = None             # ... and what is written after each sentence (written_after)
    by_lines: bool = False        # ... partitioned each paragraph over its own line (harness.align.partition)
    cut_from: int | None = None   # data.max_segments cut the source: how many segments the whole document has
    # runs of consecutive source sentences that one output translates together (harness.align.partition.
    # translated_together): the output stands at one of them, the others' are empty and no omission
    merged: tuple[tuple[int, ...], ...] = ()

    def written_lines(self) -> list[str]:
        """The lines of the output as written: a line-aligned document's as sacrebleu reads them, a searched one's as
        its source and reference are read (split_paragraphs)."""
        return (split_lines if self.document.line_aligned else split_paragraphs)(self.text)

    def units(self) -> list[tuple[int, ...]]:
        """The source sentences of each output unit: a merged run together, every other sentence alone."""
        starts = {run[0]: run for run in self.merged}
        inside = {k for run in self.merged for k in run[1:]}
        return [starts.get(k, (k,)) for k in range(len(self.outputs)) if k not in inside]

    @property
    def unit_outputs(self) -> list[str]:
        """The output of each unit (units): a merged run's once."""
        return [self.outputs[unit[0]] if len(unit) == 1 else joined_outputs(self.outputs, unit)
                for unit in self.units()]

    @property
    def empty_outputs(self) -> int:
        """Output units left empty where their source has text: omissions. A line-aligned source line with no visible
        text gets an empty output from the harness itself (translate_documents), which is no omission: a test set
        with blank lines between its documents showed '1/4 empty' under `degraded` for every system."""
        return sum(not output.strip() and self.has_source_text(unit)
                   for unit, output in zip(self.units(), self.unit_outputs, strict=True))

    def has_source_text(self, unit: tuple[int, ...]) -> bool:
        """Whether the source of an output unit has visible text (outputs not yet partitioned over the source
        sentences stand for sentences, which always have)."""
        return not self.source_aligned or any(has_visible_text(self.segments[k].text) for k in unit)

    @property
    def notes(self) -> list[str]:
        """What a reader of this document's scores must know of its translation: what data.max_segments cut off,
        one output repeated for many source sentences, control or replacement characters in the output."""
        return [*self.cut_notes(), *repeated_output_notes(self), *character_notes(self.written_lines(), "output")]

    def cut_notes(self) -> list[str]:
        """What data.max_segments cut off this document: every score of it is over the first segments alone."""
        if self.cut_from is None:
            return []
        kept, unit = len(self.segments), "lines" if self.document.line_aligned else "sentences"
        against = "their reference lines" if self.document.line_aligned else "the whole reference"
        return [f"{CUT_NOTE_START}{kept}: the first {kept} of {self.cut_from} source {unit} translated and scored, "
                f"against {against}; every score and verdict of this document is over that part"]


CUT_NOTE_START = "data.max_segments="   # how a cut document's note starts (its summary is marked: harness.results)


REPEATED_OUTPUT_MIN = 3       # times one output sentence (or line) stands in the output, more than any source one ...
REPEATED_OUTPUT_SHARE = 0.2   # ... and a fifth of the source's at least: subtitles repeat "Yes." on a few percent


def repeated_output_notes(translation: Translation) -> list[str]:
    """One sentence (a line in a line-aligned document) standing more often in the output than any source sentence
    does: a model stuck on one sentence. Scored as it is, and said. Read from the output as written
    (hypotheses/<id>.txt), so that a model's output and the same text from files get the same note, however the
    output is then partitioned; a source that repeats itself ("Oui." five times) may get "Yes." as often."""
    lines = [line for line in translation.written_lines() if line.strip()]
    if not translation.document.line_aligned:
        lines = [s for line in lines for s in split_sentences(line, translation.document.reference.lang)]
    output = Counter(" ".join(line.split()) for line in lines)
    sources = Counter(" ".join(segment.text.split()) for segment in translation.segments)
    text, times = max(output.items(), key=lambda item: item[1], default=("", 0))
    most_in_source = max(sources.values(), default=0)
    if times <= most_in_source or times < max(REPEATED_OUTPUT_MIN, REPEATED_OUTPUT_SHARE * len(translation.segments)):
        return []
    kind = "lines" if translation.document.line_aligned else "sentences"
    return [f"the output gives {textwrap.shorten(text, 60)!r} {times} times for {len(translation.segments)} source "
            f"{kind} (none of them repeated {times} times): a model repeating one sentence; its scores measure "
            "that output"]


def joined_outputs(outputs: list[str], sentences: tuple[int, ...] | list[int]) -> str:
    """The outputs of these source sentences, the empty ones left out, in source order and joined with a space: each
    output stands at one source sentence, so it is never counted twice, whatever groups the sentences."""
    return " ".join(outputs[k].strip() for k in sorted(set(sentences)) if outputs[k].strip())


def source_segments(document: Document, max_segments: int | None, max_sentences: int | None = None) -> list[Segment]:
    """Source sentences; in a line-aligned document every line is one segment."""
    if document.line_aligned:
        segments = [Segment(document.id, k, k, document.src_lang, line) for k, line in enumerate(document.source.paragraphs)]
    else:
        segments = segment_paragraphs(document.id, document.source.paragraphs, document.src_lang, document.pre_split)
    if max_sentences and len(segments) > max_sentences and not document.line_aligned:   # only a search needs it
        raise UserError(f"{document.source.path}: {len(segments)} sentences, more than data.max_sentences="
                        f"{max_sentences}; split the document, or raise data.max_sentences (the alignment search "
                        "takes about a minute per 20,000 sentences on 2 cores)")
    return first_segments(segments, max_segments)


def first_segments(segments: list[Segment], max_segments: int | None) -> list[Segment]:
    """The first data.max_segments segments of a document (a smoke run), or all of them."""
    return segments[:max_segments] if max_segments else segments


def reference_sentences(document: Document, lang: str) -> list[str]:
    """Reference sentences; in a line-aligned or pre-split document every line is one."""
    if document.pre_split:
        return list(document.reference.paragraphs)
    return [s for paragraph in document.reference.paragraphs for s in split_sentences(paragraph, lang)]


def translate_documents(documents: list[Document], backend: Translator, cache: TranslationCache,
                        tgt_lang: str, max_segments: int | None = None, max_sentences: int | None = None,
                        before_generation: Callable[[], None] | None = None) -> list[Translation]:
    """max_segments: the first N sentences of each document (a smoke run); max_sentences: refuse larger documents;
    before_generation: called before the backend is asked for a segment (translate_with_cache)."""
    if backend.supplies_documents:
        return [read_translation(doc, backend, tgt_lang, max_segments, max_sentences) for doc in documents]
    whole = {doc.id: source_segments(doc, None, max_sentences) for doc in documents}
    segmented = {doc_id: first_segments(segments, max_segments) for doc_id, segments in whole.items()}
    # a line of a line-aligned document with no visible text (empty, spaces, only direction marks or controls) is a
    # segment whose output is empty: no model is asked (a real model writes something for it)
    outputs: dict[tuple[str, int], tuple[str, bool]] = {(doc.id, s.index): ("", False) for doc in documents
                                                        for s in segmented[doc.id] if not has_visible_text(s.text)}
    languages = sorted({doc.src_lang for doc in documents})
    for number, lang in enumerate(languages, start=1):
        segments = [s for doc in documents if doc.src_lang == lang for s in segmented[doc.id]
                    if has_visible_text(s.text)]
        translated, from_cache = translate_with_cache(backend, cache, [s.text for s in segments], lang, tgt_lang,
                                                      stage_label(lang, tgt_lang, number, len(languages)),
                                                      before_generation)
        outputs.update({(s.doc_id, s.index): pair for s, pair in zip(segments, zip(translated, from_cache))})
    return [assemble(doc, segmented[doc.id], outputs, len(whole[doc.id])) for doc in documents]


def release_model(backend: Translator) -> None:
    """Every segment is translated: a backend that can free its model does (Backend.release), so that the
    stages after it (alignment, scoring) have the memory. A Translator without `release` keeps its model."""
    release = getattr(backend, "release", None)
    if release is not None:
        release()


def stage_label(src_lang: str, tgt_lang: str, number: int, languages: int) -> str:
    """The translation stage's name in the log and the bar: "ar->en", and which language of how many."""
    return f"{src_lang}->{tgt_lang}" + (f" (language {number} of {languages})" if languages > 1 else "")


def assemble(document: Document, segments: list[Segment], outputs: dict[tuple[str, int], tuple[str, bool]],
             whole: int) -> Translation:
    """whole: the document's number of source segments, more than len(segments) where data.max_segments cut it."""
    pairs = [outputs[(document.id, s.index)] for s in segments]
    texts = [visible_or_empty(as_line(text), document.line_aligned) for text, _ in pairs]
    hits = sum(cached for _, cached in pairs)
    return Translation(document, segments, texts, join_paragraphs(segments, texts), True, hits,
                       cut_from=whole if whole > len(segments) else None)


def visible_or_empty(output: str, line_aligned: bool) -> str:
    """An output of a searched document with no visible text (only U+200B or direction marks) is an empty one: in
    its paragraph's line of hypotheses/<id>.txt the marks cannot stand as a sentence, so model=files of the file read
    them as the start of the next sentence (aligned BLEU 83.54 against 84.40 from the model). A line-aligned
    document's line keeps them, as the sacrebleu CLI reads that line of a file."""
    return output if line_aligned or has_visible_text(output) else ""


def uncut_documents(max_segments: int) -> UserError:
    """A document source (model=files) with data.max_segments: checked with the settings (harness.pipeline), before
    a sweep's first job, and here."""
    return UserError(f"data.max_segments={max_segments}: model=files reads whole documents, which cannot be cut to "
                     "the same sentences as the source; drop data.max_segments or cut the files yourself")


def read_translation(document: Document, backend: DocumentSource, tgt_lang: str,
                     max_segments: int | None, max_sentences: int | None) -> Translation:
    if max_segments:
        raise uncut_documents(max_segments)
    text = backend.read_document(document.id)
    segments = source_segments(document, None, max_sentences)
    if document.line_aligned:   # every line an output, empty ones too: a file of empty lines is a system with none
        return Translation(document, segments, hypothesis_lines(text, len(segments), backend.location(document.id)),
                           text, True)
    text = text.removeprefix(BYTE_ORDER_MARK)   # a searched document is no file sacrebleu reads: the mark is no text
    if not has_visible_text(text):   # a whole document, with no line to count: nothing to split or align
        raise empty_file(backend.location(document.id), "hypothesis file")
    lines = split_paragraphs(text)
    spans = [sentence_spans(line, tgt_lang) for line in lines]
    units = [line[start:end] for line, sentences in zip(lines, spans) for start, end in sentences]
    gaps = [gap for line, sentences in zip(lines, spans) for gap in written_after(line, sentences)]
    return Translation(document, segments, units, text, False, line_sentences=[len(line) for line in spans],
                       gaps=gaps)


def written_after(line: str, spans: list[tuple[int, int]]) -> list[str]:
    """What the line has between each of its sentences and the next ('' in '投票。居民' or 'Wait..."No"'), and a
    space after its last (a line break reads as one, as a model's outputs are joined in its hypotheses file)."""
    return [line[end:after] for (_, end), (after, _) in zip(spans, spans[1:])] + [" "] * bool(spans)


def as_line(output: str) -> str:
    """A model's output on one line, as it is scored and written to hypotheses/<id>.txt: line i of a line-aligned
    file, or its part of its paragraph's line (an output written on two lines would add a line that no source
    paragraph has, and model=files of the file would lose the paragraph-by-paragraph partition). A byte-order mark
    (U+FEFF) that starts it is dropped: at the start of the hypotheses file, model=files reads it as the file's mark,
    not as text, and scores without it. So is a NUL character: model=files and harness-score refuse a file that holds
    one as binary, and refused the run's own hypotheses file."""
    return " ".join(split_paragraphs(output.replace("\x00", ""))).strip().removeprefix(BYTE_ORDER_MARK).strip()


def hypothesis_lines(text: str, source_lines: int, location: str) -> list[str]:
    """A line-aligned document's outputs from a file: its lines, each the output for its source line, never
    split into sentences nor searched; a file with another number of lines is refused."""
    lines = split_lines(text)
    if len(lines) != source_lines:
        hint = line_count_hint(lines, source_lines)
        raise UserError(f"{location}: {len(lines)} line{'' if len(lines) == 1 else 's'}, but the source has "
                        f"{source_lines}{'; ' + hint if hint else ''}; in a line-aligned data "
                        "set (alignment: lines) line i of the hypothesis file is the output for source line i: give "
                        "one line per source line (an empty line for a missing output)")
    return lines
