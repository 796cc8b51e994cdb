"""Constructed alignment cases from English text, where the true beads are known by construction.

A "hypothesis" is built from reference sentences by merging two (true bead 1-2), splitting one at a
comma (2-1), dropping one (0-1) and inserting an unrelated sentence (1-0); every sentence is then
perturbed like a weak MT output (words dropped, neighbours swapped) so that no match is exact.
Used by tests/test_align.py and benchmarks/alignment_accuracy.py (which prints exact-bead accuracy).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# An English text on another subject: the source of inserted (unrelated) sentences and a second base.
FLOOD_STORY = [
    "Heavy rain caused the river to burst its banks early on Sunday morning, flooding dozens of homes.",
    "Firefighters used boats to rescue residents who were trapped on the upper floors of their houses.",
    "The mayor said the town had not seen water levels this high since the great flood of 1987.",
    "Schools will remain closed until Wednesday while engineers inspect the damaged bridges.",
    "Farmers in the valley lost most of their winter wheat, and some fear they will not recover this year.",
    "The regional government promised emergency funds, but residents said help was arriving too slowly.",
    "Meteorologists expect more rain later in the week as a second storm system moves in from the west.",
    "Volunteers filled thousands of sandbags at the football stadium, which has become a relief centre.",
    "Power was cut to about four thousand households after a substation near the river was submerged.",
    "Insurance companies have sent assessors, although many small businesses had no flood cover at all.",
    "An elderly man died when his car was swept off a flooded road, police confirmed on Monday.",
    "Residents are urged to boil tap water until the treatment plant is back in full operation.",
]


@dataclass
class Case:
    hyp: list[str]
    ref: list[str]
    beads: list[tuple[tuple[int, ...], tuple[int, ...]]]   # true (hyp indices, ref indices), skips included


def reference_sentences() -> list[str]:
    from harness.data.segment import split_sentences
    text = (REPO / "references" / "001_8dfe5badceb79477.txt").read_text(encoding="utf-8")
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith(("Posted at", "With information"))]
    return [s for line in lines for s in split_sentences(line, "en")]


def perturb(sentence: str, rng: random.Random, drop: float) -> str:
    """Drop words and swap neighbours, as a weak translation would."""
    words = [w for w in sentence.split() if rng.random() > drop] or sentence.split()[:1]
    for k in range(len(words) - 1):
        if rng.random() < drop / 2:
            words[k], words[k + 1] = words[k + 1], words[k]
    return " ".join(words)


def split_at_comma(sentence: str) -> tuple[str, str] | None:
    words = sentence.split()
    cuts = [k for k, w in enumerate(words[2:-2], start=3) if w.endswith(",")]
    if not cuts:
        return None
    cut = cuts[len(cuts) // 2]
    return " ".join(words[:cut]), " ".join(words[cut:])


def build_case(ref: list[str], ops: dict[int, str], rng: random.Random, drop: float = 0.15,
               inserts: list[str] = FLOOD_STORY) -> Case:
    """ops maps a reference index to 'merge' (with the next), 'split', 'drop' or 'insert' (before it)."""
    hyp: list[str] = []
    beads: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    j = 0
    while j < len(ref):
        op = ops.get(j)
        if op == "insert":
            beads.append(((len(hyp),), ()))
            hyp.append(perturb(rng.choice(inserts), rng, drop))
            op = None
        halves = split_at_comma(ref[j]) if op == "split" else None
        if op == "merge" and j + 1 < len(ref):
            beads.append(((len(hyp),), (j, j + 1)))
            hyp.append(perturb(ref[j] + " " + ref[j + 1], rng, drop))
            j += 2
            continue
        if op == "drop":
            beads.append(((), (j,)))
        elif halves:
            beads.append(((len(hyp), len(hyp) + 1), (j,)))
            hyp += [perturb(half, rng, drop) for half in halves]
        else:
            beads.append(((len(hyp),), (j,)))
            hyp.append(perturb(ref[j], rng, drop))
        j += 1
    return Case(hyp, ref, beads)


def random_case(ref: list[str], inserts: list[str], rng: random.Random, rate: float = 0.25,
                drop: float = 0.15) -> Case:
    """Each reference sentence gets an operation with probability `rate`, never two edits in a row."""
    ops, j = {}, 0
    while j < len(ref):
        if rng.random() < rate:
            ops[j] = rng.choice(["merge", "split", "drop", "insert"])
            j += 1
        j += 1
    return build_case(ref, ops, rng, drop, inserts)


def exact_bead_accuracy(case: Case, predicted: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> tuple[int, int]:
    """(true beads recovered exactly, true beads)."""
    found = set(predicted)
    return sum(bead in found for bead in case.beads), len(case.beads)
