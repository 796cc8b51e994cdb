"""The metric interface (harness.score.metrics.base): hooks, one registry, directions, sources, and the toy metric of
tests/toy_metric.py through the real harness-run and harness-compare."""
import json
import re

import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from harness.score.metrics.base import SCORE_DIGITS
from harness.errors import UserError
from harness.score.metrics import REGISTRY, Metric, select_metrics
from harness.score.metrics.summary import SummaryMetrics
from harness.compare.compare import compare_runs, load_runs
from harness.compare.reports.tables import (comparison_csv, comparison_markdown, comparison_table, markdown_text,
                                           results_table)
from harness.compare.reports.page import write_comparison
from harness.compare.significance import compare_systems
from harness.results.results import read_result
from tests.compare_fixtures import REPO, drop_every, identity_run, reference_sentences, reference_run
from tests.conftest import SEEDS
from tests.test_compare import harness_cli
from tests.test_summary_metrics import METRIC_SCRIPT
from tests.toy_metric import SourceCopyRate

TOY = "tests.toy_metric.SourceCopyRate"
SACREBLEU = {"bleu": (BLEU(), BLEU(effective_order=True)), "chrf": (CHRF(), CHRF()),
             "chrf++": (CHRF(word_order=2), CHRF(word_order=2)), "ter": (TER(), TER())}
EDGE_CASES = [("", "an empty hypothesis"), ("(hi) there!", "(hi) there!"), ("a", "a"), ("-", "."),
              ("Wait... what?!", "wait, what?"), ("x" * 3, ""), ("", "")]


@pytest.mark.parametrize("name, higher_is_better", [
    ("bleu", True), ("chrf", True), ("chrf++", True), ("ter", False), ("rouge1", True), ("rouge2", True),
    ("rougeL", True), ("rougeLsum", True), ("embedding_cosine", True)])
def test_every_registered_metric_declares_its_direction_once(name, higher_is_better):
    assert set(REGISTRY) == {"bleu", "chrf", "chrf++", "ter", "rouge1", "rouge2", "rougeL", "rougeLsum",
                             "embedding_cosine", "comet", "cometkiwi", "xcomet"}   # COMET's: test_comet_extra.py
    metric = select_metrics([name])[0]
    assert (metric.name, metric.higher_is_better, metric.needs_source) == (name, higher_is_better, False)
    assert metric.signature


@pytest.mark.parametrize("name", list(SACREBLEU))
def test_scores_from_public_statistics_are_sacrebleus_exactly(name):
    corpus_metric, sentence_metric = SACREBLEU[name]
    references = reference_sentences()["002"]
    pairs = [(drop_every(r, 3), r) for r in references] + EDGE_CASES
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    metric = select_metrics([name])[0]
    sentences, corpus = metric.sentence_and_corpus_scores(hyps, refs)
    assert corpus.score == round(corpus_metric.corpus_score(hyps, [refs]).score, SCORE_DIGITS)
    assert metric.score_from_statistics(metric.segment_statistics(hyps, refs).sum(axis=0)) == \
        corpus_metric.corpus_score(hyps, [refs]).score
    assert sentences == [sentence_metric.sentence_score(h, [r]).score for h, r in pairs]
    result = corpus_metric.corpus_score(hyps, [refs])
    assert corpus.signature == f"{result.name}|{corpus_metric.get_signature()}"


@pytest.mark.parametrize("name", list(SACREBLEU))
def test_several_references_per_segment_are_read_as_sacrebleu_reads_them(name):
    """BLEU's closest length and clipped counts, chrF's best-F reference (ties included: EDGE_CASES repeat a
    reference), TER's fewest edits over the average length: sacrebleu's multi-reference scores and signature."""
    corpus_metric, sentence_metric = SACREBLEU[name]
    references = reference_sentences()["002"]
    first = references + [r for _, r in EDGE_CASES]
    second = [drop_every(r, 4) for r in references] + [r for _, r in EDGE_CASES]
    hyps = [drop_every(r, 3) for r in references] + [h for h, _ in EDGE_CASES]
    metric = select_metrics([name])[0]
    sentences, corpus = metric.sentence_and_corpus_scores(hyps, first, None, [second])
    expected = corpus_metric.corpus_score(hyps, [first, second])
    assert corpus.score == round(expected.score, SCORE_DIGITS)
    assert corpus.signature == f"{expected.name}|{corpus_metric.get_signature()}" and "nrefs:2|" in corpus.signature
    assert sentences == [sentence_metric.sentence_score(h, [a, b]).score for h, a, b in zip(hyps, first, second)]
    assert corpus.score != metric.corpus_score(hyps, first).score


