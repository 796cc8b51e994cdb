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


@pytest.mark.parametrize("text, expected", [
    # a typed apostrophe (WMT 2023 en-de news): read as a quotation mark, it paired with the quote that opens later
    ('He lost the seat in 2017"s election. Asked why, she said: "I do not know. He was a terrible case."',
     ['He lost the seat in 2017"s election.', 'Asked why, she said: "I do not know. He was a terrible case."']),
    ('She said "no." Then she left.', ['She said "no."', "Then she left."]),   # a quotation is still one
    ('I don"t know. We"ll see. She said "maybe.', ['I don"t know.', 'We"ll see.', 'She said "maybe.']),   # contractions
    # a closing quote typed without its space is a quote, not an apostrophe: it ends the quotation (adversarial
    # round 13: the three sentences were one)
    ('He called it "the end"and left. Then he went home. She said "no more.',
     ['He called it "the end"and left.', 'Then he went home.', 'She said "no more.']),
    ('"We won"they said. The crowd cheered. Later "the mayor left.',
     ['"We won"they said.', 'The crowd cheered.', 'Later "the mayor left.']),
    # quotes that pair up are quotation marks, even inside a word (MAC-Dev, WMT 2022 fr-de)
    ('She heard "okay"s. Then she left.', ['She heard "okay"s.', "Then she left."]),
    ('J"ohn, I am tired. I want it", she cried. Then she left.', ['J"ohn, I am tired. I want it", she cried.',
                                                                 "Then she left."]),
])
def test_a_double_quote_inside_a_word_is_no_quotation_mark(text, expected):
    assert split_sentences(text, "en") == expected


@pytest.mark.parametrize("text, expected", [
    # NTREX-128's English types every plural's apostrophe as a double quote: read as a quote, it paired with the
    # quotation that opens later and the sentences between them were one
    ('It became clear that Mercedes" team orders would decide. From pole, Bottas got a good start. Vettel pitted '
     'first. "The team did an exceptional job," said Hamilton.',
     ['It became clear that Mercedes" team orders would decide.', 'From pole, Bottas got a good start.',
      'Vettel pitted first.', '"The team did an exceptional job," said Hamilton.']),
    # where a quotation is open, the same shape closes it
    ('The so-called "experts" say it is fine. They are wrong. "Trust me," he said.',
     ['The so-called "experts" say it is fine.', 'They are wrong.', '"Trust me," he said.']),
    ('He said "the Lakers" season is over. It was long." Then he left.',
     ['He said "the Lakers" season is over.', 'It was long."', 'Then he left.']),
])
def test_a_double_quote_after_a_plural_with_no_quotation_open_is_an_apostrophe(text, expected):
    assert split_sentences(text, "en") == expected


@pytest.mark.parametrize("bullet", ["•", "●", "■", "◆", "○", "★", "➤"])
@pytest.mark.parametrize("text, lang, expected", [
    ("{b} Prices rose. Sales fell.", "en", ["{b} Prices rose.", "Sales fell."]),
    ("  {b} Les prix ont monté. Les ventes ont baissé.", "fr", ["{b} Les prix ont monté.", "Les ventes ont baissé."]),
    ("{b} 中古住宅取引が好調だ。 価格は上昇した。", "ja", ["{b} 中古住宅取引が好調だ。", "価格は上昇した。"]),
])
def test_a_paragraph_opening_with_a_bullet_splits_as_without_it(bullet, text, lang, expected):
    """sentencex leaves a paragraph that opens with a bullet and a space in one piece (WMT 2022's ja-en news have
    '● ...' paragraphs of several sentences); the harness splits it where it splits the same text without one."""
    text, expected = text.format(b=bullet), [sentence.format(b=bullet) for sentence in expected]
    assert split_sentences(text, lang) == expected
    assert split_sentences(text.replace(f"{bullet} ", ""), lang) == [e.replace(f"{bullet} ", "") for e in expected]


def test_segments_keep_document_and_paragraph_links_and_rejoin():
    segments = segment_paragraphs("d1", ["A one. A two.", "B one."], "en")
    assert [(s.doc_id, s.index, s.paragraph) for s in segments] == [("d1", 0, 0), ("d1", 1, 0), ("d1", 2, 1)]
    assert join_paragraphs(segments, ["x1", "x2", "y1"]) == "x1 x2\ny1\n"
