"""Relation and alignment accuracy of the source <-> reference aligner on labelled pairs (relation_pairs.py).

    PYTHONPATH=. python -m benchmarks.relation_benchmark                 test split, thresholds of conf/config.yaml
    PYTHONPATH=. python -m benchmarks.relation_benchmark --split dev --tune   the dev split and the best thresholds

The pairs go through the harness's own code (harness.align.crosslingual.align_sentences, harness.score.diagnostics
pair_signals and judge_pair) with the settings of conf/config.yaml; overrides such as
crosslingual.min_similarity=0.5 change them. Thresholds are chosen on dev (--tune prints the candidates)
and written into conf/config.yaml by hand; the test split is only reported.
"""
from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter

from benchmarks.relation_pairs import Pair, build_pairs
from harness.config import compose_config
from harness.align.crosslingual import align_sentences
from harness.score.diagnostics import judge_pair, pair_signals

RELATIONS = ("parallel", "comparable", "unrelated")


def predicted_beads(alignment) -> set:
    beads = {(b.src, b.ref) for b in alignment.beads}
    beads |= {((i,), ()) for i in alignment.unmatched_source}
    beads |= {((), (j,)) for j in alignment.unmatched_reference}
    return beads


def bead_kind(bead) -> str:
    return f"{len(bead[0])}-{len(bead[1])}"


def measure(pairs: list[Pair], cfg) -> list[dict]:
    rows = []
    for pair in pairs:
        alignment = align_sentences(pair.src, pair.ref, cfg.crosslingual)
        signals = pair_signals(alignment, pair.src, pair.ref)
        found = predicted_beads(alignment)
        hits = [(bead_kind(b), b in found) for b in pair.beads] if pair.beads else []
        rows.append({"pair": pair, "signals": signals, "hits": hits})
    return rows


def confusion(rows: list[dict], spec) -> Counter:
    return Counter((row["pair"].relation, judge_pair(row["signals"], spec)) for row in rows)


def accuracy(matrix: Counter) -> float:
    total = sum(matrix.values())
    return sum(n for (gold, got), n in matrix.items() if gold == got) / total if total else 0.0


def print_confusion(matrix: Counter) -> None:
    labels = [*RELATIONS, "cannot_judge"]
    print("  " + "gold / measured".ljust(16) + "".join(f"{label:>14}" for label in labels))
    for gold in RELATIONS:
        print(f"  {gold:<16}" + "".join(f"{matrix[(gold, got)]:>14}" for got in labels))


def print_beads(rows: list[dict]) -> None:
    hits, totals, by_case = Counter(), Counter(), Counter()
    case_totals = Counter()
    for row in rows:
        for kind, hit in row["hits"]:
            totals[kind] += 1
            hits[kind] += hit
            case_totals[row["pair"].kind] += 1
            by_case[row["pair"].kind] += hit
    overall = sum(hits.values()) / max(sum(totals.values()), 1)
    print(f"exact-bead accuracy: {overall:.3f} ({sum(hits.values())}/{sum(totals.values())} gold beads)")
    print("  by bead type (source-reference): " + ", ".join(
        f"{k} {hits[k]}/{totals[k]} = {hits[k] / totals[k]:.3f}" for k in sorted(totals)))
    print("  by construction: " + ", ".join(
        f"{k} {by_case[k] / case_totals[k]:.3f}" for k in sorted(case_totals)))


GRID = {"parallel_min_coverage": [0.4, 0.5, 0.6, 0.7],
        "parallel_min_gap": [0.3, 0.33, 0.35, 0.37, 0.4],
        "comparable_min_document_cosine": [0.45, 0.5, 0.55, 0.6, 0.65],
        "comparable_min_name_share": [0.1, 0.15, 0.2, 0.25, 0.3],
        "comparable_min_number_overlap": [0.08, 0.1, 0.12, 0.15, 0.2, 1.01]}


def central_winner(winners: list[tuple]) -> dict:
    """Among equally good threshold sets, the one nearest the middle of the winning ranges."""
    ranks = [{v: k for k, v in enumerate(values)} for values in GRID.values()]
    middles = [sorted(ranks[k][w[k]] for w in winners)[len(winners) // 2] for k in range(len(GRID))]
    best = min(winners, key=lambda w: sum(abs(ranks[k][w[k]] - middles[k]) for k in range(len(GRID))))
    return dict(zip(GRID, best))


def tune(rows: list[dict], spec) -> None:
    """Every threshold set on a grid; prints the best accuracy and the central set reaching it."""
    scored = []
    for values in itertools.product(*GRID.values()):
        fixed = {name: spec[name] for name in ("min_reference_sentences", "max_background_similarity", "null_error_z",
                                               "parallel_high_coverage", "parallel_high_coverage_min_gap",
                                               "parallel_one_to_one_share", "parallel_one_to_one_min_gap")}
        candidate = type("Spec", (), {**fixed, **dict(zip(GRID, values))})
        scored.append((accuracy(confusion(rows, candidate)), values))
    best = max(score for score, _ in scored)
    winners = [values for score, values in scored if score == best]
    print(f"best accuracy on this split {best:.3f}, reached by {len(winners)} of {len(scored)} threshold sets; "
          "the central one:")
    print("  " + ", ".join(f"{k}: {v}" for k, v in central_winner(winners).items()))
    for kind in RELATIONS:
        values = [row["signals"] for row in rows if row["pair"].relation == kind]
        for signal in ("coverage", "alignment_gap", "document_cosine", "name_share", "number_overlap"):
            numbers = sorted(v[signal] or 0.0 for v in values)
            print(f"  {kind:<11} {signal:<19} min {numbers[0]:.3f}  max {numbers[-1]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tune", action="store_true", help="print the thresholds that do best on this split")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    cfg = compose_config(args.overrides)
    everything = build_pairs(args.seed)
    pairs = [p for p in everything if p.split == args.split]
    started = time.perf_counter()
    rows = measure(pairs, cfg)
    seconds = time.perf_counter() - started
    languages = Counter(p.lang for p in pairs)
    kinds = Counter(p.kind for p in pairs)
    stories = len({p.name.split("/")[0] for p in pairs})
    print(f"{args.split} split: {len(pairs)} pairs from {stories} stories "
          f"({', '.join(f'{k} {v}' for k, v in sorted(languages.items()))}); "
          f"{', '.join(f'{k} {v}' for k, v in kinds.items())}; aligned in {seconds:.1f} s")
    matrix = confusion(rows, cfg.diagnostics)
    print(f"relation accuracy: {accuracy(matrix):.3f} ({sum(n for (g, m), n in matrix.items() if g == m)}/"
          f"{sum(matrix.values())})")
    print_confusion(matrix)
    print_beads(rows)
    errors = [row for row in rows if judge_pair(row["signals"], cfg.diagnostics) != row["pair"].relation]
    for row in errors:
        s = row["signals"]
        print(f"  wrong: {row['pair'].name} gold {row['pair'].relation}, measured "
              f"{judge_pair(s, cfg.diagnostics)} (coverage {s['coverage']}, gap {s['alignment_gap']}, "
              f"document cosine {s['document_cosine']}, name share {s['name_share']}, "
              f"number overlap {s['number_overlap']})")
    if args.tune:
        tune(rows, cfg.diagnostics)


if __name__ == "__main__":
    main()