def test_a_metric_that_reads_one_reference_scores_the_first_and_says_one():
    metric = MeanLength()
    score = metric.corpus_score(["a b", "a b c d"], ["x", "y"], None, [["x y z", "w"]])
    assert (score.score, score.signature) == (3.0, "words in the output")


class MeanLength(Metric):
    """A metric without statistics of its own: the defaults make it [score, 1] rows and a mean."""
    name, signature = "mean_length", "words in the output"

    def segment_scores(self, hypotheses, references, sources=None):
        return [float(len(h.split())) for h in hypotheses]


def test_a_metric_without_statistics_gets_the_mean_of_its_segment_scores_and_significance():
    metric = MeanLength()
    stats = metric.segment_statistics(["a b", "a b c d", ""], ["x", "y", "z"])
    assert stats.tolist() == [[2.0, 1.0], [4.0, 1.0], [0.0, 1.0]]
    assert metric.corpus_score(["a b", "a b c d"], ["x", "y"]).score == 3.0
    assert metric.sentence_and_corpus_scores(["a b"], ["x"])[0] == [2.0]
    short = metric.segment_statistics(["a"] * 20, ["x"] * 20)
    long = metric.segment_statistics(["a b c"] * 20, ["x"] * 20)
    base, other = compare_systems(metric, [short, long], n_resamples=100)
    assert (base.score, other.score) == (1.0, 3.0) and other.p_randomization < 0.05


def test_a_metric_that_needs_the_source_gets_it_and_refuses_to_run_without():
    metric = SourceCopyRate()
    assert metric.sentence_score("le chat dort", "the cat sleeps", "le chat dort") == 100.0
    assert metric.corpus_score(["le cat", "the dog"], ["", ""], ["le chat", "le chien"]).score == 25.0
    with pytest.raises(UserError, match="needs the source of every segment"):
        metric.corpus_score(["le cat"], ["the cat"])
    with pytest.raises(UserError, match="needs the source of every segment"):
        metric.sentence_and_corpus_scores(["le cat", "a"], ["the cat", "a"], ["le chat", None])
    with pytest.raises(UserError, match="summary metric 'tests.toy_metric.SourceCopyRate' needs the source"):
        SummaryMetrics(["rouge1", TOY])


def test_a_dotted_path_that_is_no_metric_is_a_user_error():
    with pytest.raises(UserError, match="metric 'tests.nowhere.Metric': cannot import it"):
        select_metrics(["tests.nowhere.Metric"])
    with pytest.raises(UserError, match="'tests.toy_metric.annotations' is not a subclass"):
        select_metrics(["tests.toy_metric.annotations"])


def test_no_private_sacrebleu_call_is_left_in_the_harness():
    sources = "\n".join(path.read_text() for path in (REPO / "harness").rglob("*.py"))
    assert not re.findall(r"\._(extract_corpus_statistics|aggregate_and_compute|compute_score_from_stats|"
                          r"compute_f_score|compute_segment_statistics)\(", sources)


