"""Shared test fixtures: the project's paths, PDF text extraction, and a guard against silent warnings."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import settings
from pypdf import PdfReader

from briefgen.base import units
from briefgen.load import spec

# Property tests check outcomes, never speed (speed is bench/'s job): no per-example deadline, which
# failed on loaded machines (a 272 ms example against the default 200 ms).
settings.register_profile("briefgen", deadline=None)
settings.load_profile("briefgen")

#: Shared fixtures for every test module: the SMTP server (aiosmtpd on 127.0.0.1, trustme TLS), the
#: hardening workspace (a private data/, templates/, reports/ and state folder), real Redis and
#: PostgreSQL servers for the scale-out tests, and the wall clock that the scheduler tests move.
pytest_plugins = ["smtpserver", "hardening", "services", "wallclock"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: A frozen copy of the reference brief (data and templates) that tests build from: the examples under
#: the project's data/ and templates/ may change freely without breaking a test.
DATA = FIXTURES / "reference" / "data"
TEMPLATES = FIXTURES / "reference" / "templates"
REFERENCE_SPEC = DATA / "xai-colossus" / "brief.yaml"
SEED_ARTICLE = DATA / "xai-colossus" / "article-ja.txt"

#: Facts and quantities built by hand in tests (and at collection time) use the reference units
#: (GPU, household, …) for the whole session; a brief loaded from files brings its own table.
_SESSION_UNITS = ExitStack()
_SESSION_UNITS.enter_context(units.using(spec.load_units(DATA / spec.UNITS_NAME)))


#: The README's article-to-brief walkthrough: its commands run in sequence (tests/test_draft.py), not one by one.
WALKTHROUGH = "## From an article to a brief in five minutes"


def readme_section(heading: str) -> str:
    """The README from ``heading`` to the next ``## `` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    return section[:section.index("\n## ", 1)]


def pdf_text(data: bytes) -> str:
    """All text of a PDF, pages joined by newlines (pypdf extraction)."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)


@pytest.fixture
def no_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail the test if briefgen logged a warning or worse (silent degradation is a bug)."""
    caplog.set_level(logging.WARNING, logger="briefgen")
    yield
    bad = [r for r in caplog.records if r.name.startswith("briefgen") and r.levelno >= logging.WARNING]
    assert not bad, [r.getMessage() for r in bad]



#: The checkout's own project folders: the suite reads none of them and writes none of them.
PROJECT_FOLDERS = ("data", "templates", "reports", "var")


def _project_files() -> dict[str, int]:
    return {str(path): path.stat().st_mtime_ns for name in PROJECT_FOLDERS for path in sorted((ROOT / name).rglob("*"))
            if path.is_file()}


@pytest.fixture(autouse=True, scope="session")
def _away_from_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test runs in an empty folder: a command given no paths finds no data/ or templates/ there,
    and writes no reports/ or var/ (caches, ledger, state) into the checkout — checked at the end."""
    before = _project_files()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("cwd"))
        yield
    changed = sorted(set(before.items()) ^ set(_project_files().items()))
    assert not changed, f"the tests changed the checkout's project folders: {changed[:10]}"
