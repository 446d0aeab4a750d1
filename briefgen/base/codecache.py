"""Patterns and dataclass methods compiled from source at start-up → their compiled form, recorded at set-up and read back.

Python keeps a module's bytecode in ``__pycache__``, but two kinds of code are compiled from source
again in every process: regular expressions (``re`` parses each pattern and generates its matching
code, in Python) and the methods ``dataclasses`` writes for each class (``__init__``, ``__repr__``,
``__eq__``…, each an ``exec`` of generated text). Importing briefgen's command line compiles about 150
patterns and 400 methods that way: a third of the import's instructions.

``write(path)`` (``run.py cache`` calls it at set-up) starts a fresh interpreter that imports what a
command imports (``STARTUP``) under ``record`` and stores the compiled form of each of those patterns
and methods in ``path``. ``serve(path)`` — the package's ``__init__`` calls it before anything else —
has ``re`` and ``dataclasses`` take from ``path`` what is there instead of compiling it again, for the
rest of the process; anything else is compiled as usual.

An entry is keyed by its whole source (a pattern and its flags; a method's generated text) and the
file by the interpreter (its exact version, bytecode and regular-expression engine), so an entry only ever
stands for the very source it was compiled from; a checksum guards the tables, and ``_sre`` still
validates the code it is given. A missing, stale or damaged file costs time, never a different
result. The file lives beside the package's ``.pyc`` files and is trusted like them.
"""

from __future__ import annotations

import array
import binascii
import builtins
import collections
import dataclasses
import importlib
import importlib.util
import marshal
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterable

_re_compiler: Any = importlib.import_module("re._compiler")
_sre: Any = importlib.import_module("_sre")  # the regular-expression engine (no type stubs)
_COMPILE_PATTERN = _re_compiler.compile  # re's own, which an entry stands in for (unless record runs)
_CODE = "I" if array.array("I").itemsize == _sre.CODESIZE else "L"
#: What an entry depends on besides its source: the interpreter's exact version (a bug-fix release may
#: compile a pattern differently), its bytecode and regular-expression engine, and -O.
_INTERPRETER = (sys.version, sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER, _sre.MAGIC, _sre.CODESIZE,
                sys.flags.optimize)

#: The package's own ``__pycache__``; the file name says which interpreter it is for, as a ``.pyc``'s does.
PATH = Path(__file__).parent.parent / "__pycache__" / f"startup.{sys.implementation.cache_tag}.marshal"
#: What every command imports before it starts: the modules ``write`` records.
STARTUP = ("briefgen.cli", "briefgen.pipeline", "briefgen.render.render")

#: (is bytes, pattern, flags) → what ``_sre.compile`` takes after the pattern: final flags, code (as bytes),
#: number of groups, group names → numbers, numbers → names.
_patterns: dict[tuple[bool, str | bytes, int], tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]] = {}
_methods: dict[str, bytes] = {}  # a dataclass method's generated text → its code object, marshalled
#: In this process: ``served`` entries, and sources ``compiled`` because the file had no entry for them.
counts: collections.Counter[str] = collections.Counter()


def serve(path: Path = PATH) -> bool:
    """From now on, compile the patterns and dataclass methods that ``path`` holds from there. False,
    and nothing changed, when ``path`` is missing, damaged or for another interpreter, or when ``re`` or
    ``dataclasses`` is already hooked (by ``record``, or twice)."""
    if _COMPILE_PATTERN.__module__ != "re._compiler" or "exec" in vars(dataclasses):
        return False  # hooked already: by record (which imports the package) or by an earlier serve
    try:
        tables = unpack(path.read_bytes())
    except OSError:
        return False
    if tables is None:
        return False
    _patterns.update(tables[0])
    _methods.update(tables[1])
    _re_compiler.compile = _served_pattern
    dataclasses.exec = _served_exec  # type: ignore[attr-defined]  # found before the builtin
    return True


def pack(patterns: dict[Any, Any], methods: dict[str, bytes]) -> bytes:
    """A file's content: this interpreter, a checksum of the tables, the tables."""
    tables = marshal.dumps((patterns, methods))
    return marshal.dumps((_INTERPRETER, binascii.crc32(tables), tables))


def unpack(data: bytes) -> tuple[dict[Any, Any], dict[str, bytes]] | None:
    """The tables ``pack`` made, or None when ``data`` is damaged or from another interpreter."""
    try:
        interpreter, checksum, tables = marshal.loads(data)
        if interpreter != _INTERPRETER or checksum != binascii.crc32(tables):
            return None
        patterns, methods = marshal.loads(tables)
    except (EOFError, ValueError, TypeError):
        return None
    return (patterns, methods) if isinstance(patterns, dict) and isinstance(methods, dict) else None


