"""The HTML comparison report in a real browser: headless Debian Chromium driven by Playwright
(benchmarks/report_browser.py). Skips, saying why, where Chromium or Playwright is missing; CI installs both."""
from pathlib import Path

import pytest

from benchmarks.report_browser import HEIGHT, missing_browser, problems, view_report
from harness.compare.compare import compare_runs, load_runs
from harness.score.metrics import select_metrics
from harness.compare.reports.page import write_comparison
from harness.results.results import read_result, write_json_atomically
from tests.compare_fixtures import add_segments, identity_run

pytestmark = pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))

MARKUP = "<script>window.pwned = 1</script> \"quoted\" & 'single' <b>bold?</b> مرحبا بالعالم 🎉🙂"
# A system name with a right-to-left override (U+202E) and no end to it: outside an isolate it would reverse the
# text that follows it on its line ("against weak: significantly better ..." read backwards).
OVERRIDE_NAME = "\u202e2_evil-name@sweep_a"
# Names as a sweep's runs get them when two sweeps are compared: long enough to crowd a table of three systems.
WEAK, MARKED = "0_identity@sweep_a", "1_gemma3_270m@sweep_a"
ARABIC = ("تعد الترجمة الآلية من أهم مجالات معالجة اللغات الطبيعية، وقد شهدت تطورا كبيرا في السنوات الأخيرة "
          "بفضل النماذج العصبية التي تتعلم من كميات ضخمة من النصوص المتوازية بين اللغات المختلفة")


def rescored(segment: dict, hypothesis: str) -> None:
    segment["hyp"] = hypothesis
    segment["scores"] = {m.name: m.sentence_score(hypothesis, segment["ref"])
                         for m in select_metrics(list(segment["scores"]))}


def with_markup(run_dir: Path, document: str, answer: bool) -> None:
    """MARKUP as the source of the first sentence of `document` (in every run: harness-compare refuses runs whose
    sources differ) and, with `answer`, appended to its output (its sentence scores recomputed with real sacrebleu):
    the output now holds the reference itself, so it becomes the top example of this system beating the baseline."""
    result = read_result(run_dir)
    segment = next(d for d in result["documents"] if d["id"] == document)["segments"][0]
    if answer:
        rescored(segment, f"{segment['ref']} {MARKUP}")
    segment["src"] = MARKUP
    write_json_atomically(run_dir / "result.json", result)


def with_arabic(run_dir: Path, document: str, answer: bool) -> None:
    """The second sentence of `document` with an Arabic source (the report shows the baseline's) and, with
    `answer`, answered in Arabic at several lines' length (its chrF falls to about 0: an example of the baseline
    beating this system)."""
    result = read_result(run_dir)
    segment = next(d for d in result["documents"] if d["id"] == document)["segments"][1]
    if answer:
        rescored(segment, f"{ARABIC}، {ARABIC}")
    segment["src"] = ARABIC
    write_json_atomically(run_dir / "result.json", result)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    weak = identity_run(base / "weak", f"model.name='{WEAK}'")
    marked = identity_run(base / "marked", f"model.name='{MARKED}'")
    named = identity_run(base / "named", f"model.name='{OVERRIDE_NAME}'")
    add_segments(weak, 2)
    add_segments(marked, 3)
    add_segments(named, 4)
    for run_dir in (weak, marked, named):
        with_markup(run_dir, "002", answer=run_dir == marked)
        with_arabic(run_dir, "004", answer=run_dir == named)
    comparison = compare_runs(load_runs([str(weak), str(marked), str(named)]), n_resamples=200)
    assert comparison.system_names == [WEAK, MARKED, OVERRIDE_NAME]
    shown = [e for e in comparison.examples[0].better if MARKUP in e.outputs[1].hyp]
    assert shown, "the marked-up sentence must be among the examples the report shows"
    assert any(ARABIC in e.outputs[1].hyp for e in comparison.examples[1].worse)
    return write_comparison(comparison, base / "report")


@pytest.fixture(scope="module")
def views(report):
    return view_report(report)


def test_report_loads_cleanly_at_desktop_and_phone_width(views):
    assert set(views) == {"desktop", "phone"}
    assert problems(views) == []   # no console error, every image decodes, no sideways overflow, no script
    # element, nothing clipped, right-to-left text aligned right, no override outside a <bdi>, every section listed
    for view in views.values():
        assert len(view.images) == 5 and all(image["width"] > 0 for image in view.images)   # 4 metrics and the Δ


def test_markup_in_a_document_displays_as_text(views):
    for view in views.values():
        assert MARKUP in view.text     # <script>, quotes, Arabic and emoji shown as typed, not run or dropped
        assert view.script_elements == 0


def test_documents_that_are_not_translations_are_set_apart(views):
    sections = views["desktop"].sections
    assert "000 fr" in sections["not-parallel"] and "003 fr" in sections["not-parallel"]
    assert "000" not in sections["summary"] and "003" not in sections["summary"]
    assert "002 tr" in sections["summary"] and "004 ar" in sections["summary"]
    assert "000" not in sections["lengths"] and "000" not in sections["examples"]


def test_every_table_fits_the_screen_at_1280_and_390_px(views):
    """3 systems: the summary's Δ and the wide table of the other documents, each cell whole on the screen."""
    for view in views.values():
        assert view.tables >= 20   # summary, other documents, 4 leaderboards, 8 length tables, examples, runs
        assert view.overflow_px == 0
        assert view.clipped == [], f"{view.width} px: {view.clipped}"


def test_right_to_left_text_wraps_right_aligned(views):
    for view in views.values():
        arabic = [b for b in view.rtl_blocks if ARABIC in b["text"]]
        assert len(arabic) >= 2, "the Arabic source and output of one example, each a block of its own"
        assert max(b["lines"] for b in arabic) > 1, "the Arabic output must wrap, or there is nothing to test"
        assert view.rtl_flush_left == [], f"{view.width} px: {view.rtl_flush_left}"


def test_a_name_with_a_right_to_left_override_reverses_nothing_around_it(views):
    for view in views.values():
        assert OVERRIDE_NAME in view.text
        assert view.overrides == [], f"{view.width} px: {view.overrides}"
        assert view.overrides_measured > 0, "no isolated name had text after it on its line: nothing was measured"


def test_the_first_screen_is_the_verdicts_with_contents_and_metadata_below(views):
    for view in views.values():
        assert view.first_verdict_top is not None and view.first_verdict_top < HEIGHT, view.first_verdict_top
        assert view.contents["links"] == view.contents["sections"] and "#summary" in view.contents["links"]
        order = list(view.sections)
        assert order.index("summary") < order.index("runs")
