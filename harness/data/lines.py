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
