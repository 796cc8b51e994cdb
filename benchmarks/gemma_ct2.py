"""The embedded Gemma 3 270M through transformers and CTranslate2 on the seeds (issue 24):

    PYTHONPATH=. python -m benchmarks.gemma_ct2 [--runs DIR]

Three configurations, each a cold `harness-run` of the whole seed set in a process of its own (an empty
translation cache; the GGUF dequantization and the CTranslate2 conversions done beforehand, once, in a
one-sentence run, and not counted): backend=hf_causal (fp32), backend=ct2 at float32 and at int8. Then
harness-compare over the three runs (hf_causal the baseline: paired bootstrap and approximate randomization,
Holm) and a table of BLEU/chrF per document (whole document and aligned sentences), the identical outputs of
each configuration with hf_causal's, and the speed of each run (wall, CPU time, decode tokens/s, peak RSS).

--runs keeps the run folders; a configuration whose folder there already holds a result.json is reused, not run
again (its speed is then the one measured when it ran). The section "Gemma 3 270M: transformers vs CTranslate2"
of benchmarks/RESULTS.md is replaced by what this prints."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results_file import replace_section
from benchmarks.__main__ import progress, shared_weight_cache, user_cache
from benchmarks.figures import GIB
from benchmarks.machine import machine_record
from benchmarks.measure import REPO, ProcessRun, harness_process

SECTION = "## Gemma 3 270M: transformers vs CTranslate2 (issue 24)"
CONFIGS = {"hf_causal_fp32": ["backend=hf_causal"],
           "ct2_float32": ["backend=ct2", "backend.compute_type=float32"],
           "ct2_int8": ["backend=ct2", "backend.compute_type=int8"]}
BASELINE = "hf_causal_fp32"
METRICS = ("bleu", "chrf")


@dataclass
class Measured:
    name: str
    run_dir: Path
    result: dict
    speed: ProcessRun | None   # None: a reused run folder without its measures
    load_average: float | None = None   # the machine's 1-minute load average as the cold run started


def measures_file(run_dir: Path) -> Path:
    return run_dir.with_suffix(".speed.json")


def cold_run(name: str, runs: Path, work: Path) -> Measured:
    """One configuration, converted first (a one-sentence run sharing the user's weight caches), then cold."""
    run_dir = runs / name
    if (run_dir / "result.json").is_file():
        progress(f"{name}: reusing {run_dir}")
        speed = measures_file(run_dir)
        recorded = json.loads(speed.read_text()) if speed.is_file() else None
        load = recorded.pop("load_average", None) if recorded else None
        return Measured(name, run_dir, json.loads((run_dir / "result.json").read_text()),
                        ProcessRun(**recorded) if recorded else None, load)
    progress(f"{name}: one-time conversions (not counted)")
    shared_weight_cache(work / f"{name}_first_use", user_cache())
    harness_process([*CONFIGS[name], "data.documents=[002]", "data.max_segments=1"], work / f"{name}_first_use",
                    work / f"{name}_first_use_run")
    progress(f"{name}: cold run of the seeds")
    shared_weight_cache(work / f"{name}_cache", work / f"{name}_first_use")
    load = os.getloadavg()[0]   # the CPU is shared: a busy machine slows every figure
    run = harness_process(CONFIGS[name], work / f"{name}_cache", run_dir)
    measures_file(run_dir).write_text(json.dumps({**run.__dict__, "load_average": load}))
    return Measured(name, run_dir, run.result, run, load)


def compare(measured: list[Measured], out: Path) -> dict:
    """harness-compare's comparison.json for the runs, the baseline first."""
    command = ["harness-compare", *(str(m.run_dir) for m in measured), "--out", str(out),
               "--metrics", *METRICS]
    subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads((out / "comparison.json").read_text())


def system_name(measured: Measured) -> str:
    return f"{measured.result['model']['name']}@{measured.run_dir.name}"


def comparison_cell(rows: list[dict], document: str, system: str, metric: str) -> str:
    """The aligned score with its delta and Holm p-values against the baseline ("*": significant in both tests);
    harness-compare tests parallel documents only (rows), a non-parallel one's delta is untested."""
    row = next(r for r in rows if (r["document"], r["system"], r["metric"]) == (document, system, metric))
    if row["delta"] is None:
        return f"{row['score']:.1f}"
    if "p_bootstrap_holm" not in row:
        return f"{row['score']:.1f} ({row['delta']:+.1f}; not tested)"
    star = "*" if row["significant"] else ""
    return (f"{row['score']:.1f} ({row['delta']:+.1f}{star}; p {row['p_bootstrap_holm']:.3f} / "
            f"{row['p_randomization_holm']:.3f})")


def quality_table(measured: list[Measured], comparison: dict) -> list[str]:
    lines = ["| document | relation | configuration | same outputs as hf_causal | doc BLEU | doc chrF | "
             "aligned BLEU (Δ; p boot / AR) | aligned chrF (Δ; p boot / AR) |", "|---|---|---|---|---|---|---|---|"]
    for position, document in enumerate(comparison["data"]["documents"]):
        for run in measured:
            scores = run.result["documents"][position]["metrics"]
            assert run.result["documents"][position]["id"] == document["id"]
            lines.append(f"| {document['id']} ({document['lang']}) | {document['relation']} | {run.name} | "
                         f"{same_outputs_of_document(run, measured[0], document['id'])} | "
                         f"{scores['bleu']['score']:.1f} | {scores['chrf']['score']:.1f} | "
                         + " | ".join(comparison_cell(comparison["rows"] + comparison["not_parallel_rows"],
                                                      document["id"], system_name(run), metric)
                                      for metric in METRICS) + " |")
    return lines


def same_outputs_of_document(run: Measured, baseline: Measured, document: str) -> str:
    read = lambda measured: (measured.run_dir / "hypotheses" / f"{document}.txt").read_text(encoding="utf-8")
    ours, theirs = read(run).splitlines(), read(baseline).splitlines()
    return f"{sum(a == b for a, b in zip(ours, theirs))}/{len(theirs)} lines"


def speed_table(measured: list[Measured]) -> list[str]:
    lines = ["| configuration | cold wall s | CPU s (user+sys) | CPU vs hf_causal | load s | generate s | "
             "generated tokens | decode tokens/s | peak RSS GiB | load average at start |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    baseline_cpu = measured[0].speed.cpu_seconds if measured[0].speed else None
    for run in measured:
        stats = run.result["backend_stats"]
        decode = stats["generated_tokens"] / stats["generate_seconds"]
        if run.speed is None:
            wall = cpu = ratio = rss = "not measured"
        else:
            wall, cpu = f"{run.speed.wall_seconds:.1f}", f"{run.speed.cpu_seconds:.1f}"
            ratio = f"{baseline_cpu / run.speed.cpu_seconds:.2f}x less" if baseline_cpu else "n/a"
            rss = f"{run.speed.peak_rss_bytes / GIB:.2f}"
        lines.append(f"| {run.name} | {wall} | {cpu} | {ratio} | {stats['load_seconds']:.1f} | "
                     f"{stats['generate_seconds']:.1f} | {stats['generated_tokens']} | {decode:.1f} | {rss} | "
                     f"{'not measured' if run.load_average is None else f'{run.load_average:.1f}'} |")
    return lines


def render(measured: list[Measured], comparison: dict) -> str:
    machine = machine_record("cpu")
    lines = [SECTION, "", "Written by `python -m benchmarks.gemma_ct2` (module docstring: what runs); every number "
             "was measured by it.", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += ["", "Quality: the seeds, each configuration against hf_causal fp32 (the baseline); doc = the whole "
              "document, aligned = reference sentences with the output aligned to each (harness-compare, "
              f"{comparison['significance']['resamples']} resamples, Holm over the two systems; * = significant "
              "in both tests). 000 and 003 are not translations of their reference: topical overlap only, so "
              "harness-compare does not test them.", ""]
    lines += quality_table(measured, comparison)
    lines += ["", "Speed: one cold run each (translation cache empty; one-time conversions done before and not "
              "counted); decode tokens/s = generated tokens / generate seconds; load average: the machine's "
              "1-minute load average as the run started (2 cores shared with other jobs).", ""]
    lines += speed_table(measured)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gemma_ct2", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, help="keep (and reuse) the run folders here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mt-harness-gemma-ct2-") as work:
        runs = args.runs or Path(work) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        measured = [cold_run(name, runs, Path(work)) for name in CONFIGS]
        progress("harness-compare over the three runs")
        section = render(measured, compare(measured, Path(work) / "comparison"))
    print(section)
    results = REPO / "benchmarks" / "RESULTS.md"
    results.write_text(replace_section(results.read_text(encoding="utf-8"), SECTION, section), encoding="utf-8")
    print("updated benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
