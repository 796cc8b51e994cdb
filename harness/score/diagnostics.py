"""Diagnostics that say when a score means nothing: the measured reference relation and the output language.

The relation is measured from the source <-> reference alignment (harness.align.crosslingual): a property of the
document pair, the same for every system. The output language is a separate verdict on one system's output
(an untranslated copy of the source is off-target, whatever the relation).

Every verdict is a number compared with a threshold from config (DiagnosticsSpec), and the numbers are
stored beside the verdict. Language ID is py3langid (langid.py's model, shipped inside the package, numpy
only, offline); it is noisy on very short lines, which is why shares, not single labels, drive decisions.
"""
from __future__ import annotations

import math
import re
import unicodedata

from harness.data.relations import MeasuredFrom, Relation
from harness.score.aligned_scoring import AlignedDocument
from harness.config import DiagnosticsSpec
from harness.cache import TranslationCache
from harness.align.crosslingual import PairAlignment
from harness.align.encoder import has_letters
from harness.data.languages import language_labels, language_name
from harness.data.segment import glued, split_sentences
from harness.translate.translate import Translation

NUMBER = re.compile(r"\d+")
SMALL_NUMBER = 10
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")


def sentences(output: str, lang: str) -> list[str]:
    """An output's sentences; a piece with no letter ('(12)', '-') belongs to the sentence before it: alone it
    has no language, and would count against the output's."""
    return glued(split_sentences(output, lang), has_letters)


def language_units(outputs: list[str], lang: str, line_aligned: bool = False) -> list[str]:
    """What the output language is judged on: the output's sentences (a line-aligned output: its lines, an empty
    line counting as empty). An empty output has no sentence and no language: it is an omission, which
    `empty` counts and adequacy scores, not a sentence in another language. A line with no letter ('2024', '(2)',
    '—') has no language either (a sentence of it is glued to the one before): it is left out of the shares."""
    if line_aligned:
        return [line if has_letters(line) else "" for line in outputs]
    return [s for output in outputs for s in sentences(output, lang)]


def output_language(outputs: list[str], target_lang: str, source_lang: str, line_aligned: bool = False,
                    cache: TranslationCache | None = None) -> dict:
    """Shares of the output's sentences (language_units) in the target language, the source language and any
    other, among those the identifier is sure of (language_labels: a sentence of a few words is often not);
    `empty`: the share of the outputs (one per output unit, Translation.unit_outputs) that are empty. cache: where the
    sentences' language labels are remembered."""
    labels = language_labels(language_units(outputs, target_lang, line_aligned), cache)
    written = [label for label in labels if label]
    share = lambda wanted: round(sum(label == wanted for label in written) / (len(written) or 1), 4)  # noqa: E731
    shares = {"english": share(target_lang), "source_language": share(source_lang)}
    # the two languages counted once each: a source in the target language (a paraphrase or post-editing set) is one
    shares["other"] = round(1 - sum(share(lang) for lang in {target_lang, source_lang}), 4) if written else 0.0
    shares["empty"] = round(sum(not output.strip() for output in outputs) / len(outputs), 4) if outputs else 0.0
    return {**shares, "per_segment": labels}


def numbers(text: str) -> set[int]:
    """Numbers in any script's digits (Arabic-Indic included)."""
    return {int("".join(str(unicodedata.digit(c)) for c in match)) for match in NUMBER.findall(text)}


def specific_numbers(text: str) -> set[int]:
    """Numbers above ten: smaller ones are as often spelled out ('two nights') as written in digits."""
    return {n for n in numbers(text) if n > SMALL_NUMBER}


def names(sentences: list[str]) -> set[str]:
    """Capitalized tokens not opening a sentence: a cheap stand-in for named entities."""
    return {match.strip("’'-").lower() for sentence in sentences for match in NAME.findall(sentence)}


def overlap(left: set, right: set) -> float | None:
    """Jaccard overlap; None when neither side has anything to compare."""
    union = left | right
    return round(len(left & right) / len(union), 4) if union else None


