"""How well reference-free adequacy (source-output cosine in the multilingual space) agrees with sentence chrF.

    PYTHONPATH=. python -m benchmarks.adequacy_agreement [RUN_FOLDER ...]

1. Each run folder given: Pearson and Spearman correlation of segment adequacy with segment chrF over the
   segments of the documents measured parallel (the only ones where chrF measures translation quality).
2. Controlled outputs on the test split of the relation corpus: every source sentence's faithful English
   translation degraded like a weak system (a share of 0, 0.2, 0.4 or 0.6 of its words dropped and
   neighbours swapped), or replaced by another sentence of the same story (a wrong but on-topic output);
   adequacy against the source, chrF against the faithful translation.
"""
from __future__ import annotations

import random
import sys

import numpy as np

from benchmarks.relation_pairs import load_stories
from harness.align.encoder import embed
from harness.score.metrics import select_metrics
from harness.results.results import read_result
from tests.alignment_cases import perturb


def ranks(values: np.ndarray) -> np.ndarray:
    order = values.argsort(kind="stable")
    ranked = np.empty(len(values))
    ranked[order] = np.arange(len(values))
    for value in np.unique(values):          # ties share their mean rank
        ranked[values == value] = ranked[values == value].mean()
    return ranked


def correlations(left: list[float], right: list[float]) -> tuple[float, float]:
    a, b = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
    return float(np.corrcoef(a, b)[0, 1]), float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def run_figures(folder: str) -> None:
    result = read_result(folder)
    parallel = [d for d in result["documents"] if d["diagnostics"]["relation"]["measured"] == "parallel"]
    segments = [s for d in parallel for s in d["segments"] if s.get("adequacy") is not None]
    if len(segments) < 3:
        print(f"{folder}: fewer than 3 segments on parallel documents")
        return
    pearson, spearman = correlations([s["adequacy"] for s in segments], [s["scores"]["chrf"] for s in segments])
    print(f"{folder} ({result['model']['name']}): {len(segments)} segments of {len(parallel)} parallel documents "
          f"({', '.join(d['id'] for d in parallel)}): Pearson {pearson:.3f}, Spearman {spearman:.3f}")


def controlled_figures(seed: int = 0) -> None:
    rng = random.Random(seed)
    chrf = select_metrics(["chrf"])[0]
    sources, outputs, references = [], [], []
    for story in (s for s in load_stories() if s.split == "test"):
        for i, (source, translation) in enumerate(zip(story.source, story.translation)):
            choice = rng.choice([0.0, 0.2, 0.4, 0.6, "wrong"])
            other = story.translation[(i + rng.randrange(1, len(story.translation))) % len(story.translation)]
            outputs.append(other if choice == "wrong" else perturb(translation, rng, choice))
            sources.append(source)
            references.append(translation)
    adequacy = np.einsum("ij,ij->i", embed(sources), embed(outputs))
    scores = [chrf.sentence_score(o, r) for o, r in zip(outputs, references)]
    pearson, spearman = correlations(list(adequacy), scores)
    print(f"controlled outputs, test split: {len(outputs)} sentences in 4 languages: "
          f"Pearson {pearson:.3f}, Spearman {spearman:.3f}")


def main() -> None:
    for folder in sys.argv[1:]:
        run_figures(folder)
    controlled_figures()


if __name__ == "__main__":
    main()
