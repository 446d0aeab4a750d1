"""A readers file (CSV, YAML, JSON or XLSX) → validated ``Reader``s; every problem is reported at once.

Columns: ``name``, ``email``, ``lang`` (ja | en) and ``briefs`` (brief ids separated by spaces or
semicolons). Addresses must be plain ASCII ``local@domain.tld`` (dot-atom local part, a domain
of letters, digits and hyphens with a top-level domain). That is a stricter rule than
RFC 5322 allows, on purpose: quoted local parts, comments, IP literals and bare host names are
almost always typing mistakes in a readers list, and the ``email-validator`` package would add
only DNS deliverability checks (which we cannot run offline or in tests) and internationalised
addresses (which need SMTPUTF8 from the server). The mail server stays the final judge: a refused
address is recorded in the ledger for that reader.

A name goes into the ``To`` header and the greeting: one holding control characters, bidi
controls or an RFC 2047 encoded word is refused here, at load time (see ``briefgen.base.headertext``).

A file with a header and no rows is an empty readers list: a warning is logged and nothing is sent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Iterator

from briefgen.base import headertext
from briefgen.base.errors import FactsError, Problem, quoted
from briefgen.base.model import LANGS, Lang
from briefgen.load.tables import Row, read_rows

log = logging.getLogger("briefgen")

COLUMNS = ("name", "email", "lang", "briefs")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_ADDRESS_FORM = "a plain address like name@example.com (ASCII, no display name)"
_SEPARATORS = re.compile(r"[;\s]+")


@dataclass(frozen=True)
class Reader:
    """Someone who receives briefs: name (may be empty), address, language and the brief ids."""

    name: str
    email: str
    lang: Lang
    briefs: tuple[str, ...]
    origin: str = ""

    def receives(self, brief_id: str) -> bool:
        return brief_id in self.briefs


def load_readers(path: Path, known_briefs: Collection[str]) -> tuple[Reader, ...]:
    """Read and validate the readers file; ``known_briefs`` are the brief ids that exist.

    Raises ``FactsError`` naming file:line: field for every bad row; returns ``()`` (and logs a
    warning) when the file lists no readers.
    """
    try:
        rows = read_rows(path, COLUMNS)
    except FactsError as exc:
        if not _only_no_rows(exc):
            raise
        log.warning("%s: the readers file lists no readers; nothing will be sent", path)
        return ()
    problems = [p for row in rows for p in _row_problems(row, known_briefs)]
    problems += list(_duplicates(rows))
    if problems:
        raise FactsError(*problems)
    return tuple(_reader(row) for row in rows)


def is_address(text: str) -> bool:
    """True for a plain ASCII address under the rule stated in this module's docstring."""
    local, _, _ = text.rpartition("@")
    return len(text) <= 254 and len(local) <= 64 and _ADDRESS.fullmatch(text) is not None


def _only_no_rows(exc: FactsError) -> bool:
    """True when the file's one problem is that it has a header but no rows (an empty list)."""
    problems = exc.problems
    return len(problems) == 1 and isinstance(problems[0], Problem) and problems[0].problem == "no data rows"


def _row_problems(row: Row, known_briefs: Collection[str]) -> Iterator[Problem]:
    def bad(field: str, problem: str, expected: str) -> Problem:
        return Problem(row.origin, problem, line=row.line, field=field, expected=expected)

    name, email, lang = row.values["name"], row.values["email"], row.values["lang"]
    refused = headertext.refusal(name)
    if refused:
        yield bad("name", f"{refused} in the name", headertext.EXPECTED)
    if not is_address(email):
        yield bad("email", f"{quoted(email)} is not a usable address", _ADDRESS_FORM)
    if lang not in LANGS:
        yield bad("lang", f"unknown language {quoted(lang)}", " | ".join(LANGS))
    briefs = _brief_ids(row.values["briefs"])
    if not briefs:
        yield bad("briefs", "no brief ids", "brief ids separated by spaces or semicolons")
    for brief in briefs:
        if brief not in known_briefs:
            yield bad("briefs", f"unknown brief {quoted(brief)}",
                      f"one of {', '.join(sorted(known_briefs)) or '(no briefs found)'}")


def _duplicates(rows: list[Row]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for row in rows:
        key = row.values["email"].lower()
        if key in first:
            yield Problem(row.origin, f"duplicate address {quoted(row.values['email'])} (first on line "
                                      f"{first[key]}; addresses compare ignoring case)",
                          line=row.line, field="email", expected="each reader once")
        elif key:
            first[key] = row.line


def _brief_ids(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part for part in _SEPARATORS.split(text) if part))


def _reader(row: Row) -> Reader:
    lang = next(code for code in LANGS if code == row.values["lang"])
    return Reader(name=row.values["name"], email=row.values["email"], lang=lang,
                  briefs=_brief_ids(row.values["briefs"]), origin=f"{row.origin}:{row.line}")
