"""Issue 21, part C: tables that never lie, commands that never die. Each case drives the real CLI in a child process
(or the real renderer on a real run's record) as a new user would, and checks that every header stands over its own
values, that a document without aligned scores is named instead of refusing the run, that logs stay off the table's
stream, that a reader going away (`| head -1`) ends the output quietly with the report written, and that nothing
outside the report folder changed (the checksum of the surrounding tree)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wcwidth import wcwidth

from harness.compare.reports.tables import results_table
from harness.results.results import read_record
from tests.adversarial import REPO, Outcome, assert_one_line_error, run_cli, tree_checksum
from tests.test_adversarial_compare import (Built, built, copy_run, renamed, rewrite_result, only_metric,  # noqa: F401
                                            write_dataset)

MISSING = "-"   # the cell of a score that does not exist (a document with no aligned segment)


# ---------------------------------------------------------------- reading a printed table back by its columns

def screen_cells(line: str) -> list[str]:
    """A line as the terminal shows it: one slot per screen column (a wide character fills two, the second
    empty; a combining mark joins the slot before it)."""
    slots: list[str] = []
    for character in line:
        width = wcwidth(character)
        if width == 0 and slots:
            slots[-1] += character
        elif width == 2:
            slots += [character, ""]
        else:
            slots.append(character)
    return slots


def read_table(text: str, first_header: str = "document") -> list[dict[str, str]]:
    """The first table whose first header is `first_header`, read by the columns its dashes line draws: every
    header and every cell must lie inside its own column, with blank gaps between the columns."""
    lines = text.splitlines()
    top = next(i for i, (line, below) in enumerate(zip(lines, lines[1:]))
               if line.startswith(f"{first_header} ") and re.fullmatch(r"-+(  -+)*", below))
    spans = [match.span() for match in re.finditer(r"-+", lines[top + 1])]
    assert lines[top + 1] == "  ".join("-" * (b - a) for a, b in spans), lines[top + 1]
    table = []
    body = lines[top + 2:]
    body = body[:body.index("")] if "" in body else body
    for line in [lines[top], *body]:
        slots = screen_cells(line)
        assert len(slots) <= spans[-1][1], f"a cell runs past the last column: {line!r}"
        gaps = [slots[b:c] for (_, b), (c, _) in zip(spans, spans[1:])]
        assert all("".join(gap).strip() == "" for gap in gaps), f"a cell crosses a column gap: {line!r}"
        table.append(["".join(slots[a:b]).strip() for a, b in spans])
    headers, *rows = table
    return [dict(zip(headers, row)) for row in rows]


def expected_run_cells(document) -> dict[str, str]:
    """The run table's cells of one document, from its typed record: every header and its own value."""
    star = "" if document.parallel else "*"
    cells = {"document": document.id, "lang": document.src_lang}
    labels = {"bleu": "BLEU", "chrf": "chrF", "chrf++": "chrF++", "ter": "TER"}
    cells.update({labels[name]: f"{score.score:.1f}{star}" for name, score in document.metrics.items()})
    cells.update({f"aln {labels[name]}": (f"{document.aligned[name].score:.1f}{star}" if name in document.aligned
                                          else MISSING) for name in ("bleu", "chrf", "ter")})
    cells["adeq"] = MISSING if document.adequacy is None else f"{document.adequacy:.2f}"
    language = document.output_language
    cells["English"] = f"{100 * language.english:.0f}%" + ("!" if language.verdict == "off_target" else "")
    return cells


def assert_every_header_over_its_values(table_text: str, result_file: Path) -> None:
    record = read_record(result_file)
    rows = read_table(table_text)
    assert [row["document"] for row in rows] == [d.id for d in record.documents]
    for row, document in zip(rows, record.documents):
        expected = expected_run_cells(document)
        assert {key: row.get(key) for key in expected} == expected, row


# ---------------------------------------------------------------- the documented smoke run

@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[Path, Outcome]:
    """`harness-run model=identity data.max_segments=2` as the README has it (run folder and cache in tmp)."""
    base = tmp_path_factory.mktemp("smoke")
    outcome = run_cli("run", ["model=identity", "data.max_segments=2", f"hydra.run.dir={base / 'run'}",
                              f"cache.dir={base / 'cache'}"], cwd=base)
    assert outcome.code == 0, outcome.stderr[-2000:]
    return base / "run", outcome


