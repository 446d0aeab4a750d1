"""A library's module name → the module, imported with what a brief never uses left for its first use.

Some libraries compile, as they are imported, a pattern whose character class runs to the end of the
Basic Multilingual Plane or beyond; ``re`` builds such a class a character at a time, so each costs
milliseconds on every start-up, for features a brief never uses. ``import_with_lazy_patterns(name)``
imports module ``name`` with those patterns (``WAITING``) as ``LazyPattern``s, compiled exactly as
the library wrote them the first time they are used:

* ``reportlab.platypus.paragraph``'s ``uri_pat`` (URL hyphenation; case-insensitive, so ``re`` folds
  the case of some 65,000 characters: about 30 ms) and ``reportlab.lib.textsplit``'s ``rx``
  (``cjkwrap``: about 4 ms). briefgen sets neither ``hyphenationLang`` nor ``uriWasteReduce`` and
  breaks CJK lines itself. ``render`` imports ReportLab's paragraph this way.
* ``yaml.reader``'s ``NON_PRINTABLE`` (about 5 ms): only PyYAML's pure-Python reader uses it, and
  briefgen reads with libyaml, going back to the pure-Python loader only for a file libyaml rejects.
  ``tables`` imports PyYAML this way.

Every other pattern compiles as usual, and a library already imported, or one that compiles its
patterns another way or no longer writes one that wide, is imported as it always was.

``load_on_first_use(name)`` registers module ``name`` so that importing it gives the module at once and
runs it when one of its attributes is first read (``importlib.util.LazyLoader``): the ``render`` package
does this for ``PIL.Image`` (about 8 ms), which ReportLab imports for bitmaps a brief never has; the
page pictures of previews and emails (``render.pages``) load it then. Python 3.11's LazyLoader is not
safe when two threads read such a module's first attribute at once: briefgen draws pages on one thread.

``import_without(name, optional)`` imports module ``name`` as if the optional module ``optional`` were
not installed, for a library that only tries it: pint without NumPy (``units``: briefgen hands pint
Python numbers; NumPy is a third of pint's import), Babel's dates without pytz (``numfmt``: pytz is
installed for ``schedule``'s time zones, and Babel, finding it, looks the local zone up through pytz,
which stats every zone file it knows on import — ~18 ms of every start — where ``zoneinfo`` reads one;
briefgen formats dates, never times in a zone). ``optional`` stays importable for whoever needs it.
"""

from __future__ import annotations

import importlib
import importlib.util
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


def import_with_lazy_patterns(name: str, lazy_in: Collection[str] | None = None) -> ModuleType:
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


def load_on_first_use(name: str) -> ModuleType:
    """Module ``name`` of an importable package, registered to run when one of its attributes is first
    read (``import`` and ``from package import module`` give it at once). Already imported, or a loader
    that cannot wait: imported as usual."""
    if name in sys.modules:
        return sys.modules[name]
    package, _, child = name.rpartition(".")
    parent = importlib.import_module(package) if package else None
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return importlib.import_module(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if parent is not None:
        setattr(parent, child, module)  # what importing a submodule does, so `from package import module` finds it
    return module


def import_without(name: str, optional: str) -> ModuleType:
    """Import module ``name`` with module ``optional`` unimportable meanwhile (``import optional`` raises
    ``ModuleNotFoundError``), unless either is loaded already; ``optional`` is importable again after."""
    if name in sys.modules or optional in sys.modules:
        return importlib.import_module(name)
    sys.modules[optional] = None  # type: ignore[assignment]  # `import optional` now fails at once
    try:
        return importlib.import_module(name)
    finally:
        del sys.modules[optional]
