"""harness-compare as an adversarial user drives it: one table of cases, each run through the real CLI in a child
process, asserting the exit code, the one error line (or the warnings of a comparison that still goes ahead), and
that nothing outside the report folder changed."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from harness import run
from harness.compare.reports.charts import write_charts
from harness.compare.compare import collect_runs, compare_runs
from harness.config import compose_config
from harness.compare.reports.tables import markdown_text
from harness.results.results import SCHEMA_VERSION
from harness.results.run_folder import FAILED_MARKER, RUNNING_MARKER
from tests.adversarial import assert_one_line_error, run_cli, tree_checksum

SOURCES = {"a": "Le chat dort sur le canapé depuis ce matin. Il fait beau dans la ville aujourd'hui. "
                "Les enfants jouent dans le parc.",
           "b": "La réunion commence à neuf heures. Le directeur présente le nouveau projet aux employés."}
REFERENCES = {"a": "The cat has been sleeping on the sofa since this morning. The weather is nice in the city "
                   "today. The children are playing in the park.",
              "b": "The meeting starts at nine o'clock. The director presents the new project to the employees."}
MANIFEST = """target_lang: en
reference_dir: refs
documents:
  - {id: a, lang: fr, file: a.txt, reference: a.txt, relation: parallel}
  - {id: b, lang: fr, file: b.txt, reference: b.txt, relation: parallel}
