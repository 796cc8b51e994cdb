"""Rendering of results for people: the terminal table printed at the end of a run."""
from __future__ import annotations

METRIC_LABELS = {"bleu": "BLEU", "chrf": "chrF", "chrf++": "chrF++", "ter": "TER", "rouge1": "R-1", "rouge2": "R-2",
                 "rougeL": "R-L", "rougeLsum": "R-Lsum", "embedding_cosine": "cos"}
SUMMARY_FREE_COLUMNS = {"coverage": "coverage", "density": "density", "compression_ratio": "compression"}
NOT_PARALLEL_NOTE = ("* the reference is not a translation of this source (declared {relations}): "
                     "its scores measure topical overlap, not translation quality")


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), "  ".join("-" * w for w in widths)] + [line(row) for row in rows])


def document_row(document: dict, metric_names: list[str]) -> list[str]:
    marker = "" if document["relation"] == "parallel" else "*"
    scores = [f"{document['metrics'][name]['score']:.1f}{marker}" for name in metric_names]
    empty = document["empty_outputs"]
    degraded = f"{empty}/{document['hypothesis_units']} empty" if empty else ""
    return [document["id"], document["src_lang"], document["relation"], *scores, degraded]


def results_table(result: dict) -> str:
    documents = result["documents"]
    metric_names = list(documents[0]["metrics"]) if documents else []
    headers = ["document", "lang", "relation", *[METRIC_LABELS.get(n, n) for n in metric_names], "degraded"]
    table = format_table(headers, [document_row(d, metric_names) for d in documents])
    notes = [f"model: {result['model']['name']} ({result['model']['backend']})"]
    relations = sorted({d["relation"] for d in documents if d["relation"] != "parallel"})
    if relations:
        notes.append(NOT_PARALLEL_NOTE.format(relations=", ".join(relations)))
    signatures = {d["metrics"][n]["signature"] for d in documents for n in metric_names}
    notes += sorted(signatures)
    return "\n".join([table, "", *notes])


def summary_row(document: dict, similarity: list[str]) -> list[str]:
    summary = document["summary"]
    close = summary["vs_reference_summary"]
    full = summary["vs_reference"]
    free = summary["reference_free"]
    cosine = [f"{full['embedding_cosine']:.3f}"] if "embedding_cosine" in full else []
    return [document["id"], document["src_lang"], document["relation"], str(summary["words"]),
            *[f"{close[name]:.3f}" if name == "embedding_cosine" else f"{close[name]:.1f}" for name in similarity],
            *cosine, *[f"{free[name]:.2f}" for name in SUMMARY_FREE_COLUMNS], "empty" if summary["empty"] else ""]


def run_summary_table(result: dict) -> str:
    """Each document's summary against the reference summary (and, by cosine, the full reference), with
    how extractive it is; empty when the run made no summaries."""
    reference = result.get("reference_summary")
    documents = [d for d in result["documents"] if "summary" in d]
    if not reference or not documents:
        return ""
    similarity = list(documents[0]["summary"]["vs_reference_summary"])
    cosine = ["cos ref"] if "embedding_cosine" in documents[0]["summary"]["vs_reference"] else []
    headers = ["document", "lang", "relation", "words", *[METRIC_LABELS.get(n, n) for n in similarity], *cosine,
               *SUMMARY_FREE_COLUMNS.values(), "degraded"]
    table = format_table(headers, [summary_row(d, similarity) for d in documents])
    references = reference if isinstance(reference, list) else [reference]
    notes = [f"summaries: {documents[0]['summary']['summarizer']} of each {documents[0]['summary']['input']}, "
             "scored against the reference summary (cos ref: against the full reference)"]
    notes += [f"reference summary: {r['text_file']} ({r['words']} words, from {r['reference_file']})"
              + (" EMPTY: every score against it is 0" if r["empty"] else "") for r in references]
    by_signature: dict[str, list[str]] = {}
    for name, signature in result.get("summary_metrics", {}).items():
        by_signature.setdefault(signature, []).append(name)
    notes += [f"{', '.join(names)}: {signature}" for signature, names in by_signature.items()]
    return "\n".join([table, "", *notes])