def test_smoke_run_prints_every_header_over_its_own_values(smoke):
    """Failed before: 003 had no aligned segment, so its adequacy printed under "aln BLEU", its English share under
    "aln chrF", and the adeq/English/degraded headers were cut off for every document. (Aligner v2 aligns 003's two
    segments; the table is checked as printed, and a document without aligned scores below.)"""
    folder, outcome = smoke
    assert_every_header_over_its_values(outcome.stdout, folder / "result.json")


def without_aligned_document(folder: Path, document_id: str) -> Path:
    """The run as it reads when one document's reference shares no sentence with its source."""
    def change(result: dict) -> None:
        index = [d["id"] for d in result["documents"]].index(document_id)
        without_aligned_scores(result, index)
    return rewrite_result(folder, change)


def test_a_document_without_aligned_scores_is_printed_with_every_header_over_its_values(smoke, tmp_path):
    folder = without_aligned_document(Path(shutil.copytree(smoke[0], tmp_path / "run")), "003")
    table = results_table(read_record(folder / "result.json"))
    assert_every_header_over_its_values(table, folder / "result.json")
    assert f"{MISSING}: no aligned segment (no reference sentence has a source counterpart): 003" in table


def without_aligned_scores(result: dict, document: int = 0) -> None:
    """What a run writes for a document whose reference shares no sentence with its source."""
    result["documents"][document].update(segments=[], aligned={})


def test_aligned_columns_come_from_every_document(built: Built, tmp_path: Path):
    """Failed before: the aligned columns were those of documents[0]; when it had none, no document showed any and
    the other documents' aligned scores printed under adeq and English."""
    folder = rewrite_result(copy_run(built, "identity", tmp_path / "run"), without_aligned_scores)
    assert_every_header_over_its_values(results_table(read_record(folder / "result.json")), folder / "result.json")


