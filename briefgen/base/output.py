"""PDF bytes → a file, written atomically at a path that cannot leave the reports folder.

``write_atomic`` writes a temporary file in the target folder, fsyncs it and renames it over the
target, so readers see the old file or the new one, never half of one; on failure the old file is
untouched and the temporary file is removed.

``safe_component`` policy: names are NFC-normalised; every run of characters other than letters,
digits, ``_``, ``-`` and ``.`` (path separators, ``<>:"|?*``, control characters, spaces) becomes a
single ``-``; pieces made only of dots (``.``, ``..``) are dropped; leading/trailing ``-``, ``.`` are
stripped (no hidden files, no Windows trailing dots); Windows device names (``CON``, ``NUL``,
``COM1``…) get a trailing ``_``; the result is cut to 100 characters. A name with nothing left
(empty, ``...``, ``///``) raises OutputError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from briefgen.base.errors import OutputError, Problem

MAX_COMPONENT = 100
_UNSAFE = re.compile(r"[^\w.\-]+")
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                      *(f"LPT{i}" for i in range(1, 10))})


def safe_component(name: str) -> str:
    """``name`` as one safe file-name component (see the module docstring for the policy)."""
    pieces = _UNSAFE.split(unicodedata.normalize("NFC", name))
    kept = [p for p in pieces if p.strip(".")]
    slug = "-".join(kept).strip("-.")[:MAX_COMPONENT].strip("-.")
    if not slug:
        raise OutputError(Problem(repr(name), "is not usable as a file name",
                                  expected="letters, digits, '-', '_' or '.' (e.g. xai-colossus)"))
    stem, dot, rest = slug.partition(".")
    return f"{stem}_{dot}{rest}" if stem.upper() in _DEVICES else slug


def report_path(reports_dir: Path, brief_id: str, lang: str, edition: str | dt.date) -> Path:
    """``reports_dir/<brief_id>/<edition>.<lang>.pdf`` (the edition archive; the edition is
    ``YYYY-MM-DD`` or a revision ``YYYY-MM-DD-rN``), proven to stay inside ``reports_dir``."""
    folder = reports_dir / safe_component(brief_id)
    key = edition.isoformat() if isinstance(edition, dt.date) else edition
    path = folder / f"{safe_component(key)}.{safe_component(lang)}.pdf"
    root = folder.resolve()
    if path.resolve().parent != root or not root.is_relative_to(reports_dir.resolve()):
        raise OutputError(Problem(str(path), f"resolves outside the reports folder {root}",
                                  expected=f"a file directly inside {root}, not a symlink out of it"))
    return path


def _fail(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)
    return OutputError(Problem(str(path), f"cannot write the PDF: {reason}",
                               expected="a writable folder with free space"))


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(data: bytes | Iterable[bytes], path: Path) -> Path:
    """Write ``data`` (bytes, or chunks of bytes written as they come) to ``path`` (mode 0644) via
    temp file + fsync + rename; return ``path``."""
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.writelines([data] if isinstance(data, bytes) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        raise _fail(path, exc) from exc
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    _fsync_dir(path.parent)
    return path
