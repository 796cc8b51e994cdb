"""Benchmark: harness-compare of 10 systems x 2,000 lines beside sacrebleu's paired bootstrap, in one run.

    PYTHONPATH=. python -m benchmarks.compare_ranking [--systems 10] [--lines 2000] [--resamples 1000] [--repeats 1]

Builds a --lines-line French-English test set (`alignment: lines`, benchmarks/line_scoring.py) and --systems
hypothesis files, each the reference with words dropped and neighbouring words swapped at its own rate (two
systems a hair apart, so that the ranking has a tie). harness-score makes the run folders (not timed: it is the
scoring, done once per system). Then, each in a fresh process, as a user waits for them, interleaved --repeats
times (the median is reported):

- `harness-compare OUT/sys* --metrics bleu chrf ter --resamples N`: the ranking per metric with bootstrap
  intervals, each system against the baseline with paired bootstrap and approximate randomization, length
  buckets, examples, charts and the HTML report, from the segment statistics stored in the runs;
- `sacrebleu ref.txt -i sys*.txt -m bleu chrf ter --paired-bs --paired-bs-n N -f text`: the statistics extracted
  from the texts, then each system against the baseline with the paired bootstrap.

Targets (issue 22): harness-compare under 10 s, and at most half of sacrebleu's wall time; every system's BLEU,
chrF and TER in the harness's ranking equal to sacrebleu's (to 0.01, from the same call's table).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.line_scoring import REPO, Timing, median, parallel_lines, timed_process, write_lines
from harness.cores import available_cores

METRICS = ["bleu", "chrf", "ter"]
SACREBLEU_COLUMNS = {"bleu": "BLEU", "chrf": "chrF2", "ter": "TER"}
WALL_TARGET = 10.0
RATIO_TARGET = 0.5


def damage_rates(systems: int) -> list[float]:
    """One rate per system, 2% to 20%; the last two a hair apart (a tie the ranking should show)."""
    rates = [0.02 + 0.18 * k / max(systems - 2, 1) for k in range(systems - 1)]
    return rates + [rates[-1] + 0.001]


def damaged_lines(reference: list[str], rate: float, seed: int) -> list[str]:
    """The reference with each word dropped at `rate` and each remaining neighbour pair swapped at rate / 2."""
    rng = random.Random(seed)
    lines = []
    for line in reference:
        words = [w for w in line.split(" ") if rng.random() >= rate]
        for k in range(len(words) - 1):
            if rng.random() < rate / 2:
                words[k], words[k + 1] = words[k + 1], words[k]
        lines.append(" ".join(words))
    return lines


def write_test_set(folder: Path, lines: int, systems: int) -> list[Path]:
    """src.txt, ref.txt and sys01.txt ... sysNN.txt in folder; the hypothesis files in order."""
    source, reference = parallel_lines(lines)
    write_lines(folder / "src.txt", source)
    write_lines(folder / "ref.txt", reference)
    return [write_lines(folder / f"sys{k + 1:02d}.txt", damaged_lines(reference, rate, seed=k))
            for k, rate in enumerate(damage_rates(systems))]


def environment() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def harness_score(folder: Path, hypotheses: list[Path], out: Path) -> None:
    """The run folders, as harness-score makes them (its own comparison is not timed or used)."""
    done = subprocess.run([sys.executable, "-c", "from harness.cli import score_main; score_main()", "-q",
                           "-r", str(folder / "ref.txt"), "-s", str(folder / "src.txt"), "--src-lang", "fr",
                           *map(str, hypotheses), "--out", str(out), "--resamples", "10"],
                          cwd=folder, env={**environment(), "HARNESS_CACHE_DIR": str(folder / "cache")},
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"harness-score failed: {done.stderr[-3000:]}")


def harness_compare(runs: list[Path], out: Path, resamples: int) -> Timing:
    return timed_process([sys.executable, "-c", "from harness.cli import compare_main; compare_main()",
                          *map(str, runs), "--metrics", *METRICS, "--resamples", str(resamples), "--out", str(out)],
                         environment())


def sacrebleu_paired(folder: Path, hypotheses: list[Path], resamples: int, table: Path) -> Timing:
    """sacrebleu's paired bootstrap, its table written to `table` (through the shell: sacrebleu has no output
    file option)."""
    command = [sys.executable, "-m", "sacrebleu", str(folder / "ref.txt"), "-i", *map(str, hypotheses), "-m", "bleu",
               "chrf", "ter", "--paired-bs", "--paired-bs-n", str(resamples), "-w", "4", "-f", "text"]
    return timed_process(["sh", "-c", f"{shlex.join(command)} > {shlex.quote(str(table))}"], environment())


ROW = re.compile(r"^│\s*(?:Baseline: )?(\S+?)\.txt\s*│(.*)│\s*$")


def sacrebleu_table(text: str) -> dict[str, dict[str, float]]:
    """Each system's scores from sacrebleu's paired-bootstrap table (its first number per cell)."""
    header = next(line for line in text.splitlines() if "System" in line)
    columns = [cell.split("(")[0].strip() for cell in header.strip("│ ").split("│")[1:]]
    scores = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            cells = [float(cell.split()[0]) for cell in match[2].split("│")]
            scores[Path(match[1]).name] = dict(zip(columns, cells))   # sacrebleu names a system by its path
    return scores


def harness_ranking(comparison: Path) -> dict[str, dict[str, float]]:
    rows = json.loads(comparison.read_text(encoding="utf-8"))["ranking"]["rows"]
    scores: dict[str, dict[str, float]] = {}
    for row in rows:
        scores.setdefault(row["system"], {})[row["metric"]] = row["score"]
    return scores


@dataclass
class Measured:
    harness: Timing         # median wall and CPU seconds of harness-compare
    sacrebleu: Timing       # median wall and CPU seconds of sacrebleu --paired-bs
    differences: dict       # system -> metric -> harness minus sacrebleu
    clusters: list[str]     # the BLEU ranking, "rank system"

    @property
    def agree(self) -> bool:
        return all(abs(d) <= 0.01 for by_metric in self.differences.values() for d in by_metric.values())

    @property
    def ratio(self) -> float:
        return self.harness.wall / self.sacrebleu.wall


def measure(work: Path, lines: int, systems: int, resamples: int, repeats: int) -> Measured:
    hypotheses = write_test_set(work / "user", lines, systems)
    harness_score(work / "user", hypotheses, work / "out")
    runs = [work / "out" / path.stem for path in hypotheses]
    harness_times, sacre_times = [], []
    for repeat in range(repeats):   # interleaved, each a fresh process: machine noise hits both sides alike
        harness_times.append(harness_compare(runs, work / f"report{repeat}", resamples))
        sacre_times.append(sacrebleu_paired(work / "user", hypotheses, resamples, work / "sacrebleu.txt"))
    ours = harness_ranking(work / "report0" / "comparison.json")
    theirs = sacrebleu_table((work / "sacrebleu.txt").read_text(encoding="utf-8"))
    differences = {system: {metric: round(ours[system][metric] - theirs[system][SACREBLEU_COLUMNS[metric]], 4)
                            for metric in METRICS} for system in theirs}
    rows = json.loads((work / "report0" / "comparison.json").read_text(encoding="utf-8"))["ranking"]["rows"]
    clusters = [f"{row['rank']} {row['system']} {row['score']:.2f}" for row in rows if row["metric"] == "bleu"]
    return Measured(median(harness_times), median(sacre_times), differences, clusters)


def report_lines(measured: Measured, lines: int, systems: int, resamples: int) -> list[str]:
    worst = max((abs(d), system, metric) for system, by_metric in measured.differences.items()
                for metric, d in by_metric.items())
    return [
        f"{systems} systems x {lines} lines, BLEU, chrF, TER, {resamples} resamples; {available_cores()} cores "
        f"available, load average {os.getloadavg()[0]:.1f} at the end",
        f"harness-compare (ranking with intervals, bootstrap + approximate randomization vs the baseline, length "
        f"buckets, examples, charts, HTML): {measured.harness.wall:.2f} s wall (CPU {measured.harness.cpu:.2f} s)",
        f"sacrebleu ref.txt -i sys*.txt -m bleu chrf ter --paired-bs --paired-bs-n {resamples}: "
        f"{measured.sacrebleu.wall:.2f} s wall (CPU {measured.sacrebleu.cpu:.2f} s)",
        f"ratio harness / sacrebleu: {measured.ratio:.2f} wall, {measured.harness.cpu / measured.sacrebleu.cpu:.2f} "
        f"CPU (target <= {RATIO_TARGET}); harness under {WALL_TARGET:.0f} s wall: "
        f"{'yes' if measured.harness.wall < WALL_TARGET else 'NO'}",
        f"every system's BLEU, chrF and TER equal to sacrebleu's (to 0.01): {'yes' if measured.agree else 'NO'} "
        f"(largest difference {worst[0]:.4f}, {worst[2]} of {worst[1]})",
        "BLEU ranking (rank system score): " + "; ".join(measured.clusters),
    ]


def figure(work: Path, lines: int = 2000, systems: int = 10, resamples: int = 1000, repeats: int = 1):
    """The figure of `python -m benchmarks`."""
    from benchmarks.figures import Figure
    measured = measure(work, lines, systems, resamples, repeats)
    met = measured.harness.wall < WALL_TARGET and measured.ratio <= RATIO_TARGET and measured.agree
    return Figure("7", f"harness-compare of {systems} systems x {lines} lines (BLEU, chrF, TER, {resamples} resamples) "
                  "vs sacrebleu --paired-bs, wall time", f"{measured.harness.wall:.1f} s = {measured.ratio:.2f}x",
                  f"< {WALL_TARGET:.0f} s and <= {RATIO_TARGET}x", met,
                  report_lines(measured, lines, systems, resamples))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare_ranking", description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=10)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each command (the median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mt-harness-compare-") as work:
        measured = measure(Path(work), args.lines, args.systems, args.resamples, args.repeats)
    print("\n".join(report_lines(measured, args.lines, args.systems, args.resamples)))


if __name__ == "__main__":
    main()
