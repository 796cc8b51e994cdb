"""Sentence alignment on constructed cases whose true beads are known, segment sharing and bad input."""
import random

import pytest

from harness.align import Alignment, HypothesisSentence, align_texts, bead_shape
from harness.aligned_scoring import alignment_table, score_alignment, share_hypothesis
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
    return [(b.hyp, b.ref) for b in beads], notes


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
])
def test_one_hypothesis_is_shared_at_the_reference_length_ratio(text, refs, expected):
    assert share_hypothesis(text, refs) == expected


def alignment_of(hyp, ref, spec):
    beads, notes, background = align_texts(hyp, ref, spec)
    return Alignment([HypothesisSentence(h, k) for k, h in enumerate(hyp)], ref, beads, notes, background)


def test_segments_one_per_reference_sentence_and_unaligned_hypotheses_listed(spec):
    ref = FLOOD_STORY[:4]
    hyp = [FLOOD_STORY[0], reference_sentences()[0], FLOOD_STORY[1] + " " + FLOOD_STORY[2]]
    document = score_alignment(alignment_of(hyp, ref, spec), [f"src {k}" for k in range(3)], spec)
    assert [s["ref_index"] for s in document.segments] == [0, 1, 2, 3]
    assert [s["bead"] for s in document.segments] == ["1-1", "1-2", "1-2", "0-1"]
    assert document.segments[3]["hyp"] == "" and document.segments[3]["src"] is None
    assert document.segments[1]["src"] == "src 2"
    assert document.unaligned_hypotheses == [reference_sentences()[0]]
    assert set(document.segments[0]["scores"]) == {"bleu", "chrf", "ter"}
    assert document.segments[0]["scores"]["bleu"] == 100.0 and document.segments[3]["scores"]["ter"] == 100.0
    assert set(document.aligned_scores) == {"bleu", "chrf", "chrf++", "ter"}
    assert document.aligned_scores["ter"].higher_is_better is False
    table = alignment_table(document).splitlines()
    assert table[0].split("\t") == ["bead", "similarity", "ref_index", "hyp_index", "source", "hypothesis", "reference"]
    assert any(row.startswith("1-0\t") and reference_sentences()[0] in row for row in table)


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


def test_identity_run_writes_alignments_segments_and_declines_to_judge(tmp_path):
    from harness import run
    from tests.conftest import SEEDS
    result = run(compose_config([f"data.root={SEEDS}", "model=identity"]), tmp_path / "run")
    for document in result["documents"]:
        table = (tmp_path / "run" / "alignment" / f"{document['id']}.tsv").read_text(encoding="utf-8")
        assert len(table.splitlines()) == 1 + sum(document["alignment"]["beads"].values())
        assert [s["ref_index"] for s in document["segments"]] == list(range(len(document["segments"])))
        assert set(document["segments"][0]) == {"ref_index", "ref", "hyp", "src", "bead", "similarity", "scores"}
        assert set(document["aligned"]) == {"bleu", "chrf", "chrf++", "ter"}
        assert "ter" not in document["metrics"]
        assert document["diagnostics"]["relation"]["measured"] == "cannot_judge"
        assert document["diagnostics"]["output_language"]["english"] == 0.0
    hypothesis_sentences = sum(len(d["unaligned_hypotheses"]) for d in result["documents"])
    assert hypothesis_sentences > 0     # untranslated sentences stay visible, not silently dropped


@pytest.mark.parametrize("name, shape", [("1-1", (1, 1)), ("2-2", (2, 2)), ("0-1", (0, 1))])
def test_bead_names(name, shape):
    assert bead_shape(name) == shape


@pytest.mark.parametrize("name", ["0-0", "3-1", "one-one", "1"])
def test_a_bad_bead_name_is_a_user_error(name):
    with pytest.raises(UserError, match="alignment.beads"):
        bead_shape(name)


def test_an_alignment_is_computed_once_and_then_read_from_the_cache(spec, chrf_only, monkeypatch):
    from harness import align
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
