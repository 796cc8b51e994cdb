"""Benchmark: bootstrap intervals and both paired tests over 5 systems x 2,000 segments x 1,000 resamples.

    python -m benchmarks.compare_bench [--systems 5] [--segments 2000] [--resamples 1000]

Segments are the seed reference's sentences repeated to the size asked, against copies with every k-th word
dropped (a different k per system). Prints the seconds for the statistics extraction (once per system and
metric) and for the resampling (intervals, paired bootstrap, approximate randomization), per metric, and
sacrebleu's own bootstrap of one system (significance._bootstrap_resample: index the statistics per resample,
sum, score in Python) for scale.
"""
from __future__ import annotations

import argparse
import logging
import time

from sacrebleu.significance import _bootstrap_resample

from harness.score.metrics import select_metrics
from harness.compare.significance import compare_systems
from tests.compare_fixtures import drop_every, reference_sentences

METRICS = ["bleu", "chrf", "chrf++", "ter"]


def corpus(segments: int) -> list[str]:
    sentences = [s for doc in reference_sentences().values() for s in doc]
    return [sentences[i % len(sentences)] for i in range(segments)]


def timed(action):
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)   # the dropped words leave some " ." endings
    references = corpus(args.segments)
    systems = [[drop_every(s, k) for s in references] for k in range(2, 2 + args.systems)]
    print(f"{args.systems} systems x {args.segments} segments x {args.resamples} resamples "
          f"(bootstrap intervals + paired bootstrap + approximate randomization vs the first system)")
    total = 0.0
    for name in METRICS:
        metric = select_metrics([name])[0]
        stats, extract = timed(lambda: [metric.segment_statistics(hyps, references) for hyps in systems])
        _, resample = timed(lambda: compare_systems(metric, stats, args.resamples))
        _, sacre = timed(lambda: _bootstrap_resample(stats[0].tolist(), metric.metric, args.resamples))
        total += resample
        print(f"{name:7s} statistics extraction {extract:6.2f} s   all systems' resampling and tests {resample:5.2f} s"
              f"   (sacrebleu's bootstrap of one system alone: {sacre:5.2f} s)")
    print(f"all metrics: resampling and tests {total:.2f} s")


if __name__ == "__main__":
    main()