def hypothesis_signals(document: AlignedDocument) -> dict:
    """Relation signals of the hypothesis-side fallback (a source language the encoder does not cover)."""
    matched = [s for s in document.segments if s["hyp"]]
    aligned = sum(s["similarity"] for s in matched) / len(matched) if matched else 0.0
    hypotheses = [s["hyp"] for s in document.segments] + document.unaligned_hypotheses
    reference_coverage = len(matched) / max(len(document.references), 1)
    return {
        "reference_sentences": len(document.references),
        "hypothesis_sentences": len(hypotheses),
        "reference_coverage": round(reference_coverage, 4),
        "coverage": round(reference_coverage, 4),
        "aligned_similarity": round(aligned, 4),
        # a translation pairs some sentence with one sentence; a summary's every sentence condenses several
        "one_to_one": sum(s["bead"] == "1-1" for s in matched),
        # the reference handed in as the output says nothing of the source
        "copied_from_reference": copied_sentences(hypotheses, document.references),
        "name_overlap": overlap(names(hypotheses), names(document.references)),
        "number_overlap": overlap(numbers(" ".join(hypotheses)), numbers(" ".join(document.references))),
    }


def copied_sentences(sources: list[str], references: list[str]) -> int:
    """Reference sentences that are a source sentence word for word: text left untranslated, or a copy. With the
    sides swapped, source sentences found in the reference word for word."""
    written = {" ".join(source.split()) for source in sources}
    return sum(" ".join(reference.split()) in written for reference in references)


def pair_signals(pair: PairAlignment, sources: list[str], references: list[str]) -> dict:
    """Relation signals of the source <-> reference alignment: the same for every system."""
    lettered_sources = {i for i, s in enumerate(sources) if has_letters(s)}
    lettered_references = {j for j, r in enumerate(references) if has_letters(r)}
    sources = [sources[i] for i in sorted(lettered_sources)]
    references = [references[j] for j in sorted(lettered_references)]
    beads, background, spread = pair.relation_basis()
    sure = [b for b in beads if b.sure]
    source_coverage = sum(len(lettered_sources.intersection(b.src)) for b in sure) / max(len(sources), 1)
    reference_coverage = sum(len(lettered_references.intersection(b.ref)) for b in sure) / max(len(references), 1)
    measured = [b.similarity for b in beads if b.similarity is not None]   # a line-aligned pair: its sample
    aligned = sum(measured) / len(measured) if measured else 0.0
    sure_measured = [b.similarity for b in sure if b.similarity is not None]
    # how far the sure pairs stand above the pair's own null: the sentence pairs the alignment does not pair
    gap = sum(sure_measured) / len(sure_measured) - background if sure_measured else 0.0
    # the measured beads' sentence pairs among sentences with letters (a line-aligned pair's beads take every line)
    paired = sum(len(lettered_sources.intersection(b.src)) * len(lettered_references.intersection(b.ref))
                 for b in beads if b.similarity is not None)
    return {
        "source_sentences": len(sources),
        "reference_sentences": len(references),
        "source_coverage": round(source_coverage, 4),
        "reference_coverage": round(reference_coverage, 4),
        # share of sentences in sure beads (mining margin); an abridged translation covers little of the longer
        # text but most of its own: take the better side
        "coverage": round(max(source_coverage, reference_coverage), 4),
        # a translation pairs some sentence with one sentence; a summary's every sentence condenses several
        "sure_one_to_one": sum(len(b.src) == len(b.ref) == 1 for b in sure),
        "aligned_similarity": round(aligned, 4),
        "alignment_gap": round(gap, 4),
        "background_similarity": background,
        "background_spread": spread,
        # sentence pairs no bead pairs, whose cosines are the null; none where one bead holds every sentence
        "chance_pairs": len(sources) * len(references) - paired,
        "margin": round(aligned - background, 4),
        "document_cosine": pair.document_cosine,
        "shared_names": pair.shared_names,
        "name_share": round(len(pair.shared_names) / pair.reference_names, 4)
        if pair.shared_names is not None and pair.reference_names else None,
        "number_overlap": overlap(specific_numbers(" ".join(sources)), specific_numbers(" ".join(references))),
        "copied_sentences": copied_sentences(sources, references),
        # the source itself left in the reference (each source sentence followed by its translation)
        "source_sentences_in_reference": copied_sentences(references, sources),
    }


