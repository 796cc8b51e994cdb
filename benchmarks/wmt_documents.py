"""A gold-alignment corpus (benchmarks.gold_alignment's layout) from a WMT 2022 general-task test set: real
documents of four domains (news, e-commerce, social media, conversation) translated by professionals, in language
pairs and registers that MAC, Text+Berg and the TED talks lack.

    PYTHONPATH=. python -m benchmarks.wmt_documents XML OUT [--per-domain K] [--skip M] [--min-segments N]

XML is `xml/wmttest2022.<src>-<tgt>.all.xml` of github wmt-conference/wmt22-news-systems (commit 20240a2; the
files that are present there, not Git LFS pointers: de-fr, fr-de, ja-en, ru-en, uk-en, en-zh, en-hr, ...). Only
documents written in the source language are taken (origlang = src: the reference is a translation of the source,
not the other way round) with at least N segments: the first K of each domain in the file's order (a set without
domains: the first K), after the first M of each (--skip: the dev sets are the first 4 of each domain, the test sets
the next 4). OUT, a folder
that must not exist yet, gets per document `<doc>.<src>` and `<doc>.<tgt>` (the source and the reference
translator A's, one segment per line) and `gold/<doc>.align`: segment k of one side is segment k of the other, as
the test set pairs them (1-1 beads only). Segments with an empty side are left out.
"""
from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from benchmarks.mqm_ted import checked_paths, clean, refuse, write_corpus


def segments(side: ET.Element) -> dict[str, str]:
    return {seg.get("id"): clean(seg.text or "") for seg in side.iter("seg")}


def reference_of(doc: ET.Element) -> ET.Element | None:
    """Translator A's reference where the document has one, else its first reference, else None."""
    references = doc.findall("ref")
    return next((ref for ref in references if ref.get("translator") == "A"), references[0] if references else None)


def documents(xml: Path, source_lang: str, per_domain: int, skip: int, min_segments: int) -> dict[str, dict[int, tuple]]:
    """Per document, segment number -> (source, reference), for the first per_domain documents of each domain after
    the first `skip`."""
    return {name: pairs for name, _, pairs in selected(xml, source_lang, per_domain, skip, min_segments)}


def selected(xml: Path, source_lang: str, per_domain: int, skip: int, min_segments: int
             ) -> Iterator[tuple[str, ET.Element, dict[int, tuple]]]:
    """The documents `documents` takes: (name, the document's element, segment number -> (source, reference))."""
    per: Counter = Counter()
    for doc in ET.parse(xml).getroot().iter("doc"):
        reference, domain = reference_of(doc), doc.get("domain") or "any"
        if doc.get("origlang") != source_lang or reference is None or per[domain] >= skip + per_domain:
            continue
        source, target = segments(doc.find("src")), segments(reference)
        pairs = {k: (source[key], target.get(key, "")) for k, key in enumerate(source)}
        if sum(all(pair) for pair in pairs.values()) >= min_segments:
            per[domain] += 1
            if per[domain] > skip:
                yield f"{domain}-{re.sub(r'[^A-Za-z0-9]+', '_', doc.get('id'))}", doc, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("xml", type=Path, help="xml/wmttest2022.<src>-<tgt>.all.xml")
    parser.add_argument("out", type=Path, help="a new folder for the corpus")
    parser.add_argument("--per-domain", type=int, default=4, help="documents taken of each domain (default 4)")
    parser.add_argument("--skip", type=int, default=0, help="documents of each domain passed over first (default 0)")
    parser.add_argument("--min-segments", type=int, default=8, help="fewer segments: the document is left out")
    args = parser.parse_args()
    languages = checked_paths(args.xml, r"wmttest2022\.([a-z]{2,3})-([a-z]{2,3})\.all\.xml$",
                              "xml/wmttest2022.<src>-<tgt>.all.xml of wmt-conference/wmt22-news-systems", args.out)
    taken = documents(args.xml, languages[0], args.per_domain, args.skip, args.min_segments)
    if not taken:
        refuse(f"{args.xml}: no document written in {languages[0]} with {args.min_segments} segments or more")
    write_corpus(taken, languages, args.out)


if __name__ == "__main__":
    sys.exit(main())