def test_the_toy_metric_and_an_evaluate_metric_work_through_harness_run_and_harness_compare(tmp_path):
    """tests/toy_metric.py is the only file the toy metric needs: a sweep of the real harness-run (child
    process) scores it at every level with the sources, and harness-compare tests it for significance, as it
    does an evaluate: metric among the aligned corpus metrics."""
    script = tmp_path / "word_overlap" / "word_overlap.py"
    script.parent.mkdir()
    script.write_text(METRIC_SCRIPT, encoding="utf-8")
    overlap = f"evaluate:{script}@overlap"
    reference_run(tmp_path / "unused")   # its hypotheses folder: the cleaned reference, as a files run
    done = harness_cli("run_main", "-m", "model=identity,files", f"model.path={tmp_path / 'unused_hypotheses'}",
                       f"data.root={SEEDS}", f"metrics=[bleu,{TOY}]", f"alignment.segment_metrics=[chrf,{TOY}]",
                       f"alignment.corpus_metrics=[chrf,{TOY},'{overlap}']", "allow_metric_code=true",
                       f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "sweep" / "0_identity" / "result.json").read_text())
    document = result["documents"][0]
    assert document["metrics"][TOY]["score"] == 100.0 and document["metrics"][TOY]["higher_is_better"] is False
    assert document["aligned"][TOY]["score"] == 100.0
    assert all(segment["scores"][TOY] == 100.0 for segment in document["segments"] if segment["hyp"].split())
    done = harness_cli("compare_main", str(tmp_path / "sweep"), "--resamples", "200", "--out",
                       str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "report" / "comparison.json").read_text())
    rows = [row for row in comparison["rows"] if row["metric"] == TOY and row["system"] == "files"]
    assert rows and all(row["p_bootstrap"] is not None and row["p_randomization"] is not None for row in rows)
    assert all(row["score"] < 100.0 for row in rows)   # the reference copies less of the source than identity
    assert SourceCopyRate.name in done.stdout and TOY not in done.stdout   # tables show the declared name
    tested = [row for row in comparison["rows"] if row["metric"] == overlap and row["system"] == "files"]
    assert tested and all(row["p_randomization"] is not None for row in tested)


def test_a_metric_named_only_in_metrics_is_scored_on_the_aligned_segments_and_compared(tmp_path):
    """An extension is one file: named in metrics=[...] alone (no alignment.* list), it gets a corpus score over
    the aligned segments, and harness-compare ranks and tests it there."""
    reference_run(tmp_path / "unused")
    done = harness_cli("run_main", "-m", "model=identity,files", f"model.path={tmp_path / 'unused_hypotheses'}",
                       f"data.root={SEEDS}", f"metrics=[bleu,{TOY}]", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{SourceCopyRate.name}, TER lower is better" in done.stdout   # the direction and name it declares
    document = json.loads((tmp_path / "sweep" / "0_identity" / "result.json").read_text())["documents"][0]
    assert document["aligned"][TOY]["score"] == 100.0
    done = harness_cli("compare_main", str(tmp_path / "sweep"), "--resamples", "200", "--out",
                       str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "report" / "comparison.json").read_text())
    assert [row for row in comparison["rows"] if row["metric"] == TOY and row["system"] == "files"]


def test_tables_call_a_dotted_path_metric_by_the_name_it_declares(tmp_path):
    """A metric selected by its dotted path is stored under that path (the key that finds its code again), but
    every table, chart and report calls it by its declared `name`, as the harness's own are called by theirs."""
    declared = SourceCopyRate.name
    runs = [identity_run(tmp_path / "identity", f"metrics=[bleu,{TOY}]"),
            reference_run(tmp_path / "reference", "reference", f"metrics=[bleu,{TOY}]")]
    run_table = results_table(read_result(runs[0]))
    assert TOY not in run_table
    assert f" {declared} " in run_table.splitlines()[0] and f"{declared}, TER lower is better" in run_table
    comparison = compare_runs(load_runs([str(path) for path in runs]), n_resamples=50)
    assert TOY in {m.name for m in comparison.metrics}   # what --metrics names, and what finds its code
    # Markdown escapes a name's markup characters (source\\_copy\\_rate reads source_copy_rate once rendered)
    for text, shown in ((comparison_table(comparison), str), (comparison_markdown(comparison), markdown_text)):
        assert TOY not in text and shown(TOY) not in text and shown(f"{declared} ↓") in text
    page = write_comparison(comparison, tmp_path / "report").read_text(encoding="utf-8")
    assert f"<h3><bdi>{declared} ↓</bdi>" in page and f"<bdi>{TOY}" not in page   # the title goes on with its Holm family
    assert f"{TOY}," in comparison_csv(comparison)   # the csv keeps the key, as comparison.json does