def test_smoke_run_is_compared_on_the_documents_with_aligned_scores(smoke, tmp_path):
    """Failed before: "no metric in common between the runs at aligned level ('identity' has none)" although three
    of four documents have aligned scores."""
    folder = without_aligned_document(Path(shutil.copytree(smoke[0], tmp_path / "run")), "003")
    untouched = tree_checksum(tmp_path, exclude=(tmp_path / "report",))
    outcome = run_cli("compare", [str(folder), "--out", str(tmp_path / "report"), "--resamples", "50"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    documents = json.loads((folder / "result.json").read_text(encoding="utf-8"))["documents"]
    having = [d["id"] for d in documents if d["aligned"]]
    skipped = [d["id"] for d in documents if not d["aligned"]]
    comparison = json.loads((tmp_path / "report" / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["level"] == "aligned"
    assert sorted({row["document"] for row in comparison["rows"] + comparison["not_parallel_rows"]}) == having
    assert [d["id"] for d in comparison["skipped_documents"]] == skipped
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    for text in (outcome.stdout, (tmp_path / "report" / "leaderboard.md").read_text(encoding="utf-8"),
                 re.sub(r"</?bdi>", "", page)):   # the page isolates the document's id in <bdi>
        assert f"not compared: {skipped[0]}" in text
    assert tree_checksum(tmp_path, exclude=(tmp_path / "report",)) == untouched


# ---------------------------------------------------------------- harness-compare on a searched folder

def stale_segmentation(result: dict) -> None:
    """A run written by an older harness that cut the reference differently: same data, other segments."""
    result["documents"][0]["segments"][0]["ref"] += " (cut otherwise)"


def two_data_sets_one_stale(built: Built, tmp: Path, stale: str) -> Path:
    """results/ with a comparable pair on one data set and a pair on another data set that cannot be compared."""
    results = tmp / "results"
    copy_run(built, "identity", results / "a" / "identity")
    copy_run(built, "reference", results / "a" / "reference")
    copy_run(built, "other_root", results / "b" / "elsewhere")
    if stale == "segmentation":
        rewrite_result(renamed(copy_run(built, "other_root", results / "b" / "old"), "old"), stale_segmentation)
    else:   # no metric in common within the second data set
        only_metric(results / "b" / "elsewhere", "bleu")
        only_metric(renamed(copy_run(built, "other_root", results / "b" / "old"), "old"), "chrf")
    return results


def one_document_without_aligned_scores(built: Built, tmp: Path, stale: str) -> Path:
    results = tmp / "results"
    copy_run(built, "identity", results / "a" / "identity")
    rewrite_result(copy_run(built, "reference", results / "a" / "reference"), lambda r: without_aligned_scores(r, 1))
    copy_run(built, "other_root", results / "b" / "elsewhere")
    return results


@pytest.mark.parametrize("make, stale, compared, not_compared", [
    (two_data_sets_one_stale, "segmentation", ["identity", "files"], ["elsewhere", "old"]),
    (two_data_sets_one_stale, "metrics", ["identity", "files"], ["elsewhere", "old"]),
    (one_document_without_aligned_scores, "", ["identity", "files", "elsewhere"], []),
], ids=["stale segmentation", "no metric in common", "a document without aligned scores"])
def test_a_searched_folder_compares_every_valid_group(built: Built, tmp_path: Path, make, stale, compared,
                                                      not_compared):
    """Failed before: exit 2 with no report ("document 'a': the reference sentences of 'old' ... differ", "no metric
    in common ..."; "'files' has none" for the third) when one group could not be compared."""
    make(built, tmp_path, stale)
    untouched = tree_checksum(tmp_path, exclude=(tmp_path / "report",))
    outcome = run_cli("compare", ["results", "--out", str(tmp_path / "report"), "--resamples", "50"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    reports = [json.loads(path.read_text(encoding="utf-8"))
               for path in sorted((tmp_path / "report").rglob("comparison.json"))]
    assert sorted(s["name"] for r in reports for s in r["systems"]) == sorted(compared)
    for report in reports:
        assert sorted(Path(s["run_dir"]).name for s in report["skipped"]) == sorted(not_compared)
    for name in not_compared:
        assert any(line.startswith(f"warning: skipped results/b/{name} is not compared: ")
                   for line in outcome.error_lines), outcome.stderr
    assert tree_checksum(tmp_path, exclude=(tmp_path / "report",)) == untouched


# ---------------------------------------------------------------- streams, closed pipes, paths, --out

def closed_pipe_run(entry: str, args: list[str], cwd: Path) -> Outcome:
    """The CLI with its stdout a pipe whose reader has already gone (`| head -1` after its line)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run([sys.executable, "-c", f"from harness.cli import {entry}_main; {entry}_main()", *args],
                              cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=writer,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(writer)
    return Outcome(done.returncode, "", done.stderr)


def head_one(entry: str, args: list[str], cwd: Path) -> tuple[int, str, str]:
    """`<command> | head -1` in bash with pipefail: the pipeline's status is the command's when head is fine."""
    command = " ".join([sys.executable, "-c", f"'from harness.cli import {entry}_main; {entry}_main()'",
                        *[f"'{a}'" for a in args]])
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {command} | head -1"], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def data_set(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data")


def run_args(tmp: Path, data: Path) -> list[str]:
    return ["model=identity", f"data.root={data}", f"hydra.run.dir={tmp / 'run'}", f"cache.dir={tmp / 'cache'}",
            "alignment.embeddings=false"]


def test_logs_go_to_stderr_and_the_table_alone_to_stdout(tmp_path, data_set):
    """Failed before: the INFO lines ("[...][harness.cache][INFO] - fr->en: ...") came first on stdout."""
    outcome = run_cli("run", run_args(tmp_path, data_set), cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    assert outcome.stdout.startswith("document  lang"), outcome.stdout[:300]
    assert "[INFO]" not in outcome.stdout and "[harness.pipeline][INFO] - wrote" in outcome.stderr


def test_run_into_a_closed_pipe_ends_quietly(tmp_path, data_set):
    """Failed before: a BrokenPipeError traceback and exit 1 (the table's print into the closed pipe)."""
    outcome = closed_pipe_run("run", run_args(tmp_path, data_set), tmp_path)
    assert outcome.code == 0 and "Traceback" not in outcome.stderr and "BrokenPipe" not in outcome.stderr, \
        outcome.stderr[-2000:]
    assert (tmp_path / "run" / "result.json").is_file()
    code, stdout, stderr = head_one("run", run_args(tmp_path, data_set)[:2] + [
        f"hydra.run.dir={tmp_path / 'again'}", f"cache.dir={tmp_path / 'cache'}", "alignment.embeddings=false"],
        tmp_path)
    assert code == 0 and stdout.startswith("document  lang") and "Traceback" not in stderr, stderr[-2000:]


@pytest.mark.parametrize("listing", [False, True], ids=["compare", "--list"])
def test_compare_into_a_closed_pipe_ends_quietly_with_its_report(built: Built, tmp_path: Path, listing):
    """Failed before: a BrokenPipeError traceback, exit 1, and no report written."""
    runs = [str(copy_run(built, "identity", tmp_path / "i")), str(copy_run(built, "reference", tmp_path / "r"))]
    args = ["--list", *runs] if listing else [*runs, "--out", str(tmp_path / "report"), "--resamples", "50"]
    outcome = closed_pipe_run("compare", args, tmp_path)
    assert outcome.code == 0 and "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    if not listing:
        assert (tmp_path / "report" / "report.html").is_file() and (tmp_path / "report" / "comparison.json").is_file()
        code, stdout, stderr = head_one("compare", [*runs, "--out", str(tmp_path / "piped"), "--resamples", "50"],
                                        tmp_path)
        assert code == 0 and stdout.startswith("Ranking by BLEU ↑") and stdout.count("\n") == 1, stdout
        assert "Traceback" not in stderr, stderr[-2000:]
        assert (tmp_path / "piped" / "report.html").is_file()


def test_a_missing_path_is_said_not_to_exist(tmp_path):
    """Failed before: "'.../absent': no result.json found; pass finished run folders or a sweep folder"."""
    untouched = tree_checksum(tmp_path)
    outcome = run_cli("compare", [str(tmp_path / "absent"), "--out", str(tmp_path / "report")], cwd=tmp_path)
    assert_one_line_error(outcome, f"{tmp_path / 'absent'}", "does not exist")
    assert tree_checksum(tmp_path) == untouched


def test_a_glob_that_matches_nothing_says_so(built: Built, tmp_path):
    """Own case. Failed before: "'runs/*/nope*': no result.json found" (the pattern matched no folder at all)."""
    copy_run(built, "identity", tmp_path / "runs" / "identity")
    untouched = tree_checksum(tmp_path)
    outcome = run_cli("compare", ["runs/*/nope*", "--out", str(tmp_path / "report")], cwd=tmp_path)
    assert_one_line_error(outcome, "'runs/*/nope*'", "matches no file or folder")
    assert tree_checksum(tmp_path) == untouched


def test_a_second_compare_into_one_out_says_it_replaced_the_report(built: Built, tmp_path: Path):
    """Failed before: both calls exited 0 and the second overwrote the first's report in silence."""
    first = [str(copy_run(built, "identity", tmp_path / "i")), str(copy_run(built, "reference", tmp_path / "r"))]
    second = [str(copy_run(built, "math", tmp_path / "m")), first[0]]
    done = run_cli("compare", [*first, "--out", str(tmp_path / "report"), "--resamples", "50"], cwd=tmp_path)
    assert done.code == 0 and "replaced" not in done.stderr, done.stderr
    untouched = tree_checksum(tmp_path, exclude=(tmp_path / "report",))
    again = run_cli("compare", [*second, "--out", str(tmp_path / "report"), "--resamples", "50"], cwd=tmp_path)
    assert again.code == 0, again.stderr
    assert f"note: replaced the earlier report in {tmp_path / 'report'}" in again.stderr
    assert [s["name"] for s in json.loads((tmp_path / "report" / "comparison.json").read_text())["systems"]] == [
        r"a$\foo$b", "identity"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i", "m", "r", "report"]   # no staging folder left
    assert tree_checksum(tmp_path, exclude=(tmp_path / "report",)) == untouched


def test_two_compares_at_once_into_one_out_never_mix_or_overwrite(built: Built, tmp_path: Path):
    """Two comparisons that began before either wrote: the first to finish publishes its report whole; the second
    refuses with one line instead of overwriting it (or mixing its files in, as before: each file was written in
    place, so two writers left comparison.json of one and report.html of the other)."""
    from harness.compare.compare import collect_runs, compare_runs
    from harness.errors import UserError
    from harness.compare.reports.tables import ReportPlace
    from harness.compare.reports.page import publish_comparisons
    runs = collect_runs([str(copy_run(built, "identity", tmp_path / "i")),
                         str(copy_run(built, "reference", tmp_path / "r"))]).runs
    first, second = compare_runs(runs, n_resamples=20), compare_runs(runs[::-1], n_resamples=20)
    out = tmp_path / "report"
    places = ReportPlace.of(out), ReportPlace.of(out)    # both began while --out did not exist
    publish_comparisons([first], places[0])
    with pytest.raises(UserError, match="another comparison wrote a report there while this one ran"):
        publish_comparisons([second], places[1])
    assert json.loads((out / "comparison.json").read_text())["baseline"] == first.baseline != second.baseline
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i", "r", "report"]
    places = ReportPlace.of(out), ReportPlace.of(out)    # both began when the first report stood there
    publish_comparisons([second], places[0])
    with pytest.raises(UserError, match="another comparison wrote a report there while this one ran"):
        publish_comparisons([first], places[1])
    assert json.loads((out / "comparison.json").read_text())["baseline"] == second.baseline
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i", "r", "report"]


# ---------------------------------------------------------------- own cases: names that move or rewrite columns

WIDE_NAMES = ["模型翻译系统", "نموذج\u064e\u064f\u0650"]   # CJK: two columns a character; harakat: none
HOSTILE_NAME = "evil\x1b[2J\x1b[1;1Hfake 99.9\u202eoof"    # clears the screen, moves the cursor, reverses the text


def test_wide_and_combining_names_keep_the_columns(built: Built, tmp_path: Path):
    """Own case. Failed before: widths counted characters, not screen columns, so a CJK model name pushed its
    row's scores two columns right per character and Arabic harakat pulled them left."""
    runs = [str(renamed(copy_run(built, "identity", tmp_path / "wide"), WIDE_NAMES[0])),
            str(renamed(copy_run(built, "reference", tmp_path / "rtl"), WIDE_NAMES[1]))]
    outcome = run_cli("compare", [*runs, "--out", str(tmp_path / "report"), "--resamples", "50"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr
    rows = read_table(outcome.stdout)
    assert [row["system"] for row in rows[:2]] == WIDE_NAMES and rows[1]["score"] == "100.0"
    folder = rewrite_result(copy_run(built, "identity", tmp_path / "run"),
                            lambda r: r["documents"][0].update(id=WIDE_NAMES[0]))
    assert_every_header_over_its_values(results_table(read_record(folder / "result.json")), folder / "result.json")


def test_control_characters_in_a_name_are_shown_not_obeyed(built: Built, tmp_path: Path):
    """Own case. Failed before: a result.json from someone else whose model name holds terminal escapes and a
    right-to-left override reached the terminal raw: it cleared the screen and could print fake scores."""
    runs = [str(copy_run(built, "identity", tmp_path / "i")),
            str(renamed(copy_run(built, "reference", tmp_path / "r"), HOSTILE_NAME))]
    outcome = run_cli("compare", [*runs, "--out", str(tmp_path / "report"), "--resamples", "50"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr
    assert "\x1b" not in outcome.stdout and "\u202e" not in outcome.stdout
    markdown = (tmp_path / "report" / "leaderboard.md").read_text(encoding="utf-8")
    assert "\x1b" not in markdown and "\u202e" not in markdown and r"evil\\x1b\[2J" in markdown
    rows = read_table(outcome.stdout)
    assert rows[1]["system"] == r"evil\x1b[2J\x1b[1;1Hfake 99.9\u202eoof" and rows[1]["score"] == "100.0"
    comparison = json.loads((tmp_path / "report" / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["systems"][1]["name"] == HOSTILE_NAME   # the data keeps the name as written


def test_a_row_shorter_than_its_headers_is_refused_not_shifted():
    """Failed before: format_table zipped the headers and rows to the shortest and dropped the columns after."""
    from harness.compare.reports.tables import format_table
    with pytest.raises(ValueError, match="2 cells under 3 headers"):
        format_table(["a", "b", "c"], [["1", "2"]])
