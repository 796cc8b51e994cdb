"""A gold-alignment corpus (benchmarks.gold_alignment's layout) from NTREX-128: the 123 English news documents of
WMT 2019's test set (1,997 sentences) translated by professionals into 128 languages, among them the harness's own
source languages, French, Turkish and Arabic, which the other public sets here lack.

    PYTHONPATH=. python -m benchmarks.ntrex_documents NTREX LANG OUT --split dev|test

NTREX is a checkout of github MicrosoftTranslator/NTREX (commit 8561f6a): `NTREX-128/newstest2019-src.eng.txt`,
`NTREX-128/newstest2019-ref.<lang>.txt` (one sentence a line, line k of one file translating line k of the other) and
`DOCUMENT_IDS.tsv` (the document of each line). LANG is the translation's file suffix (fra, tur, arb, deu, spa, ...).
The documents alternate between the splits in the file's order (the first, third, ... are dev; the second, fourth,
... test), so that both hold every news source. OUT, a folder that must not exist yet, gets per document `<doc>.<xx>`
(the translation, the side the harness translates from) and `<doc>.en` (the English original, the reference), and
`gold/<doc>.align`: line k of one side is line k of the other (1-1 beads only). The translation is the source side
here although it was written from the English: the aligner and the relation judge whether two texts translate each
other, whichever was written first.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.mqm_ted import clean, refuse, refuse_existing, write_corpus
from harness.data.languages import code_meant

SPLITS = ("dev", "test")


def lines(path: Path) -> list[str]:
    if not path.is_file():
        refuse(f"{path}: not found; NTREX is a checkout of github MicrosoftTranslator/NTREX")
    return [clean(line) for line in path.read_text(encoding="utf-8").splitlines()]


def documents(ntrex: Path, lang: str, split: str) -> dict[str, dict[int, tuple[str, str]]]:
    """Per document of the split, line number within it -> (translation, English original)."""
    english = lines(ntrex / "NTREX-128" / "newstest2019-src.eng.txt")
    translated = lines(ntrex / "NTREX-128" / f"newstest2019-ref.{lang}.txt")
    names = [row.split()[0] for row in lines(ntrex / "DOCUMENT_IDS.tsv")]   # the id, before any other column
    if not len(english) == len(translated) == len(names):
        refuse(f"{ntrex}: {len(english)} English lines, {len(translated)} in {lang}, {len(names)} document ids")
    order = list(dict.fromkeys(names))
    taken = {name for k, name in enumerate(order) if k % 2 == SPLITS.index(split)}
    corpus: dict[str, dict[int, tuple[str, str]]] = {}
    for name, source, reference in zip(names, translated, english):
        if name in taken:
            segments = corpus.setdefault(name.replace(".", "_"), {})
            segments[len(segments)] = (source, reference)
    return corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ntrex", type=Path, help="a checkout of github MicrosoftTranslator/NTREX")
    parser.add_argument("lang", help="the translation's suffix in NTREX-128/newstest2019-ref.<lang>.txt (fra, tur, arb)")
    parser.add_argument("out", type=Path, help="a new folder for the corpus")
    parser.add_argument("--split", choices=SPLITS, required=True)
    args = parser.parse_args()
    refuse_existing(args.out)
    source_lang = code_meant(args.lang) or args.lang   # fra -> fr, as the harness names it; a language it lacks as written
    write_corpus(documents(args.ntrex, args.lang, args.split), (source_lang, "en"), args.out)


if __name__ == "__main__":
    sys.exit(main())
