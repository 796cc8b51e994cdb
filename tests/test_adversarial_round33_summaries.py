"""Adversarial round 33 on summaries, end to end: what a summary score shows against what its reference
implementation says of the very texts the run wrote (sacrebleu's chrF, and a compression ratio, read to the decimal a
table shows), the same score in a run's table and in a comparison, a summary's row beside a document whose relation
was measured otherwise than declared, an English summary of a text in another target language set against that text,
and summaries of inputs that are less than a system's output of the document (cut by data.max_segments, or the
reference itself) shown with an empty `degraded` cell. Round 11 (tests/test_adversarial_round11_summaries.py) held the
scores themselves, the cache, the settings and the refusals; they are not repeated here."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from sacrebleu.metrics import CHRF

from harness import run
from harness.compare.compare import compare_runs, load_runs
from harness.compare.reports.tables import comparison_markdown, run_summary_table
from harness.config import compose_config
from harness.results.results import as_run_record
from tests.test_adversarial_round11_summaries import (ENGLISH, FIXED_TEXT, QUIET, SYSTEM, data_set, files_run,
                                                      paragraphs, summary_files, write)
from tests.test_shared_segments import FRENCH

REPO = Path(__file__).resolve().parents[1]
# a summary sentence and a reference summary sentence whose chrF is 19.349977: sacrebleu shows 19.3; kept to four
# decimals it was 19.35, which a table shows as 19.4
SUMMARY = "Tram monday between would lyon in new and year."
REFERENCE = "Lyon and line that in year station said."


def table_rows(table: str) -> list[list[str]]:
    """A run table's rows below its header, split at runs of two spaces or more."""
    lines = table.split("\n\n", 1)[0].splitlines()
    return [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines[2:]]


def markdown_summary_rows(comparison_text: str, with_header: bool = False) -> list[list[str]]:
    """The rows of a comparison's Markdown summary table (with its header first, if asked)."""
    section = comparison_text.split("## Summaries", 1)[1]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ")]
    return rows if with_header else rows[1:]


def test_a_summary_chrf_is_shown_as_sacrebleu_shows_it(tmp_path):
    """Broke: summary scores were stored to four decimals (round 15 stored the translation scores to ten for this):
    a summary's chrF of 19.349977, which sacrebleu shows as 19.3, was stored as 19.35 and shown as 19.4 in the run
    table. Now it is stored as the translation scores are, and the table shows sacrebleu's figure."""
    data = data_set(tmp_path / "data", reference=[REFERENCE, *ENGLISH[1:]])
    result = files_run(tmp_path, "sys", paragraphs([SUMMARY, *SYSTEM[1:]]), "summarizer=lead",
                       "summarizer.sentences=1", "summary.metrics=[chrf]", data=data)
    summary, reference_summary = (text.strip() for text in summary_files(tmp_path / "sys"))
    assert (summary, reference_summary) == (SUMMARY, REFERENCE)
    expected = CHRF().sentence_score(summary, [reference_summary]).score
    stored = result["documents"][0]["summary"]["vs_reference_summary"]["chrf"]
    assert abs(stored - expected) < 1e-9
    [row] = table_rows(run_summary_table(result))
    assert row[4] == f"{expected:.1f}" == "19.3", row


def test_a_comparison_shows_each_summary_score_with_the_run_tables_decimals(tmp_path):
    """Broke: harness-compare's summary table (Markdown and HTML) showed every summary score with one decimal, a cosine
    of 0.3 and a coverage of 1.0 where the run table showed 0.347 and 1.00, so two systems whose summaries' cosines
    differ by up to 0.1 read alike. Now a comparison shows each score with the run table's decimals."""
    result = files_run(tmp_path, "sys", paragraphs(SYSTEM), "summarizer=lead",
                       "summary.metrics=[rouge1,embedding_cosine]")
    scores = result["documents"][0]["summary"]
    [row] = table_rows(run_summary_table(result))
    cosine, free = scores["vs_reference_summary"]["embedding_cosine"], scores["reference_free"]
    assert f"{cosine:.3f}" in row and f"{free['coverage']:.2f}" in row
    section = comparison_markdown(compare_runs(load_runs([str(tmp_path / "sys")]), n_resamples=50))
    header, row = markdown_summary_rows(section, with_header=True)
    cells = dict(zip(header, row))
    assert cells[r"vs\_reference\_summary embedding\_cosine"] == f"{cosine:.3f}"
    assert cells[r"vs\_reference embedding\_cosine"] == f"{scores['vs_reference']['embedding_cosine']:.3f}"
    assert cells[r"reference\_free coverage"] == f"{free['coverage']:.2f}"
    assert cells[r"vs\_reference\_summary rouge1"] == f"{scores['vs_reference_summary']['rouge1']:.1f}"


