"""Names shared by a source and an English reference, across scripts (harness/align/names.py)."""
import pytest

from harness.align.crosslingual import align_sentences
from harness.align.names import reference_names, shared_names
from harness.data.languages import written_without_spaces
from harness.config import compose_config

REFERENCE = ["Canada and Japan began talks on Tuesday, Mélanie Joly said in Tokyo.",
             "“We will work with our partners,” she said. The Five Eyes alliance includes Canada."]


def test_reference_names_leave_out_sentence_openings_quotations_and_calendar_words():
    assert reference_names(REFERENCE) == ["Canada", "Five Eyes", "Japan", "Mélanie Joly", "Tokyo"]


@pytest.mark.parametrize("source, found", [
    (["وقالت ميلاني جولي في طوكيو إن اليابان وكندا بدأتا محادثات"], {"Japan", "Tokyo"}),   # not the prefixed وكندا
    (["Kanada ve Japonya, Tokyo'da müzakerelere başladı."], {"Canada", "Japan", "Tokyo"}),
    (["La pluie a fait déborder la rivière dimanche matin."], set()),
])
def test_names_are_found_in_another_script(source, found):
    names, total = shared_names(source, REFERENCE, 0.7)
    assert set(names) == found and total == 5


@pytest.mark.parametrize("source, unspaced", [
    (["加拿大和日本周二在东京开始谈判，梅拉妮·乔利说。"], True),
    (["カナダと日本は火曜日に東京で協議を始めた。"], True),
    (["แคนาดาและญี่ปุ่นเริ่มการเจรจาที่โตเกียว"], True),
    (["وقالت ميلاني جولي في طوكيو إن اليابان وكندا بدأتا محادثات"], False),
    (["Kanada ve Japonya, Tokyo'da müzakerelere başladı. 加拿大"], False),   # a few Han characters in a Latin text
    (["2024 — 17 %"], False),
])
def test_a_source_written_without_spaces_between_words_is_told(source, unspaced):
    assert written_without_spaces(source) is unspaced


def test_a_chinese_source_compares_no_names_and_says_why():
    """Its 'words' are whole clauses, whose cosine with a name says nothing: the pair's notes say so, and its names
    are not compared (None), not none found."""
    config = compose_config([])
    pair = align_sentences(["加拿大和日本周二在东京开始谈判。", "梅拉妮·乔利说，合作将继续。"], REFERENCE, config.crosslingual)
    assert pair.shared_names is None
    assert "source written without spaces between words: names not compared" in pair.notes
    spaced = align_sentences(["Kanada ve Japonya Salı günü Tokyo'da müzakerelere başladı.",
                              "Mélanie Joly, ortaklarla çalışacağız dedi."], REFERENCE, config.crosslingual)
    assert "Tokyo" in spaced.shared_names and spaced.reference_names == 5
