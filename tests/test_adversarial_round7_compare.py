"""Round 7: comparing runs and the reports, as an adversarial user drives them.

Earlier rounds covered damaged result.json files, incomparable runs, hostile names in the terminal table and the
HTML page, and report folders. These are the cases they left: spreadsheet formulas and terminal escapes in the CSV
files, escapes that reached the console through the chart library's warnings and line breaks that reached it
through the notes, names that look alike (NFC and NFD, a zero-width joiner), a stored score edited by hand while its
statistics were not, a metric some run lacks, a document id that leads out of its run folder, a metric's declared
name that breaks a Markdown heading, a baseline that names two runs, and a link in a loop given as a run folder.

Each case builds its runs from two systems scored once by harness-score (a module fixture) and checks the report
or the one error line of the real CLI."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Callable

import pytest

from harness.compare.compare import collect_runs, compare_runs
from harness.compare.reports.page import comparison_html
from harness.compare.reports.tables import comparison_csv, comparison_markdown, comparison_table, ranking_csv
from harness.errors import UserError
from tests.adversarial import assert_one_line_error, run_cli
from tests.test_adversarial_round5_state import RESAMPLES, SYSTEMS, score_systems_in


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """Two systems scored by harness-score: OUT/sysA and OUT/sysB, finished runs of one line-aligned document."""
    return score_systems_in(tmp_path_factory.mktemp("scored"))


def edited(folder: Path, change: Callable[[dict], object]) -> Path:
    path = folder / "result.json"
    result = json.loads(path.read_text(encoding="utf-8"))
    change(result)
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return folder


def named(name: str) -> Callable[[dict], object]:
    return lambda result: result["model"].update(name=name)


def two_runs(scored: Path, tmp_path: Path, a: Callable[[dict], object] = lambda r: None,
             b: Callable[[dict], object] = lambda r: None) -> list[str]:
    """Copies of sysA and sysB under tmp_path, each result.json changed as a case says."""
    folders = []
    for system, change in zip(SYSTEMS, (a, b)):
        folders.append(str(edited(shutil.copytree(scored / system, tmp_path / "runs" / system), change)))
    return folders


def compared(folders: list[str], **options):
    collection = collect_runs(folders)
    return compare_runs(collection.runs, n_resamples=RESAMPLES, **options)


def both(*changes: Callable[[dict], object]) -> Callable[[dict], object]:
    return lambda result: [change(result) for change in changes]


def document_id(doc_id: str) -> Callable[[dict], object]:
    return lambda result: result["documents"][0].update(id=doc_id)


# ---------------------------------------------------------------- CSV: spreadsheet formulas, terminal escapes

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1", "\r=1"]


def text_cells(text: str) -> list[str]:
    """Every cell of a CSV file that is not a number or empty."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return [cell for cell in cells if cell and not is_number(cell)]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("formula", FORMULAS)
def test_no_csv_cell_of_a_name_starts_a_spreadsheet_formula(scored, tmp_path, formula):
    """A model name or document id starting with =, +, -, @ (or a tab or CR before one) was written as it is into
    leaderboard.csv and ranking.csv: a spreadsheet that opens them runs it as a formula (=HYPERLINK sends the
    user off, DDE starts programs). The cell keeps the name, behind a quote that makes it text."""
    folders = two_runs(scored, tmp_path, a=document_id(formula), b=both(named(formula), document_id(formula)))
    comparison = compared(folders)
    for text in (comparison_csv(comparison), ranking_csv(comparison)):
        for cell in text_cells(text):
            assert cell[0] not in "=+-@\t\r", cell
        shown = formula.replace("\t", r"\t").replace("\r", r"\r")    # a tab or CR shows as its escape
        assert list(csv.DictReader(io.StringIO(text)))[1]["system"] == ("'" if shown[0] in "=+-@" else "") + shown
    numbers = [row for row in csv.DictReader(io.StringIO(comparison_csv(comparison))) if row["metric"] == "bleu"]
    assert [float(row["score"]) for row in numbers] == [row.score for row in comparison.rows if row.metric == "bleu"]
    assert numbers[1]["delta"].startswith("-") and float(numbers[1]["delta"]) < 0   # numbers keep their sign