def seed_data(folder: Path) -> Path:
    """The seeds' 003 (a French press release about another meeting) declared a translation of the AP story."""
    folder.mkdir(parents=True)
    for name in ("003_b4c583ebb9432b98.txt", "002_ec956db8ad584669.txt"):
        shutil.copy(REPO / "seeds" / name, folder / name)
    shutil.copy(REPO / "references" / "001_8dfe5badceb79477.txt", folder / "ref.txt")
    documents = [{"id": doc_id, "lang": lang, "file": name, "reference": "ref.txt", "relation": "parallel"}
                 for doc_id, lang, name in (("003", "fr", "003_b4c583ebb9432b98.txt"),
                                            ("002", "tr", "002_ec956db8ad584669.txt"))]
    write(folder / "manifest.yaml", yaml.safe_dump({"target_lang": "en", "documents": documents}))
    return folder


MEETING = ("TOKYO, Japan, March 6, 2026 - Today, Prime Minister Mark Carney met with the Prime Minister of Japan, "
           "Takaichi Sanae, during his bilateral visit to Japan.\nPrime Minister Carney congratulated Prime Minister "
           "Takaichi on her decisive election victory. The leaders reaffirmed the close relationship between their "
           "countries, rooted in democratic values and strong economic ties.\n")
TALKS = ("Canada and Japan have started talks to share military intelligence as the two countries try to counter "
         "growing threats from China and Russia.\nForeign Minister Melanie Joly said that sharing intelligence would "
         "help counter threats at home and bring more stability to the region.\n")


def test_a_summary_of_a_document_measured_unrelated_is_not_shown_as_parallel(tmp_path):
    """Broke: a document declared parallel and measured unrelated (the seeds' 003, another meeting) read
    'parallel/unrelated!' in the run table, starred, but 'parallel' in the summary table, beside a note that some
    summary's relation is not parallel (which one, no row said), and 'parallel' in harness-compare's summary table. Now
    both summary tables show the relation as the run table does."""
    data = seed_data(tmp_path / "data")
    outputs = tmp_path / "outputs"
    write(outputs / "003.txt", MEETING)
    write(outputs / "002.txt", TALKS)
    result = run(compose_config([f"data.root={data}", "model=files", f"model.path={outputs}", "model.name=sys",
                                 "metrics=[chrf]", "summarizer=lead", "summary.metrics=[rouge1]"]), tmp_path / "sys")
    record = as_run_record(result)
    relations = {d.id: (d.measured_relation, d.parallel) for d in record.documents}
    assert relations == {"003": ("unrelated", False), "002": ("parallel", True)}
    rows = {row[0]: row[2] for row in table_rows(run_summary_table(result))}
    assert rows == {"003": "parallel/unrelated!", "002": "parallel/parallel"}
    compared = markdown_summary_rows(comparison_markdown(compare_runs(load_runs([str(tmp_path / "sys")]),
                                                                      n_resamples=50)))
    assert {row[0]: row[2] for row in compared} == {"003": r"parallel/unrelated\!", "002": "parallel/parallel"}


def english_summaries_of_a_french_target(tmp_path: Path, model: Path) -> dict:
    """hf_causal's English summaries of a French translation and of the French reference."""
    data = tmp_path / "data"
    write(data / "src.txt", paragraphs(ENGLISH))
    write(data / "ref.txt", paragraphs(FRENCH))
    write(data / "manifest.yaml", yaml.safe_dump({"target_lang": "fr", "documents": [
        {"id": "doc", "lang": "en", "file": "src.txt", "reference": "ref.txt", "relation": "parallel"}]}))
    return files_run(tmp_path, "sys", paragraphs(FRENCH), "summarizer=hf_causal",
                     f"summarizer.model.model_id={model}", "summarizer.model.gguf_file=null",
                     "summarizer.model.gguf_package=null", "summarizer.device=cpu", "summarizer.max_new_tokens=12",
                     "summary.metrics=[rouge1,embedding_cosine]", data=data)


def test_an_english_summary_of_a_french_target_is_not_scored_against_the_french_reference(tmp_path, tiny_causal_lm):
    """Broke: on a French target, summarizer=hf_causal summarizes every text in English, and each English summary was
    scored against the full French reference too (`vs_reference`): ROUGE-1 0.0 and a 'cos ref' of 0.2 from the English
    MiniLM, English-only metrics reading French, which require_english refuses everywhere else, shown as a score. Now
    the summaries are scored against the reference's English summary alone, and the table says why."""
    result = english_summaries_of_a_french_target(tmp_path, tiny_causal_lm)
    summary = result["documents"][0]["summary"]
    assert "vs_reference_summary" in summary and "vs_reference" not in summary
    table = run_summary_table(result)
    assert "cos ref" not in table.splitlines()[0]
    assert "not scored against the full reference (no cos ref): it is French" in table


