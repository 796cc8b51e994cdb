"""python -m benchmarks [--device cuda] [--skip-gemma]: the speed suite of issue 6.

Builds an OPUS-MT-sized Marian model with random weights, measures the five figures on it (and figures
3-5 on the embedded Gemma model), then figure 6 (a 2,000-line line-aligned test set scored from files beside
the sacrebleu CLI, benchmarks/line_scoring.py) and figure 7 (harness-compare of 10 systems x 2,000 lines beside
sacrebleu's paired bootstrap, benchmarks/compare_ranking.py), prints them with their targets and writes
benchmarks/RESULTS.md (RESULTS-cuda.md for --device cuda)."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import compare_ranking, line_scoring
from benchmarks.results_file import replace_suite_part
from benchmarks.figures import (GIB, Figure, batched_vs_naive, cached_rerun, ct2_vs_transformers, overhead,
                                peak_memory)
from benchmarks.machine import bytecode_as_installed, machine_record
from benchmarks.measure import REPO, ProcessRun, harness_process
from harness.translate.backends.ct2 import conversion_key
from harness.translate.backends.hf_loading import HASH_MEMO
from harness.config import DEFAULT_CACHE_DIR
from harness.data.languages import UNPACKED_IDENTIFIER, load_identifier
from tests.builders import OPUS_MT_BASE, OPUS_MT_VOCAB, build_marian, seed_texts


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def subset(per_document: int | None) -> list[str]:
    return [f"data.max_segments={per_document}"] if per_document else []


def marian_figures(work: Path, device: str, new_tokens: int, per_document: int | None) -> list[Figure]:
    progress("building the OPUS-MT-sized Marian model (random weights)")
    model_dir = build_marian(work / "opus_mt_base", seed_texts(), OPUS_MT_BASE, pieces=2000,
                             vocab_size=OPUS_MT_VOCAB, max_length=512)
    progress("figure 1: harness batched vs naive loop")
    first, hf = batched_vs_naive(model_dir, device, new_tokens, per_document)
    progress("figure 2: ct2 int8 vs hf_seq2seq fp32")
    second = ct2_vs_transformers(model_dir, work / "cache", device, new_tokens, per_document, hf)
    progress("figures 3-5: a cold and a cached harness-run")
    overrides = ["model=opus_mt", f"model.model_id={model_dir}", f"generation.max_new_tokens={new_tokens}",
                 f"generation.min_new_tokens={new_tokens}", f"generation.device={device}", *subset(per_document)]
    cold, cached = cold_and_cached(overrides, unpacked_identifier_cache(work / "run_cache"), work, "marian")
    seen = seen_data_run(overrides, unpacked_identifier_cache(work / "seen_data_cache"), work / "marian_seen_data",
                         per_document)
    weights = sum(path.stat().st_size for path in model_dir.glob("*.safetensors"))
    return [first, second, cached_rerun("Marian", cold, cached), overhead("Marian", cold, 0.15, seen),
            peak_memory("Marian", cold, weights, "model.safetensors, fp32")]


CACHED_RUNS = 3   # the cached re-run is the median of these: it takes 1-2 s, which a shared machine moves by 0.2 s


def cold_and_cached(overrides: list[str], cache: Path, work: Path, name: str) -> tuple[ProcessRun, list[ProcessRun]]:
    """A cold harness-run in a fresh cache, then CACHED_RUNS fully cached re-runs of it, each a process of its own."""
    cold = harness_process(overrides, cache, work / f"{name}_cold")
    return cold, [harness_process(overrides, cache, work / f"{name}_cached_{k + 1}") for k in range(CACHED_RUNS)]


def seen_data_run(overrides: list[str], cache: Path, run_dir: Path, per_document: int | None) -> ProcessRun:
    """The cold run of `overrides` in a cache where model=identity has run on the same data set first."""
    harness_process(["model=identity", *subset(per_document)], cache, run_dir.with_name(run_dir.name + "_identity"))
    return harness_process(overrides, cache, run_dir)


def user_cache() -> Path:
    return Path(os.environ.get("HARNESS_CACHE_DIR", DEFAULT_CACHE_DIR)).expanduser()


ONE_TIME = ("gguf", "converted", "ct2", UNPACKED_IDENTIFIER)   # the cache's folders that a machine's first run fills


def shared_weight_cache(cache: Path, hashes_from: Path) -> None:
    """A fresh translation cache that shares the user's GGUF file, dequantized weights (cached by file hash),
    CTranslate2 conversions and unpacked language identifier, so the cold run is cold for translation without
    repeating the one-time preparations; that includes the model file's sha256 (0.5 s for the 253 MB GGUF),
    remembered by size and modification time in the file-hash memo of the cache folder `hashes_from`, copied."""
    cache.mkdir(parents=True)
    for name in ONE_TIME:
        (user_cache() / name).mkdir(parents=True, exist_ok=True)
        (cache / name).symlink_to(user_cache() / name)
    if (hashes_from / HASH_MEMO).is_file():
        shutil.copyfile(hashes_from / HASH_MEMO, cache / HASH_MEMO)


def shared_preparations(cache: Path, names: tuple[str, ...]) -> None:
    """A fresh cache folder whose folders `names` are the user's cache's (links)."""
    cache.mkdir(parents=True)
    for name in names:
        (user_cache() / name).mkdir(parents=True, exist_ok=True)
        (cache / name).symlink_to(user_cache() / name)


def unpacked_identifier_cache(cache: Path) -> Path:
    """A fresh cache folder with the user's unpacked language identifier (unpacked here first where it is not),
    as a machine's every run after its first has it."""
    load_identifier(user_cache())
    shared_preparations(cache, (UNPACKED_IDENTIFIER,))
    return cache


