"""ReportLab's paragraph module → imported with its two unused Unicode-wide patterns compiled on first use.

``reportlab.platypus.paragraph`` and ``reportlab.lib.textsplit`` (which it imports) each compile, as
they are imported, a pattern whose character class runs to U+FFFF: paragraph's ``uri_pat`` (URL
hyphenation; case-insensitive, so ``re`` folds the case of some 65,000 characters: about 30 ms) and
textsplit's ``rx`` (``cjkwrap``: about 4 ms) — a tenth of what the build command spends importing,
for features a brief never uses (briefgen sets neither ``hyphenationLang`` nor ``uriWasteReduce``
and breaks CJK lines itself). Importing this module imports paragraph with those two patterns
as ``LazyPattern``s, compiled exactly as ReportLab wrote them the first time they are used.

Nothing else changes: every other pattern compiles as usual; if ReportLab is already imported,
compiles its patterns another way or stops writing one that wide, it is imported as it always was.
``render`` imports this module before ReportLab's platypus.
"""

from __future__ import annotations

import importlib
import re
import sys
from types import ModuleType
from typing import Any, Collection

#: The modules whose Unicode-wide patterns wait for their first use.
PARAGRAPH = "reportlab.platypus.paragraph"
LAZY_IN = (PARAGRAPH, "reportlab.lib.textsplit")
_WIDE = "\uffff"  # a character class running to the end of the BMP: what makes compiling slow


class LazyPattern:
    """A ``re.Pattern`` compiled the first time any of its attributes (``match``, ``pattern``, …) is read."""

    __slots__ = ("_source", "_compiled")

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> bool:
        """Whether it has been used (and so compiled) yet."""
        return self._compiled is not None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        return getattr(self._compiled, name)


def import_lazily(name: str, lazy_in: Collection[str] = LAZY_IN) -> ModuleType:
    """Import module ``name``; while it is imported, a ``str`` pattern that modules ``lazy_in``
    compile with a character class to U+FFFF becomes a ``LazyPattern``. Already imported: as it is."""
    if name in sys.modules:
        return sys.modules[name]
    compile_now = re.compile

    def compile_when_used(pattern: Any, flags: int = 0) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__")
        if caller in lazy_in and isinstance(pattern, str) and _WIDE in pattern:
            return LazyPattern(pattern, flags)
        return compile_now(pattern, flags)

    re.compile = compile_when_used
    try:
        return importlib.import_module(name)
    finally:
        re.compile = compile_now


paragraph = import_lazily(PARAGRAPH)
