"""harness-compare as a ranking (issue 22): per metric one corpus score per system over the parallel documents with
rank clusters, --all-pairs, duplicate outputs, and stored statistics read without the metric's code.

The runs are made by harness-score's own code (the real pipeline, model=files) on a small line-aligned test set,
with systems whose differences are known by construction: `best` is the reference itself, `close` drops one word
of one line (not told apart from `best`), `weak` drops every second word of every line (far behind), and `twin`
is `weak`'s file under another name (a duplicate)."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest

from benchmarks.line_scoring import parallel_lines, write_lines
from harness.compare.comparability import output_fingerprint
from harness.compare.compare import Ranking, collect_runs, compare_collection
from harness.compare.reports.tables import comparison_csv, comparison_markdown, comparison_table, ranking_csv
from harness.compare.reports.page import write_comparison
from harness.results.results import read_record
from harness.score_files import ScoreRequest, score_systems
from tests.adversarial import REPO, assert_one_line_error, run_cli, tree_checksum

LINES = 40


def drop_one_word(lines: list[str]) -> list[str]:
    return [" ".join(line.split(" ")[1:]) if n == 0 else line for n, line in enumerate(lines)]


def drop_every_second_word(lines: list[str]) -> list[str]:
    return [" ".join(w for k, w in enumerate(line.split(" ")) if k % 2 == 0) for line in lines]


def user_files(folder, systems: dict[str, list[str]]) -> tuple[list, dict]:
    source, reference = parallel_lines(LINES)
    write_lines(folder / "src.txt", source)
    write_lines(folder / "ref.txt", reference)
    paths = {name: write_lines(folder / f"{name}.txt", make(reference)) for name, make in systems.items()}
    return [folder / "src.txt", folder / "ref.txt"], paths


SYSTEMS = {"best": lambda ref: ref, "close": drop_one_word, "weak": drop_every_second_word,
           "twin": drop_every_second_word}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """The four systems' run folders, made as harness-score makes them."""
    folder = tmp_path_factory.mktemp("ranking")
    (source, reference), paths = user_files(folder / "user", SYSTEMS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_CACHE_DIR", str(folder / "cache"))
        runs = score_systems(ScoreRequest(source, [reference], list(paths.values()), "fr"), folder / "out")
    return {path.name: path for path in runs}


def compared(scored, names, **options):
    collection = collect_runs([str(scored[name]) for name in names])
    return compare_collection(collection, n_resamples=200, **options).comparisons[0]


def test_one_ranked_table_per_metric_with_clusters_of_significance_on_the_first_lines(scored):
    """Failed before: no ranking at all (the comparison had no 'ranking', the terminal began with the baseline
    table of the first metric)."""
    comparison = compared(scored, ["weak", "close", "best"])
    ranking = comparison.ranking
    for metric in ("bleu", "chrf", "chrf++", "ter"):
        rows = ranking.metric_rows(metric)
        assert [r.system for r in rows] == ["best", "close", "weak"]
        assert [(r.cluster, r.rank) for r in rows] == [(1, "1-2"), (1, "1-2"), (2, "3")]
        assert rows[1].significant_above is False and rows[2].significant_above is True
        assert rows[0].ci[0] <= rows[0].score <= rows[0].ci[1]
    for metric in ("bleu", "chrf"):
        stored = {name: read_record(scored[name]).documents[0].aligned[metric].score for name in ("best", "weak")}
        assert {r.system: r.score for r in ranking.metric_rows(metric) if r.system in stored} == stored
    table = comparison_table(comparison).splitlines()
    assert table[0].startswith("Ranking by BLEU ↑") and table[1].split()[:2] == ["rank", "system"]
    assert table[3].split()[:2] == ["1-2", "best"] and table[5].split()[:2] == ["3", "weak"]
    assert comparison_markdown(comparison).splitlines()[2].startswith("## Ranking by BLEU ↑")
    assert "rank cluster only where it is significantly different from the one above" in "\n".join(table)


def test_all_pairs_tests_every_pair_of_three_systems(scored, tmp_path):
    """Failed before: harness-compare had no --all-pairs (a usage error, exit 2)."""
    outcome = run_cli("compare", [str(scored[name]) for name in ("weak", "close", "best")] +
                      ["--all-pairs", "--resamples", "200", "--metrics", "bleu", "ter", "--out", str(tmp_path / "r")],
                      tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    comparison = json.loads((tmp_path / "r" / "comparison.json").read_text(encoding="utf-8"))
    pairs = Ranking.from_record(comparison).metric_pairs("bleu")
    assert {(p.system, p.other) for p in pairs} == {("weak", "close"), ("weak", "best"), ("close", "best")}
    significant = {frozenset((p.system, p.other)): p.significant for p in pairs}
    assert significant == {frozenset(("weak", "close")): True, frozenset(("weak", "best")): True,
                           frozenset(("close", "best")): False}
    assert all(p.p_bootstrap_holm >= p.p_bootstrap for p in pairs)
    matrix = outcome.stdout.split("All pairs, BLEU ↑", 1)[1].split("\n\n", 1)[0].splitlines()
    assert matrix[1].split() == ["row", "−", "column", "best", "close", "weak"]
    assert matrix[3].split()[:3] == ["best", "·", "+0.0"] or matrix[3].split()[1] == "·"
    assert matrix[5].split()[0] == "weak" and all(cell.endswith("*") for cell in matrix[5].split()[1:3])
    assert "Holm over the 3 pair(s)" in outcome.stdout


def test_identical_outputs_under_two_names_are_flagged_in_every_format(scored, tmp_path):
    """Failed before: 'weak' and 'twin' (the same file) were two systems, nothing said they are one output."""
    comparison = compared(scored, ["best", "weak", "twin"])
    assert comparison.ranking.duplicates == [["weak", "twin"]]
    assert {r.system: r.duplicate_of for r in comparison.ranking.metric_rows("bleu")} == {
        "best": None, "weak": None, "twin": "weak"}
    flag = "duplicate outputs: weak = twin"
    assert flag in comparison_table(comparison) and "(= weak: identical output)" in comparison_table(comparison)
    assert flag in comparison_markdown(comparison)
    assert {line["duplicate_of"] for line in csv.DictReader(io.StringIO(comparison_csv(comparison)))
            if line["system"] == "twin"} == {"weak"}
    assert {line["duplicate_of"] for line in csv.DictReader(io.StringIO(ranking_csv(comparison)))
            if line["system"] == "twin"} == {"weak"}
    page = re.sub(r"</?bdi>", "", write_comparison(comparison, tmp_path / "report").read_text(encoding="utf-8"))
    assert "twin (= weak: identical output)" in page and flag in page
    written = json.loads((tmp_path / "report" / "comparison.json").read_text(encoding="utf-8"))
    assert written["duplicates"] == [["weak", "twin"]]
    assert Ranking.from_record(written) == comparison.ranking   # comparison.json holds the typed ranking whole


def test_comparison_json_keeps_its_keys_and_their_order(scored, tmp_path):
    """comparison.json is Comparison.as_record(): one key per field, in the order it has always had (the ranking's
    duplicate groups beside it), the typed descriptions as plain dicts."""
    comparison = compared(scored, ["best", "weak"])
    written = json.loads(json.dumps(comparison.as_record()))
    assert list(written) == ["created", "harness_version", "baseline", "systems", "data", "skipped_documents", "level",
                             "metrics", "metrics_left_out", "significance", "ranking", "duplicates", "rows",
                             "not_parallel_rows", "verdicts", "buckets", "min_bucket_segments", "examples",
                             "error_spans", "summaries", "skipped"]
    assert list(written["ranking"]) == ["rows", "pairs", "documents", "notes"]
    weak = comparison.systems[1]
    assert written["systems"][1] == {"name": "weak", "run_dir": str(scored["weak"]), "model": weak.model,
                                     "started": weak.started, "versions": weak.versions, "degraded": []}
    assert all(sorted(m) == ["higher_is_better", "name", "signature"] for m in written["metrics"])
    assert written["significance"]["resamples"] == 200 and written["data"]["documents"][0]["parallel"] is True


def test_segment_statistics_are_stored_and_give_the_runs_scores(scored):
    record = read_record(scored["weak"])
    document = record.documents[0]
    assert document.statistics_kinds == {"bleu": "own", "chrf": "own", "chrf++": "own", "ter": "own"}
    assert all(set(s.statistics) == {"bleu", "chrf", "chrf++", "ter"} for s in document.segments)
    assert len(document.segments[0].statistics["bleu"]) == 10 and len(document.segments[0].statistics["ter"]) == 2


METRIC_MODULE = '''
from harness.score.metrics.base import Metric


class OutputWords(Metric):
    """Words per output line: no statistics of its own, so its score is the mean of its segment scores."""
    signature = "output-words|v1"

    def segment_scores(self, hypotheses, references, sources=None):
        return [float(len(h.split())) for h in hypotheses]


class LengthRatio(Metric):
    """Output words per 100 reference words over the corpus: statistics of its own."""
    signature = "length-ratio|v1"

    def segment_statistics(self, hypotheses, references, sources=None):
        import numpy as np
        return np.array([[len(h.split()), len(r.split())] for h, r in zip(hypotheses, references)], dtype=float)

    def score_from_statistics(self, statistics):
        return 100.0 * statistics[0] / statistics[1] if statistics[1] else 0.0
'''


def test_stored_runs_compare_without_the_code_of_a_metric_of_the_users_own(tmp_path):
    """Runs made with two metrics of the user's own (dotted paths, on PYTHONPATH then), compared in a process
    where their module cannot be imported. Failed before: 'cannot import it', exit 2, no comparison at all."""
    (source, reference), paths = user_files(tmp_path / "user", {k: SYSTEMS[k] for k in ("best", "weak")})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "users_metrics.py").write_text(METRIC_MODULE, encoding="utf-8")
    mean, own = "users_metrics.OutputWords", "users_metrics.LengthRatio"
    made = run_cli("score", ["-r", str(reference), "-s", str(source), "--src-lang", "fr", *map(str, paths.values()),
                             "--out", str(tmp_path / "out"), "--resamples", "50", "-q", "--override",
                             f"alignment.corpus_metrics=[bleu,{mean},{own}]"], tmp_path,
                   {"PYTHONPATH": f"{REPO}:{tmp_path / 'mine'}", "HARNESS_CACHE_DIR": str(tmp_path / "cache")})
    assert made.code == 0, made.stderr[-2000:]
    kinds = read_record(tmp_path / "out" / "weak").documents[0].statistics_kinds
    assert (kinds[mean], kinds[own], kinds["bleu"]) == ("mean", "own", "own")
    outcome = run_cli("compare", [str(tmp_path / "out" / "best"), str(tmp_path / "out" / "weak"), "--resamples", "50",
                                  "--out", str(tmp_path / "report")], tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    comparison = json.loads((tmp_path / "report" / "comparison.json").read_text(encoding="utf-8"))
    assert [m["name"] for m in comparison["metrics"]] == ["bleu", mean, "chrf", "chrf++"]   # + metrics=[...]
    words = {r.system: r.score for r in Ranking.from_record(comparison).metric_rows(mean)}
    stored = {name: read_record(tmp_path / "out" / name).documents[0].aligned[mean].score for name in ("best", "weak")}
    assert words == stored and words["best"] > words["weak"]
    assert any(own in note and "cannot import" in note for note in comparison["metrics_left_out"])
    assert f"metric '{own}' left out" in outcome.stdout


def test_damaged_stored_statistics_are_a_one_line_error_naming_the_field(scored, tmp_path):
    """Failed before the reader checked them: a traceback from numpy deep in the comparison."""
    damaged = tmp_path / "weak"
    shutil.copytree(scored["weak"], damaged)
    result = json.loads((damaged / "result.json").read_text(encoding="utf-8"))
    result["documents"][0]["segments"][3]["statistics"]["bleu"] = ["x", 4]
    (damaged / "result.json").write_text(json.dumps(result), encoding="utf-8")
    before = tree_checksum(tmp_path)
    outcome = run_cli("compare", [str(scored["best"]), str(damaged), "--out", str(tmp_path / "report")], tmp_path)
    assert_one_line_error(outcome, str(damaged / "result.json"), "documents[0].segments[3].statistics.bleu")
    assert tree_checksum(tmp_path) == before


def test_a_copy_of_an_output_with_windows_line_ends_is_flagged_as_the_same_output(scored, tmp_path):
    """The duplicate check read hypotheses/<id>.txt byte for byte: a CRLF copy of a system, scored line for line the
    same (as sacrebleu reads it), was taken for another output."""
    copy = tmp_path / "crlf"
    shutil.copytree(scored["weak"], copy)
    for hypothesis in (copy / "hypotheses").glob("*.txt"):
        hypothesis.write_bytes(hypothesis.read_bytes().replace(b"\n", b"\r\n"))
    runs = collect_runs([str(scored["weak"]), str(copy), str(scored["best"])]).runs
    fingerprints = [output_fingerprint(run) for run in runs]
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]