HOSTILE = "evil\x1b[2J\x1b]0;owned\x07\u202eoof"


def test_the_csv_files_show_control_characters_as_escapes(scored, tmp_path):
    """`cat leaderboard.csv` obeyed a model name's terminal escapes (clear the screen, retitle the window, ring the
    bell) and its right-to-left override, where leaderboard.md and the terminal table show them as escapes."""
    comparison = compared(two_runs(scored, tmp_path, b=named(HOSTILE)))
    for text in (comparison_csv(comparison), ranking_csv(comparison)):
        assert not any(c in text for c in "\x1b\x07\u202e"), text
        assert r"evil\x1b[2J\x1b]0;owned\x07\u202eoof" in {row["system"] for row in csv.DictReader(io.StringIO(text))}


# ---------------------------------------------------------------- the console: charts' warnings, notes

def test_no_escape_from_a_name_reaches_the_console_through_the_charts_or_the_notes(scored, tmp_path):
    """A model name holding ESC and BEL: matplotlib warned 'Glyph 27 (\\x1b) missing from font' on stderr with
    the character itself, so the escapes ran after all; a line break in the name split the notes' lines
    ('baseline: ...', 'duplicate outputs: ...'), so the name could print a line of its own, a forged signature."""
    forged = "x\nBLEU ↑: BLEU|forged\x1b[2J\x07"
    folders = two_runs(scored, tmp_path, a=named(forged), b=named(HOSTILE))
    outcome = run_cli("compare", [*folders, "--out", str(tmp_path / "report"), "--resamples", str(RESAMPLES)],
                      cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    for stream in (outcome.stdout, outcome.stderr):
        assert not any(c in stream for c in "\x1b\x07\u202e"), stream[-2000:]
    assert not any(line.startswith("BLEU ↑: BLEU|forged") for line in outcome.stdout.splitlines())
    assert r"baseline: x\nBLEU ↑: BLEU|forged\x1b[2J\x07" in outcome.stdout.splitlines()


def test_the_html_page_shows_control_characters_as_escapes(scored, tmp_path):
    """report.html held a name's ESC and BEL raw (`cat report.html` obeyed them; HTML calls such characters
    errors); they read as escapes, as in every other format."""
    page = comparison_html(compared(two_runs(scored, tmp_path, b=named(HOSTILE))), [])
    assert "\x1b" not in page and "\x07" not in page
    assert r"evil\x1b[2J\x1b]0;owned\x07" in page


# ---------------------------------------------------------------- names that look alike

LOOK_ALIKE = {"NFC and NFD": (unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")),
              "zero-width joiner": ("sysA", "sys\u200dA"),
              "zero-width space": ("gemma", "gem\u200bma"),
              "a space at the end": ("sysA", "sysA "),
              "no-break space": ("two words", "two\u00a0words"),
              "empty and a no-break space": ("", "\u00a0")}


@pytest.mark.parametrize("case", LOOK_ALIKE)
def test_names_that_look_alike_are_told_apart_by_their_folders(scored, tmp_path, case):
    """Two systems named café (NFC) and café (NFD), or sysA and sys<ZWJ>A, were two lines that read the same
    name, their scores unattributable; such names are told apart as namesakes are, by their run folders."""
    first, second = LOOK_ALIKE[case]
    comparison = compared(two_runs(scored, tmp_path, a=named(first), b=named(second)))
    shown = [unicodedata.normalize("NFC", "".join(c for c in name if unicodedata.category(c) != "Cf"))
             for name in comparison.system_names]
    assert len(set(shown)) == 2, comparison.system_names
    assert comparison.system_names == [f"{first}@sysA", f"{second}@sysB"]


def test_a_name_that_reads_as_nothing_is_named_by_its_folder(scored, tmp_path):
    """A model named '' (or only spaces) was a blank system cell in every table, its scores nobody's."""
    comparison = compared(two_runs(scored, tmp_path, a=named(" ")))
    assert comparison.system_names == [" @sysA", "sysB"]


def test_names_that_differ_in_case_stay_as_they_are(scored, tmp_path):
    """Sys and sys read differently: no folder is added to them."""
    comparison = compared(two_runs(scored, tmp_path, a=named("Sys"), b=named("sys")))
    assert comparison.system_names == ["Sys", "sys"]


# ---------------------------------------------------------------- results edited by hand

def edited_score(metric: str, score: float) -> Callable[[dict], object]:
    return lambda result: result["documents"][0]["aligned"][metric].update(score=score)


@pytest.mark.parametrize("metric, score", [("bleu", 99.0), ("ter", 0.0), ("chrf", 12.0)])
def test_a_stored_score_that_its_statistics_do_not_give_is_refused(scored, tmp_path, metric, score):
    """sysB's aligned BLEU edited to 99.0 in result.json, its segment statistics left: the comparison showed
    12.6 (from the statistics), in silence, where result.json and harness-score's own table say 99.0. The two
    tell different stories, so neither is shown."""
    folders = two_runs(scored, tmp_path, b=edited_score(metric, score))
    with pytest.raises(UserError, match=f"document 'src' of 'sysB': its stored {metric} score {score} "):
        compared(folders)
    outcome = run_cli("compare", [*folders, "--out", str(tmp_path / "report"), "--resamples", str(RESAMPLES)],
                      cwd=tmp_path)
    assert_one_line_error(outcome, str(Path(folders[1]) / "result.json"), "do not give", "re-run")
    assert not (tmp_path / "report").exists()


def without_metric(name: str) -> Callable[[dict], object]:
    def drop(result: dict) -> None:
        for document in result["documents"]:
            for records in (document["metrics"], document["aligned"], document["segment_statistics"]):
                records.pop(name, None)
            for segment in document["segments"]:
                segment["scores"].pop(name, None)
                segment["statistics"].pop(name, None)
    return drop


def test_a_metric_some_run_lacks_is_named_as_left_out(scored, tmp_path):
    """sysB without chrF++: the comparison compared BLEU, chrF and TER and said nothing of chrF++, which sysA
    has; the notes of every format name it and the run that lacks it."""
    comparison = compared(two_runs(scored, tmp_path, b=without_metric("chrf++")))
    assert [m.name for m in comparison.metrics] == ["bleu", "chrf", "ter"]
    assert any("chrf++" in note and "'sysB'" in note for note in comparison.metrics_left_out), \
        comparison.metrics_left_out
    assert any("chrf++" in line and "sysB" in line for line in comparison_table(comparison).splitlines()[-12:])
    assert "chrf++" in comparison_markdown(comparison)


def test_a_document_id_that_leads_out_of_the_run_folder_reads_nothing_there(scored, tmp_path):
    """Both runs' document id edited to '../../../shared': the duplicate check read <run>/hypotheses/../../../
    shared.txt, a file outside either run, for both, and called two different systems 'identical output'."""
    (tmp_path / "shared.txt").write_text("the same text\n", encoding="utf-8")
    folders = two_runs(scored, tmp_path, a=document_id("../../../shared"), b=document_id("../../../shared"))
    assert (Path(folders[0]) / "hypotheses" / "../../../shared.txt").resolve() == (tmp_path / "shared.txt")
    comparison = compared(folders)
    assert comparison.ranking.duplicates == []


def ter_said_higher_is_better(result: dict) -> None:
    for document in result["documents"]:
        for records in (document["metrics"], document["aligned"]):
            if "ter" in records:
                records["ter"]["higher_is_better"] = True


@pytest.mark.parametrize("edited_runs", ["baseline", "both"])
def test_a_metric_whose_stored_direction_was_turned_is_refused(scored, tmp_path, edited_runs):
    """sysA's TER records edited to say higher is better: the tables were headed 'TER ↑' (the baseline's records)
    over a ranking made lower-first (TER's own direction), sysA's 31.6 above sysB's 63.2. Runs that disagree on
    a direction are not comparable; runs that agree on the wrong one were edited."""
    folders = two_runs(scored, tmp_path, a=ter_said_higher_is_better,
                       b=ter_said_higher_is_better if edited_runs == "both" else lambda r: None)
    said = ("different ter direction" if edited_runs == "baseline"
            else "its ter scores say higher is better, and ter is not")
    with pytest.raises(UserError, match=said):
        compared(folders, metrics=["ter"])


# ---------------------------------------------------------------- Markdown headings

def user_metric(declared: str, key: str = "my.metrics.Mine") -> Callable[[dict], object]:
    """A metric of the user's own, stored as means of chrF's sentence scores, declaring the name given."""
    def add(result: dict) -> None:
        for document in result["documents"]:
            segments = document["segments"]
            for segment in segments:
                segment["statistics"][key] = [segment["scores"]["chrf"], 1]
            mean = round(sum(s["scores"]["chrf"] for s in segments) / len(segments), 4)
            record = {"score": mean, "signature": "mine|v1", "higher_is_better": True, "name": declared}
            document["aligned"][key], document["metrics"][key] = record, dict(record)
            document["segment_statistics"][key] = "mean"
    return add


@pytest.mark.parametrize("declared", ["<img src=x onerror=alert(1)>", "two\nlines"])
def test_a_metrics_declared_name_keeps_every_heading_one_line_of_text(scored, tmp_path, declared):
    """A metric's declared name went into the Markdown headings raw (`## <img src=x onerror=...> vs the baseline`:
    an image that runs script where Markdown is rendered) and a line break in it ended the heading, leaving the
    rest of the name a paragraph; the terminal's block titles broke the same way."""
    change = user_metric(declared)
    comparison = compared(two_runs(scored, tmp_path, a=change, b=change), metrics=["my.metrics.Mine"])
    markdown = comparison_markdown(comparison).splitlines()
    headings = [line for line in markdown if line.startswith("#")]
    assert len(headings) >= 4 and all(line.startswith(("# ", "## ")) for line in headings), headings
    assert not any(re.search(r"(?<!\\)<img", line) for line in markdown)   # \<img is text
    assert "lines ↑" not in [line.strip() for line in markdown]
    terminal = comparison_table(comparison).splitlines()
    assert not any(line.startswith(("lines", "= ")) for line in terminal), terminal


# ---------------------------------------------------------------- the arguments

def test_a_baseline_that_names_two_runs_says_so(scored, tmp_path):
    """Two runs of the model sysA (in x/ and y/) are named sysA@x/sysA and sysA@y/sysA; --baseline sysA called
    itself 'unknown', though it names both: the message says it names two, and which to pass instead."""
    for folder in ("x", "y"):
        shutil.copytree(scored / "sysA", tmp_path / folder / "sysA")
    outcome = run_cli("compare", [str(tmp_path / "x" / "sysA"), str(tmp_path / "y" / "sysA"), "--baseline", "sysA",
                                  "--out", str(tmp_path / "report")], cwd=tmp_path)
    assert_one_line_error(outcome, "--baseline sysA names 2 runs", "sysA@x/sysA", "sysA@y/sysA")
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("listing", [False, True])
def test_a_run_folder_that_is_a_link_in_a_loop_is_called_one(tmp_path, listing):
    """A run folder argument that is a symbolic link to itself read "'loop' does not exist", though `ls` shows it
    there."""
    os.symlink("loop", tmp_path / "loop")
    arguments = ["--list", "loop"] if listing else ["loop", "--out", str(tmp_path / "report")]
    outcome = run_cli("compare", arguments, cwd=tmp_path)
    assert_one_line_error(outcome, "loop is a symbolic link in a loop")


def test_the_results_index_shows_a_folder_name_on_its_own_line(scored, tmp_path):
    """harness-compare --list printed a run folder named 'run<LF>fake 99.9' raw: its second part stood on a line of
    its own, a forged line of the index."""
    shutil.copytree(scored / "sysA", tmp_path / "results" / "run\nfake 99.9")
    outcome = run_cli("compare", ["--list", "results"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr[-2000:]
    lines = outcome.stdout.splitlines()
    assert lines[2].endswith(r"results/run\nfake 99.9") and not any(line.startswith("fake") for line in lines)
