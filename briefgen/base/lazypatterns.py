"""A library's module name → the module, imported with its unused Unicode-wide patterns compiled on first use.

Some libraries compile, as they are imported, a pattern whose character class runs to the end of the
Basic Multilingual Plane or beyond; ``re`` builds such a class a character at a time, so each costs
milliseconds on every start-up, for features a brief never uses:

* ``reportlab.platypus.paragraph``'s ``uri_pat`` (URL hyphenation; case-insensitive, so ``re`` folds
  the case of some 65,000 characters: about 30 ms) and ``reportlab.lib.textsplit``'s ``rx``
  (``cjkwrap``: about 4 ms). briefgen sets neither ``hyphenationLang`` nor ``uriWasteReduce`` and
  breaks CJK lines itself. ``render`` imports ReportLab through ``import_lazily``.
* ``yaml.reader``'s ``NON_PRINTABLE`` (about 5 ms): only PyYAML's pure-Python reader uses it, and
  briefgen reads with libyaml, going back to the pure-Python loader only for a file libyaml rejects.
  ``tables`` imports PyYAML through ``import_lazily``.

Such a pattern becomes a ``LazyPattern``, compiled exactly as the library wrote it the first time it is
used. Nothing else changes: every other pattern compiles as usual, and a library already imported, or
one that compiles its patterns another way or no longer writes one that wide, is imported as it always was.
"""

from __future__ import annotations

import importlib
import re
import sys
from types import ModuleType
from typing import Any, Collection

#: A library's module → the modules (it or those it imports) whose wide patterns wait for their first use.
WAITING: dict[str, tuple[str, ...]] = {
    "reportlab.platypus.paragraph": ("reportlab.platypus.paragraph", "reportlab.lib.textsplit"),
    "yaml": ("yaml.reader",),
}
_WIDE = "\uffff"  # a pattern naming this character or one beyond it has a class that wide


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


def import_lazily(name: str, lazy_in: Collection[str] | None = None) -> ModuleType:
    """Import module ``name``; while it is imported, a ``str`` pattern that modules ``lazy_in`` (by default
    ``WAITING[name]``) compile naming U+FFFF or beyond becomes a ``LazyPattern``. Already imported: as it is."""
    if name in sys.modules:
        return sys.modules[name]
    waiting = WAITING.get(name, ()) if lazy_in is None else lazy_in
    compile_now = re.compile

    def compile_when_used(pattern: Any, flags: int = 0) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__")
        if caller in waiting and isinstance(pattern, str) and pattern and max(pattern) >= _WIDE:
            return LazyPattern(pattern, flags)
        return compile_now(pattern, flags)

    re.compile = compile_when_used
    try:
        return importlib.import_module(name)
    finally:
        re.compile = compile_now
