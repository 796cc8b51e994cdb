"""The source <-> reference aligner and the relation verdict on public gold alignments written by others.

    PYTHONPATH=. python -m benchmarks.gold_alignment --corpus PATH [--pairs] [--resegment] [overrides ...]

PATH holds bertalign's layout: `<doc>.<src>` and `<doc>.<tgt>`, or `<src>/<doc>` and `<tgt>/<doc>` (a folder per
language, as bertalign ships text+berg/), with one sentence per line (the gold split, taken as it is: no
re-segmentation), and `gold/<doc>.align` or `gold/<doc>` with lines such as `[0]:[0, 1]`. The
corpora stay outside this repository: MAC-Dev is data/mac/dev of github bfsujason/bertalign at commit
3c432d0 (files `zh/<doc>`, `en/<doc>`, read as they are), MAC-Test is corpus/mac/test/split
and eval/mac/test/gold at commit e9c1428. Text+Berg (de->fr, Bleualign's dev and test sets) is bleualign_data of
github thompsonb/vecalign at commit f372627: `dev.de`, `dev.fr`, gold `dev.defr` -> `gold/dev.align` (and
test0..test6 likewise, in a folder of their own). Without a `.en` side, the second file name in order is the target;
`--source LANG` names the source side where that guess is wrong (a WMT set from English, or fr->de:
benchmarks.wmt_documents). NTREX-128's documents in French, Turkish, Arabic and 125 more languages against their
English originals: benchmarks.ntrex_documents.

Prints strict and lax precision/recall/F1 with Vecalign's scoring definition (bertalign's eval.py:
summed over documents; strict = the exact bead, lax = a bead overlapping a gold bead on both sides;
precision counts predicted 1-0/0-1 beads, recall only gold beads with both sides), the same per gold bead
type, and the wall and CPU time of the alignment. With --verses (a verse-level gold: bertalign's Bible) the
predicted beads of one verse are joined before scoring, as bertalign's bin/eval_bible.py does. With --pairs it also judges the relation (harness
diagnostics) of every true pair, of each true pair with its target cut in half (an abridged translation:
parallel, the cut half unmatched), and of every mismatched pair (document i's source with document j's
target, i != j): none may be called parallel. With --resegment it judges every true pair again as the harness
meets a document: each side's lines joined into one text and split into sentences by the harness's own
segmenter (harness.data.segment) in the language its file name gives, so that the gold split helps nothing.
"""
from __future__ import annotations

import argparse
import ast
import time
from collections import Counter
from pathlib import Path

from harness.config import compose_config
from harness.data.segment import split_sentences
from harness.align.crosslingual import align_sentences
from harness.score.diagnostics import judge_pair, pair_signals


