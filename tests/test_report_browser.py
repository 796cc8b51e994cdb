"""The HTML comparison report in a real browser: headless Debian Chromium driven by Playwright
(benchmarks/report_browser.py). Skips, saying why, where Chromium or Playwright is missing; CI installs both."""
from pathlib import Path

import pytest

from benchmarks.report_browser import missing_browser, problems, view_report
from harness.compare import compare_runs, load_runs
from harness.metrics import select_metrics
from harness.report_html import write_comparison
from harness.results import read_result, write_json_atomically
from tests.compare_fixtures import add_segments, identity_run

pytestmark = pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))

MARKUP = "<script>window.pwned = 1</script> \"quoted\" & 'single' <b>bold?</b> مرحبا بالعالم 🎉🙂"


def with_markup(run_dir: Path, document: str) -> str:
    """Append MARKUP to one output sentence of `document` (its sentence scores recomputed with real sacrebleu):
    the output now holds the reference itself, so it becomes the top example of this system beating the baseline."""
    result = read_result(run_dir)
    segment = next(d for d in result["documents"] if d["id"] == document)["segments"][0]
    segment["hyp"] = f"{segment['ref']} {MARKUP}"
    segment["src"] = MARKUP
    segment["scores"] = {m.name: m.sentence_score(segment["hyp"], segment["ref"])
                         for m in select_metrics(list(segment["scores"]))}
    write_json_atomically(run_dir / "result.json", result)
    return segment["hyp"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    weak, marked = identity_run(base / "weak", "model.name=weak"), identity_run(base / "marked", "model.name=marked")
    add_segments(weak, 2)
    add_segments(marked, 3)
    with_markup(marked, "002")
    comparison = compare_runs(load_runs([str(weak), str(marked)]), n_resamples=200)
    shown = [e for e in comparison["examples"][0]["better"] if MARKUP in e["outputs"][1]["hyp"]]
    assert shown, "the marked-up sentence must be among the examples the report shows"
    return write_comparison(comparison, base / "report")


@pytest.fixture(scope="module")
def views(report):
    return view_report(report)


def test_report_loads_cleanly_at_desktop_and_phone_width(views):
    assert set(views) == {"desktop", "phone"}
    assert problems(views) == []   # no console error, every image decodes, no sideways overflow, no script element
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