def first_use(work: Path, device: str) -> str:
    """The one-time preparation of the default model (a machine's first run: the GGUF file's dequantization,
    the CTranslate2 conversion and the language identifier's unpacking), done before the measured runs so that
    the cold run is cold for translation only; described when it happened here."""
    shared_weight_cache(work / "first_use_cache", user_cache())
    prepared = lambda: {path for name in ONE_TIME[1:] for path in (work / "first_use_cache" / name).iterdir()}
    prepared_before = prepared()
    first = harness_process([f"generation.device={device}", "data.documents=[002]", "data.max_segments=1"],
                            work / "first_use_cache", work / "first_use")
    if prepared() == prepared_before:
        return ("the dequantized weights, the converted model and the unpacked language identifier were already "
                "cached from an earlier run")
    return (f"one-time GGUF dequantization, CTranslate2 conversion and language identifier unpacking on this "
            f"machine's first run: a one-sentence run took {first.wall_seconds:.1f} s, peak RSS "
            f"{first.peak_rss_bytes / GIB:.2f} GiB (not counted above)")


def loaded_weights(cache: Path, model: dict) -> tuple[int, str]:
    """The size of the weights the run loaded, and what they are."""
    if model["backend"] == "ct2":   # keyed as Ct2LMBackend keys a GGUF model: its sha256 and the compute type
        folder = cache / "ct2" / conversion_key({"model": model["sha256"], "revision": None}, model["compute_type"])
        return (folder / "model.bin").stat().st_size, f"model.bin, CTranslate2 {model['compute_type']}"
    converted = cache / "converted" / model["sha256"]
    return (sum(path.stat().st_size for path in converted.glob("*.safetensors")),
            "the GGUF dequantized to fp32, as loaded")


def gemma_figures(work: Path, device: str, per_document: int | None) -> list[Figure]:
    progress("figures 3-5 on the embedded Gemma model: a cold and a cached harness-run")
    preparation = first_use(work, device)
    shared_weight_cache(work / "gemma_cache", work / "first_use_cache")
    overrides = [f"generation.device={device}", *subset(per_document)]
    cold, cached = cold_and_cached(overrides, work / "gemma_cache", work, "gemma")
    shared_weight_cache(work / "gemma_seen_data_cache", work / "first_use_cache")
    seen = seen_data_run(overrides, work / "gemma_seen_data_cache", work / "gemma_seen_data", per_document)
    memory = peak_memory("Gemma", cold, *loaded_weights(work / "gemma_cache", cold.result["model"]))
    memory.details.append(preparation)
    return [cached_rerun("Gemma", cold, cached), overhead("Gemma", cold, 0.05, seen), memory]


