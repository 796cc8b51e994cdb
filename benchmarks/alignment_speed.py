"""Speed of the source <-> reference alignment on long documents.

    PYTHONPATH=. python -m benchmarks.alignment_speed [--lines 2000] [--search-lines 20000]

1. A line-aligned data set (manifest `alignment: lines`) of --lines lines, run end to end with model=identity
   in a fresh process on an empty cache (target: under 10 s for 2,000 lines on 2 cores).
2. One --search-lines-line document through the sentence-alignment search (harness.align.crosslingual, banded
   beyond crosslingual.full_search_max), on an empty embedding memo (target: under 2 minutes for 20,000).
   Its reference is the translation with every 50th line dropped and every 40th pair of lines merged, so the
   search has skips and merges to find.

Lines are the relation corpus's source/translation sentence pairs, numbered so that no two are identical.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.relation_pairs import load_stories

REPO = Path(__file__).resolve().parents[1]


def parallel_lines(count: int, lang: str = "fr") -> tuple[list[str], list[str]]:
    """count (source, English) line pairs from the stories of one language, repeated and numbered."""
    pairs = [(s, t) for story in load_stories() if story.lang == lang for s, t in zip(story.source, story.translation)]
    chosen = [pairs[k % len(pairs)] for k in range(count)]
    return [f"{s} ({k})" for k, (s, _) in enumerate(chosen)], [f"{t} ({k})" for k, (_, t) in enumerate(chosen)]


def write_line_aligned(folder: Path, count: int) -> Path:
    source, reference = parallel_lines(count)
    folder.mkdir(parents=True)
    (folder / "src.txt").write_text("\n".join(source) + "\n", encoding="utf-8")
    (folder / "ref.txt").write_text("\n".join(reference) + "\n", encoding="utf-8")
    manifest = {"target_lang": "en", "alignment": "lines", "documents": [
        {"id": "lines", "lang": "fr", "file": "src.txt", "reference": "ref.txt", "relation": "parallel"}]}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return folder


def line_aligned_run(work: Path, count: int) -> float:
    data = write_line_aligned(work / "data", count)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_DIR": str(work / "cache")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from harness.cli import run_main; run_main()", "model=identity",
                    f"data.root={data}", f"hydra.run.dir={work / 'run'}"], env=env, check=True,
                   capture_output=True, text=True)
    return time.perf_counter() - started


def search_document(count: int) -> tuple[list[str], list[str]]:
    source, translation = parallel_lines(count)
    reference, k = [], 0
    while k < count:
        if k % 50 == 49:
            k += 1                                           # dropped: a source line with no reference (1-0)
        elif k % 40 == 39 and k + 1 < count:
            reference.append(f"{translation[k]} {translation[k + 1]}")   # merged: 2-1
            k += 2
        else:
            reference.append(translation[k])
            k += 1
    return source, reference


def search_time(count: int) -> tuple[float, int, int]:
    from harness.config import compose_config
    from harness.align.crosslingual import align_sentences
    source, reference = search_document(count)
    spec = compose_config().crosslingual
    started = time.perf_counter()
    alignment = align_sentences(source, reference, spec)
    return time.perf_counter() - started, len(alignment.beads), len(alignment.unmatched_source)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--search-lines", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        seconds = line_aligned_run(Path(work), args.lines)
    print(f"line-aligned data set, {args.lines} lines, model=identity end to end (fresh process, empty cache): "
          f"{seconds:.1f} s (target < 10 s)")
    seconds, beads, dropped = search_time(args.search_lines)
    print(f"search, one {args.search_lines}-line document (banded): {seconds:.1f} s (target < 120 s); "
          f"{beads} beads, {dropped} source lines without reference (expected {args.search_lines // 50})")


if __name__ == "__main__":
    main()
