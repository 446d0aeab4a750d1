"""Helpers for the hardening tests (issue 6): run ``run.py`` in-process on a private copy of data/, break
one input, and assert the promised outcome — one located error line, exit 1, no traceback, the previous
edition untouched, nothing sent.

tests/conftest.py registers this module as a plugin (fixtures ``ws`` and ``server``); import the helpers by name.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from conftest import DATA, TEMPLATES
from smtpserver import HOST, USER, Server, ServerFactory

from briefgen.cli import main

EDITION = "2024-07-29"
OLD = b"%PDF-1.4 the previous edition, which must survive a failed run"
BRIEF = "xai-colossus"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run(*argv: str) -> Result:
    """``python run.py *argv`` in-process, with captured streams."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


@dataclass(frozen=True)
class Workspace:
    """A private data/ copy plus reports/ and state folders; the previous edition is already there."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def brief_dir(self) -> Path:
        return self.data / BRIEF

    @property
    def facts(self) -> Path:
        return self.brief_dir / "facts.csv"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def state(self) -> Path:
        return self.root / "var"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    def options(self) -> list[str]:
        """The workspace as the project (readers and SMTP settings default to its data/), every folder named."""
        return ["--project", str(self.root), "--data", str(self.data), "--reports", str(self.reports),
                "--state", str(self.state), "--templates", str(self.templates), "--date", EDITION]

    def pdf(self, lang: str, brief: str = BRIEF) -> Path:
        return self.reports / brief / f"{EDITION}.{lang}.pdf"

    def build(self, *extra: str) -> Result:
        return run(*self.options(), "build", BRIEF, *extra)

    def send(self, server: Server, *extra: str, **settings: object) -> Result:
        return run(*self.options(), "send", BRIEF, "--readers", str(self.data / "readers.csv"),
                   "--config", str(self.smtp_config(server, **settings)), *extra)

    def smtp_config(self, server: Server, **settings: object) -> Path:
        """An ``[smtp]`` TOML file for ``server`` (no waiting between retries: backoff 0)."""
        values: dict[str, object] = {"host": HOST, "port": server.port, "security": server.security,
                                     "sender": USER, "timeout": 5, "max_attempts": 3,
                                     "backoff_seconds": 0, "backoff_max_seconds": 0, **settings}
        lines = [f"{key} = {_toml(value)}" for key, value in values.items()]
        path = self.root / "smtp.toml"
        path.write_text("[smtp]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        return path

    # --- breaking the facts --------------------------------------------------------------------

    def rows(self) -> list[dict[str, str]]:
        with self.facts.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def write_rows(self, rows: list[dict[str, str]], path: Path | None = None) -> None:
        with (path or self.facts).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def set_fact(self, fact_id: str, **cells: str) -> int:
        """Change cells of one fact row; return the row's line in facts.csv (the header is line 1)."""
        rows = self.rows()
        index = next(i for i, row in enumerate(rows) if row["id"] == fact_id)
        rows[index].update(cells)
        self.write_rows(rows)
        return index + 2

    def line_of(self, fact_id: str) -> int:
        return next(i for i, row in enumerate(self.rows()) if row["id"] == fact_id) + 2

    # --- outcomes ----------------------------------------------------------------------------------

    def assert_untouched(self) -> None:
        """The previous edition's PDFs are byte for byte the same and nothing else was written."""
        found = sorted(p.relative_to(self.reports).as_posix() for p in self.reports.rglob("*") if p.is_file())
        assert found == [f"{BRIEF}/{EDITION}.en.pdf", f"{BRIEF}/{EDITION}.ja.pdf"]
        assert self.pdf("ja").read_bytes() == OLD and self.pdf("en").read_bytes() == OLD


def _toml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value).lower() if isinstance(value, bool) else str(value)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace whose reports/ already holds the previous edition (same date, bytes ``OLD``)."""
    shutil.copytree(DATA, tmp_path / "data")
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    space = Workspace(tmp_path)
    for lang in ("ja", "en"):
        space.pdf(lang).parent.mkdir(parents=True, exist_ok=True)
        space.pdf(lang).write_bytes(OLD)
    yield space


@pytest.fixture
def server(smtp_server: ServerFactory) -> Server:
    """A plain SMTP server (no TLS, no login) that records whatever reaches it."""
    return smtp_server("none")


def assert_refused(result: Result, *fragments: str) -> str:
    """Exit 1 with exactly one line ``error: …`` on stderr holding every fragment, and no traceback."""
    assert result.code == 1, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def refused_everywhere(ws: Workspace, server: Server, *fragments: str) -> str:
    """``build`` and ``send`` both refuse with the same located line; nothing is written or sent."""
    line = assert_refused(ws.build(), *fragments)
    assert assert_refused(ws.send(server), *fragments) == line
    ws.assert_untouched()
    assert server.handler.received == []
    return line


def squash(text: str) -> str:
    """Text without any white space (PDF extraction breaks lines where the layout wrapped them)."""
    return re.sub(r"\s+", "", text)
