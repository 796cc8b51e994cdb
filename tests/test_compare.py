"""harness-compare end to end on runs written by the real pipeline (identity and files backends)."""
import csv
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict

import pytest

from harness.compare.compare import MIN_BUCKET_SEGMENTS, comparable_groups, compare_runs, length_bucket, load_runs
from harness.errors import UserError
from harness.compare.reports.tables import comparison_csv, comparison_markdown, comparison_table, p_text
from harness.compare.rows import Verdict
from harness.compare.significance import holm
from harness.compare.reports.page import marked_words, write_comparison
from harness.results.results import read_result, write_json_atomically
from tests.compare_fixtures import REPO, add_segments, identity_run, reference_run, without_segments
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def plain_runs(tmp_path_factory):
    """identity and the cleaned reference itself, document-level scores only (no aligned segments)."""
    base = tmp_path_factory.mktemp("plain")
    return [without_segments(identity_run(base / "identity")), without_segments(reference_run(base / "reference"))]


@pytest.fixture(scope="module")
def aligned_runs(tmp_path_factory):
    """Three systems with aligned segments: weak, the reference itself, and weak's twin except on 002."""
    base = tmp_path_factory.mktemp("aligned")
    runs = [identity_run(base / "weak", "model.name=weak"), reference_run(base / "reference"),
            identity_run(base / "twin", "model.name=twin")]
    add_segments(runs[0], 2)
    add_segments(runs[1], None)
    add_segments(runs[2], 2, {"002": 3})
    return runs


def row(comparison, document, system, metric):
    """A score row, tested (a parallel document) or not (a document whose reference does not translate it)."""
    return next(r for r in comparison.rows + comparison.not_parallel_rows
                if (r.document, r.system, r.metric) == (document, system, metric))


def test_document_level_runs_compare_without_fake_intervals(plain_runs):
    comparison = compare_runs(load_runs([str(p) for p in plain_runs]))
    reference = row(comparison, "002", "reference", "bleu")
    assert comparison.level == "document" and comparison.baseline == "identity"
    assert reference.score == 100.0 and reference.ci is None and reference.p_bootstrap is None
    assert reference.delta == pytest.approx(100.0 - row(comparison, "002", "identity", "bleu").score)
    table = comparison_table(comparison)
    assert "n/a" in table and "*" not in table.split("scores:")[0]
    assert table.count("BLEU|nrefs:1") == 1   # each signature once, under the table


def test_aligned_runs_get_intervals_and_significance_markers(aligned_runs):
    comparison = compare_runs(load_runs([str(p) for p in aligned_runs]), n_resamples=300)
    perfect, twin_same, twin_other = (row(comparison, "002", "reference", "bleu"), row(comparison, "004", "twin", "bleu"),
                                      row(comparison, "002", "twin", "chrf"))
    assert perfect.score == 100.0 and perfect.ci == [100.0, 100.0] and perfect.significant
    assert twin_same.delta == 0 and twin_same.p_bootstrap == 1.0 and not twin_same.significant
    assert twin_other.delta > 0 and twin_other.significant
    ter = row(comparison, "000", "reference", "ter")
    assert ter.score == 0.0 and ter.delta < 0           # TER: lower is better, compared at segment level
    weak = row(comparison, "000", "weak", "chrf")
    assert weak.ci[0] < weak.score < weak.ci[1]
    assert weak.score == pytest.approx(read_result(aligned_runs[0])["documents"][0]["aligned"]["chrf"]["score"])


def test_holm_family_is_one_systems_comparison_with_the_baseline_whatever_other_runs_are_in_the_call(aligned_runs):
    """Failed before: Holm ran over the systems of one document and metric, so the reference's corrected p-values
    (and so its verdict) changed when 'twin' joined the call."""
    three = compare_runs(load_runs([str(p) for p in aligned_runs]), n_resamples=300)
    two = compare_runs(load_runs([str(p) for p in aligned_runs[:2]]), n_resamples=300)
    tested = lambda comparison: [(r.document, r.metric, r.p_bootstrap_holm, r.p_randomization_holm,  # noqa: E731
                                  r.significant) for r in comparison.rows if r.system == "reference"]
    assert tested(three) == tested(two) and len(tested(two)) == 8   # 2 parallel documents x 4 metrics
    assert {v.system: v for v in three.verdicts}["reference"] == two.verdicts[0]
    family = [r for r in three.rows if r.system == "reference"]
    assert [r.p_bootstrap_holm for r in family] == pytest.approx(holm([r.p_bootstrap for r in family]))
    assert "whichever other runs are in the call" in three.significance.correction
    assert "(8 per test)" in three.significance.correction and "(8 per test)" in comparison_table(three)


