import pytest

from harness.data.documents import load_dataset
from harness.data.segment import join_paragraphs, segment_paragraphs, split_sentences
from tests.conftest import REFERENCES, SEEDS


def test_arabic_single_paragraph_splits_at_full_stops():
    arabic = next(d for d in load_dataset(SEEDS, None, REFERENCES).documents if d.src_lang == "ar")
    assert len(arabic.source.paragraphs) == 1
    segments = segment_paragraphs("004", arabic.source.paragraphs, "ar")
    assert len(segments) == 10
    assert all(s.paragraph == 0 for s in segments)


@pytest.mark.parametrize("text, lang, expected", [
    ("He wrote on Tuesday. .", "en", ["He wrote on Tuesday. ."]),
    ("Bonjour. Au revoir.", "fr", ["Bonjour.", "Au revoir."]),
    ("Merhaba. Nasılsın?", "tr", ["Merhaba.", "Nasılsın?"]),
    ("no boundary here", "en", ["no boundary here"]),
])
def test_split_sentences(text, lang, expected):
    assert split_sentences(text, lang) == expected


def test_segments_keep_document_and_paragraph_links_and_rejoin():
    segments = segment_paragraphs("d1", ["A one. A two.", "B one."], "en")
    assert [(s.doc_id, s.index, s.paragraph) for s in segments] == [("d1", 0, 0), ("d1", 1, 0), ("d1", 2, 1)]
    assert join_paragraphs(segments, ["x1", "x2", "y1"]) == "x1 x2\ny1\n"
