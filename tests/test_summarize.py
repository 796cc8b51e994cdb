"""Summarizers on small texts, the abstractive path on the tiny Marian model, and the summary stage of a run."""
import json

import numpy as np
import pytest

from harness import run
from harness.config import compose_config
from harness.errors import UserError
from harness.compare.reports.tables import run_summary_table
from harness.summarize.summarize import CentralitySummarizer, LeadSummarizer, centrality, chunk_text
from tests.conftest import SEEDS

REFERENCE = "001_8dfe5badceb79477.txt"   # the seeds' reference file: its summary is summaries/references/<it>
MARKETS = ("Stock markets fell sharply on Monday. The weather in Paris was sunny and warm.\n"
           "Shares dropped on stock exchanges around the world. Investors sold stocks as markets tumbled.")


def seeds_config(*overrides):
    return compose_config([f"data.root={SEEDS}", "model=identity", *overrides])


def test_lead_takes_the_first_sentences_across_paragraphs():
    assert LeadSummarizer(sentences=3).summarize(MARKETS, "en").sentences == [
        "Stock markets fell sharply on Monday.", "The weather in Paris was sunny and warm.",
        "Shares dropped on stock exchanges around the world."]


def test_centrality_of_a_star_graph_matches_pagerank_by_hand():
    # leaves link only to the centre, the centre to each leaf with 1/3: c = 0.15/4 + 0.85 * 3l,
    # l = 0.15/4 + 0.85 * c/3, c + 3l = 1  ->  c = 0.8875/1.85, l = (1 - c)/3
    star = np.zeros((4, 4))
    star[0, 1:] = star[1:, 0] = 1.0
    centre = 0.8875 / 1.85
    assert centrality(star) == pytest.approx([centre, *[(1 - centre) / 3] * 3], abs=1e-6)


def test_centrality_drops_the_off_topic_sentence_and_keeps_document_order():
    summary = CentralitySummarizer(sentences=3).summarize(MARKETS, "en").sentences
    assert "The weather in Paris was sunny and warm." not in summary
    assert summary == [s for s in ["Stock markets fell sharply on Monday.",
                                   "Shares dropped on stock exchanges around the world.",
                                   "Investors sold stocks as markets tumbled."] if s in summary]


def test_chunks_cut_at_sentences_and_split_an_overlong_sentence_between_words():
    words = lambda text: len(text.split())  # noqa: E731
    text = "One two three. Four five.\nSix seven eight nine ten eleven twelve."
    assert chunk_text(text, "en", lambda piece: words(piece) <= 5) == [
        "One two three. Four five.", "Six seven eight nine ten", "eleven twelve."]


def test_lead_run_writes_summaries_and_scores_and_the_second_run_is_cached(tmp_path):
    first = run(seeds_config("summarizer=lead", "summarizer.sentences=2", "summary.metrics=[rouge1,chrf]"),
                tmp_path / "a")
    reference = first["reference_summary"]
    assert reference["text_file"] == f"summaries/references/{REFERENCE}" and reference["sentences"] == 2
    reference_lines = (tmp_path / "a" / reference["text_file"]).read_text(encoding="utf-8").splitlines()
    assert reference_lines[0].startswith("(Ottawa) Canada and Japan have launched talks")
    for document in first["documents"]:
        summary = document["summary"]
        assert summary["summarizer"] == "lead" and summary["input"] == "translation"
        assert set(summary["vs_reference_summary"]) == set(summary["vs_reference"]) == {"rouge1", "chrf"}
        assert summary["reference_free"]["coverage"] == 1.0        # lead copies its input
        assert summary["empty"] is False
        text = (tmp_path / "a" / summary["text_file"]).read_text(encoding="utf-8")
        assert len(text.splitlines()) == summary["sentences"] == 2
    assert set(first["summary_metrics"]) == {"rouge1", "chrf"}
    second = run(seeds_config("summarizer=lead", "summarizer.sentences=2", "summary.metrics=[rouge1,chrf]"),
                 tmp_path / "b")
    assert second["reference_summary"]["cache_hit"] and all(d["summary"]["cache_hit"] for d in second["documents"])
    assert "R-1" in run_summary_table(second) and f"summaries/references/{REFERENCE}" in run_summary_table(second)
    # own (2026-12-04): the identity run's outputs are the sources, not English; its summary rows said nothing
    rows = run_summary_table(second).splitlines()[2:2 + len(second["documents"])]
    assert len(rows) == 4 and all(row.rstrip().endswith("input off-target") for row in rows)


def test_no_summarizer_by_default_leaves_the_result_unchanged(tmp_path):
    result = run(seeds_config("data.max_segments=1"), tmp_path / "run")
    assert "reference_summary" not in result and all("summary" not in d for d in result["documents"])
    assert not (tmp_path / "run" / "summaries").exists() and run_summary_table(result) == ""


def test_cross_lingual_needs_a_multilingual_summarizer(tmp_path):
    with pytest.raises(UserError, match="cross_lingual=true needs a multilingual summarizer; 'lead'"):
        run(seeds_config("summarizer=lead", "summary.cross_lingual=true"), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_abstractive_seq2seq_path_chunks_long_inputs_without_truncating(tiny_marian, tmp_path):
    overrides = ["summarizer=hf_seq2seq", f"summarizer.model.model_id={tiny_marian}", "summarizer.max_new_tokens=8",
                 "summarizer.num_beams=1", "generation.device=cpu", "data.documents=[002]",
                 "summary.metrics=[rouge1]"]
    result = run(seeds_config(*overrides), tmp_path / "run")
    chunking = result["documents"][0]["summary"]["chunking"]
    assert chunking["input_limit"] == 128                      # the tiny model's model_max_length
    assert len(chunking["chunk_tokens"]) > 1 and max(chunking["chunk_tokens"]) < 128
    assert chunking["combined"] == "concatenated" and chunking["truncated_chunks"] == 0
    # random weights never end a summary within 8 tokens: every chunk's summary is cut, and the table says so
    assert chunking["cut_chunks"] == len(chunking["chunk_tokens"])
    assert f"{chunking['cut_chunks']} cut at max_new_tokens" in run_summary_table(result)
    assert result["reference_summary"]["details"]["model"]["loaded"] == [str(tiny_marian)]
    summary_file = tmp_path / "run" / result["documents"][0]["summary"]["text_file"]
    assert summary_file.read_text(encoding="utf-8").strip()   # nonsense from random weights, but real output
    assert json.loads((tmp_path / "run" / "result.json").read_text())["summary_metrics"]["rouge1"].startswith("rouge")
