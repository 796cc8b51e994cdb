"""What the COMET metrics need from the default environment (no unbabel-comet): a one-line error that names the
extra before anything is translated, the error-span rendering of the report, and results of schema version 2."""
from __future__ import annotations

import importlib.util
import json

import pytest

from harness import run
from harness.config import compose_config
from harness.errors import UserError
from harness.score.metrics import select_metrics
from harness.score.metrics.comet import even_pieces, joined_spans
from harness.compare.reports.spans import error_spans_html, marked_text
from harness.results.results import SCHEMA_VERSION, read_record
from tests.compare_fixtures import identity_run
from tests.conftest import SEEDS


@pytest.mark.skipif(importlib.util.find_spec("comet") is not None,
                    reason="unbabel-comet is installed here; this checks the environment without the comet extra")
@pytest.mark.parametrize("metric", ["comet", "cometkiwi", "xcomet"])
def test_a_comet_metric_without_the_extra_names_the_install_command_before_translating(metric, tmp_path):
    with pytest.raises(UserError, match=r'pip install -e "\.\[comet\]".*pip install "mt-harness\[comet\]"') as raised:
        run(compose_config([f"data.root={SEEDS}", "model=identity", f"metrics=[bleu,{metric}]",
                            f"cache.dir={tmp_path / 'cache'}"]), tmp_path / "run")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "run").exists() and not (tmp_path / "cache" / "translations.sqlite").exists()


@pytest.mark.parametrize("name, reference_free", [("comet", False), ("cometkiwi", True), ("xcomet", False)])
def test_comet_metrics_declare_their_direction_and_needs_without_loading_anything(name, reference_free):
    [metric] = select_metrics([name])
    assert metric.higher_is_better and metric.needs_source and metric.sentence_model
    assert metric.reference_free is reference_free


SPAN_CASES = [   # text, spans, expected HTML
    ("a <b> c", [{"start": 2, "end": 5, "severity": "major", "confidence": 0.5}],
     'a <mark class="span-major" title="major, confidence 0.50">&lt;b&gt;</mark> c'),
    ("abcdef", [{"start": 0, "end": 3, "severity": "minor"}, {"start": 2, "end": 6, "severity": "critical"}],
     '<mark class="span-minor" title="minor">abc</mark><mark class="span-critical" title="critical">def</mark>'),
    ("abc", [{"start": 1, "end": 9, "severity": "odd\"label"}],
     'a<mark class="span-unknown" title="odd&quot;label">bc</mark>'),
    ("abc", [], "abc"),
]


@pytest.mark.parametrize("text, spans, expected", SPAN_CASES)
def test_error_spans_are_marked_by_severity_and_escaped(text, spans, expected):
    assert marked_text(text, spans) == expected


def test_the_span_section_says_when_there_is_nothing_to_show():
    assert "No error spans" in error_spans_html([])


def test_a_schema_2_result_still_reads(tmp_path):
    folder = identity_run(tmp_path / "run")
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    assert result["schema_version"] == SCHEMA_VERSION == 3
    result["schema_version"] = 2
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")
    record = read_record(folder)
    assert record.system == {} and all(s.details == {} for d in record.documents for s in d.segments)


@pytest.mark.parametrize("text, count", [
    ("The cat sleeps on the mat and the dog sleeps by the door.", 3),   # cut at words
    ("委員会は木曜日に新しい予算を承認し、市長は来週それに署名する予定です。", 3),   # no spaces: cut at characters
    ("Ankara'da toplanan komisyon, bütçeyi oy birliğiyle kabul etti.", 4)])
def test_pieces_are_about_equal_and_rebuild_the_text(text, count):
    pieces = even_pieces(text, count)
    assert len(pieces) == count and all(pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    assert max(map(len, pieces)) <= 2 * len(text) / count   # none left over-long (COMET would truncate it)


def test_error_spans_of_pieces_land_on_the_same_characters_of_the_whole_output():
    hypothesis = "委員会は木曜日に新しい予算を承認した"
    pieces = [{"mt": piece} for piece in even_pieces(hypothesis, 3)]
    spans = [[{"start": 1, "end": 3, "severity": "minor"}] for _ in pieces]
    joined = joined_spans(hypothesis, pieces, spans)
    assert [hypothesis[s["start"]:s["end"]] for s in joined] == [p["mt"][1:3] for p in pieces]


def test_error_spans_hold_the_text_they_mark_and_none_is_empty():
    """Issue 21: stored span texts held COMET's '<s> Le' for the characters 'Le', and spans of no character."""
    hypothesis = "Le chat dort."
    spans = [[{"text": "<s> Le", "start": 0, "end": 2, "severity": "minor"},
              {"text": "<s>", "start": 0, "end": 0, "severity": "major"},
              {"text": "hat", "start": 4, "end": 7, "severity": "major", "confidence": 0.123456}]]
    joined = joined_spans(hypothesis, [{"mt": hypothesis}], spans)
    assert [(s["text"], s["start"], s["end"]) for s in joined] == [("Le", 0, 2), ("hat", 4, 7)]
    assert joined[1]["confidence"] == 0.1235
