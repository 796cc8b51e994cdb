"""A gold-alignment corpus (benchmarks.gold_alignment's layout) from the human references of Google's MQM ratings of
TED talks: real translations written by others, in language pairs and a register that MAC and Text+Berg lack.

    PYTHONPATH=. python -m benchmarks.mqm_ted TSV OUT

TSV is `ted/ende/mqm_ted_ende.tsv` or `ted/zhen/mqm_ted_zhen.tsv` of github google/wmt-mqm-human-evaluation
(commit 7fadea2): one row per rated segment and error of each system, the human translation as system `ref`.
OUT, a folder that must not exist yet, gets per talk `<talk>.<src>` and `<talk>.<tgt>` (the source and the
reference, one segment per line, the raters' <v> error marks removed) and `gold/<talk>.align`: segment k of one
side is segment k of the other, as the data set pairs them (1-1 beads only). Segments with an empty side are left
out.
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


def reference_segments(tsv: Path) -> dict[str, dict[int, tuple[str, str]]]:
    """Per talk, segment id -> (source, reference) of the system `ref`."""
    talks: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
    with tsv.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["system"] == "ref":
                talks[row["doc"].replace(".", "")][int(row["seg_id"])] = (clean(row["source"]), clean(row["target"]))
    return talks


def write_corpus(talks: dict[str, dict[int, tuple[str, str]]], languages: tuple[str, str], out: Path) -> None:
    (out / "gold").mkdir(parents=True)
    for talk, segments in talks.items():
        pairs = [segments[k] for k in sorted(segments) if all(segments[k])]
        for side, lang in enumerate(languages):
            (out / f"{talk}.{lang}").write_text("".join(pair[side] + "\n" for pair in pairs), encoding="utf-8")
        (out / "gold" / f"{talk}.align").write_text("".join(f"[{k}]:[{k}]\n" for k in range(len(pairs))))
        print(f"{talk}: {len(pairs)} segments")


def refuse(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(2)


def checked_paths(data: Path, pattern: str, expected: str, out: Path) -> tuple[str, str]:
    """The language pair that the data file's name gives; refused (exit 2): another file, or an OUT that exists."""
    pair = re.search(pattern, data.name)
    if pair is None or not data.is_file():
        refuse(f"{data}: expected {expected}")
    if out.exists():
        refuse(f"{out}: already exists; name a new folder")
    return pair[1], pair[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tsv", type=Path, help="mqm_ted_ende.tsv or mqm_ted_zhen.tsv")
    parser.add_argument("out", type=Path, help="a new folder for the corpus")
    args = parser.parse_args()
    languages = checked_paths(args.tsv, r"mqm_ted_([a-z]{2})([a-z]{2})\.tsv$",
                              "ted/<pair>/mqm_ted_<pair>.tsv of google/wmt-mqm-human-evaluation", args.out)
    write_corpus(reference_segments(args.tsv), languages, args.out)


if __name__ == "__main__":
    main()
