"""Exact-bead accuracy of harness.score.align on constructed cases (tests/alignment_cases.py).

    PYTHONPATH=. python benchmarks/alignment_accuracy.py [--cases 20] [--drop 0.15] [override ...]

Overrides are alignment keys, e.g. `embeddings=false min_similarity=0.3 beads=[1-1,2-1,1-2,1-0,0-1,2-2]`.
Prints the share of true beads recovered exactly, overall and per bead type.
"""
from __future__ import annotations

import argparse
import random
from collections import Counter

from harness.score.align import align_texts
from harness.config import compose_config
from tests.alignment_cases import FLOOD_STORY, random_case, reference_sentences


def kind(bead) -> str:
    return f"{len(bead[0])}-{len(bead[1])}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--drop", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    spec = compose_config([f"alignment.{o}" for o in args.overrides]).alignment
    rng = random.Random(args.seed)
    bases = [(reference_sentences(), FLOOD_STORY), (FLOOD_STORY, reference_sentences())]
    hits, totals = Counter(), Counter()
    for number in range(args.cases):
        ref, inserts = bases[number % 2]
        case = random_case(ref, inserts, rng, drop=args.drop)
        beads, _, _ = align_texts(case.hyp, case.ref, spec)
        predicted = {(b.src, b.ref) for b in beads}
        for bead in case.beads:
            totals[kind(bead)] += 1
            hits[kind(bead)] += bead in predicted
    overall = sum(hits.values()) / sum(totals.values())
    print(f"exact-bead accuracy: {overall:.3f} ({sum(hits.values())}/{sum(totals.values())} true beads, "
          f"{args.cases} cases, seed {args.seed}, word drop {args.drop}, {' '.join(args.overrides) or 'defaults'})")
    for name in sorted(totals):
        print(f"  {name}: {hits[name]}/{totals[name]} = {hits[name] / totals[name]:.3f}")


if __name__ == "__main__":
    main()
