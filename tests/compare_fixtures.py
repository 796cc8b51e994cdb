"""Finished runs for the comparison tests: the real pipeline (identity and files backends) writes result.json,
and `add_segments` adds issue 3's aligned-segment records in the contract's shape, scored with real sacrebleu
on real sentence pairs (the seed reference's sentences against copies with every k-th word dropped)."""
from __future__ import annotations

import json
from pathlib import Path

from harness import run
from harness.config import compose_config
from harness.data.documents import load_dataset
from harness.score.metrics import select_metrics
from harness.results.results import read_result, write_json_atomically
from harness.data.segment import split_sentences
from tests.conftest import REFERENCES, REPO, SEEDS

SEGMENT_METRICS = ["bleu", "chrf", "chrf++", "ter"]


def reference_sentences() -> dict[str, list[str]]:
    dataset = load_dataset(SEEDS, None, REFERENCES)
    return {d.id: [s for p in d.reference.paragraphs for s in split_sentences(p, "en")] for d in dataset.documents}


def cleaned_reference_folder(folder: Path) -> Path:
    """A files-backend folder whose hypotheses are the cleaned reference itself (scores 100 BLEU)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(load_dataset(SEEDS, None, REFERENCES).documents[0].reference.paragraphs)
    for document in load_dataset(SEEDS, None, REFERENCES).documents:
        (folder / f"{document.id}.txt").write_text(text, encoding="utf-8")
    return folder


def finished_run(folder: Path, *overrides: str) -> Path:
    run(compose_config([f"data.root={SEEDS}", *overrides]), folder)
    return folder


def identity_run(folder: Path, *overrides: str) -> Path:
    return finished_run(folder, "model=identity", *overrides)


def reference_run(folder: Path, name: str = "reference", *overrides: str) -> Path:
    hypotheses = cleaned_reference_folder(folder.parent / f"{folder.name}_hypotheses")
    return finished_run(folder, "model=files", f"model.path={hypotheses}", f"model.name={name}", *overrides)


def drop_every(sentence: str, k: int | None) -> str:
    """A perturbed copy: every k-th word dropped (k=None: the sentence unchanged, k=1: nothing left)."""
    words = sentence.split()
    return sentence if k is None else " ".join(w for i, w in enumerate(words, start=1) if i % k)


def segment_records(references: list[str], hypotheses: list[str], metrics) -> list[dict]:
    return [{"ref_index": i, "ref": ref, "hyp": hyp, "src": f"(source of sentence {i})", "bead": "1-1",
             "similarity": 1.0 if hyp == ref else 0.8,
             "scores": {m.name: m.sentence_score(hyp, ref) for m in metrics if m.name in ("bleu", "chrf", "ter")}}
            for i, (ref, hyp) in enumerate(zip(references, hypotheses))]


def add_segments(run_dir: Path, drop_k: int | None, documents: dict[str, int | None] | None = None) -> dict:
    """Give every document of a finished run aligned segments: reference sentences with every drop_k-th word
    dropped (per document: `documents` maps an id to its own k), their sentence scores and corpus scores."""
    result = read_result(run_dir)
    metrics = select_metrics(SEGMENT_METRICS)
    sentences = reference_sentences()
    for document in result["documents"]:
        references = sentences[document["id"]]
        k = (documents or {}).get(document["id"], drop_k)
        hypotheses = [drop_every(s, k) for s in references]
        document["segments"] = segment_records(references, hypotheses, metrics)
        document["unaligned_hypotheses"] = []
        document["aligned"] = {m.name: m.corpus_score(hypotheses, references).as_dict() for m in metrics}
    write_json_atomically(run_dir / "result.json", result)
    return result


def without_segments(run_dir: Path) -> Path:
    """A result.json with document-level scores only, as an older harness or another tool writes it."""
    path = run_dir / "result.json"
    result = json.loads(path.read_text(encoding="utf-8"))
    for document in result["documents"]:
        for key in ("segments", "unaligned_hypotheses", "aligned"):
            document.pop(key, None)
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return run_dir


__all__ = ["REPO", "add_segments", "without_segments", "identity_run", "reference_run", "finished_run", "drop_every"]
