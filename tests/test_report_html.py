"""The HTML report's markup without a browser: user-supplied names isolated in <bdi>, figures kept whole, the
answer first under a table of contents (tests/test_report_browser.py checks the same page as Chromium draws it)."""
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from harness.compare.compare import compare_runs, load_runs
from harness.compare.reports.html_text import isolated, with_names_isolated
from harness.compare.reports.page import figure, write_comparison
from tests.compare_fixtures import add_segments, identity_run

OVERRIDE_NAME = "\u202eevil <b>name</b>"


class Page(HTMLParser):
    """Each text of the page with the open elements around it; the sections' ids and the contents' links."""

    def __init__(self):
        super().__init__()
        self.open, self.texts, self.sections, self.links = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section":
            self.sections.append(f"#{attributes['id']}")
        if tag == "a" and "nav" in self.open:
            self.links.append(attributes["href"])
        if tag not in ("meta", "img", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data):
        self.texts.append((data, tuple(self.open)))


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Page, str]:
    base = tmp_path_factory.mktemp("markup")
    runs = [identity_run(base / "weak", "model.name=weak"), identity_run(base / "named", "model.name=named")]
    add_segments(runs[0], 2)
    add_segments(runs[1], 3)
    comparison = compare_runs(load_runs([str(r) for r in runs]), n_resamples=50)
    renamed = (lambda rows: [replace(row, system=OVERRIDE_NAME) if row.system == "named" else row for row in rows])
    comparison = replace(   # a name no hydra override can carry: markup and an override
        comparison, systems=[replace(s, name=OVERRIDE_NAME) if s.name == "named" else s for s in comparison.systems],
        rows=renamed(comparison.rows), buckets=renamed(comparison.buckets),
        not_parallel_rows=renamed(comparison.not_parallel_rows), verdicts=renamed(comparison.verdicts),
        ranking=replace(comparison.ranking, rows=renamed(comparison.ranking.rows),
                        pairs=renamed(comparison.ranking.pairs)))
    text = write_comparison(comparison, base / "report").read_text(encoding="utf-8")
    parsed = Page()
    parsed.feed(text)
    return parsed, text


def test_every_occurrence_of_a_name_is_the_whole_text_of_a_bdi(page):
    parsed, text = page
    shown = [(data, open_) for data, open_ in parsed.texts if "\u202e" in data and "head" not in open_]
    assert len(shown) >= 10   # headline, verdict, tables, runs compared
    assert all(open_[-1] == "bdi" and data == OVERRIDE_NAME for data, open_ in shown), shown
    assert "<b>name</b>" not in text   # escaped: shown as typed


def test_the_title_isolates_names_with_unicode_isolates(page):
    parsed, _ = page
    title = next(data for data, open_ in parsed.texts if open_[-1:] == ("title",))
    assert isolated(OVERRIDE_NAME) in title


def test_the_ranking_and_verdicts_come_first_under_contents_and_the_runs_last(page):
    parsed, _ = page
    assert parsed.links == parsed.sections
    assert parsed.sections[:3] == ["#verdicts", "#ranking", "#summary"] and parsed.sections[-1] == "#runs"


def test_names_in_composed_sentences_are_isolated_as_whole_words():
    assert with_names_isolated("000: bootstrap, 1000 resamples (000)", ["000"]) == \
        "<bdi>000</bdi>: bootstrap, 1000 resamples (<bdi>000</bdi>)"
    assert with_names_isolated("xa<b> and a<b>", ["a<b>"]) == "xa&lt;b&gt; and <bdi>a&lt;b&gt;</bdi>"
    assert with_names_isolated("nothing & no one", []) == "nothing &amp; no one"


def test_a_figure_cell_breaks_between_score_and_interval_only():
    assert figure("+18.1 [4.0, 32.5]") == "+18.1 <span class=\"atom\">[4.0, 32.5]</span>"
    assert figure("≤ 0.010 / 0.020") == "<span class=\"atom\">≤ 0.010</span> / 0.020"
    assert figure(17) == "17"