def read_lines(path: Path) -> list[str]:
    """A file's lines split at line feeds, as bertalign and Vecalign read them; a last line without one is kept."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def read_gold(path: Path) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    beads = []
    for line in read_lines(path):
        src, tgt = line.split(":")
        beads.append((tuple(ast.literal_eval(src)), tuple(ast.literal_eval(tgt))))
    return beads


def gold_files(corpus: Path) -> list[Path]:
    """gold/<doc>.align, or gold/<doc> as bertalign ships Text+Berg."""
    gold = corpus / "gold"
    files = sorted(p for p in gold.iterdir() if p.is_file() and p.suffix in ("", ".align")) if gold.is_dir() else []
    if not files:
        raise SystemExit(f"{corpus}: no gold alignments (gold/<doc>.align or gold/<doc>)")
    return files


def document_sides(corpus: Path, document: str) -> dict[str, Path]:
    """A document's file in each language: `<doc>.<lang>` beside gold/, or `<lang>/<doc>` in a folder per language
    (bertalign's layout: text+berg/de/001, text+berg/fr/001)."""
    beside = {p.suffix[1:]: p for p in corpus.glob(f"{document}.*") if p.is_file()}
    in_folders = {folder.name: folder / document for folder in corpus.iterdir()
                  if folder.is_dir() and folder.name != "gold" and "." not in folder.name
                  and (folder / document).is_file()}
    return beside or in_folders


def document_files(corpus: Path, gold: Path, source_lang: str | None = None) -> tuple[tuple[str, Path], ...]:
    """The (language, file) of a gold file's source and target: source_lang's the source, else the English one
    (else the second language in order) the target."""
    document = gold.name.removesuffix(".align")
    sides = document_sides(corpus, document)
    if len(sides) != 2:
        raise SystemExit(f"{corpus}: expected {document} in two languages ({document}.<lang> or <lang>/{document}), "
                         f"found {sorted(map(str, sides.values()))}")
    if source_lang is not None and source_lang not in sides:
        raise SystemExit(f"{corpus}: no {document} in {source_lang} for --source {source_lang}")
    target = ("en" if "en" in sides else sorted(sides)[1]) if source_lang is None else None
    source = source_lang or next(lang for lang in sides if lang != target)
    target = target or next(lang for lang in sides if lang != source)
    return (source, sides[source]), (target, sides[target])


def checked_gold(gold: Path, beads: list, source: tuple[str, list[str]], target: tuple[str, list[str]]) -> list:
    """The gold beads, refused where one names a sentence past either file's end: a truncated file, or a gold
    whose first column is the other language (bertalign's Bible lists English first)."""
    for side, (lang, lines), what in ((0, source, "source"), (1, target, "target")):
        named = max((i for bead in beads for i in bead[side]), default=-1)
        if named >= len(lines):
            raise SystemExit(f"{gold}: names {what} sentence {named} (from 0), but the {what} side ({lang}) has "
                             f"{len(lines)} line{'' if len(lines) == 1 else 's'}; if its first column is {target[0]}, "
                             f"give --source {target[0]}")
    return beads


def corpus_documents(corpus: Path, source_lang: str | None = None) -> list[tuple[str, list[str], list[str], list]]:
    """(name, source lines, target lines, gold beads) for every gold file; the languages from the file names."""
    documents = []
    for gold in gold_files(corpus):
        (src_lang, source), (tgt_lang, target) = document_files(corpus, gold, source_lang)
        src, tgt = read_lines(source), read_lines(target)
        beads = checked_gold(gold, read_gold(gold), (src_lang, src), (tgt_lang, tgt))
        documents.append((gold.name.removesuffix(".align"), src, tgt, beads))
    return documents


def corpus_languages(corpus: Path, source_lang: str | None = None) -> tuple[str, str]:
    """The source and target language codes, from the first document's file names."""
    (source, _), (target, _) = document_files(corpus, gold_files(corpus)[0], source_lang)
    return source, target


def predicted(alignment) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    beads = [(tuple(b.src), tuple(b.ref)) for b in alignment.beads]
    beads += [((i,), ()) for i in alignment.unmatched_source] + [((), (j,)) for j in alignment.unmatched_reference]
    return beads


def in_document_order(beads: list) -> list:
    """Beads in the order an aligner writes them: by their first source sentence, each 0-1 bead before the first
    bead whose target sentences come after it."""
    pending = sorted((bead for bead in beads if not bead[0]), key=lambda bead: bead[1])
    ordered = []
    for bead in sorted((bead for bead in beads if bead[0]), key=lambda bead: bead[0]):
        while pending and bead[1] and pending[0][1][0] < min(bead[1]):
            ordered.append(pending.pop(0))
        ordered.append(bead)
    return ordered + pending


def read_verses(path: Path) -> list[str]:
    """A verse file: the verse of each sentence, one a line (bertalign's data/bible/en.verse: `Gen:1:2`)."""
    return [line.strip() for line in read_lines(path)]


def bead_verse(bead: tuple, source_verses: list[str], target_verses: list[str]) -> str | None:
    """The one verse a bead lies in (an empty side lies anywhere), else None: bertalign's find_beads_type."""
    sides = [set(verses[i] for i in side) or {None} for side, verses in zip(bead, (source_verses, target_verses))]
    if any(len(side) != 1 for side in sides):
        return None
    verses = {verse for side in sides for verse in side} - {None}
    return verses.pop() if len(verses) == 1 else None


def merged_by_verse(beads: list, source_verses: list[str], target_verses: list[str]) -> list:
    """Consecutive beads of one verse joined, as bertalign's bin/eval_bible.py does before scoring sentence
    alignments against the Bible's verse-level gold."""
    merged, last = [], None
    for bead in beads:
        verse = bead_verse(bead, source_verses, target_verses)
        if last is not None and verse == last:
            merged[-1] = (merged[-1][0] + bead[0], merged[-1][1] + bead[1])
        else:
            merged.append(bead)
        last = verse
    return merged


def counts(gold: list, test: list) -> Counter:
    """Vecalign's _precision: strict and lax true/false positives of `test` against `gold`."""
    gold_set, result = set(gold), Counter()
    targets_of = {}
    for src, tgt in gold:
        for i in src:
            targets_of.setdefault(i, set()).update(tgt)
    for src, tgt in set(test):
        if not src and not tgt:
            continue
        if (src, tgt) in gold_set:
            result.update(tp_strict=1, tp_lax=1)
        elif set(tgt) & {j for i in src for j in targets_of.get(i, ())}:
            result.update(fp_strict=1, tp_lax=1)
        else:
            result.update(fp_strict=1, fp_lax=1)
    return result


def scores(pairs: list[tuple[list, list]]) -> dict:
    precision, recall = Counter(), Counter()
    for gold, test in pairs:
        precision += counts(gold, test)
        recall += counts([b for b in test if b[0] and b[1]], [b for b in gold if b[0] and b[1]])
    ratio = lambda c, kind: c[f"tp_{kind}"] / max(c[f"tp_{kind}"] + c[f"fp_{kind}"], 1)  # noqa: E731
    result = {}
    for kind in ("strict", "lax"):
        p, r = ratio(precision, kind), ratio(recall, kind)
        result[kind] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return result


def by_bead_type(pairs: list[tuple[list, list]]) -> str:
    found, total = Counter(), Counter()
    for gold, test in pairs:
        test_set = set(test)
        for bead in gold:
            kind = f"{len(bead[0])}-{len(bead[1])}"
            total[kind] += 1
            found[kind] += bead in test_set
    return ", ".join(f"{k} {found[k]}/{total[k]}" for k in sorted(total, key=lambda k: -total[k]))


def relation_rows(documents: list, cfg) -> list[tuple[str, str, dict]]:
    """(kind, measured relation, signals) of true, half-target and mismatched pairs."""
    rows = []
    for k, (name, src, tgt, _) in enumerate(documents):
        for kind, reference in (("true", tgt), ("half target", tgt[:len(tgt) // 2])):
            rows.append((kind, *judged(src, reference, cfg)))
        for other, (_, _, wrong, _) in enumerate(documents):
            if other != k:
                rows.append(("mismatched", *judged(src, wrong, cfg)))
    return rows


def judged(src: list[str], ref: list[str], cfg) -> tuple[str, dict]:
    alignment = align_sentences(src, ref, cfg.crosslingual)
    signals = pair_signals(alignment, src, ref)
    return judge_pair(signals, cfg.diagnostics), signals


def resegmented_relations(documents: list, languages: tuple[str, str], cfg) -> list[tuple[str, str, dict]]:
    """The relation of every true pair with each side's lines joined and split again by the harness's segmenter."""
    resegment = lambda lines, lang: split_sentences(" ".join(lines), lang)  # noqa: E731
    return [("true", *judged(resegment(src, languages[0]), resegment(tgt, languages[1]), cfg))
            for _, src, tgt, _ in documents]


def print_relations(rows: list) -> None:
    table = Counter((kind, verdict) for kind, verdict, _ in rows)
    verdicts = sorted({v for _, v in table})
    kinds = [kind for kind in ("true", "half target", "mismatched") if any(k == kind for k, _, _ in rows)]
    print("relation (harness diagnostics): " + "; ".join(
        f"{kind}: " + ", ".join(f"{table[(kind, v)]} {v}" for v in verdicts if table[(kind, v)]) for kind in kinds))
    for kind in kinds:
        values = sorted(s["coverage"] for k, _, s in rows if k == kind)
        print(f"  {kind:<12} coverage (confident beads) min {values[0]:.3f} median {values[len(values) // 2]:.3f} "
              f"max {values[-1]:.3f}")


def verses_of(paths: list[Path], documents: list) -> tuple[list[str], list[str]]:
    """The source and target verse files, which must number the one document's sentences."""
    if len(documents) != 1:
        raise SystemExit(f"--verses: the corpus has {len(documents)} documents; verse files number one document's "
                         f"sentences")
    [(_, source, target, _)] = documents
    verses = tuple(read_verses(path) for path in paths)
    for path, lines, sentences in zip(paths, verses, (source, target)):
        if len(lines) != len(sentences):
            raise SystemExit(f"{path}: {len(lines)} verses for {len(sentences)} sentences; give the source's "
                             f"verse file first")
    return verses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--pairs", action="store_true", help="also judge true, half-target and mismatched pairs")
    parser.add_argument("--resegment", action="store_true",
                        help="also judge the true pairs split into sentences by the harness, not by the gold")
    parser.add_argument("--source", metavar="LANG", help="the source side's language (its file suffix or folder), "
                        "where the target is not the English side (or, without one, the second language in order)")
    parser.add_argument("--verses", nargs=2, type=Path, metavar=("SOURCE_VERSES", "TARGET_VERSES"),
                        help="verse files of a one-document corpus (bertalign's data/bible/en.verse zh.verse): "
                        "predicted beads of one verse are joined before scoring, as bin/eval_bible.py does")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    cfg = compose_config(args.overrides)
    documents = corpus_documents(args.corpus, args.source)
    verses = verses_of(args.verses, documents) if args.verses else None
    wall, cpu = time.perf_counter(), time.process_time()
    results = [(gold, predicted(align_sentences(src, tgt, cfg.crosslingual))) for _, src, tgt, gold in documents]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if verses:
        results = [(gold, merged_by_verse(in_document_order(test), *verses)) for gold, test in results]
    sentences = sum(len(src) + len(tgt) for _, src, tgt, _ in documents)
    print(f"{args.corpus}: {len(documents)} documents, {sentences} sentences; aligned in {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU")
    for kind, (p, r, f) in scores(results).items():
        print(f"  {kind:<6} P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    print(f"  exact gold beads by type: {by_bead_type(results)}")
    if args.pairs:
        print_relations(relation_rows(documents, cfg))
    if args.resegment:
        print("resegmented by the harness (each side's lines joined, then split into sentences):")
        print_relations(resegmented_relations(documents, corpus_languages(args.corpus, args.source), cfg))


if __name__ == "__main__":
    main()
