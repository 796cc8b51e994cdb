"""Benchmark: a line-aligned test set scored from files, the harness beside the sacrebleu CLI in one run.

    PYTHONPATH=. python -m benchmarks.line_scoring [--lines 2000] [--references 1]

Builds a --lines-line French-English test set (`alignment: lines`) from the relation corpus's stories, with
lines of several sentences and line-internal separators that str.splitlines would cut (U+2028, U+2029, form
feed, \\x1c-\\x1e, \\x85), and a hypothesis file damaged in several ways (DAMAGE). Then, each in a fresh process
on an empty cache, as a user waits for them:

- `harness-run model=files` on it (BLEU, chrF, chrF++ and TER over the lines, plus the relation, the
  output language and the adequacy diagnostics),
- `sacrebleu ref.txt -i hyp.txt -m bleu chrf ter` and `sacrebleu ref.txt -i hyp.txt -m chrf --chrf-word-order 2`,

and prints the wall times (median of --repeats interleaved runs), their ratio (target: the harness within
1.5x of sacrebleu's one call) and whether the scores agree (they must, to 0.01). The harness is timed twice:
the first system on the data set (the relation of the pair is measured and cached) and another system on the
same set (what each further system costs). tests/test_line_aligned.py scores the same sets.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks.relation_pairs import load_stories
from harness.data.lines import split_lines
from harness.cores import available_cores
from harness.score.metrics.base import SCORE_DIGITS

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
    """The sacrebleu command line on the files, its JSON scores (to the decimals the harness stores)."""
    done = subprocess.run([sys.executable, "-m", "sacrebleu", *map(str, references), "-i", str(hypothesis),
                           *options, "-w", str(SCORE_DIGITS), "-f", "json"], capture_output=True, text=True, check=True)
    scores = json.loads(done.stdout)
    return scores if isinstance(scores, list) else [scores]


def cli_scores(references: list[Path], hypothesis: Path) -> dict[str, dict]:
    """BLEU, chrF, chrF++ and TER from the sacrebleu CLI, by harness metric name."""
    return {name: sacrebleu_cli(references, hypothesis, options)[0] for name, options in CLI_METRICS.items()}


@dataclass(frozen=True)
class Timing:
    wall: float   # seconds, as the user waits
    cpu: float    # user + system seconds of the process and its children (what a busy machine shares out)


def timed_process(command: list[str], env: dict | None = None) -> Timing:
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timing(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def harness_files_run(data: Path, hypotheses: Path, cache: Path, run_dir: Path) -> Timing:
    """`harness-run model=files` on the data set, in a fresh process with its own cache folder."""
    env = {**os.environ, "HARNESS_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    return timed_process([sys.executable, "-c", "from harness.cli import run_main; run_main()", "model=files",
                          f"model.path={hypotheses}", f"data.root={data}", f"hydra.run.dir={run_dir}", "-q"], env)


def cli_run(references: list[Path], hypothesis: Path, options: list[str]) -> Timing:
    return timed_process([sys.executable, "-m", "sacrebleu", *map(str, references), "-i", str(hypothesis), *options])


def median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings))


@dataclass
class Measured:
    harness_first: Timing    # first system on the data set: the relation is measured (cold cache)
    harness_next: Timing     # another system on the same data set: the relation comes from the cache
    cli: Timing              # sacrebleu REF -i HYP -m bleu chrf ter
    cli_chrf_plus: Timing    # sacrebleu REF -i HYP -m chrf --chrf-word-order 2
    agree: bool              # the harness's four scores are the CLI's to 0.01

    def ratio(self, harness: Timing) -> float:
        return harness.wall / self.cli.wall


def measure(work: Path, lines: int, references: int, repeats: int) -> Measured:
    data = write_data_set(work / "data", lines, references)
    refs = [data / "ref.txt", data / "ref2.txt"][:references]
    first, second = (write_hypotheses(work / name, data, damage)
                     for name, damage in (("first", "all"), ("second", "dropped_words")))
    times: dict[str, list[Timing]] = {"first": [], "next": [], "cli": [], "cli++": []}
    for repeat in range(repeats):   # interleaved, each in a fresh process: machine noise hits every side alike
        cache = work / f"cache{repeat}"
        times["first"].append(harness_files_run(data, first, cache, work / f"run_first{repeat}"))
        times["cli"].append(cli_run(refs, first / "test.txt", ["-m", "bleu", "chrf", "ter"]))
        times["next"].append(harness_files_run(data, second, cache, work / f"run_next{repeat}"))
        times["cli++"].append(cli_run(refs, first / "test.txt", CLI_METRICS["chrf++"]))
    result = json.loads((work / "run_first0" / "result.json").read_text(encoding="utf-8"))["documents"][0]
    cli = cli_scores(refs, first / "test.txt")
    agree = all(abs(result["aligned"][name]["score"] - cli[name]["score"]) <= 0.01 for name in CLI_METRICS)
    return Measured(*(median(times[key]) for key in ("first", "next", "cli", "cli++")), agree)


TARGET = 1.5


def timing(label: str, measured: Timing, cli: Timing) -> str:
    return (f"{label}: {measured.wall:.2f} s wall = {measured.wall / cli.wall:.2f}x sacrebleu "
            f"(CPU {measured.cpu:.2f} s = {measured.cpu / cli.cpu:.2f}x)")


def report_lines(measured: Measured, lines: int, references: int, cores: int) -> list[str]:
    both = Timing(measured.cli.wall + measured.cli_chrf_plus.wall, measured.cli.cpu + measured.cli_chrf_plus.cpu)
    return [
        f"{lines} lines, {references} reference(s), one hypothesis file; median of the runs, each a fresh "
        f"process; {cores} cores available, load average {os.getloadavg()[0]:.1f} at the end",
        f"sacrebleu REF -i HYP -m bleu chrf ter: {measured.cli.wall:.2f} s wall (CPU {measured.cli.cpu:.2f} s); "
        f"chrF++ in a second call: {measured.cli_chrf_plus.wall:.2f} s more",
        timing("the harness (model=files), first system (relation measured, empty cache)", measured.harness_first,
               measured.cli),
        timing("the harness (model=files), another system (relation from the cache)", measured.harness_next,
               measured.cli),
        f"the harness also scores chrF++, sentence scores, the relation and the output language; against both "
        f"sacrebleu calls (BLEU, chrF, TER + chrF++): {measured.harness_next.wall / both.wall:.2f}x wall",
        f"scores equal to the CLI's (BLEU, chrF, chrF++, TER, to 0.01): {'yes' if measured.agree else 'NO'}",
    ]


def figure(work: Path, lines: int = 2000, references: int = 1, repeats: int = 3):
    """The figure of `python -m benchmarks`: another system's files run against sacrebleu's CLI."""
    from benchmarks.figures import Figure
    measured = measure(work, lines, references, repeats)
    ratio = measured.ratio(measured.harness_next)
    return Figure("6", f"a line-aligned test set from files ({lines} lines) vs the sacrebleu CLI, wall time",
                  f"{ratio:.2f}x", f"<= {TARGET}x", ratio <= TARGET and measured.agree,
                  report_lines(measured, lines, references, available_cores()))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.line_scoring", description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--references", type=int, choices=(1, 2), default=1)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command (the median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mt-harness-lines-") as work:
        measured = measure(Path(work), args.lines, args.references, args.repeats)
    print("\n".join(report_lines(measured, args.lines, args.references, available_cores())))
    ratio = measured.ratio(measured.harness_next)
    print(f"ratio (another system): {ratio:.2f}x, target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
