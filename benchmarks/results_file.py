"""benchmarks/RESULTS.md is written by several benchmarks, each owning one part: `python -m benchmarks` the
part before the first "## " heading, the others one "## " section each. Each rewrites its own part only."""
from __future__ import annotations

import re


def replace_section(text: str, title: str, section: str) -> str:
    """The file with the section headed `title` replaced by `section` (or appended), the rest left as it is."""
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        return pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text).rstrip("\n") + "\n"
    return text.rstrip("\n") + "\n\n" + section


def replace_suite_part(text: str, suite: str) -> str:
    """The file with the suite's part (everything before the first "## " section) replaced by `suite`."""
    start = re.search(r"^## ", text, re.M)
    return suite.rstrip("\n") + "\n\n" + text[start.start():] if start else suite
