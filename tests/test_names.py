"""Names shared by a source and an English reference, across scripts (harness/align/names.py)."""
import pytest

from harness.align.names import reference_names, shared_names

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