TOO_FEW_SENTENCES = "too few sentences: {reference} in the reference, {other} in the {side} (at least {least} needed)"
ALIKE = ("its sentences are so alike that chance pairs match as well as translations (null {null:.2f}, above "
         "{limit:.2f})")
CONDENSED = ("every sentence aligned is a merge (no sentence of one side pairs one sentence of the other): a summary or "
             "a retelling cannot be told from a translation")
NO_NULL = ("every sentence pair is in a bead ({source} source, {reference} reference sentences): no pair is left to "
           "show what chance pairing reaches, so the alignment cannot show a translation")
COPIED = ("every reference sentence is a source sentence word for word ({copied} of {reference}): a copy of the source "
          "is no translation of it")
HYPOTHESIS_COPIED = ("the output is the reference word for word ({copied} of {reference} sentences): it says nothing "
                     "of the source")
OFF_TARGET = ("the output is not known to be in the target language ({share:.0%} of the sentences language ID is sure "
              "of): it cannot stand for the source")
THIN_NULL = ("the sentences stand {gap:.3f} above what chance pairs reach, within that null's error of the {limit:.2f} "
             "of a translation (null {null:.2f} \u00b1 {error:.2f}, from {pairs} pairs the alignment leaves unpaired): "
             "too close to tell")
HOLDS_THE_SOURCE = ("every source sentence is in the reference word for word (all {source}, beside {other} "
                    "reference sentences of its own): a reference that holds the source text is no translation of it")
SAME_LANGUAGE = ("source and reference are both {lang}: a copy, a paraphrase or a back-translation of the source is "
                 "no translation of it")


def too_few_sentences(reference: int, other: int, side: str, spec: DiagnosticsSpec) -> str | None:
    """Why a pair cannot be judged when either side has fewer sentences than diagnostics.min_reference_sentences
    (side: the source, or the output a relation is judged from); None when both have enough."""
    if min(reference, other) < spec.min_reference_sentences:
        return TOO_FEW_SENTENCES.format(reference=reference, other=other, side=side,
                                        least=spec.min_reference_sentences)
    return None


def judged_pair(signals: dict, spec: DiagnosticsSpec) -> tuple[str, str | None]:
    """The relation of a pair from its signals, and why it cannot be judged (None when it can)."""
    too_few = too_few_sentences(signals["reference_sentences"], signals["source_sentences"], "source", spec)
    if too_few:
        return Relation.CANNOT_JUDGE, too_few
    if signals.get("copied_sentences") == signals["reference_sentences"]:
        return Relation.CANNOT_JUDGE, COPIED.format(copied=signals["copied_sentences"],
                                                    reference=signals["reference_sentences"])
    if signals.get("source_sentences_in_reference") == signals["source_sentences"]:
        return Relation.CANNOT_JUDGE, HOLDS_THE_SOURCE.format(source=signals["source_sentences"],
                                                           other=signals["reference_sentences"]
                                                           - signals.get("copied_sentences", 0))
    if signals.get("chance_pairs") == 0:
        return Relation.CANNOT_JUDGE, NO_NULL.format(source=signals["source_sentences"],
                                                     reference=signals["reference_sentences"])
    if surely_aligned(signals, spec):
        if signals.get("sure_one_to_one") == 0:
            return Relation.CANNOT_JUDGE, CONDENSED
        return Relation.PARALLEL, None
    error, needed = null_error(signals, spec), gap_needed(signals, spec)
    if error and needed is not None and signals["alignment_gap"] + error >= needed:
        return Relation.CANNOT_JUDGE, THIN_NULL.format(
            pairs=signals["chance_pairs"], null=signals["background_similarity"], error=error,
            gap=signals["alignment_gap"], limit=needed)
    if signals["background_similarity"] > spec.max_background_similarity:   # any two sentences look alike
        return Relation.CANNOT_JUDGE, ALIKE.format(null=signals["background_similarity"],
                                                   limit=spec.max_background_similarity)
    same_event = (signals["name_share"] or 0.0) >= spec.comparable_min_name_share \
        or (signals["number_overlap"] or 0.0) >= spec.comparable_min_number_overlap
    if signals["document_cosine"] >= spec.comparable_min_document_cosine and same_event:
        return Relation.COMPARABLE, None
    return Relation.UNRELATED, None


