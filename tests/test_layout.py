"""The package layout: each part imports only the parts below it, and every module says what it turns into what."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import briefgen

PACKAGE = Path(briefgen.__file__).parent

#: Lower layers never import higher ones; parts on one level never import each other.
LEVELS: dict[str, int] = {
    "base": 0,        # errors, model, parse, units, numfmt, markdown, output, caches, logs, terminal, headertext, words
    "load": 1,        # files → validated inputs
    "compute": 2,     # comparisons, verdicts, lint
    "compose": 3,     # Brief per language
    "extract": 3,     # article → candidates → draft
    "render": 4,      # Brief → PDF, pages
    "pipeline": 5,    # load → compute → compose → render → write
    "deliver": 6,     # editions → readers
    "preview": 6,     # pages on disk and a live-reload page
    "report": 6,      # terminal text for check and extract
    "cli": 7,
    "__main__": 8,
    "__init__": 8,
}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else path.stem


def _imported_parts(path: Path) -> set[str]:
    parts = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "briefgen":
            names = node.module.split(".")[1:2] or [alias.name for alias in node.names]
            parts.update(name for name in names if name in LEVELS)
        elif isinstance(node, ast.Import):
            parts.update(alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("briefgen.") and alias.name.split(".")[1] in LEVELS)
    return parts


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_part_of_the_package_has_a_level() -> None:
    assert {_part(path) for path in MODULES} == set(LEVELS)
    assert {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"} == {
        "base", "load", "compute", "compose", "extract", "render", "deliver"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_module_imports_only_lower_parts(path: Path) -> None:
    part = _part(path)
    upward = {other for other in _imported_parts(path) - {part} if LEVELS[other] >= LEVELS[part]}
    assert not upward, f"{path.relative_to(PACKAGE)} ({part}, level {LEVELS[part]}) imports {sorted(upward)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_module_opens_with_what_it_turns_into_what(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.relative_to(PACKAGE)} has no docstring"
    first = docstring.splitlines()[0]
    assert "→" in first or path.name == "__init__.py" and path.parent != PACKAGE, first
