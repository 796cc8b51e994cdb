"""The measurements behind the figures: translating the seeds in this process (a backend, or a naive
one-sentence-at-a-time transformers loop), and a whole `harness-run` in a child process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.translate.backends.base import Backend
from harness.cache import TranslationCache
from harness.data.documents import load_dataset
from harness.translate.translate import source_segments, translate_documents

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
REFERENCES = REPO / "references"   # the seeds' manifest points here (data.reference_root)


@dataclass
class Timed:
    outputs: list[str]   # one per source segment, in document order
    seconds: float
    tokens: int          # target tokens generated

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds


def seed_sentences(per_document: int | None) -> list[str]:
    """The workload: the first sentences of each seed document (all with None), in document order."""
    return [segment.text for document in load_dataset(SEEDS, None, REFERENCES).documents
            for segment in source_segments(document, per_document)]


def harness_translation(backend: Backend, per_document: int | None) -> Timed:
    """The harness's translation stage (documents -> batched backend behind a cache) on the seeds, the
    model loaded and warmed up first so that only translating is timed."""
    dataset = load_dataset(SEEDS, None, REFERENCES)
    backend.translate_batch(["Bonjour."], "fr", dataset.target_lang)     # load + warm-up
    tokens_before = backend.stats["generated_tokens"]
    started = time.perf_counter()
    translations = translate_documents(list(dataset.documents), backend, TranslationCache(None), dataset.target_lang,
                                       per_document)
    seconds = time.perf_counter() - started
    outputs = [output for translation in translations for output in translation.outputs]
    return Timed(outputs, seconds, backend.stats["generated_tokens"] - tokens_before)


def naive_loop(model_dir: Path, texts: list[str], new_tokens: int, device: str) -> Timed:
    """What a user without the harness writes: one sentence at a time through tokenize -> generate ->
    decode, as transformers' TranslationPipeline did (transformers 5 no longer ships that pipeline)."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir)).to(device).eval()

    @torch.inference_mode()
    def translate_one(text: str) -> tuple[str, int]:
        inputs = tokenizer([text], return_tensors="pt", truncation=True).to(device)
        generated = model.generate(**inputs, max_new_tokens=new_tokens, min_new_tokens=new_tokens)
        return tokenizer.decode(generated[0], skip_special_tokens=True).strip(), generated.shape[1] - 1

    translate_one("Bonjour.")   # warm-up
    started = time.perf_counter()
    results = [translate_one(text) for text in texts]
    seconds = time.perf_counter() - started
    return Timed([text for text, _ in results], seconds, sum(tokens for _, tokens in results))


@dataclass
class ProcessRun:
    wall_seconds: float     # the whole process, as the user waits for it
    peak_rss_bytes: int
    result: dict            # the run's result.json
    cpu_seconds: float = 0.0   # user + system time of the whole process


def harness_process(overrides: list[str], cache_dir: Path, run_dir: Path) -> ProcessRun:
    """`harness-run OVERRIDES` in a child process with its own cache folder."""
    env = {**os.environ, "HARNESS_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    measures = run_dir.with_suffix(".measures.json")
    command = [sys.executable, "-m", "benchmarks.child", str(measures), *overrides, f"hydra.run.dir={run_dir}"]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError(f"harness-run {' '.join(overrides)} failed:\n{finished.stderr[-3000:]}")
    result = json.loads((run_dir / "result.json").read_text())
    recorded = json.loads(measures.read_text())
    return ProcessRun(wall, recorded["peak_rss_bytes"], result, recorded["cpu_seconds"])
