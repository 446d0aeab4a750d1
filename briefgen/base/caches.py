"""Set-up time → the on-disk caches a cold start reads: compiled templates, the fonts' parsed tables, pint's definitions and answers.

``run.py cache`` (``scripts/setup.sh`` runs it) writes them under ``var/cache/`` of the project (the CLI
says where: ``use(--state/cache)``); a build only reads them, except that pint adds an entry to its
own folder when its definitions change, and a command that met units not seen at set-up saves what
pint said about them (``units.save_learnt``). Each entry is keyed by what it was made from — the
template's source, the font file's size and time, the library and Python versions — so a stale entry
is never used: a missing or stale cache costs time, never a different result. ``var/cache/`` belongs
to the checkout and is trusted like its code."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from briefgen.base.output import write_atomic

CACHE_DIR = Path("var", "cache")  # relative to the current folder until the CLI says where the project is


def use(root: Path) -> None:
    """Read and write the caches under ``root`` from now on (the CLI calls it with ``--state``/cache)."""
    global CACHE_DIR
    CACHE_DIR = root


def folder(name: str, root: Path | None = None) -> Path | None:
    """``var/cache/<name>`` if set-up made it, else None (the caller then works uncached)."""
    path = (root or CACHE_DIR) / name
    return path if path.is_dir() else None


def entry(name: str, key: str, root: Path | None = None) -> Path:
    """The file of ``key`` in ``var/cache/<name>`` (hashed, so any text can be a key)."""
    return (root or CACHE_DIR) / name / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.bin"


def read(name: str, key: str, root: Path | None = None) -> bytes | None:
    """The cached bytes of ``key``, or None when there are none."""
    try:
        return entry(name, key, root).read_bytes()
    except OSError:
        return None


def write(name: str, key: str, data: bytes, root: Path | None = None) -> Path:
    """Store ``data`` under ``key`` (atomically: a reader never sees half an entry)."""
    path = entry(name, key, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(data, path)


def prune(name: str, keep: Iterable[Path], root: Path | None = None) -> tuple[Path, ...]:
    """Remove the entries of ``var/cache/<name>`` other than ``keep`` (set-up, after writing what is
    current: entries keyed by a font file, library or format that is gone are never read again);
    the files removed."""
    kept = set(keep)
    folder = (root or CACHE_DIR) / name
    stale = tuple(path for path in sorted(folder.glob("*.bin")) if path not in kept)
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
