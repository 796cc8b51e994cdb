"""Merges told from omissions (harness.align.partition.joins_output) on real machine translations: the system
outputs of the WMT 2022 general test sets, in the documents benchmarks.wmt_documents takes.

    PYTHONPATH=. python -m benchmarks.merged_outputs XML [XML ...] [--skip M] [--per-domain K] [--samples N (10)]

For N sampled pairs of consecutive segments k, k+1 of each document, and one system drawn at random for each, the
system's own outputs stand in for a translation that merged the two segments (the outputs of k and k+1 joined, at
k; k+1 empty) and for one that omitted k+1 (the output of k alone); the same the other way round (k+1 joined to the
output of k+2). Prints, for each least gain of joins_output, the share of merges found and the omissions read as
merges. The dev sets are the first 4 documents of each domain, the test sets (`--skip 4`) the next 4.
"""
from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from benchmarks.wmt_documents import segments, selected
from harness.align.partition import joins_output

GAINS = (0.0, 0.02, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1)
SEPARATOR = {"zh": "", "ja": ""}   # how two sentences of the target language are joined (else a space)


def system_outputs(doc) -> dict[str, dict[str, str]]:
    """Each system's outputs of the document, by segment id."""
    return {hyp.get("system"): segments(hyp) for hyp in doc.findall("hyp")}


def cases(xml: Path, skip: int, per_domain: int, samples: int, rng: random.Random) -> list[tuple[str, tuple]]:
    """(merge or omission, joins_output's arguments but the least gain)."""
    source_lang, target_lang = re.search(r"\.([a-z]{2,3})-([a-z]{2,3})\.all\.xml$", xml.name).groups()
    joiner = SEPARATOR.get(target_lang, " ")
    found = []
    for _, doc, _ in selected(xml, source_lang, per_domain, skip, 8):
        keyed = segments(doc.find("src"))
        source, systems = list(keyed.values()), system_outputs(doc)
        for _ in range(samples):
            name = rng.choice(sorted(systems))
            outputs = [systems[name].get(key, "") for key in keyed]
            if len(source) < 3 or not all(outputs):
                continue
            ratio = sum(map(len, outputs)) / max(sum(map(len, source)), 1)
            k = rng.randrange(len(source) - 2)
            x, y, z = outputs[k:k + 3]
            found += [("merge", ([k], k + 1, source, changed(outputs, k, x + joiner + y, ""), ratio)),
                      ("omission", ([k], k + 1, source, changed(outputs, k, x, ""), ratio)),
                      ("merge", ([k + 2], k + 1, source, changed(outputs, k + 1, "", y + joiner + z), ratio)),
                      ("omission", ([k + 2], k + 1, source, changed(outputs, k + 1, "", z), ratio))]
    return found


def changed(outputs: list[str], start: int, *replacing: str) -> list[str]:
    return outputs[:start] + list(replacing) + outputs[start + len(replacing):]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("xml", type=Path, nargs="+", help="xml/wmttest2022.<src>-<tgt>.all.xml")
    parser.add_argument("--skip", type=int, default=0, help="documents of each domain passed over first")
    parser.add_argument("--per-domain", type=int, default=4)
    parser.add_argument("--samples", type=int, default=10, help="pairs of segments drawn per document")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    drawn = [case for xml in args.xml for case in cases(xml, args.skip, args.per_domain, args.samples, rng)]
    merges = [arguments for kind, arguments in drawn if kind == "merge"]
    omissions = [arguments for kind, arguments in drawn if kind == "omission"]
    print(f"{len(merges)} merges and {len(omissions)} omissions from {', '.join(x.name for x in args.xml)}")
    for gain in GAINS:
        found = sum(joins_output(*arguments, min_gain=gain) for arguments in merges)
        hidden = sum(joins_output(*arguments, min_gain=gain) for arguments in omissions)
        print(f"  least gain {gain:.2f}: merges found {found}/{len(merges)} = {found / max(len(merges), 1):.3f}, "
              f"omissions read as merges {hidden}/{len(omissions)}")


if __name__ == "__main__":
    main()
