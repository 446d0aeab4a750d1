"""A second brief on another topic (issue 10, point 6): the TOP500 list of June 2024, in physical units
(EFLOP/s and PFLOP/s, kW and MW, GFLOP/s/W computed, cores counted), built through ``run.py`` from a
frozen copy in tests/fixtures/top500 — next to the reference brief, by the command with no command.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from conftest import DATA, FIXTURES, TEMPLATES, pdf_text
from hardening import Result, run, squash
from pypdf import PdfReader
from test_provenance import Checker, tokens

from briefgen import pipeline
from briefgen.base import units
from briefgen.base.model import Lang

TOP500 = FIXTURES / "top500"
EDITION = "2024-06-17"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Both briefs in one project: the reference and the TOP500 brief, with the reference units file."""
    for source in (DATA, TOP500 / "data"):
        shutil.copytree(source, tmp_path / "data", dirs_exist_ok=True)
    for source in (TEMPLATES, TOP500 / "templates"):
        shutil.copytree(source, tmp_path / "templates", dirs_exist_ok=True)
    return tmp_path


def in_project(project: Path, *argv: str) -> Result:
    return run("--data", str(project / "data"), "--templates", str(project / "templates"),
               "--reports", str(project / "reports"), "--state", str(project / "var"), *argv)


def test_the_command_with_no_command_builds_both_briefs_in_both_languages(project: Path) -> None:
    result = in_project(project, "--date", EDITION)
    assert result.code == 0, result.err
    assert sorted(result.out.split()) == sorted(
        str(project / "reports" / brief / f"{EDITION}.{lang}.pdf") for brief in ("top500", "xai-colossus")
        for lang in ("ja", "en"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[Lang, str]:
    """The TOP500 brief built with ``--strict`` (no warning: no typed number, every label, fresh data)."""
    reports = tmp_path_factory.mktemp("reports")
    result = run("--data", str(TOP500 / "data"), "--templates", str(TOP500 / "templates"), "--reports",
                 str(reports), "--date", EDITION, "build", "top500", "--strict")
    assert (result.code, result.err) == (0, ""), result.err
    return {lang: pdf_text((reports / "top500" / f"{EDITION}.{lang}.pdf").read_bytes()) for lang in ("ja", "en")}


KEY_TEXT: dict[Lang, tuple[str, ...]] = {
    "ja": ("1.206エクサフロップス", "1.2倍", "3.6エクサフロップス", "33%", "3.6倍", "1.7倍", "2万2,786キロワット",
           "52.9ギガフロップス/ワット", "1.206エクサフロップス ÷ 22,786キロワット", "869万9,904コア", "4位",
           "200GWh", "1万5,912キロワット", "「2倍」→ 1.7倍（▲誇張）", "採用", "2024年6月"),
    "en": ("1.206 EFLOP/s", "1.2×", "3.6 EFLOP/s", "33%", "3.6×", "1.7×", "22,786 kW", "52.9 GFLOP/s/W",
           "1.206 EFLOP/s ÷ 22,786 kW", "8,699,904 cores", "4th", "200 GWh", "15,912 kW",
           "“2×” → 1.7×: ▲ overstated", "Fugaku HPL score > LUMI HPL score", "June 2024",
           "https://top500.org/lists/top500/2024/06/"),
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_units_comparisons_claims_and_sources_are_printed(built: dict[Lang, str], lang: Lang) -> None:
    text = squash(built[lang])
    assert [k for k in KEY_TEXT[lang] if squash(k) not in text] == []


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_number_in_the_pdf_maps_to_the_data(tmp_path: Path, lang: Lang) -> None:
    edition = pipeline.build_edition(TOP500 / "data" / "top500" / "brief.yaml", lang=lang,
                                     today=dt.date.fromisoformat(EDITION), out_dir=tmp_path,
                                     templates_dir=TOP500 / "templates")
    rendered = edition.languages[lang]
    prepared = pipeline.prepare(TOP500 / "data" / "top500" / "brief.yaml")
    text = pdf_text(rendered.pdf)
    for source in prepared.facts.sources.values():  # a URL the sources list wraps onto two lines
        text = re.sub(r"\s*".join(map(re.escape, source.url)), " ", text)
    with units.using(prepared.spec.units):  # the brief's own units (core)
        checker = Checker.of(prepared, lang, dt.date.fromisoformat(EDITION))
    assert len(tokens(text)) > 80
    assert checker.orphans(text, len(PdfReader(BytesIO(rendered.pdf)).pages), len(rendered.brief.notes)) == []


def test_check_reports_the_verdicts_and_the_conflict_and_does_not_block() -> None:
    result = run("--data", str(TOP500 / "data"), "check", "top500")
    assert result.code == 0
    verdicts = [line.split("]")[0].strip(" [") for line in result.out.splitlines() if line.startswith("  [")]
    assert verdicts == ["holds", "holds", "overstated", "holds"]
    assert "used: frontier_efficiency_stated" in result.out
