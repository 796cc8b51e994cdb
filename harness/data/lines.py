"""Lines of a text, cut as sacrebleu reads its files: the one rule for data, reference and hypothesis text (a
searched document's text, which no tool reads line by line, also ends a line at a lone CR: split_paragraphs).

sacrebleu (sacrebleu.py, utils.smart_open) opens files with newline="\\n" and takes `line.rstrip()` of each
line: only '\\n' ends a line, and a line keeps everything but its trailing whitespace (so a Windows '\\r' goes).
str.splitlines would also cut at U+2028, U+2029, form feed, \\x0b, \\x1c-\\x1e and \\x85, which shifts every
following line of a line-aligned test set against its reference.
"""
from __future__ import annotations


def split_lines(text: str) -> list[str]:
    """The lines sacrebleu reads from a file holding `text` (a final '\\n' starts no new line)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.rstrip() for line in lines]


BYTE_ORDER_MARK = "\ufeff"   # U+FEFF at the start of a file: UTF-8's byte-order mark (documents.read_text_file)


def split_paragraphs(text: str) -> list[str]:
    """The lines of a searched document's text (a source, reference or output that is split into sentences and
    searched, which no tool reads line by line): a lone CR (\\r, as in old Mac files) ends a line too, as Python's
    universal newlines read a file, and a byte-order mark that starts a line is no text, as at the file's start (files
    joined with cat keep each one's mark: it made the line's first word another token, and the same text scored
    lower). With only '\\n' ending one, a file of lone CRs was one line: its list items and headings, which have no
    full stop, one sentence, and its relation could not be judged."""
    return unmarked(split_lines(text.replace("\r\n", "\n").replace("\r", "\n")))


def unmarked(lines: list[str]) -> list[str]:
    """Lines without a byte-order mark at their start: no text, as at a file's start (files joined with cat keep each
    one's)."""
    return [line.removeprefix(BYTE_ORDER_MARK) for line in lines]


def line_count_hint(lines: list[str], expected: int) -> str:
    """Why a file's lines, cut as split_lines cuts them, number other than `expected`, where the text tells: blank
    lines after the last line (too many, for sacrebleu too), or lines ended by a lone CR as in old Mac files or by a
    Unicode line separator (too few: only '\\n' ends a line). '' where none accounts for the difference."""
    extra = lines[expected:]
    if extra == [""]:
        return "its last line is empty (a blank line after the last line is a line, for sacrebleu too): remove it"
    if extra and not any(extra):
        return (f"its last {len(extra)} lines are empty (blank lines after the last line are lines, for sacrebleu "
                "too): remove them")
    for separator, (name, fix) in LINE_ENDS_NOT_READ.items():
        if len(lines) < expected and len(lines) + sum(line.count(separator) for line in lines) == expected:
            return f"its lines end in {name}, and only \\n ends a line, for sacrebleu too: {fix}"
    return ""


# what ends a line for some programs (str.splitlines among them) and not for sacrebleu nor the harness
REPLACE_EACH = "replace each with a line break"
LINE_ENDS_NOT_READ = {"\r": ("a lone CR (\\r, as in old Mac files)", "convert them (tr '\\r' '\\n')"),
                      "\u2028": ("U+2028 (LINE SEPARATOR)", REPLACE_EACH),
                      "\u2029": ("U+2029 (PARAGRAPH SEPARATOR)", REPLACE_EACH),
                      "\x85": ("U+0085 (NEXT LINE)", REPLACE_EACH), "\x0b": ("a vertical tab", REPLACE_EACH),
                      "\x0c": ("a form feed", REPLACE_EACH)}
