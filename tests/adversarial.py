"""Helpers of the adversarial test matrices: run a CLI in a child process, and prove that nothing outside
the run folder changed (a checksum of every file and folder of the surrounding tree before and after)."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOG_RECORD = re.compile(r"\[\d{4}-\d\d-\d\d [\d:,]+\]\[[^\]]+\](\[\w+\])? ")   # the console log format (conf/hydra)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        """What stderr says besides the log (the console log is on stderr too, stdout carries the tables)."""
        return [line for line in self.stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]


def run_cli(entry: str, args: list[str], cwd: Path, env: dict | None = None, timeout: int = 300) -> Outcome:
    """Run harness-run (entry "run") or harness-compare (entry "compare") as a user would, in cwd."""
    code = f"from harness.cli import {entry}_main; {entry}_main()"
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, errors="backslashreplace", timeout=timeout)
    return Outcome(done.returncode, done.stdout, done.stderr)


def tree_checksum(root: Path, exclude: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every path under root (folders included) with a digest of its content and mode; excluded subtrees
    (the run folder, the cache) are left out."""
    excluded = {p.resolve() for p in exclude}
    state: dict[str, str] = {}
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = [d for d in subfolders if (here / d).resolve() not in excluded]
        for name in subfolders:
            state[str((here / name).relative_to(root))] = f"dir {oct((here / name).stat().st_mode)}"
        for name in files:
            path = here / name
            if resolvable(path) and path.resolve() in excluded:
                continue
            state[str(path.relative_to(root))] = f"{file_digest(path)} {oct(path.lstat().st_mode)}"
    return state


def resolvable(path: Path) -> bool:
    """False for a symbolic link in a loop, which a case may make on purpose."""
    try:
        path.resolve(strict=path.is_symlink())
    except (OSError, RuntimeError):
        return False
    return True


def file_digest(path: Path) -> str:
    """A file's content digest; a symbolic link's target besides (a link in a loop has no content)."""
    link = f"-> {os.readlink(path)} " if path.is_symlink() else ""
    if not resolvable(path):
        return f"{link}unresolvable"
    return link + (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "special")


def assert_one_line_error(outcome: Outcome, *fragments: str) -> None:
    """Exit code 2 and exactly one line on stderr, starting with 'error:' and naming what it should."""
    assert outcome.code == 2, (outcome.code, outcome.stderr[-2000:])
    assert len(outcome.error_lines) == 1, outcome.stderr[-2000:]
    line = outcome.error_lines[0]
    assert line.startswith("error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
