"""Rendering of results for people: the terminal table printed at the end of a run."""
from __future__ import annotations

METRIC_LABELS = {"bleu": "BLEU", "chrf": "chrF", "chrf++": "chrF++", "ter": "TER"}
DEGRADATION_STATS = {"split_overlong_inputs": "inputs longer than the model accepts, split and translated in parts",
                     "truncated_inputs": "inputs TRUNCATED by the tokenizer",
                     "oom_batch_halvings": "batches halved after running out of GPU memory",
                     "echoed_prompt_example": "outputs that copy the prompt's example instead of translating"}
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
    stats = result.get("backend_stats", {})
    notes += [f"! {stats[key]} {text}" for key, text in DEGRADATION_STATS.items() if stats.get(key)]
    signatures = {d["metrics"][n]["signature"] for d in documents for n in metric_names}
    notes += sorted(signatures)
    return "\n".join([table, "", *notes])
