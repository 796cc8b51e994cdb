"""Lines of a text, cut as sacrebleu reads its files: the one rule for data, reference and hypothesis text.

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


def line_count_hint(lines: list[str], expected: int) -> str:
    """Why a file's lines, cut as split_lines cuts them, number other than `expected`, where the text tells: blank
    lines after the last line (too many, for sacrebleu too), or lines ended by a lone CR as in old Mac files (too
    few: only '\\n' ends a line). '' where neither accounts for the difference."""
    extra = lines[expected:]
    if extra == [""]:
        return "its last line is empty (a blank line after the last line is a line, for sacrebleu too): remove it"
    if extra and not any(extra):
        return (f"its last {len(extra)} lines are empty (blank lines after the last line are lines, for sacrebleu "
                "too): remove them")
    if len(lines) < expected and len(lines) + sum(line.count("\r") for line in lines) == expected:
        return ("its lines end in a lone CR (\\r, as in old Mac files), and only \\n ends a line, for sacrebleu too: "
                "convert them (tr '\\r' '\\n')")
    return ""
