"""build_brief / build_edition: the library entry point, editions archived with their facts, what changed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import DATA, TEMPLATES, pdf_text

import briefgen
from briefgen import pipeline

WHERE = {"templates_dir": TEMPLATES}  # the frozen reference templates, not the project's


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


def test_build_brief_is_importable_from_the_package(tmp_path: Path, data: Path, no_warnings: None) -> None:
    paths = briefgen.build_brief("xai-colossus", lang="en", today=dt.date(2024, 7, 29), out_dir=tmp_path / "r",
                                 data_dir=data, **WHERE)
    assert paths == (tmp_path / "r" / "xai-colossus" / "2024-07-29.en.pdf",)
    assert "first edition" in pdf_text(paths[0].read_bytes())


def test_an_edition_archives_its_facts_and_the_next_shows_what_changed(tmp_path: Path, data: Path) -> None:
    out = tmp_path / "r"
    pipeline.build_edition("xai-colossus", today=dt.date(2024, 7, 29), out_dir=out, data_dir=data, **WHERE)
    assert (out / "xai-colossus" / "2024-07-29.facts.json").is_file()
    facts = data / "xai-colossus" / "facts.csv"
    facts.write_text(facts.read_text(encoding="utf-8").replace("h100_gpus,100000,", "h100_gpus,150000,"),
                     encoding="utf-8")
    edition = pipeline.build_edition("xai-colossus", today=dt.date(2024, 8, 5), out_dir=out, data_dir=data, **WHERE)
    ja = pdf_text(edition.languages["ja"].pdf)
    en = pdf_text(edition.languages["en"].pdf)
    assert "10万台 → 15万台（+50%）" in ja and "6倍" in ja
    assert "100,000 → 150,000 GPUs (+50%)" in en and "$4.5B–6B" in en


def test_a_rebuild_with_the_same_facts_says_nothing_changed(tmp_path: Path, data: Path) -> None:
    out = tmp_path / "r"
    pipeline.build_edition("xai-colossus", lang="en", today=dt.date(2024, 7, 29), out_dir=out, data_dir=data, **WHERE)
    edition = pipeline.build_edition("xai-colossus", lang="en", today=dt.date(2024, 8, 5), out_dir=out,
                                     data_dir=data, **WHERE)
    assert "No changes since the last edition" in pdf_text(edition.languages["en"].pdf)


def test_a_language_the_brief_lacks_is_a_located_error(data: Path) -> None:
    prepared = pipeline.prepare(pipeline.resolve_spec("xai-colossus", data))
    with pytest.raises(briefgen.BriefError, match=r"brief.yaml: languages: this brief has no 'fr' edition"):
        pipeline.languages(prepared, "fr")
