"""Benchmark: a line-aligned test set scored from files, the harness beside the sacrebleu CLI in one run.

    PYTHONPATH=. python -m benchmarks.line_scoring [--lines 2000] [--references 1]

Builds a --lines-line French-English test set (`alignment: lines`) from the relation corpus's stories, with
lines of several sentences and line-internal separators that str.splitlines would cut (U+2028, U+2029, form
feed, \\x1c-\\x1e, \\x85), and a hypothesis file damaged in several ways (DAMAGE). Then, each in a fresh process
on an empty cache, as a user waits for them:

- `harness-run model=files` on it (BLEU, chrF, chrF++ and TER over the lines, plus the relation, the
  output language and the adequacy diagnostics),
- `sacrebleu ref.txt -i hyp.txt -m bleu chrf ter` and `sacrebleu ref.txt -i hyp.txt -m chrf --chrf-word-order 2`,

and prints both wall times, their ratio (target: the harness within 1.5x of sacrebleu's one call) and whether
the scores agree (they must, to 0.01). tests/test_line_aligned.py scores the same sets.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.relation_pairs import load_stories
from harness.lines import split_lines

REPO = Path(__file__).resolve().parents[1]
# characters that str.splitlines takes for line ends and sacrebleu does not: put inside lines of the set
INNER_SEPARATORS = ("\u2028", "\u2029", "\x0c", "\x1c", "\x1d", "\x1e", "\x85")
DAMAGE = ("dropped_words", "swapped_lines", "empty_lines", "windows_line_ends", "all")
CLI_METRICS = {"bleu": ["-m", "bleu"], "chrf": ["-m", "chrf"], "chrf++": ["-m", "chrf", "--chrf-word-order", "2"],
               "ter": ["-m", "ter"]}


def sentence_pairs(lang: str = "fr") -> list[tuple[str, str]]:
    return [(s, t) for story in load_stories() if story.lang == lang for s, t in zip(story.source, story.translation)]


def parallel_lines(count: int) -> tuple[list[str], list[str]]:
    """count numbered (source, reference) lines; every 7th holds two sentences, every 11th has a separator that
    is no line end for sacrebleu in place of its first space."""
    pairs = sentence_pairs()
    source, reference, taken = [], [], 0
    for line in range(count):
        size = 2 if line % 7 == 3 else 1
        chosen = [pairs[(taken + k) % len(pairs)] for k in range(size)]
        taken += size
        src, ref = (" ".join(side) + f" ({line})" for side in zip(*chosen))
        if line % 11 == 5:
            separator = INNER_SEPARATORS[line % len(INNER_SEPARATORS)]
            src, ref = src.replace(" ", separator, 1), ref.replace(" ", separator, 1)
        source.append(src)
        reference.append(ref)
    return source, reference


def second_reference(reference: list[str]) -> list[str]:
    """Another wording of each line: the first two words swapped and every fourth word left out."""
    lines = []
    for line in reference:
        words = line.split(" ")
        words[:2] = words[1::-1]
        lines.append(" ".join(w for k, w in enumerate(words) if k % 4 != 3))
    return lines


def damaged(reference: list[str], damage: str) -> list[str]:
    """The hypothesis lines: the reference with `damage` done to it (windows_line_ends changes only the file)."""
    every = damage == "all"
    lines = list(reference)
    if every or damage == "dropped_words":
        lines = [" ".join(w for k, w in enumerate(line.split(" ")) if k % 5 != 4) if n % 3 == 0 else line
                 for n, line in enumerate(lines)]
    if every or damage == "swapped_lines":
        for n in range(10, len(lines) - 1, 97):
            lines[n], lines[n + 1] = lines[n + 1], lines[n]
    if every or damage == "empty_lines":
        lines = ["" if n % 53 == 0 else line for n, line in enumerate(lines)]
    return lines


def write_lines(path: Path, lines: list[str], line_end: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(line + line_end for line in lines).encode("utf-8"))
    return path


def write_data_set(folder: Path, count: int, references: int = 1) -> Path:
    """A line-aligned data set of one document 'test' (src.txt; ref.txt, and ref2.txt with references=2)."""
    source, reference = parallel_lines(count)
    write_lines(folder / "src.txt", source)
    write_lines(folder / "ref.txt", reference)
    names = ["ref.txt"]
    if references == 2:
        write_lines(folder / "ref2.txt", second_reference(reference))
        names.append("ref2.txt")
    document = {"id": "test", "lang": "fr", "file": "src.txt", "reference": names if references > 1 else names[0],
                "relation": "parallel"}
    (folder / "manifest.yaml").write_text(yaml.safe_dump({"target_lang": "en", "alignment": "lines",
                                                          "documents": [document]}), encoding="utf-8")
    return folder


def write_hypotheses(folder: Path, data: Path, damage: str) -> Path:
    """folder/test.txt: the hypothesis file for the data set's document, as model=files reads it."""
    reference = split_lines((data / "ref.txt").read_text(encoding="utf-8"))
    write_lines(folder / "test.txt", damaged(reference, damage), "\r\n" if damage in ("windows_line_ends", "all")
                else "\n")
    return folder


def sacrebleu_cli(references: list[Path], hypothesis: Path, options: list[str]) -> list[dict]:
    """The sacrebleu command line on the files, its JSON scores (4 decimals)."""
    done = subprocess.run([sys.executable, "-m", "sacrebleu", *map(str, references), "-i", str(hypothesis),
                           *options, "-w", "4", "-f", "json"], capture_output=True, text=True, check=True)
    scores = json.loads(done.stdout)
    return scores if isinstance(scores, list) else [scores]


def cli_scores(references: list[Path], hypothesis: Path) -> dict[str, dict]:
    """BLEU, chrF, chrF++ and TER from the sacrebleu CLI, by harness metric name."""
    return {name: sacrebleu_cli(references, hypothesis, options)[0] for name, options in CLI_METRICS.items()}
