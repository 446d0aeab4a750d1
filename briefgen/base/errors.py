"""Failures → one error hierarchy whose messages name the file, the row/line, the field and the valid form.

The library raises these; only ``briefgen.cli`` prints them and chooses exit codes.
Every message is one line a user can act on, and never holds a secret.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Iterable

#: At most this many characters of a file's content go into one quoted value, key or field of a
#: message (a secret file read by mistake must not be echoed), and at most ``MAX_SHOWN`` problems.
QUOTE_LIMIT = 80
MAX_SHOWN = 20
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = QUOTE_LIMIT
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6


def quoted(value: object) -> str:
    """A value read from a file, as a message quotes it: its ``repr``, cut after ``QUOTE_LIMIT``
    characters of content (``…`` marks the cut)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= QUOTE_LIMIT else f"{value[:QUOTE_LIMIT]!r}…"
    return _SHORT.repr(value)


@dataclass(frozen=True)
class Problem:
    """One located problem: ``origin`` (a file, or a name such as a brief id), then where and what."""

    origin: str
    problem: str
    line: int | None = None
    field: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.origin
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field if len(self.field) <= QUOTE_LIMIT else self.field[:QUOTE_LIMIT] + '…'}"
        text = f"{where}: {self.problem}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


def did_you_mean(name: str, known: Iterable[str], shown: str = "{!r}") -> str:
    """``"; did you mean 'x'?"`` for the names of ``known`` close to ``name`` (each written as ``shown``
    says), or ``""``."""
    import difflib  # only for a message about a name that is not known

    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {' or '.join(shown.format(c) for c in close)}?" if close else ""


class BriefError(Exception):
    """Root of every error briefgen raises for bad input, bad settings or a failed delivery."""

    def __init__(self, *problems: Problem | str) -> None:
        self.problems: tuple[Problem | str, ...] = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = "; ".join(str(p) for p in self.problems[:MAX_SHOWN])
        hidden = len(self.problems) - MAX_SHOWN
        return shown if hidden <= 0 else f"{shown}; and {hidden:,} more problems"


class FactsError(BriefError):
    """A facts, sources or readers table (or any data file) is malformed; lists every problem found."""


class SpecError(BriefError):
    """A brief spec (YAML) is malformed or names something that does not exist."""


class ComparisonError(BriefError):
    """A comparison cannot be computed: zero baseline, unit mismatch, unknown fact."""


class ComposeError(BriefError):
    """A template is missing, has a syntax error, or uses an undefined name."""


class RenderError(BriefError):
    """The PDF could not be laid out (e.g. content that cannot fit), or a glyph is missing."""


class OutputError(BriefError):
    """The PDF could not be written (read-only folder, full disk, unsafe name)."""


class ConfigError(BriefError):
    """Settings (SMTP, environment variables, paths) are missing or invalid."""


class DeliveryError(BriefError):
    """Sending failed. Names the recipient and the server's reply, never credentials."""


class AuthenticationFailed(DeliveryError):
    """The mail server refused the login: nothing more can be sent until the credentials are fixed."""


class ScheduleError(BriefError):
    """The scheduler cannot run (e.g. another one is already running)."""


class StrictFailed(BriefError):
    """``--strict``: the build logged warnings, so ``held_back`` (nothing written, or nothing sent) holds;
    the problems are the warnings."""

    def __init__(self, *warnings: Problem | str, held_back: str = "nothing written") -> None:
        self.held_back = held_back
        super().__init__(*warnings)

    def __str__(self) -> str:
        count = len(self.problems)
        return f"--strict: {count} warning{'s' if count != 1 else ''}, {self.held_back}: {super().__str__()}"


class CheckFailed(BriefError):
    """A claim in the source article is contradicted by the facts, and the brief spec blocks on that."""
