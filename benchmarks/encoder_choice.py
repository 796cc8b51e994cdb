"""Can USE multilingual v3 (harness.align.encoder) replace all-MiniLM-L6-v2 (harness.score.embeddings) for the English-only
uses: the summaries' embedding cosine and centrality ranking, and the hypothesis-side aligner?

    PYTHONPATH=. python -m benchmarks.encoder_choice

1. Documents (what embedding_cosine sees): for every story of the relation corpus, the cosine of the mean
   sentence embeddings of its English translation with its independent retelling (same event) must beat the
   cosine with its other_event article (same topic) and with another story's translation (other topic).
2. Sentences (what the aligner sees): each reference sentence of the corpus perturbed like a weak translation
   (words dropped, neighbours swapped; tests/alignment_cases.perturb) must find its original as nearest
   neighbour among the sentences of its own article.
3. Speed: sentences per second, and the time to load the model, in this process.
"""
from __future__ import annotations

import random
import time

import numpy as np

from benchmarks.relation_pairs import load_stories
from tests.alignment_cases import perturb


def minilm(texts: list[str]) -> np.ndarray:
    from harness.score.embeddings import embed
    return embed(texts)


def usem3(texts: list[str]) -> np.ndarray:
    from harness.align.encoder import embed
    return embed(texts)


ENCODERS = {"all-MiniLM-L6-v2": minilm, "USE multilingual v3": usem3}


def document_vector(embed, sentences: list[str]) -> np.ndarray:
    mean = embed(sentences).mean(axis=0)
    return mean / np.linalg.norm(mean)


def document_figures(embed, stories) -> tuple[float, float, float]:
    """Share of stories whose retelling beats other_event, share that beats another topic, mean gap."""
    wins_event, wins_topic, gaps = 0, 0, []
    for k, story in enumerate(stories):
        other = next(s for s in stories[k + 1:] + stories[:k] if s.topic != story.topic)
        base = document_vector(embed, story.translation)
        same = float(base @ document_vector(embed, story.retelling))
        event = float(base @ document_vector(embed, story.other_event))
        topic = float(base @ document_vector(embed, other.translation))
        wins_event += same > event
        wins_topic += same > topic
        gaps.append(same - event)
    return wins_event / len(stories), wins_topic / len(stories), float(np.mean(gaps))


def sentence_figures(embed, stories, seed: int = 0) -> tuple[float, float]:
    """Top-1 retrieval of each perturbed sentence among its article's sentences, and the mean margin of the
    right match over the best wrong one."""
    rng = random.Random(seed)
    hits, margins = 0, []
    total = 0
    for story in stories:
        reference = story.translation
        perturbed = [perturb(s, rng, 0.25) for s in reference]
        cosine = embed(perturbed) @ embed(reference).T
        for i, row in enumerate(cosine):
            hits += int(row.argmax() == i)
            margins.append(row[i] - np.max(np.delete(row, i)))
            total += 1
    return hits / total, float(np.mean(margins))


def speed(embed, texts: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    embed(["load the model"])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    embed(texts)
    return loaded, len(texts) / (time.perf_counter() - started)


def main() -> None:
    stories = load_stories()
    speed_texts = [f"{s} ({k})" for k, s in enumerate(s for story in stories for s in story.retelling)]
    print(f"{len(stories)} stories; speed on {len(speed_texts)} English sentences")
    print(f"{'encoder':<22}{'retelling>other event':>23}{'retelling>other topic':>23}{'mean gap':>10}"
          f"{'sentence top-1':>16}{'margin':>8}{'load s':>8}{'sent/s':>8}")
    for name, embed in ENCODERS.items():
        loaded, rate = speed(embed, speed_texts)
        event, topic, gap = document_figures(embed, stories)
        top1, margin = sentence_figures(embed, stories)
        print(f"{name:<22}{event:>23.3f}{topic:>23.3f}{gap:>10.3f}{top1:>16.3f}{margin:>8.3f}{loaded:>8.1f}{rate:>8.0f}")


if __name__ == "__main__":
    main()
