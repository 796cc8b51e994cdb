"""The language check counts the words of scripts written without spaces (Chinese, Japanese, Thai) by character:
str.split counted a Chinese paragraph as a few 'words', so a Chinese text was never checked ('too short')."""
import pytest

from harness.data.languages import check_language, word_count
from harness.errors import UserError

CHINESE = ("香港特别行政区政府今天宣布，从下周一开始，所有中小学将恢复面授课程。教育局表示，学校必须遵守防疫措施，"
           "学生每天上学前需要进行快速检测。")


@pytest.mark.parametrize("text, words", [
    ("Hello world, this is it.", 5),
    ("香港政府今天宣布", 8),                 # each Han character one word (str.split: 1)
    ("東京 は 大きい Tokyo", 7),             # kana too, spaced words beside them
    ("ภาษาไทย", 7),                          # Thai
])
def test_word_count(text, words):
    assert word_count(text) == words


def test_a_chinese_text_is_checked_not_called_too_short():
    assert check_language(CHINESE, "zh", "doc.txt") is None
    with pytest.raises(UserError, match="declared 'fr' \\(French\\) but the text is 'zh'"):
        check_language(CHINESE, "fr", "doc.txt")
