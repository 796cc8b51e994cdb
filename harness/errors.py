"""The one exception type that means "the user can fix this"; the CLI turns it into one line and exit code 2."""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """Bad input or configuration: the message names the input and the fix."""


def unknown_name(kind: str, name: str, available: Iterable[str]) -> UserError:
    """An error for an unknown name that lists what exists and suggests the closest match."""
    options = sorted(available)
    close = difflib.get_close_matches(name, options, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return UserError(f"unknown {kind} '{name}'.{hint} Available: {', '.join(options)}")


def first_line(err: BaseException) -> str:
    """An exception's message cut to one line for a one-line error, or its type when it has no message."""
    message = str(err).strip()
    return message.splitlines()[0] if message else type(err).__name__
