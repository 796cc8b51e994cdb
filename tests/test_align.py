"""The hypothesis-side aligner (the fallback for source languages the multilingual encoder does not cover) on
constructed cases whose true beads are known, segment sharing and bad input."""
import random

import pytest

from harness.score.align import align_texts, hypothesis_bead_shape
from harness.data.segment import share_hypothesis
from harness.config import compose_config
from harness.errors import UserError
from tests.alignment_cases import FLOOD_STORY, build_case, exact_bead_accuracy, reference_sentences


@pytest.fixture(scope="module")
def spec():
    return compose_config().alignment


@pytest.fixture(scope="module")
def chrf_only():
    return compose_config(["alignment.embeddings=false"]).alignment


def predicted_beads(hyp, ref, spec):
    beads, notes, _ = align_texts(hyp, ref, spec)
    return [(b.src, b.ref) for b in beads], notes


EDITS = {
    "merge": ({3: "merge"}, ((3,), (3, 4))),
    "split": ({5: "split"}, ((5, 6), (5,))),
    "drop": ({4: "drop"}, ((), (4,))),
    "insert": ({6: "insert"}, ((6,), ())),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("base", ["reference", "flood"])
def test_one_constructed_edit_is_recovered_exactly(spec, edit, base):
    ref, inserts = (reference_sentences(), FLOOD_STORY) if base == "reference" else (FLOOD_STORY, reference_sentences())
    ops, expected = EDITS[edit]
    case = build_case(ref, ops, random.Random(1), drop=0.1, inserts=inserts)
    predicted, _ = predicted_beads(case.hyp, case.ref, spec)
    assert expected in case.beads          # the construction holds what the test claims
    assert expected in predicted
    hits, total = exact_bead_accuracy(case, predicted)
    assert hits == total


def test_several_edits_in_one_document_without_embeddings(chrf_only):
    case = build_case(reference_sentences(), {1: "merge", 5: "split", 8: "drop", 12: "insert"},
                      random.Random(2), drop=0.1, inserts=FLOOD_STORY)
    predicted, _ = predicted_beads(case.hyp, case.ref, chrf_only)
    hits, total = exact_bead_accuracy(case, predicted)
    assert hits / total >= 0.9, (hits, total)


@pytest.mark.parametrize("text, refs, expected", [
    ("one two three four", ["aaaa", "bbbb"], ["one two", "three four"]),
    ("one two three four", ["a", "bbbbbbbbbbbbb"], ["", "one two three four"]),
    ("alpha beta", ["x" * 10], ["alpha beta"]),
    ("", ["a", "b"], ["", ""]),
    # a text written without spaces is cut at its characters: at its words it was one, all in the first part
    ("他说今天天气很好。我们明天一起去北京。", ["今天天气很好。", "我们明天一起去北京。"], ["他说今天天气很好", "。我们明天一起去北京。"]),
    ("今日は晴れです。明日は雨です。", ["今日は晴れです。", "明日は雨です。"], ["今日は晴れです。", "明日は雨です。"]),
])
def test_one_hypothesis_is_shared_at_the_reference_length_ratio(text, refs, expected):
    assert share_hypothesis(text, refs) == expected


BAD_INPUT = {
    "empty hypothesis": ([], FLOOD_STORY[:3], ["0-1"] * 3, "empty hypothesis"),
    "single-sentence document": ([FLOOD_STORY[0]], [FLOOD_STORY[0]], ["1-1"], "single reference sentence"),
    "reference without sentence boundary": (FLOOD_STORY[:3], [" ".join(FLOOD_STORY[:3]).replace(".", ",")],
                                            ["3-1"], "single reference sentence"),
    "very long sentences": ([" ".join(FLOOD_STORY * 4), FLOOD_STORY[6]], [" ".join(FLOOD_STORY * 4), FLOOD_STORY[6]],
                            ["1-1", "1-1"], "longer than 200 words"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_bad_input_still_aligns_and_says_what_it_did(chrf_only, name):
    hyp, ref, kinds, note = BAD_INPUT[name]
    beads, notes, _ = align_texts(hyp, ref, chrf_only)
    assert [b.kind for b in beads] == kinds
    assert any(note in n for n in notes) if note else notes == []


@pytest.mark.parametrize("name, shape", [("1-1", (1, 1)), ("2-2", (2, 2)), ("0-1", (0, 1))])
def test_bead_names(name, shape):
    assert hypothesis_bead_shape(name) == shape


@pytest.mark.parametrize("name", ["0-0", "3-1", "one-one", "1"])
def test_a_bad_bead_name_is_a_user_error(name):
    with pytest.raises(UserError, match="alignment.beads"):
        hypothesis_bead_shape(name)


def test_an_alignment_is_computed_once_and_then_read_from_the_cache(spec, chrf_only, monkeypatch):
    from harness.score import align
    from harness.cache import TranslationCache
    cache = TranslationCache(None)
    hyp, ref = reference_sentences()[:5], reference_sentences()[:6]
    first = align.cached_align_texts(hyp, ref, spec, cache)
    assert first == align_texts(hyp, ref, spec)
    calls = []
    monkeypatch.setattr(align, "align_texts", lambda *args: calls.append(args) or ([], ["recomputed"], 0.0))
    assert align.cached_align_texts(hyp, ref, spec, cache) == first          # same texts and settings: stored
    assert calls == []
    align.cached_align_texts(hyp, ref, chrf_only, cache)                     # other settings: computed afresh
    align.cached_align_texts(hyp[:4], ref, spec, cache)                      # other texts: computed afresh
    assert len(calls) == 2