def _served_pattern(p: Any, flags: int = 0) -> Any:
    """``re._compiler.compile``, taking a pattern's code from the file when it holds the pattern."""
    entry = _patterns.get((type(p) is bytes, p, flags)) if type(p) in (str, bytes) else None
    if entry is not None:
        final_flags, code, groups, groupindex, indexgroup = entry
        try:
            compiled = _sre.compile(p, final_flags, array.array(_CODE, code).tolist(), groups, dict(groupindex),
                                    indexgroup)
        except (RuntimeError, TypeError, ValueError, OverflowError):  # damaged: _sre refuses invalid code
            pass
        else:
            counts["served"] += 1
            return compiled
    counts["compiled"] += 1
    return _COMPILE_PATTERN(p, flags)


def _served_exec(source: Any, globals: dict[str, Any], locals: dict[str, Any] | None = None) -> None:
    """``exec`` as ``dataclasses`` calls it, taking a method's code from the file when it holds its text."""
    if type(source) is str:
        try:
            source = marshal.loads(_methods[source])
            counts["served"] += 1
        except (KeyError, EOFError, ValueError, TypeError):
            source = _compile(source)
            counts["compiled"] += 1
    builtins.exec(source, globals, locals)


def _compile(text: str) -> Any:
    """What ``exec(text)`` compiles when ``dataclasses`` calls it: none of this module's ``__future__``
    flags are inherited."""
    return compile(text, "<string>", "exec", dont_inherit=True)


class _Engine:
    """``_sre`` as ``re._compiler`` sees it while recording: keeps what the last compile was given."""

    def __init__(self) -> None:
        self.last: tuple[Any, ...] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(_sre, name)

    def compile(self, pattern: Any, *rest: Any) -> Any:
        self.last = rest
        return _sre.compile(pattern, *rest)


def record(path: Path, modules: Iterable[str]) -> Path:
    """Import ``modules`` and write to ``path`` the compiled form of every pattern and dataclass method
    compiled meanwhile. Meant for a fresh interpreter (``write`` starts one): what was imported before
    is not seen, and ``re`` and ``dataclasses`` stay hooked afterwards."""
    patterns: dict[tuple[bool, str | bytes, int], tuple[Any, ...]] = {}
    methods: dict[str, bytes] = {}
    engine = _Engine()

    def compile_pattern(p: Any, flags: int = 0) -> Any:
        engine.last = None
        compiled = _COMPILE_PATTERN(p, flags)
        if type(p) in (str, bytes) and engine.last is not None and not flags & re.DEBUG:
            final_flags, code, groups, groupindex, indexgroup = engine.last
            entry = (int(final_flags), array.array(_CODE, code).tobytes(), groups, dict(groupindex), tuple(indexgroup))
            patterns[(type(p) is bytes, p, int(flags))] = entry
        return compiled

    def exec_method(source: Any, globals: dict[str, Any], locals: dict[str, Any] | None = None) -> None:
        if type(source) is str:
            code = _compile(source)
            methods[source] = marshal.dumps(code)
            source = code
        builtins.exec(source, globals, locals)

    _re_compiler._sre, _re_compiler.compile = engine, compile_pattern
    dataclasses.exec = exec_method  # type: ignore[attr-defined]
    for name in modules:
        importlib.import_module(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(pack(patterns, methods))
    os.replace(partial, path)  # a process starting meanwhile reads the old file or the new one, whole
    return path


#: The child ``write`` starts: this file run as a script, so that recording begins before the package
#: (and everything it imports) is imported.
_RECORD = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


def write(path: Path = PATH, modules: Iterable[str] = STARTUP) -> Path:
    """``record(path, modules)`` in a fresh interpreter (this one's, with the package importable).
    Raises ``OSError`` (the child's last words) when it fails, e.g. on a read-only package folder."""
    import subprocess

    package_parent = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _RECORD, str(Path(__file__).resolve()), str(path), *modules],
                          cwd=package_parent, capture_output=True, text=True)
    if proc.returncode != 0:
        words = proc.stderr.strip().splitlines()
        raise OSError(f"recording into {path} failed: {words[-1] if words else f'exit status {proc.returncode}'}")
    return path


if __name__ == "__main__":
    record(Path(sys.argv[2]), sys.argv[3:])
