"""A gold-alignment corpus (benchmarks.gold_alignment's layout) from the human references of Google's MQM ratings of
TED talks and of WMT 2023 news: real translations written by others, in language pairs and registers that MAC and
Text+Berg lack.

    PYTHONPATH=. python -m benchmarks.mqm_ted TSV OUT

TSV is one of github google/wmt-mqm-human-evaluation (commit 7fadea2): `ted/ende/mqm_ted_ende.tsv` or
`ted/zhen/mqm_ted_zhen.tsv` (the human translation as system `ref`, segments `seg_id`), or the file inside
`generalMT2023/ende/sxs_mqm_generalMT2023_ende.3ratingsPerSegment.tsv.tar.gz` (translator A's as system `refA`,
segments `docSegId` of documents `<domain>_<source>.<id>:<pair>`; its zh-en twin holds no human translation). One
row per rated segment and error of each system. OUT, a folder that must not exist yet, gets per document `<doc>.<src>`
and `<doc>.<tgt>` (the source and the reference, one segment per line, the raters' <v> error marks removed) and
`gold/<doc>.align`: segment k of one side is segment k of the other, as the data set pairs them (1-1 beads only).
Segments with an empty side are left out.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

ERROR_MARK = re.compile(r"</?v>")


def clean(text: str) -> str:
    return " ".join(ERROR_MARK.sub("", text).split())


DATA_FILE = r"(?:mqm_ted|sxs_mqm_generalMT2023)_([a-z]{2})([a-z]{2})(?:\.3ratingsPerSegment)?\.tsv$"
REFERENCE_SYSTEMS = ("ref", "refA")   # the human translation: TED's, WMT 2023's translator A


def reference_segments(tsv: Path) -> dict[str, dict[int, tuple[str, str]]]:
    """Per document, segment id -> (source, reference) of the human translation (REFERENCE_SYSTEMS)."""
    csv.field_size_limit(sys.maxsize)   # WMT 2023's rating metadata runs to megabytes in one field
    documents: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
    with tsv.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["system"] in REFERENCE_SYSTEMS:
                name = row["doc"].split(":")[0].replace(".", "")
                segment = int(row["seg_id"] if "seg_id" in row else row["docSegId"])
                documents[name][segment] = (clean(row["source"]), clean(row["target"]))
    return documents


def write_corpus(documents: dict[str, dict[int, tuple[str, str]]], languages: tuple[str, str], out: Path) -> None:
    (out / "gold").mkdir(parents=True)
    for document, segments in documents.items():
        pairs = [segments[k] for k in sorted(segments) if all(segments[k])]
        for side, lang in enumerate(languages):
            (out / f"{document}.{lang}").write_text("".join(pair[side] + "\n" for pair in pairs), encoding="utf-8")
        (out / "gold" / f"{document}.align").write_text("".join(f"[{k}]:[{k}]\n" for k in range(len(pairs))))
        print(f"{document}: {len(pairs)} segments")


def refuse(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(2)


def checked_paths(data: Path, pattern: str, expected: str, out: Path) -> tuple[str, str]:
    """The language pair that the data file's name gives; refused (exit 2): another file, or an OUT that exists."""
    pair = re.search(pattern, data.name)
    if pair is None or not data.is_file():
        refuse(f"{data}: expected {expected}")
    refuse_existing(out)
    return pair[1], pair[2]


def refuse_existing(out: Path) -> None:
    """A corpus goes only into a new folder (exit 2 where OUT exists)."""
    if out.exists():
        refuse(f"{out}: already exists; name a new folder")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tsv", type=Path, help="mqm_ted_ende.tsv, mqm_ted_zhen.tsv or "
                        "sxs_mqm_generalMT2023_ende.3ratingsPerSegment.tsv")
    parser.add_argument("out", type=Path, help="a new folder for the corpus")
    args = parser.parse_args()
    languages = checked_paths(args.tsv, DATA_FILE,
                              "ted/<pair>/mqm_ted_<pair>.tsv or generalMT2023's sxs_mqm_generalMT2023_<pair>"
                              ".3ratingsPerSegment.tsv of google/wmt-mqm-human-evaluation", args.out)
    documents = reference_segments(args.tsv)
    if not documents:
        refuse(f"{args.tsv}: no human translation in it (system {' or '.join(REFERENCE_SYSTEMS)}); "
               "name a file that has one")
    write_corpus(documents, languages, args.out)


if __name__ == "__main__":
    main()
