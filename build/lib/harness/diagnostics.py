"""Diagnostics that say when a score means nothing: the measured reference relation and the output language.

Every verdict is a number compared with a threshold from config (DiagnosticsSpec), and the numbers are
stored beside the verdict. Language ID is py3langid (langid.py's model, shipped inside the package, numpy
only, offline); it is noisy on very short lines, which is why shares, not single labels, drive decisions.
"""
from __future__ import annotations

import re
import unicodedata

from harness.aligned_scoring import AlignedDocument
from harness.segment import split_sentences
from harness.translate import Translation

NUMBER = re.compile(r"\d+")
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")


def identify_language(text: str) -> str:
    """ISO 639-1 code of a text; "" for an empty one."""
    if not text.strip():
        return ""
    import py3langid
    return py3langid.classify(text)[0]


def language_units(outputs: list[str], lang: str) -> list[str]:
    """Every hypothesis sentence, plus one empty unit per empty output (empty outputs have no sentences)."""
    return [s for output in outputs for s in (split_sentences(output, lang) or [""])]


def output_language(outputs: list[str], target_lang: str, source_lang: str) -> dict:
    labels = [identify_language(unit) for unit in language_units(outputs, target_lang)]
    total = len(labels) or 1
    share = lambda wanted: round(sum(label == wanted for label in labels) / total, 4)  # noqa: E731
    shares = {"english": share(target_lang), "source_language": share(source_lang), "empty": share("")}
    shares["other"] = round(1 - sum(shares.values()), 4) if labels else 0.0
    return {**shares, "per_segment": labels}


def numbers(text: str) -> set[int]:
    """Numbers in any script's digits (Arabic-Indic included)."""
    return {int("".join(str(unicodedata.digit(c)) for c in match)) for match in NUMBER.findall(text)}


def names(sentences: list[str]) -> set[str]:
    """Capitalized tokens not opening a sentence: a cheap stand-in for named entities."""
    return {match.strip("’'-").lower() for sentence in sentences for match in NAME.findall(sentence)}


def overlap(left: set, right: set) -> float | None:
    """Jaccard overlap; None when neither side has anything to compare."""
    union = left | right
    return round(len(left & right) / len(union), 4) if union else None


def relation_signals(document: AlignedDocument) -> dict:
    alignment = document.alignment
    matched = [b for b in alignment.beads if b.hyp and b.ref]
    hyp_text = " ".join(h.text for h in alignment.hypothesis)
    ref_text = " ".join(alignment.reference)
    aligned = sum(b.similarity for b in matched) / len(matched) if matched else 0.0
    reference_coverage = sum(len(b.ref) for b in matched) / max(len(alignment.reference), 1)
    hypothesis_coverage = sum(len(b.hyp) for b in matched) / max(len(alignment.hypothesis), 1)
    return {
        "reference_sentences": len(alignment.reference),
        "hypothesis_sentences": len(alignment.hypothesis),
        "reference_coverage": round(reference_coverage, 4),
        "hypothesis_coverage": round(hypothesis_coverage, 4),
        # an abridged translation covers little of the longer text but most of its own: take the better side
        "coverage": round(max(reference_coverage, hypothesis_coverage), 4),
        "aligned_similarity": round(aligned, 4),
        "background_similarity": round(alignment.background_similarity, 4),
        "margin": round(aligned - alignment.background_similarity, 4),
        "length_ratio": round(len(hyp_text) / max(len(ref_text), 1), 4),
        "name_overlap": overlap(names([h.text for h in alignment.hypothesis]), names(alignment.reference)),
        "number_overlap": overlap(numbers(hyp_text), numbers(ref_text)),
    }


def judge_relation(signals: dict, english_share: float, spec) -> str:
    if english_share < spec.min_english_share or signals["reference_sentences"] < spec.min_reference_sentences \
            or not signals["hypothesis_sentences"]:
        return "cannot_judge"
    if signals["coverage"] >= spec.parallel_min_coverage and signals["margin"] >= spec.parallel_min_margin:
        return "parallel"
    if (signals["name_overlap"] or 0.0) >= spec.comparable_min_name_overlap \
            or signals["coverage"] >= spec.comparable_min_coverage:
        return "comparable"
    return "unrelated"


def diagnose(document: AlignedDocument, outputs: list[str], declared: str, target_lang: str, source_lang: str,
             spec) -> dict:
    language = output_language(outputs, target_lang, source_lang)
    signals = relation_signals(document)
    measured = judge_relation(signals, language["english"], spec)
    agrees = None if measured == "cannot_judge" else measured == declared
    return {"relation": {"declared": declared, "measured": measured, "signals": signals, "agrees": agrees},
            "output_language": language}


def diagnose_documents(translations: list[Translation], aligned: list[AlignedDocument], target_lang: str,
                       spec) -> list[dict]:
    return [diagnose(a, t.outputs, t.document.relation, target_lang, t.document.src_lang, spec)
            for t, a in zip(translations, aligned, strict=True)]
