"""Round 18 on comparisons: runs compare across models, and a comparison tells the truth (only comparable runs ranked
together, a difference called significant only when it is, each score the sacrebleu CLI's on the same text).

- a line-aligned test set of two documents, one system with a line over limits.max_segment_chars in the second
  document only: harness-compare left that line out of TER for every system (as it should), and its TER legend,
  read from the first run's first document, still said 'corpus over the lines (alignment: lines), as sacrebleu
  REF -i HYP' (TER 7.7 shown for a file sacrebleu scores 7.4); where two runs each cut another line, the legend
  took one run's count ('3 of the 4 lines') for a comparison over 2 of them.
- `--metrics bleu --metrics chrf`: the second --metrics replaced the first, and chrF alone was compared, without a
  word.
- `--baseline RUN/result.json`: 'unknown baseline system', though RUN/result.json names the run as a RUN_DIR.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import unknown_name
from tests.adversarial import assert_one_line_error, run_cli

SOURCE = ["Le maire a ouvert une ligne de tram lundi.", "Le conseil a voté un gros budget.",
          "Le trajet dure vingt-cinq minutes.", "Les travaux ont coûté 340 millions d'euros."]
REFERENCE = ["The mayor opened a tram line on Monday.", "The council voted a large budget.",
             "The journey takes twenty-five minutes.", "The works cost 340 million euros."]
OUTPUT = ["The mayor opened a new tram line on Monday.", "The council voted a big budget.",
          "The trip lasts twenty five minutes.", "Works cost 340 million euro."]
LIMIT = 200
LONG = "The council voted a very " + "very " * 40 + "large budget."


def two_documents(folder: Path) -> Path:
    """A line-aligned data set of two documents, a and b, each the same four lines."""
    folder.mkdir(parents=True)
    for name, lines in (("src.txt", SOURCE), ("ref.txt", REFERENCE)):
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    documents = [{"id": i, "lang": "fr", "file": "src.txt", "reference": "ref.txt", "relation": "parallel"}
                 for i in ("a", "b")]
    (folder / "manifest.yaml").write_text(json.dumps({"target_lang": "en", "alignment": "lines",
                                                      "documents": documents}), encoding="utf-8")
    return folder


def files_run(tmp_path: Path, data: Path, name: str, outputs: dict[str, list[str]]) -> Path:
    from harness import run
    from harness.config import compose_config
    hypotheses = tmp_path / "hyps" / name
    hypotheses.mkdir(parents=True)
    for document, lines in outputs.items():
        (hypotheses / f"{document}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(compose_config([f"data.root={data}", "model=files", f"model.path={hypotheses}", f"model.name={name}",
                        "metrics=[bleu,ter]", f"limits.max_segment_chars={LIMIT}"]), tmp_path / "runs" / name)
    return tmp_path / "runs" / name


def with_long_line(line: int) -> list[str]:
    return [LONG if k == line else text for k, text in enumerate(OUTPUT)]


def ter_legend(runs: list[Path]) -> str:
    from harness.compare.compare import compare_runs, load_runs
    comparison = compare_runs(load_runs([str(run) for run in runs]), metrics=["ter"])
    return next(metric.signature for metric in comparison.metrics if metric.name == "ter")


@pytest.mark.parametrize("cut", [{"a": None, "b": 1}, {"a": 1, "b": None}], ids=["second-document", "first-document"])
def test_the_ter_legend_never_claims_sacrebleus_score_of_the_files_when_a_line_was_left_out(tmp_path, cut):
    data = two_documents(tmp_path / "data")
    plain = files_run(tmp_path, data, "plain", {"a": OUTPUT, "b": OUTPUT})
    long = files_run(tmp_path, data, "long", {d: OUTPUT if k is None else with_long_line(k) for d, k in cut.items()})
    for runs in ([plain, long], [long, plain]):
        legend = ter_legend(runs)
        assert "as sacrebleu REF -i HYP" not in legend, legend
        assert legend.endswith("not sacrebleu REF -i HYP's score of the files"), legend
        assert legend.startswith("TER|nrefs:1|"), legend


def test_the_ter_legend_gives_no_one_runs_count_for_the_lines_every_run_scores(tmp_path):
    """One run cuts line 1, the other line 2: each scored 3 of the 4 lines, the comparison 2 of them."""
    data = two_documents(tmp_path / "data")
    first = files_run(tmp_path, data, "first", {"a": with_long_line(1), "b": OUTPUT})
    second = files_run(tmp_path, data, "second", {"a": with_long_line(2), "b": OUTPUT})
    legend = ter_legend([first, second])
    assert "3 of the 4 lines" not in legend, legend
    assert "lines every compared system scores" in legend, legend


def test_the_ter_legend_keeps_the_claim_when_every_line_is_scored(tmp_path):
    data = two_documents(tmp_path / "data")
    runs = [files_run(tmp_path, data, name, {"a": OUTPUT, "b": OUTPUT[::-1]}) for name in ("one", "two")]
    assert ter_legend(runs).endswith("|corpus over the lines (alignment: lines), as sacrebleu REF -i HYP")


@pytest.mark.parametrize("options", [["--metrics", "bleu", "--metrics", "ter"], ["--metrics", "bleu,ter"]])
def test_metrics_given_twice_compares_both(tmp_path, options):
    """`--metrics bleu --metrics ter` compared TER alone: the second --metrics replaced the first, without a word;
    `--metrics bleu,ter` was 'unknown metric 'bleu,ter'. Did you mean 'bleu'?'."""
    data = two_documents(tmp_path / "data")
    runs = [files_run(tmp_path, data, name, {"a": OUTPUT, "b": OUTPUT[::-1]}) for name in ("one", "two")]
    outcome = run_cli("compare", [*map(str, runs), *options, "--out", "report"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert "Ranking by BLEU" in outcome.stdout and "Ranking by TER" in outcome.stdout, outcome.stdout
    compared = json.loads((tmp_path / "report" / "comparison.json").read_text(encoding="utf-8"))
    assert [metric["name"] for metric in compared["metrics"]] == ["bleu", "ter"]


def test_a_baseline_named_by_its_result_file_is_the_run_it_names(tmp_path):
    """A run is given to harness-compare as its folder or its result.json; --baseline took the folder and refused the
    file ('unknown baseline system .../result.json')."""
    from harness.compare.compare import compare_runs, load_runs
    data = two_documents(tmp_path / "data")
    runs = [files_run(tmp_path, data, name, {"a": OUTPUT, "b": OUTPUT[::-1]}) for name in ("one", "two")]
    for named in (runs[1], runs[1] / "result.json"):
        assert compare_runs(load_runs([str(run) for run in runs]), baseline=str(named)).baseline == "two"


def test_a_file_that_is_no_result_is_not_called_a_damaged_one(tmp_path):
    """A sweep's multirun.yaml handed in (a shell glob over the sweep folder) was 'not valid JSON ...; the file is
    truncated or damaged': it is another file, not a damaged result."""
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text("hydra:\n  mode: MULTIRUN\n")
    outcome = run_cli("compare", [str(sweep / "multirun.yaml")], cwd=tmp_path)
    assert_one_line_error(outcome, "multirun.yaml: not JSON, so no result.json of harness-run", "pass a run folder")
    assert "damaged" not in outcome.error_lines[0]


def test_an_unknown_name_in_another_case_suggests_the_name():
    """--metrics BLEU was 'unknown metric' with no suggestion: difflib's ratio finds no match for bleu."""
    assert "Did you mean 'bleu'?" in str(unknown_name("metric", "BLEU", ["bleu", "chrf", "ter"]))
    assert "Did you mean 'chrf++'?" in str(unknown_name("metric", "chrF++", ["bleu", "chrf", "chrf++"]))