def test_an_english_summary_of_a_french_reference_gets_no_extractiveness(tmp_path, tiny_causal_lm):
    """Broke: round 11 left out the reference-free scores of a document's summary in another language than its input,
    but not of the reference summary: hf_causal's English summary of the French reference was stored with coverage 0.0
    and 100% novel n-grams in result.json, as if written from nothing. Now it has none, as a document's has none."""
    result = english_summaries_of_a_french_target(tmp_path, tiny_causal_lm)
    assert "reference_free" not in result["reference_summary"]
    assert "reference_free" not in result["documents"][0]["summary"]


def test_a_summarys_compression_is_shown_as_the_ratio_itself(tmp_path):
    """Broke: the reference-free figures were kept to four decimals too, so a summary of 101 words from a translation of
    858 (compression 8.49505) was stored as 8.495 and shown as 8.49. Now they are kept as the scores are: 8.50."""
    first = " ".join(["Alpha", *["beta"] * 99, "gamma."])                 # 101 words, the summary
    rest = [" ".join(["Delta", *["epsilon"] * 47, "zeta."])] * 15 + [" ".join(["Eta", *["theta"] * 20, "iota."])]
    assert sum(len(sentence.split()) for sentence in [first, *rest]) == 858
    result = files_run(tmp_path, "sys", "\n".join([first, *rest]) + "\n", "summarizer=lead", "summarizer.sentences=1",
                       "summary.metrics=[chrf]")
    free = result["documents"][0]["summary"]["reference_free"]
    assert free["compression_ratio"] == round(858 / 101, 10)
    table = run_summary_table(result)
    header = [cell.strip() for cell in table.splitlines()[0].split("  ") if cell.strip()]
    [row] = table_rows(table)   # the degraded cell, last, may hold a word: language ID of these made-up words varies
    assert row[header.index("compression")] == "8.50", (header, row)


def compared_degraded_cell(run_folder: Path) -> str:
    """The `degraded` cell of the one summary row of harness-compare's report on one run."""
    [compared] = markdown_summary_rows(comparison_markdown(compare_runs(load_runs([str(run_folder)]), n_resamples=50)))
    return compared[-1]


def test_a_summary_of_a_translation_cut_by_max_segments_is_shown_degraded(tmp_path):
    """Broke: with data.max_segments=2 the summary was made from the output of the first 2 of 6 source sentences and
    scored against the summary of the whole reference (ROUGE-1 61.1), with an empty `degraded` cell in the run's and the
    comparison's summary tables: only the translation table's note said the document was cut. Now both say `input
    cut`, and the run's summary table says what it means."""
    data = data_set(tmp_path / "data")
    table = write(tmp_path / "outputs.json", json.dumps(dict(zip(FRENCH, SYSTEM)), ensure_ascii=False))
    result = run(compose_config([f"data.root={data}", "model=identity", f"backend._target_={FIXED_TEXT}",
                                 f"model.path={table}", *QUIET, "summarizer=lead", "summary.metrics=[rouge1]",
                                 "data.max_segments=2"]), tmp_path / "sys")
    assert result["documents"][0]["summary"]["sentences"] == 2
    summaries = run_summary_table(result)
    [row] = table_rows(summaries)
    assert row[-1] == "input cut", row
    assert "input cut: the translation summarized is of the first source sentences alone" in summaries
    assert compared_degraded_cell(tmp_path / "sys") == "input cut"


def test_a_summary_of_the_reference_handed_in_as_the_output_is_shown_degraded(tmp_path):
    """Broke: the reference file handed in as the hypothesis is named under the run table (its scores of 100 measure
    no translation), but its summary, the reference summary itself, scored ROUGE-1 100.0 in the summary tables with an
    empty `degraded` cell. Now both summary tables say `input is the reference`, and the run's says what it means."""
    result = files_run(tmp_path, "sys", paragraphs(ENGLISH), "summarizer=lead", "summary.metrics=[rouge1]")
    assert result["documents"][0]["summary"]["vs_reference_summary"]["rouge1"] == 100.0
    summaries = run_summary_table(result)
    [row] = table_rows(summaries)
    assert row[-1] == "input is the reference", row
    assert "input is the reference: the translation summarized is its reference word for word" in summaries
    assert compared_degraded_cell(tmp_path / "sys") == "input is the reference"
