"""python -m benchmarks.long_inputs [CASE...] [--timeout SECONDS] [--work DIR]: time and memory of a run on
over-long input (issue 21), each case a whole `harness-run model=identity` in a child process of its own.

Cases (one document each):
- 100k-sentence, a 100,000-character sentence: French words with no punctuation until its final full stop, and
  as its reference a 100,000-character sentence of English words, so that the two align and the segment reaches
  every metric;
- 5mb-line, a 5 MB line of French words without any punctuation, its reference a normal three-sentence English text.
Target: each finishes in < 60 s with a peak RSS < 2 GB and records a note of what it left out or cut.
Then the 1 KB alias bomb of issue 21: its manifest is refused in < 1 s (the reading, timed in this process).
Wall time is the whole process as the user waits for it; the peak RSS is the child's own (os.wait4), also for
a child killed at the timeout. Numbers are printed as measured, met or not."""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks.measure import REPO
from harness.data.documents import read_manifest
from harness.errors import UserError

GB = 10 ** 9
TARGET_SECONDS, TARGET_BYTES = 60, 2 * GB
FRENCH = ("le conseil municipal de Lyon a voté lundi soir un budget de douze millions d'euros pour rénover les écoles "
         "de la ville les travaux commenceront au printemps prochain dans six quartiers la maire a salué un accord "
         "trouvé après trois mois de discussions avec les parents").split()
ENGLISH = ("Lyon's city council voted on Monday evening for a budget of twelve million euros to renovate the "
           "city's schools work will begin next spring in six neighbourhoods the mayor welcomed an agreement reached "
           "after three months of talks with parents").split()
REFERENCE = ("Lyon's city council voted on Monday evening for a budget of twelve million euros to renovate the city's "
             "schools. Work will begin next spring in six neighbourhoods. The mayor welcomed an agreement reached after "
             "three months of talks with parents.\n")


def words_of_length(words: list[str], characters: int, seed: int = 0) -> str:
    """Random words of the list, joined by spaces, `characters` long: no punctuation at all."""
    chooser, parts, length = random.Random(seed), [], 0
    while length < characters:
        word = chooser.choice(words)
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)[:characters].rstrip()


def alias_bomb() -> str:
    """A 1 KB manifest whose drop_lines nests aliases 9 levels deep: 9^9 patterns once expanded (issue 21: 66 s,
    then MemoryError)."""
    levels = ['&a ["xxxxxxxx","xxxxxxxx","xxxxxxxx","xxxxxxxx","xxxxxxxx","xxxxxxxx","xxxxxxxx","xxxxxxxx","xxxxxxxx"]']
    levels += [f"&{name} [{','.join([f'*{previous}'] * 9)}]" for previous, name in zip("abcdefgh", "bcdefghi")]
    return ("target_lang: en\ndocuments:\n- {id: a, lang: fr, file: a.txt, reference: ref.txt, relation: parallel, "
            f"clean: {{drop_lines: [{', '.join(levels)}]}}}}\n")


CASES = {   # name -> the source document's text and its reference's
    "100k-sentence": lambda: (words_of_length(FRENCH, 100_000 - 1) + ".\n",
                                           words_of_length(ENGLISH, 100_000 - 1) + ".\n"),
    "5mb-line": lambda: (words_of_length(FRENCH, 5_000_000) + "\n", REFERENCE),
}


def data_set(folder: Path, texts: tuple[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(texts[0], encoding="utf-8")
    (folder / "ref.txt").write_text(texts[1], encoding="utf-8")
    manifest = {"target_lang": "en", "documents": [{"id": "a", "lang": "fr", "file": "a.txt", "reference": "ref.txt",
                                                    "relation": "parallel"}]}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return folder


@dataclass
class Measured:
    case: str
    seconds: float
    cpu_seconds: float      # user + system time of the child: what the run costs on a machine shared with others
    peak_rss_bytes: int
    exit_code: int | None   # None: killed at the timeout
    notes: list[str]
    tail: str               # the last lines of stderr, for a run that failed

    @property
    def met(self) -> bool:
        return (self.exit_code == 0 and self.seconds < TARGET_SECONDS and self.peak_rss_bytes < TARGET_BYTES
                and bool(self.notes))


def recorded_notes(run_dir: Path) -> list[str]:
    """The notes of result.json: the run's and each document's (what the table shows as 'note:')."""
    result_file = run_dir / "result.json"
    if not result_file.is_file():
        return []
    result = json.loads(result_file.read_text(encoding="utf-8"))
    return [*result["run"]["notes"], *(note for document in result["documents"] for note in document["notes"])]


def waited(child: subprocess.Popen, timeout: float) -> tuple[int, os.struct_rusage]:
    """The child's exit status and its own resource usage (os.wait4), killing it at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            _, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.1)
    child.returncode = os.waitstatus_to_exitcode(status)   # reaped here: Popen must not wait for it again
    return status, usage


def measure(case: str, work: Path, timeout: float) -> Measured:
    data, run_dir = data_set(work / "data", CASES[case]()), work / "run"
    env = {**os.environ, "HARNESS_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-c", "from harness.cli import run_main; run_main()", "model=identity",
               f"data.root={data}", f"hydra.run.dir={run_dir}"]
    started = time.perf_counter()
    with open(work / "stderr.txt", "wb") as stderr:
        child = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        status, usage = waited(child, timeout)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    tail = (work / "stderr.txt").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
    return Measured(case, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, None if code < 0 else code, recorded_notes(run_dir),
                    "\n".join(tail))


def alias_bomb_refusal(work: Path) -> str:
    """How long reading the alias bomb's manifest takes to refuse it, in this process (the whole harness-run
    adds its start-up, Hydra's composition, to that)."""
    folder = data_set(work / "alias-bomb", (words_of_length(FRENCH, 300) + ".\n", REFERENCE))
    (folder / "manifest.yaml").write_text(alias_bomb(), encoding="utf-8")
    started = time.perf_counter()
    try:
        read_manifest(folder)
        outcome = "read, NOT refused"
    except UserError as err:
        outcome = f"refused: {err}"
    seconds = time.perf_counter() - started
    return (f"alias bomb ({len(alias_bomb())} bytes): {seconds:.3f} s, target < 1 s: "
            f"{'met' if seconds < 1 and outcome.startswith('refused') else 'NOT met'}\n  {outcome}")


def report(measured: Measured) -> str:
    outcome = "killed at the timeout" if measured.exit_code is None else f"exit {measured.exit_code}"
    lines = [f"{measured.case}: {measured.seconds:.1f} s ({measured.cpu_seconds:.1f} s CPU), peak RSS "
             f"{measured.peak_rss_bytes / GB:.2f} GB, {outcome}; target < {TARGET_SECONDS} s and "
             f"< {TARGET_BYTES / GB:.0f} GB with a note: {'met' if measured.met else 'NOT met'}"]
    lines += [f"  note: {note}" for note in measured.notes] or ["  (no note recorded)"]
    if measured.exit_code != 0:
        lines += [f"  stderr: {line}" for line in measured.tail.splitlines()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", choices=[[], *CASES], help="the cases to run (default: all)")
    parser.add_argument("--timeout", type=float, default=300, help="kill a run after this many seconds")
    parser.add_argument("--work", type=Path, help="keep the data sets and runs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="long-inputs-") as temporary:
        work = args.work or Path(temporary)
        for case in args.cases or CASES:
            print(report(measure(case, work / case, args.timeout)), flush=True)
        print(alias_bomb_refusal(work))


if __name__ == "__main__":
    main()