def test_documents_that_are_not_translations_have_their_own_section_without_tests_in_every_format(aligned_runs,
                                                                                                  tmp_path):
    """Failed before: documents 000 and 003 (their reference does not translate the source) had p-values in the
    rows and leaderboard.md/.csv and the terminal put them among the tested documents."""
    comparison = compare_runs(load_runs([str(p) for p in aligned_runs]), n_resamples=100)
    assert {r.document for r in comparison.not_parallel_rows} == {"000", "003"}
    assert not {"000", "003"} & {r.document for r in comparison.rows}
    assert not any(key.startswith("p_") or key == "significant"
                   for r in comparison.not_parallel_rows for key in asdict(r))
    untested_line = re.compile(r"^\|? ?00[03] ", re.MULTILINE)
    terminal = comparison_table(comparison)
    tested, untested = terminal.split("Not translations", 1)
    assert not untested_line.search(tested) and untested_line.search(untested)
    assert "p (" not in untested.split("\n\n")[0]
    markdown = comparison_markdown(comparison)
    section = markdown.split("## Not translations", 1)[1].split("\n\n", 2)[1]
    assert untested_line.search(section) and "p (" not in section
    assert not untested_line.search(markdown.split("## Not translations")[0])
    lines = list(csv.DictReader(io.StringIO(comparison_csv(comparison))))
    untested_lines = [line for line in lines if line["document"] in ("000", "003")]
    assert untested_lines and all(line["section"].startswith("not a translation") and line["p_bootstrap"] == ""
                                  and line["significant"] == "" for line in untested_lines)
    assert lines.index(untested_lines[0]) > max(i for i, line in enumerate(lines)
                                                if line["document"] not in ("000", "003"))
    page = write_comparison(comparison, tmp_path / "report").read_text(encoding="utf-8")
    not_parallel = page.split("id=\"not-parallel\"", 1)[1].split("</section>", 1)[0]
    assert "000" in not_parallel and "p (bootstrap)" not in not_parallel
    written = json.loads((tmp_path / "report" / "comparison.json").read_text(encoding="utf-8"))
    assert written["not_parallel_rows"] and not any("p_bootstrap" in r for r in written["not_parallel_rows"])


def test_baseline_by_name_and_unknown_baseline(aligned_runs):
    runs = load_runs([str(p) for p in aligned_runs])
    comparison = compare_runs(runs, baseline="reference", metrics=["bleu"], n_resamples=100)
    assert comparison.system_names == ["reference", "weak", "twin"]
    assert row(comparison, "000", "weak", "bleu").delta < 0
    with pytest.raises(UserError, match="unknown baseline system 'referenc'. Did you mean 'reference'"):
        compare_runs(runs, baseline="referenc")


def test_buckets_and_examples_come_from_parallel_documents_only(aligned_runs):
    comparison = compare_runs(load_runs([str(p) for p in aligned_runs]), metrics=["chrf"], n_resamples=100)
    parallel = {d.id for d in comparison.data.documents if d.parallel}
    assert parallel == {"002", "004"}
    buckets = [b for b in comparison.buckets if b.system == "reference"]
    assert {b.document for b in buckets} == parallel and all(b.score == 100.0 for b in buckets)
    assert all(b.small == (b.segments < MIN_BUCKET_SEGMENTS) for b in buckets)
    assert all((b.ci is None) == b.small for b in buckets) and any(b.ci == [100.0, 100.0] for b in buckets)
    reference, twin = comparison.examples
    assert (reference.system, reference.baseline) == ("reference", "weak")
    better = reference.better
    assert better and [e.difference for e in better] == sorted((e.difference for e in better), reverse=True)
    assert reference.worse == []   # the reference itself never scores below a copy with words dropped
    assert all(e.document in parallel for e in better + twin.better + twin.worse)
    assert [o.system for o in better[0].outputs] == ["weak", "reference"]
    assert better[0].outputs[1].hyp == better[0].ref and better[0].src
    assert {e.document for e in twin.better} == {"002"} and twin.worse == []   # twin differs on 002 only


