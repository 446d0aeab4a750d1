"""The current commit → a fresh clone in a temporary folder, set up by ``scripts/setup.sh``, for cold runs.

The cold section runs the README's command there, so nothing warmed by earlier runs of this checkout
(templates' bytecode, ``var/cache/``, ``__pycache__``) helps: the clone has only what set-up makes.
Its ``.venv`` links to the interpreter's environment (set-up still checks the pinned requirements
against it), so the clone needs no network and no minutes of installing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commit() -> str:
    """The commit checked out in this working tree (uncommitted edits are not benchmarked)."""
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def fresh_clone(dest: Path, revision: str | None = None) -> Path:
    """Clone ``revision`` (default: the current commit) into ``dest``, run ``scripts/setup.sh`` there
    (that revision's own), return ``dest``."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True)
    subprocess.run(["git", "checkout", "--quiet", "--detach", revision or commit()], cwd=dest, check=True)
    (dest / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    proc = subprocess.run(["bash", "scripts/setup.sh"], cwd=dest, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/setup.sh failed in the clone: {proc.stderr[-2000:]}")
    return dest


def python(clone: Path) -> str:
    """The clone's interpreter, as a user runs it (``.venv/bin/python``)."""
    return str(clone / ".venv" / "bin" / "python")