def surely_aligned(signals: dict, spec: DiagnosticsSpec) -> bool:
    """Half the sentences or more in sure beads that stand well above the pair's null, or nearly every sentence in
    sure beads (or paired one to one in them: one_to_one_share) that stand above it by less: the sentences of a story
    on one narrow topic are alike, so its null is high and its translation's gap narrow (WMT 2022 ja-en news: null
    0.31, gap 0.32-0.35 at full coverage), where a retelling whose every sentence finds a counterpart stays at 0.26
    (relation corpus dev). Not where chance pairs match as well as translations (max_background_similarity): there
    lines of one template ('Bayern beat Dortmund 2-1') each find a counterpart of the same shape, a translation or
    not."""
    needed = gap_needed(signals, spec)
    return needed is not None and signals["alignment_gap"] >= needed


def null_error(signals: dict, spec: DiagnosticsSpec) -> float:
    """How far the null's mean may stand from what chance reaches, at spec.null_error_z standard errors: the
    spread of its cosines over the root of the number of pairs it rests on (the least it can be: pairs that share a
    sentence are not independent). A short document's null rests on a few pairs (a story of 4 paragraphs against
    2, WMT 2023 en-de: 2 pairs), a news article's on hundreds."""
    pairs = signals.get("chance_pairs")
    return spec.null_error_z * signals.get("background_spread", 0.0) / math.sqrt(pairs) if pairs and pairs > 0 else 0.0


def gap_needed(signals: dict, spec: DiagnosticsSpec) -> float | None:
    """The least gap above the null that makes the pair parallel at its coverage (surely_aligned's routes); None
    where its coverage opens none."""
    coverage = signals["coverage"]
    bars = [spec.parallel_min_gap] if coverage >= spec.parallel_min_coverage else []
    if signals["background_similarity"] <= spec.max_background_similarity:
        if coverage >= spec.parallel_high_coverage:
            bars.append(spec.parallel_high_coverage_min_gap)
        if one_to_one_share(signals) >= spec.parallel_one_to_one_share:
            bars.append(spec.parallel_one_to_one_min_gap)
    return min(bars, default=None)


def one_to_one_share(signals: dict) -> float:
    """The share of the longer side's sentences that a sure bead pairs with one sentence of the other: a translation
    made sentence for sentence pairs nearly all of them so, which a retelling or another story on the topic does not
    (dev sets: at most 0.8, at a gap of 0.08, and 0.6 at a gap of 0.1 or more), even where a narrow topic's null
    leaves the translation's gap narrow (NTREX ja-en: 14 of 14 and 21 of 21 sentences, gap 0.27, were judged
    comparable)."""
    longer = max(signals["source_sentences"], signals["reference_sentences"])
    return (signals.get("sure_one_to_one") or 0) / longer if longer else 0.0


def judge_pair(signals: dict, spec: DiagnosticsSpec) -> str:
    return judged_pair(signals, spec)[0]