def test_delta_has_a_paired_interval_and_each_system_a_verdict(aligned_runs):
    comparison = compare_runs(load_runs([str(p) for p in aligned_runs]), n_resamples=300)
    same, other = row(comparison, "004", "twin", "chrf"), row(comparison, "002", "twin", "chrf")
    assert same.delta_ci == [0.0, 0.0] and row(comparison, "004", "weak", "chrf").delta_ci is None
    assert 0 < other.delta_ci[0] <= other.delta <= other.delta_ci[1]
    verdicts = {v.system: v for v in comparison.verdicts}
    assert verdicts["twin"] == Verdict("twin", better=4, worse=0, unclear=4)   # 002 x 4 metrics better
    assert verdicts["reference"].better + verdicts["reference"].unclear == 8
    assert comparison.significance.p_floor == pytest.approx(1 / 301)


@pytest.mark.parametrize("p, raw, text", [(None, None, "n/a"), (0.5, 0.5, "0.500"), (1 / 1001, 1 / 1001, "≤ 0.001"),
                                          (2 / 1001, 1 / 1001, "≤ 0.002"), (2 / 1001, 2 / 1001, "0.002"),
                                          (1 / 301, 1 / 301, "≤ 0.004")])
def test_p_at_its_floor_reads_as_a_bound(p, raw, text):
    floor = 1 / 301 if raw == 1 / 301 else 1 / 1001
    assert p_text(p, raw, floor) == text


@pytest.mark.parametrize("words, bucket", [(1, "1-9"), (9, "1-9"), (10, "10-19"), (39, "30-39"), (40, "40+"),
                                           (400, "40+")])
def test_length_bucket(words, bucket):
    assert length_bucket(words) == bucket


def test_runs_without_segments_are_never_mixed_with_aligned_ones(plain_runs, aligned_runs):
    comparison = compare_runs(load_runs([str(plain_runs[0]), str(aligned_runs[1])]))
    assert comparison.level == "document" and all(r.ci is None for r in comparison.rows)


def test_different_documents_are_refused_and_grouped_apart(tmp_path, plain_runs):
    partial = identity_run(tmp_path / "partial", "model.name=partial", "data.documents=[002]")
    runs = load_runs([str(plain_runs[0]), str(partial)])
    with pytest.raises(UserError, match="not comparable: different documents, references"):
        compare_runs(runs)
    groups, skipped = comparable_groups(runs)
    assert [[r.name for r in g] for g in groups] == [["identity"], ["partial"]] and skipped == []


def test_a_different_metric_signature_is_refused(tmp_path, plain_runs):
    altered = identity_run(tmp_path / "altered", "model.name=altered")
    result = read_result(altered)
    for document in result["documents"]:
        document["metrics"]["bleu"]["signature"] = document["metrics"]["bleu"]["signature"].replace("2.6", "1.4")
    write_json_atomically(altered / "result.json", result)
    with pytest.raises(UserError, match="different bleu signature"):
        compare_runs(load_runs([str(plain_runs[0]), str(altered)]), metrics=["bleu"])


def test_metrics_missing_from_a_run(tmp_path, plain_runs):
    only_bleu = identity_run(tmp_path / "only_bleu", "model.name=only_bleu", "metrics=[bleu]")
    runs = load_runs([str(plain_runs[0]), str(only_bleu)])
    assert [m.name for m in compare_runs(runs).metrics] == ["bleu"]
    with pytest.raises(UserError, match="metric 'chrf' is not in run 'only_bleu'"):
        compare_runs(runs, metrics=["chrf"])


def test_load_runs_from_sweep_folders_and_globs(tmp_path):
    for number, name in enumerate(["a", "b"] * 5):
        identity_run(tmp_path / "sweep" / f"{number}_{name}", f"model.name={name}{number}", "metrics=[bleu]")
    (tmp_path / "sweep" / "unfinished").mkdir()
    assert [r.name for r in load_runs([str(tmp_path / "sweep")])][:3] == ["a0", "b1", "a2"]
    assert [r.name for r in load_runs([str(tmp_path / "sweep" / "1*")])] == ["b1"]
    with pytest.raises(UserError, match="no result.json found"):
        load_runs([str(tmp_path / "sweep" / "unfinished")])