def render(figures: list[Figure], machine: dict[str, str], workload: str, seconds: float) -> str:
    lines = ["# Benchmark results", "", "Written by `python -m benchmarks`; every number below was measured by it.", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += [f"- workload: {workload}", f"- suite wall time: {seconds / 60:.1f} min", "", "| figure | what | measured | target | met |",
              "|---|---|---|---|---|"]
    lines += [f"| {f.number} | {f.title} | {f.value} | {f.target} | {'yes' if f.met else 'no'} |" for f in figures]
    for figure in figures:
        lines += ["", f"**{figure.number}** {figure.title}", ""] + [f"- {detail}" for detail in figure.details]
    return "\n".join(lines) + "\n"


def sentences(per_document: int) -> str:
    return f"the first {per_document} sentences of each seed document" if per_document else "all seed sentences"


def printed(figure: Figure) -> str:
    head = f"({figure.number}) {figure.title}: {figure.value}  [target {figure.target}: {'met' if figure.met else 'MISSED'}]"
    return "\n".join([head] + [f"      {detail}" for detail in figure.details])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--new-tokens", type=int, default=16, help="target tokens generated per sentence")
    parser.add_argument("--marian-sentences", type=int, default=0,
                        help="first sentences of each seed document for the Marian figures (0: all)")
    parser.add_argument("--gemma-sentences", type=int, default=0,
                        help="first sentences of each seed document for the Gemma runs (0, the default: all, as "
                             "harness-run does; 3 on a slow machine keeps the suite under 10 minutes)")
    parser.add_argument("--skip-gemma", action="store_true", help="leave out the Gemma runs (figures 3-5)")
    parser.add_argument("--only-lines", action="store_true", help="only figures 6 and 7 (the line-aligned test set "
                        "and the comparison of 10 systems), printed, RESULTS.md left as it is")
    args = parser.parse_args(argv)
    started, bytecode = time.perf_counter(), bytecode_as_installed()
    with tempfile.TemporaryDirectory(prefix="mt-harness-bench-") as work:
        figures = [] if args.only_lines else marian_figures(Path(work), args.device, args.new_tokens,
                                                            args.marian_sentences or None)
        if not (args.skip_gemma or args.only_lines):
            figures += gemma_figures(Path(work), args.device, args.gemma_sentences or None)
        progress("figure 6: a 2,000-line line-aligned test set from files beside the sacrebleu CLI")
        figures.append(line_scoring.figure(Path(work) / "lines"))
        progress("figure 7: harness-compare of 10 systems x 2,000 lines beside sacrebleu --paired-bs")
        figures.append(compare_ranking.figure(Path(work) / "compare"))
    print("\n".join(printed(figure) for figure in figures))
    if args.only_lines:   # a partial suite does not replace the recorded results
        return
    name = "RESULTS.md" if args.device == "cpu" else f"RESULTS-{args.device.split(':')[0]}.md"
    workload = (f"Marian: {sentences(args.marian_sentences)} at a fixed {args.new_tokens} target tokens each; "
                f"Gemma (default config): {sentences(args.gemma_sentences)}; line-aligned: 2,000 lines, one "
                "damaged hypothesis file; comparison: 10 damaged hypothesis files of the same 2,000 lines")
    results = REPO / "benchmarks" / name
    suite = render(figures, machine_record(args.device, bytecode), workload, time.perf_counter() - started)
    results.write_text(replace_suite_part(results.read_text(encoding="utf-8") if results.exists() else "", suite))
    print(f"\nwrote benchmarks/{name}")


if __name__ == "__main__":
    main()