def judged_hypothesis_side(signals: dict, english_share: float, spec: DiagnosticsSpec) -> tuple[str, str | None]:
    """The relation measured from one system's output (a source language the encoder does not cover), and why it
    cannot be judged (None when it can)."""
    fallback = spec.hypothesis_side
    too_few = too_few_sentences(signals["reference_sentences"], signals["hypothesis_sentences"], "output", spec)
    if too_few:
        return Relation.CANNOT_JUDGE, too_few
    if english_share < spec.min_english_share:
        return Relation.CANNOT_JUDGE, OFF_TARGET.format(share=english_share)
    if signals["copied_from_reference"] == signals["reference_sentences"]:
        return Relation.CANNOT_JUDGE, HYPOTHESIS_COPIED.format(copied=signals["copied_from_reference"],
                                                               reference=signals["reference_sentences"])
    if signals["coverage"] >= fallback.parallel_min_coverage and \
            signals["aligned_similarity"] >= fallback.parallel_min_similarity:
        if signals["one_to_one"] == 0:
            return Relation.CANNOT_JUDGE, CONDENSED
        return Relation.PARALLEL, None
    if (signals["name_overlap"] or 0.0) >= fallback.comparable_min_name_overlap \
            or signals["coverage"] >= fallback.comparable_min_coverage:
        return Relation.COMPARABLE, None
    return Relation.UNRELATED, None


def measure_relation(document: AlignedDocument, english_share: float, spec: DiagnosticsSpec, source_lang: str,
                     target_lang: str) -> tuple[str, str | None, dict, str]:
    """The relation, why it cannot be judged (None when it can or no more is known), its signals and what it was
    measured from."""
    if document.pair is None:
        signals = hypothesis_signals(document)
        measured, reason = judged_hypothesis_side(signals, english_share, spec)
        measured_from = MeasuredFrom.HYPOTHESIS.value
    elif document.pair.method == "lines" and all(bead.similarity is None for bead in document.pair.beads):
        signals = pair_signals(document.pair, document.sources, document.references)
        measured, reason, measured_from = Relation.CANNOT_JUDGE, None, MeasuredFrom.NOTHING.value
    else:
        signals = pair_signals(document.pair, document.sources, document.references)
        (measured, reason), measured_from = judged_pair(signals, spec), MeasuredFrom.PAIR.value
    if source_lang == target_lang:   # the reference is checked to be in the target language
        measured, reason = Relation.CANNOT_JUDGE, SAME_LANGUAGE.format(lang=language_name(source_lang))
    return measured, reason, signals, measured_from


def language_verdict(language: dict, spec: DiagnosticsSpec) -> str:
    """on_target or off_target by the share of output sentences in the target language; no_output where every
    output is empty: an empty line has no language (the emptiness itself is counted and shown as `empty`);
    not_identified where the identifier was sure of no sentence (lines of a word or two: 'Cancel', 'Save')."""
    if language["empty"] == 1.0:
        return "no_output"
    if not any(language[share] for share in ("english", "source_language", "other")):
        return "not_identified"
    return "on_target" if language["english"] >= spec.min_english_share else "off_target"


def diagnose(document: AlignedDocument, outputs: list[str], declared: str, target_lang: str, source_lang: str,
             spec: DiagnosticsSpec, cache: TranslationCache | None = None) -> dict:
    language = output_language(outputs, target_lang, source_lang, document.method == "lines", cache)
    language["verdict"] = language_verdict(language, spec)
    measured, reason, signals, measured_from = measure_relation(document, language["english"], spec, source_lang,
                                                                target_lang)
    agrees = None if measured == Relation.CANNOT_JUDGE else measured == declared
    return {"relation": {"declared": declared, "measured": measured, "measured_from": measured_from,
                         "signals": signals, "agrees": agrees, "cannot_judge_because": reason},
            "output_language": language, "adequacy": document.adequacy}


def diagnose_documents(translations: list[Translation], aligned: list[AlignedDocument], target_lang: str,
                       spec: DiagnosticsSpec, cache: TranslationCache | None = None) -> list[dict]:
    """cache: where the language labels of the outputs are remembered."""
    return [diagnose(a, t.unit_outputs, t.document.relation, target_lang, t.document.src_lang, spec, cache)
            for t, a in zip(translations, aligned, strict=True)]