def test_summary_table_only_when_runs_have_summaries(aligned_runs, tmp_path):
    runs = load_runs([str(p) for p in aligned_runs[:2]])
    assert compare_runs(runs, metrics=["bleu"], n_resamples=50).summaries == []
    result = read_result(aligned_runs[0])
    for document in result["documents"]:
        document["summary"] = {"vs_reference_summary": {"rougeL": {"score": 31.5}, "chrf": 40.0}, "text": "..."}
    runs[0] = runs[0].__class__(runs[0].name, runs[0].path, result)
    comparison = compare_runs(runs, metrics=["bleu"], n_resamples=50)
    assert comparison.summaries[0].scores == {"vs_reference_summary rougeL": 31.5, "vs_reference_summary chrf": 40.0}
    assert "## Summaries" in comparison_markdown(comparison)


def test_markdown_and_csv_hold_every_row(aligned_runs):
    comparison = compare_runs(load_runs([str(p) for p in aligned_runs]), n_resamples=100)
    lines = list(csv.DictReader(io.StringIO(comparison_csv(comparison))))
    assert len(lines) == len(comparison.rows) + len(comparison.not_parallel_rows) == 4 * 3 * 4
    assert lines[1]["system"] == "reference" and float(lines[1]["ci_low"]) == 100.0 and lines[0]["delta"] == ""
    markdown = comparison_markdown(comparison)
    assert "## Ranking by TER ↓" in markdown and "## TER ↓ vs the baseline" in markdown
    assert "## Where reference beats weak most" in markdown


def test_html_report_is_self_contained_with_every_chart(aligned_runs, tmp_path):
    comparison = compare_runs(load_runs([str(p) for p in aligned_runs]), metrics=["bleu", "chrf"], n_resamples=100)
    page = write_comparison(comparison, tmp_path / "report").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    pngs = sorted(p.name for p in (tmp_path / "report" / "charts").glob("*.png"))
    assert pngs == ["bleu.png", "chrf.png", "delta.png"]
    assert sorted(re.findall(r'data-chart="([^"]+)" src="data:image/png;base64,', page)) == pngs
    for name in ("comparison.json", "leaderboard.md", "leaderboard.csv"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    assert json.loads((tmp_path / "report" / "comparison.json").read_text())["baseline"] == "weak"


def harness_cli(entry, *args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", f"from harness.cli import {entry}; {entry}()", *args],
                          capture_output=True, text=True, cwd=cwd, env=env)


def test_cli_prints_the_leaderboard_and_writes_the_report(plain_runs, tmp_path):
    done = harness_cli("compare_main", *map(str, plain_runs), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "reference" in done.stdout and "n/a" in done.stdout and (tmp_path / "out" / "report.html").is_file()


@pytest.mark.parametrize("args, message", [
    (["{tmp}/nothing"], "does not exist"),
    (["{identity}", "--baseline", "gemma"], "unknown baseline system 'gemma'"),
    (["{identity}", "--metrics", "ter"], "metric 'ter' is not in run 'identity'"),
    (["{identity}", "--resamples", "0"], "--resamples 0: needs at least 1"),
])
def test_cli_user_errors_exit_2_with_one_line(plain_runs, tmp_path, args, message):
    args = [a.format(tmp=tmp_path, identity=plain_runs[0]) for a in args]
    done = harness_cli("compare_main", *args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_sweep_writes_its_comparison_on_its_own(tmp_path):
    reference_run(tmp_path / "unused")   # leaves its hypotheses folder next to it: the cleaned reference
    hypotheses = tmp_path / "unused_hypotheses"
    done = harness_cli("run_main", "-m", "model=identity,files", f"model.path={hypotheses}", f"data.root={SEEDS}",
                       "metrics=[bleu]", f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "sweep" / "comparison" / "comparison.json").read_text())
    assert [s["name"] for s in comparison["systems"]] == ["identity", "files"]
    assert (tmp_path / "sweep" / "comparison" / "report.html").is_file() and "report:" in done.stdout


@pytest.mark.parametrize("hypothesis, reference, shown", [
    ("the cat sat", "The dog sat", "<mark>the</mark> cat <mark>sat</mark>"),
    ("the the the", "the end", "<mark>the</mark> the the"),                       # each reference word once
    ("<b>x</b> & y", "b y", "&lt;<mark>b</mark>&gt;x&lt;/b&gt; &amp; <mark>y</mark>"),   # markup escaped, never kept
    ("مرحبا بالعالم", "بالعالم", "مرحبا <mark>بالعالم</mark>"),
    ("", "anything", ""),
])
def test_example_outputs_mark_the_words_found_in_the_reference(hypothesis, reference, shown):
    assert marked_words(hypothesis, reference) == shown
