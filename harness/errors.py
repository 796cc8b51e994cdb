"""The one exception type that means "the user can fix this"; the CLI turns it into one line and exit code 2."""
from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable
from pathlib import Path


class UserError(Exception):
    """Bad input or configuration: the message names the input and the fix."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, `timeout`, a scheduler's time limit, `docker stop`), raised where the process stands so that
    it stops as on Ctrl-C: the run folder marked FAILED, the report published whole or not at all, one line."""


def unknown_name(kind: str, name: str, available: Iterable[str]) -> UserError:
    """An error for an unknown name that lists what exists and suggests the closest match (the same name written in
    another case first: 'BLEU' for bleu, which difflib's ratio does not find)."""
    options = sorted(available)
    same_but_case = [option for option in options if option.lower() == name.lower()]
    close = same_but_case or closest(name, options)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return UserError(f"unknown {kind} '{name}'.{hint} Available: {', '.join(options)}")


def closest(name: str, options: list[str]) -> list[str]:
    """The option nearest to name, by the last dotted part among the options under the same parent: the parent they
    share makes 'backend.compute_type' look like 'backend._target_' to difflib over the whole key."""
    parent, _, leaf = name.rpartition(".")
    siblings = {option.rpartition(".")[2]: option for option in options if option.rpartition(".")[0] == parent}
    if not siblings:
        return difflib.get_close_matches(name, options, n=1)
    return [siblings[found] for found in difflib.get_close_matches(leaf, siblings, n=1)]


def yaml_problem(err: Exception) -> str:
    """Where a YAML file stops parsing and why (a yaml.YAMLError), e.g. "line 4, column 1: expected ',' or ']'"."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


def first_line(err: BaseException) -> str:
    """An exception's message cut to one line for a one-line error, or its type when it has no message."""
    message = str(err).strip()
    return message.splitlines()[0] if message else type(err).__name__


FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)   # a full disk, a file over the size limit, a quota used up


def is_disk_full(err: BaseException) -> bool:
    """A full disk (or quota, or file size limit), as an OSError or as a library's own error that says so only in its
    message (safetensors)."""
    return getattr(err, "errno", None) in FULL or "No space left on device" in str(err)


def root_cause(err: BaseException) -> str:
    """The first line of the innermost exception of a chain, e.g. "No module named 'mything'"."""
    while err.__cause__ is not None:
        err = err.__cause__
    return first_line(err)


def require_utf8(text: str, what: str) -> None:
    """A path becomes UTF-8 text in result.json, the logs and the tables: one whose name holds bytes of another
    encoding (a Latin-1 folder name, which Python reads as surrogates) is refused before the work, not after it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise UserError(f"{what}={shown}: the path is not UTF-8 (a name written in another encoding); results record "
                        "paths as UTF-8 text, so rename it to UTF-8 or choose another") from None


LOOPS = "is a symbolic link in a loop (it leads back to itself)"
LINK_LOOP = f"{LOOPS}; point it at a file or folder"


def in_a_loop(path: Path) -> bool:
    """Whether following the path's symbolic links leads round in a circle (a -> b -> a)."""
    try:
        os.stat(path)
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def dangling_link(absolute: Path) -> Path | None:
    """The first symbolic link along an absolute path that leads to nothing (a disk that is not mounted), if any:
    a folder made there would fail on the link ('File exists') or, once it is followed, be made in the disk's place.
    A link in a loop leads somewhere, round in a circle: not this (in_a_loop)."""
    return next((prefix for prefix in [*reversed(absolute.parents), absolute]
                 if prefix.is_symlink() and not prefix.exists() and not in_a_loop(prefix)), None)


def looping_link(absolute: Path) -> Path | None:
    """The first symbolic link along an absolute path that is in a loop, if any (Python 3.13's resolve returns such a
    path unresolved, and a folder made there fails with 'File exists' or 'Too many levels of symbolic links')."""
    return next((prefix for prefix in [*reversed(absolute.parents), absolute] if in_a_loop(prefix)), None)
