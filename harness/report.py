"""Rendering of results for people: the terminal table printed at the end of a run."""
from __future__ import annotations

METRIC_LABELS = {"bleu": "BLEU", "chrf": "chrF", "chrf++": "chrF++", "ter": "TER"}
ALIGNED_COLUMNS = ["bleu", "chrf", "ter"]   # corpus scores over aligned segments shown in the table
ALIGNED_NOTE = ("aln: corpus scores over sentence-aligned segments (alignment/<id>.tsv), TER lower is better; "
                "English: share of hypothesis sentences identified as the target language")
NOT_PARALLEL_NOTE = ("* the reference is not a translation of this source (declared or measured {relations}): "
                     "its scores measure topical overlap, not translation quality")
DISAGREE_NOTE = "! measured relation disagrees with the declared one: {documents}"
CANNOT_JUDGE_NOTE = "? relation cannot be judged (hypothesis not {target}, or too short): {documents}"


def measured_relation(document: dict) -> str | None:
    return document.get("diagnostics", {}).get("relation", {}).get("measured")


def is_parallel(document: dict) -> bool:
    """Declared parallel and not measured otherwise (cannot_judge keeps the declared relation)."""
    return document["relation"] == "parallel" and measured_relation(document) in (None, "parallel", "cannot_judge")


def relation_cell(document: dict) -> str:
    measured = measured_relation(document)
    if measured is None:
        return document["relation"]
    flag = "!" if document["diagnostics"]["relation"]["agrees"] is False else ""
    return f"{document['relation']}/{measured}{flag}"


def english_cell(document: dict) -> str:
    language = document.get("diagnostics", {}).get("output_language")
    return f"{100 * language['english']:.0f}%" if language else ""


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), "  ".join("-" * w for w in widths)] + [line(row) for row in rows])


def document_row(document: dict, metric_names: list[str]) -> list[str]:
    marker = "" if is_parallel(document) else "*"
    scores = [f"{document['metrics'][name]['score']:.1f}{marker}" for name in metric_names]
    aligned = [f"{document['aligned'][name]['score']:.1f}{marker}" for name in ALIGNED_COLUMNS
               if name in document.get("aligned", {})]
    empty = document["empty_outputs"]
    degraded = f"{empty}/{document['hypothesis_units']} empty" if empty else ""
    return [document["id"], document["src_lang"], relation_cell(document), *scores, *aligned,
            english_cell(document), degraded]


def relation_notes(documents: list[dict], target_lang: str) -> list[str]:
    notes = []
    relations = sorted({d["relation"] for d in documents if d["relation"] != "parallel"}
                       | {measured_relation(d) for d in documents if not is_parallel(d) and measured_relation(d)}
                       - {"parallel", "cannot_judge"})
    if relations:
        notes.append(NOT_PARALLEL_NOTE.format(relations=", ".join(relations)))
    disagree = [d["id"] for d in documents if d.get("diagnostics", {}).get("relation", {}).get("agrees") is False]
    if disagree:
        notes.append(DISAGREE_NOTE.format(documents=", ".join(disagree)))
    undecided = [d["id"] for d in documents if measured_relation(d) == "cannot_judge"]
    if undecided:
        notes.append(CANNOT_JUDGE_NOTE.format(target=target_lang, documents=", ".join(undecided)))
    return notes


def results_table(result: dict) -> str:
    documents = result["documents"]
    metric_names = list(documents[0]["metrics"]) if documents else []
    aligned_names = [n for n in ALIGNED_COLUMNS if documents and n in documents[0].get("aligned", {})]
    headers = ["document", "lang", "relation declared/measured", *[METRIC_LABELS.get(n, n) for n in metric_names],
               *[f"aln {METRIC_LABELS.get(n, n)}" for n in aligned_names], "English", "degraded"]
    table = format_table(headers, [document_row(d, metric_names) for d in documents])
    notes = [f"model: {result['model']['name']} ({result['model']['backend']})"]
    if aligned_names:
        notes.append(ALIGNED_NOTE)
    notes += relation_notes(documents, result.get("data", {}).get("target_lang", "en"))
    signatures = {d["metrics"][n]["signature"] for d in documents for n in metric_names}
    signatures |= {d["aligned"][n]["signature"] for d in documents for n in aligned_names if n in d["aligned"]}
    notes += sorted(signatures)
    return "\n".join([table, "", *notes])