"""
MATH_NAME = r"a$\foo$b"
MARKUP_NAME = "x|y <b>*z*</b> `c` [l](u)"


def write_dataset(root: Path, sources: dict[str, str] = SOURCES) -> Path:
    (root / "refs").mkdir(parents=True)
    (root / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    for doc_id, text in sources.items():
        (root / f"{doc_id}.txt").write_text(text + "\n", encoding="utf-8")
        (root / "refs" / f"{doc_id}.txt").write_text(REFERENCES[doc_id] + "\n", encoding="utf-8")
    return root


def write_references_as_outputs(folder: Path) -> Path:
    """A files-backend folder whose outputs are the references themselves: the 100-BLEU system."""
    folder.mkdir(parents=True)
    for doc_id, text in REFERENCES.items():
        (folder / f"{doc_id}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


@dataclass
class Built:
    base: Path
    runs: dict[str, Path]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """Finished runs on a two-document data set, written once by the real pipeline."""
    base = tmp_path_factory.mktemp("built")
    data, edited_root = write_dataset(base / "data"), write_dataset(base / "edited")
    outputs = write_references_as_outputs(base / "outputs")
    common = [f"cache.dir={base / 'cache'}", "alignment.embeddings=false"]

    def finished(name: str, root: Path, *overrides: str) -> Path:
        run(compose_config([f"data.root={root}", *common, *overrides]), base / "runs" / name)
        return base / "runs" / name

    runs = {"identity": finished("identity", data, "model=identity"),
            "reference": finished("reference", data, "model=files", f"model.path={outputs}"),
            "cut": finished("cut", data, "model=identity", "model.name=cut", "data.max_segments=1"),
            "other_root": finished("other_root", edited_root, "model=identity", "model.name=elsewhere"),
            "math": finished("math", data, "model=files", f"model.path={outputs}", f"model.name='{MATH_NAME}'")}
    (edited_root / "a.txt").write_text(SOURCES["a"] + " Une phrase de plus a été ajoutée.\n", encoding="utf-8")
    runs["edited"] = finished("edited", edited_root, "model=identity", "model.name=edited")
    return Built(base, runs)


# ---------------------------------------------------------------- building a case's input in tmp_path

def copy_run(built: Built, name: str, destination: Path) -> Path:
    shutil.copytree(built.runs[name], destination)
    return destination


def rewrite_result(folder: Path, change: Callable[[dict], object]) -> Path:
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    change(result)
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return folder


def result_text(folder: Path, text: str | bytes) -> Path:
    path = folder / "result.json"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")
    return folder


def unfinished_job(folder: Path, marker: str, content: str) -> Path:
    (folder / ".hydra").mkdir(parents=True)
    (folder / marker).write_text(content, encoding="utf-8")
    return folder


def sweep_with_unfinished_jobs(built: Built, tmp: Path) -> Path:
    copy_run(built, "identity", tmp / "sweep" / "0_identity")
    unfinished_job(tmp / "sweep" / "1_gemma", RUNNING_MARKER, "pid 999999\n")
    unfinished_job(tmp / "sweep" / "2_nllb", FAILED_MARKER, "RuntimeError: CUDA out of memory\n")
    return tmp / "sweep"


def renamed(folder: Path, name: str) -> Path:
    return rewrite_result(folder, lambda result: result["model"].update(name=name))


def only_metric(folder: Path, keep: str) -> Path:
    def drop_others(result: dict) -> None:
        for document in result["documents"]:
            for level in ("metrics", "aligned"):
                document[level] = {k: v for k, v in document[level].items() if k == keep}
    return rewrite_result(folder, drop_others)


def pair(built: Built, tmp: Path, first: str = "identity", second: str = "reference") -> list[str]:
    return [str(copy_run(built, first, tmp / first)), str(copy_run(built, second, tmp / second))]


def corrupt(text: str | bytes) -> Callable[[Built, Path], list[str]]:
    return lambda built, tmp: [str(result_text(copy_run(built, "identity", tmp / "run"), text))]


def edited(change: Callable[[dict], object]) -> Callable[[Built, Path], list[str]]:
    return lambda built, tmp: [str(rewrite_result(copy_run(built, "identity", tmp / "run"), change))]


def truncated(built: Built, tmp: Path) -> list[str]:
    folder = copy_run(built, "identity", tmp / "run")
    text = (folder / "result.json").read_text(encoding="utf-8")
    return [str(result_text(folder, text[: len(text) // 2]))]


def with_nan(result: dict) -> None:
    result["documents"][0]["metrics"]["bleu"]["score"] = float("nan")


def cut_as_old_harness_did(result: dict) -> None:
    """What harness-run wrote before issue 16 for model=files with data.max_segments=1: a cut source, whole outputs."""
    result["config"]["data"]["max_segments"] = 1
    for document in result["documents"]:
        document["source_segments"] = 1


def same_name_in_two_sweeps(built: Built, tmp: Path) -> list[str]:
    copy_run(built, "identity", tmp / "sweep_a" / "0_identity")
    renamed(copy_run(built, "reference", tmp / "sweep_b" / "0_identity"), "identity")
    return [str(tmp / "sweep_a"), str(tmp / "sweep_b")]


# ---------------------------------------------------------------- checks of cases that go ahead

def report(tmp: Path) -> dict:
    return json.loads((tmp / "report" / "comparison.json").read_text(encoding="utf-8"))


def skipped_are_reported(tmp: Path, outcome) -> None:
    assert [(s["state"], Path(s["run_dir"]).name) for s in report(tmp)["skipped"]] == [
        ("RUNNING", "1_gemma"), ("FAILED", "2_nllb")]
    assert r"2\_nllb (FAILED: RuntimeError: CUDA out of memory)" in (tmp / "report" / "leaderboard.md").read_text()
    assert "skipped" in (tmp / "report" / "report.html").read_text() and "1_gemma" in outcome.stdout


def both_namesakes_keep_their_scores(tmp: Path, outcome) -> None:
    comparison = report(tmp)
    names = [s["name"] for s in comparison["systems"]]
    assert names == ["identity@sweep_a/0_identity", "identity@sweep_b/0_identity"]
    bleu = {r["system"]: r["score"] for r in comparison["rows"] if r["metric"] == "bleu" and r["document"] == "a"}
    assert bleu[names[1]] == 100.0 and bleu[names[0]] < 10
    markdown = (tmp / "report" / "leaderboard.md").read_text()
    assert all(f"| {markdown_text(name)} |" in markdown for name in names)


def math_name_shown_literally(tmp: Path, outcome) -> None:
    assert [s["name"] for s in report(tmp)["systems"]] == ["identity", MATH_NAME]
    assert MATH_NAME in (tmp / "report" / "report.html").read_text() and MATH_NAME in outcome.stdout
    assert r"a$\\foo$b" in (tmp / "report" / "leaderboard.md").read_text()   # backslash escaped for Markdown
    charts = sorted(p.name for p in (tmp / "report" / "charts").glob("*.png"))
    assert charts == ["bleu.png", "chrf.png", "chrfpp.png", "delta.png", "ter.png"]   # one per metric, and the Δ


def markup_name_kept_literal(tmp: Path, outcome) -> None:
    markdown = (tmp / "report" / "leaderboard.md").read_text()
    tables = [block.splitlines() for block in markdown.split("\n\n") if block.startswith("| ")]
    for table in tables:   # every row has as many cell separators as the table's header
        assert len({len(re.findall(r"(?<!\\)\|", line)) for line in table}) == 1, table
    assert r"x\|y \<b\>\*z\*\</b\> \`c\` \[l\](u)" in markdown
    page = (tmp / "report" / "report.html").read_text()
    assert "<b>*z*" not in page and "x|y &lt;b&gt;*z*&lt;/b&gt; `c` [l](u)" in page


def charts_stay_in_the_report(tmp: Path, outcome) -> None:
    charts = sorted(p.relative_to(tmp) for p in tmp.rglob("*.png"))
    assert charts and all(p.parts[:2] == ("report", "charts") for p in charts), charts


def baseline_by_folder(tmp: Path, outcome) -> None:
    assert report(tmp)["baseline"] == "files"


def one_system(tmp: Path, outcome) -> None:
    assert [s["name"] for s in report(tmp)["systems"]] == ["identity"]


# ---------------------------------------------------------------- the matrix

@dataclass
class Case:
    name: str
    build: Callable[[Built, Path], list[str]]
    code: int = 2
    fragments: tuple[str, ...] = ()       # in the one error line (exit 2), or in stderr's warnings (exit 0)
    check: Callable | None = None         # what a comparison that goes ahead must have written
    out: str = "report"
    before: Callable[[Path], object] = field(default=lambda tmp: None)


CASES = [
    # result.json that is not a harness result
    Case("not JSON", corrupt("this is not json {"), fragments=("run/result.json", "not valid JSON", "run its command again")),
    Case("truncated JSON", truncated, fragments=("run/result.json", "truncated or damaged")),
    Case("not UTF-8", corrupt(b"\xff\xfe{\x00"), fragments=("run/result.json", "not a valid result file")),
    Case("empty object", corrupt("{}"), fragments=("run/result.json", "no schema_version")),
    Case("a list", corrupt("[1, 2]"), fragments=("run/result.json", "no schema_version")),
    Case("missing documents", edited(lambda r: r.pop("documents")), fragments=("missing or malformed documents",)),
    Case("document without metrics", edited(lambda r: r["documents"][1].pop("metrics")),
         fragments=("documents[1].metrics",)),
    Case("model name not a string", edited(lambda r: r["model"].update(name=None)), fragments=("model.name",)),
    Case("score without its signature", edited(lambda r: r["documents"][0]["metrics"]["bleu"].pop("signature")),
         fragments=("run/result.json", "documents[0].metrics.bleu.signature")),
    Case("aligned score that is text", edited(lambda r: r["documents"][1]["aligned"]["chrf"].update(score="high")),
         fragments=("run/result.json", "documents[1].aligned.chrf.score")),
    Case("declared metric name that is not text", edited(lambda r: r["documents"][0]["metrics"]["bleu"].update(name=7)),
         fragments=("run/result.json", "documents[0].metrics.bleu.name")),
    Case("segment without its output", edited(lambda r: r["documents"][0]["segments"][2].pop("hyp")),
         fragments=("run/result.json", "documents[0].segments[2].hyp")),
    Case("no documents", edited(lambda r: r.update(documents=[])), fragments=("scored no documents",)),
    Case("newer schema", edited(lambda r: r.update(schema_version=SCHEMA_VERSION + 1)),
         fragments=(f"schema_version {SCHEMA_VERSION + 1}", f"reads version {SCHEMA_VERSION}")),
    Case("NaN score", edited(with_nan), fragments=("run/result.json", "NaN")),
    Case("language that is a path", edited(lambda r: [d.update(src_lang="../../outside") for d in r["documents"]]),
         code=0, check=charts_stay_in_the_report),
    # folders that hold no finished run
    Case("nothing there", lambda built, tmp: [str(tmp / "absent")], fragments=("absent' does not exist",)),
    Case("empty folder", lambda built, tmp: [str(tmp / "empty")], before=lambda tmp: (tmp / "empty").mkdir(),
         fragments=("empty': no result.json found",)),
    Case("RUNNING run folder", lambda built, tmp: [str(unfinished_job(tmp / "job", RUNNING_MARKER, "pid 1\n"))],
         fragments=("job is RUNNING: still running or was killed",)),
    Case("FAILED run folder",
         lambda built, tmp: [str(unfinished_job(tmp / "job", FAILED_MARKER, "ValueError: bad beads\ntrace\n"))],
         fragments=("job is FAILED: ValueError: bad beads",)),
    Case("sweep of unfinished jobs", lambda built, tmp: [str(unfinished_job(tmp / "s" / "0_a", RUNNING_MARKER, "")),
                                                         str(unfinished_job(tmp / "s" / "1_b", FAILED_MARKER, "E\n"))],
         fragments=("0_a is RUNNING", "1_b is FAILED: E")),
    # runs that must not share a table (issue 16, defect 8)
    Case("different max_segments", lambda built, tmp: pair(built, tmp, "identity", "cut"),
         fragments=("not comparable", "data.max_segments")),
    Case("edited source, same data root", lambda built, tmp: pair(built, tmp, "other_root", "edited"),
         fragments=("not comparable", "different source segments per document")),
    Case("files run cut by max_segments (old harness)",
         lambda built, tmp: [str(copy_run(built, "cut", tmp / "cut")),
                             str(rewrite_result(copy_run(built, "reference", tmp / "files"), cut_as_old_harness_did))],
         fragments=("files/result.json", "model=files with data.max_segments=1", "re-run it without")),
    Case("different data root", lambda built, tmp: pair(built, tmp, "identity", "other_root"),
         fragments=("not comparable", "different data set root")),
    Case("no metric in common", lambda built, tmp: [str(only_metric(copy_run(built, "identity", tmp / "i"), "bleu")),
                                                    str(only_metric(copy_run(built, "reference", tmp / "r"), "chrf"))],
         fragments=("no metric in common", "'identity' has bleu", "'files' has chrf")),
    # options
    Case("resamples 0", lambda built, tmp: [*pair(built, tmp), "--resamples", "0"], fragments=("--resamples 0",)),
    Case("resamples negative", lambda built, tmp: [*pair(built, tmp), "--resamples", "-5"],
         fragments=("--resamples -5", "at least 1")),
    Case("resamples not a number", lambda built, tmp: [*pair(built, tmp), "--resamples", "many"],
         fragments=("--resamples", "invalid int value: 'many'", "--help")),
    Case("baseline names no run", lambda built, tmp: [*pair(built, tmp), "--baseline", "identiti"],
         fragments=("unknown baseline system 'identiti'", "Did you mean 'identity'")),
    Case("unknown metric", lambda built, tmp: [*pair(built, tmp), "--metrics", "blue"],
         fragments=("unknown metric 'blue'", "Did you mean 'bleu'")),
    Case("unknown option", lambda built, tmp: [*pair(built, tmp), "--colour"], fragments=("unrecognized", "--colour")),
    Case("no run given", lambda built, tmp: [], fragments=("required: RUN_DIR",)),
    Case("--out is a file", lambda built, tmp: pair(built, tmp), out="notes.txt",
         before=lambda tmp: (tmp / "notes.txt").write_text("mine\n"), fragments=("notes.txt is a file",)),
    Case("--out holds other files", lambda built, tmp: pair(built, tmp), out="thesis",
         before=lambda tmp: (tmp / "thesis").mkdir() or (tmp / "thesis" / "chapter1.tex").write_text("draft\n"),
         fragments=("thesis already holds other files (chapter1.tex)",)),
    # comparisons that go ahead, saying what they leave out or how they tell systems apart
    Case("sweep with RUNNING and FAILED jobs", lambda built, tmp: [str(sweep_with_unfinished_jobs(built, tmp))],
         code=0, fragments=("warning: skipped", "1_gemma is RUNNING: still running or was killed",
                            "2_nllb is FAILED: RuntimeError: CUDA out of memory"), check=skipped_are_reported),
    Case("same system name in two sweeps", same_name_in_two_sweeps, code=0, check=both_namesakes_keep_their_scores),
    Case("math syntax in a model name", lambda built, tmp: pair(built, tmp, "identity", "math"), code=0,
         check=math_name_shown_literally),
    Case("markup in a model name",
         lambda built, tmp: [str(copy_run(built, "identity", tmp / "i")),
                             str(renamed(copy_run(built, "reference", tmp / "r"), MARKUP_NAME))],
         code=0, check=markup_name_kept_literal),
    Case("baseline given as a run folder", lambda built, tmp: [*pair(built, tmp), "--baseline", str(tmp / "reference")],
         code=0, check=baseline_by_folder),
    Case("one run named twice", lambda built, tmp: [str(copy_run(built, "identity", tmp / "i")), str(tmp / "i"),
                                                    str(tmp / "i" / "result.json")], code=0, check=one_system),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_compare_adversarial(case: Case, built: Built, tmp_path: Path):
    case.before(tmp_path)
    args = case.build(built, tmp_path)
    report_folder = tmp_path / case.out
    untouched = tree_checksum(tmp_path, exclude=(report_folder,))
    outcome = run_cli("compare", [*args, "--out", str(report_folder), "--resamples", "100"]
                      if "--resamples" not in args else [*args, "--out", str(report_folder)], cwd=tmp_path)
    if case.code == 2:
        assert_one_line_error(outcome, *case.fragments)
        assert case.out != "report" or not report_folder.exists()
    else:
        assert outcome.code == 0, outcome.stderr[-2000:]
        warnings = [line for line in outcome.error_lines if line.startswith("warning: ")]
        assert len(warnings) == len(outcome.error_lines) and all(f in outcome.stderr for f in case.fragments)
        case.check(tmp_path, outcome)
    assert tree_checksum(tmp_path, exclude=(report_folder,)) == untouched


# ---------------------------------------------------------------- the charts draw what the tables say

def test_namesakes_get_their_own_bars(built: Built, tmp_path: Path):
    """Two runs named identity (job 0_identity of two sweeps): each is drawn with its own scores."""
    collection = collect_runs(same_name_in_two_sweeps(built, tmp_path))
    comparison = compare_runs(collection.runs, n_resamples=50)
    *charts, delta = write_charts(comparison, tmp_path / "charts")
    bars = {c["metric"]: c["bars"] for c in charts}
    first, second = comparison.system_names
    assert bars["bleu"][second] == [100.0, 100.0] and max(bars["bleu"][first]) < 10
    bleu = [value for (document, system, metric), value in delta["points"].items() if metric == "bleu"]
    assert delta["metric"] == "delta" and len(bleu) == 2 and min(bleu) > 90


def test_chart_labels_are_plain_text(built: Built, tmp_path: Path):
    runs = collect_runs(pair(built, tmp_path, "identity", "math")).runs
    runs = [runs[0].__class__("_hidden", runs[0].path, runs[0].result), runs[1]]
    comparison = compare_runs(runs, metrics=["chrf"], n_resamples=50)
    chart = write_charts(comparison, tmp_path / "charts")[0]
    assert chart["legend"] == ["_hidden", r"a\$\foo\$b"]   # "$" escaped: drawn as typed, not as mathtext
    assert chart["bars"] == {"_hidden": chart["bars"]["_hidden"], MATH_NAME: [100.0, 100.0]}
