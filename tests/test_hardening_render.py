"""Hardening, rendering and files (issue 6, cases 14–17), end to end through ``run.py build``.

test_render and test_output pin layout and file behaviour on hand-made Briefs and paths; here the
real brief carries the monster word, the page-long table, the failing disk and the hostile brief id.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from conftest import pdf_text
from hardening import BRIEF, EDITION, OLD, Workspace, assert_refused, run
from pypdf import PdfReader

from briefgen.base import output
from briefgen.render import render

A4_WIDTH = 595.28


def right_edges(pdf: Path) -> list[float]:
    """The right edge of every word pdftotext finds."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [float(x) for x in re.findall(r'xMax="([\d.]+)"', html)]


def pages(pdf: Path) -> int:
    return len(PdfReader(BytesIO(pdf.read_bytes())).pages)


# --- 14. an unbroken 5,000-character word or URL ----------------------------------------------------


def test_14_a_5000_character_word_and_url_wrap_inside_the_page(ws: Workspace) -> None:
    ws.set_fact("gpt4_gpu_count", label_en="x" * 5000, label_ja="https://example.com/" + "a" * 5000)
    assert ws.build().err == ""
    for lang, letter in (("en", "x"), ("ja", "a")):
        assert pdf_text(ws.pdf(lang).read_bytes()).count(letter) >= 5000, lang
        edges = right_edges(ws.pdf(lang))
        assert edges and max(edges) <= A4_WIDTH - 20, lang


# --- 15. tables longer than a page ------------------------------------------------------------------


def test_15_a_facts_table_and_a_cell_longer_than_a_page_split_across_pages(ws: Workspace) -> None:
    before = ws.build("--lang", "en", "--out", str(ws.root / "before"))
    assert before.code == 0
    rows = ws.rows()
    template = next(row for row in rows if row["id"] == "oracle_h100")
    rows += [{**template, "id": f"extra_{i}", "label_en": f"Extra fact number {i}"} for i in range(150)]
    ws.write_rows(rows)
    ws.set_fact("gpt4_gpu_count", label_en=" ".join(["word"] * 1500))
    result = ws.build("--lang", "en")
    assert (result.code, result.err) == (0, "")
    assert pages(ws.pdf("en")) >= pages(ws.root / "before" / BRIEF / f"{EDITION}.en.pdf") + 4
    text = pdf_text(ws.pdf("en").read_bytes())
    assert "Extra fact number 149" in text and text.count("word") >= 1500


def test_15_content_that_cannot_split_is_an_error_naming_the_section(ws: Workspace) -> None:
    rows = ws.rows()
    template = next(row for row in rows if row["id"] == "oracle_h100")
    ids = [f"bar_{i}" for i in range(80)]
    ws.write_rows(rows + [{**template, "id": i, "label_en": i, "label_ja": i} for i in ids])
    spec = ws.brief_dir / "brief.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("items: [xai_h100_count, oracle_h100, gpt4_gpu_count]",
                                 f"items: [{', '.join(ids)}]"), encoding="utf-8")
    error = assert_refused(ws.build(), f"error: {BRIEF} (ja): section '", "' does not fit on an A4 page: ",
                           "(expected content that can split across pages")
    assert "LayoutError" not in error and " at 0x" not in error
    ws.assert_untouched()


# --- 16. failures while rendering or writing --------------------------------------------------------


def test_16_an_unexpected_exception_in_the_second_language_writes_nothing(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    real = render.render_pdf

    def failing(brief: object) -> bytes:
        if brief.lang == "en":
            raise RuntimeError("bug in the middle of rendering")
        return real(brief)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "render_pdf", failing)
    with pytest.raises(RuntimeError, match="bug in the middle"):  # a bug keeps its traceback
        ws.build()
    ws.assert_untouched()


@pytest.mark.parametrize(("call", "code", "reason"), [
    ("replace", errno.EROFS, "Read-only file system"),
    ("fsync", errno.ENOSPC, "No space left on device"),
    ("mkstemp", errno.EACCES, "Permission denied"),
])
def test_16_a_read_only_folder_or_full_disk_keeps_the_previous_edition(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch, call: str, code: int, reason: str) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(output.tempfile if call == "mkstemp" else output.os, call, fail)
    assert_refused(ws.build(), f"error: {ws.pdf('ja')}: cannot write the PDF: {reason} "
                               "(expected a writable folder with free space)")
    monkeypatch.undo()
    ws.assert_untouched()  # no temp file left behind either


# --- 17. hostile brief ids and output names ---------------------------------------------------------


def files_outside(ws: Workspace) -> list[str]:
    return sorted(str(p.relative_to(ws.root)) for p in ws.root.rglob("*")
                  if p.is_file() and not any(p.is_relative_to(d) for d in (ws.data, ws.reports, ws.templates)))


@pytest.mark.parametrize("name", ["../../etc/x", "/abs/path", "CON", "a<b>:|?.pdf"])
def test_17_a_hostile_brief_argument_is_rejected(ws: Workspace, name: str) -> None:
    assert_refused(run(*ws.options(), "build", name), f"error: {ws.data}: no brief {name!r} "
                                                      f"(expected one of: {BRIEF}, or a path to a brief.yaml)")
    ws.assert_untouched()
    assert files_outside(ws) == []


@pytest.mark.parametrize("spec_id", ["../../etc/x", "/abs/path", "CON", "a<b>:|?.pdf"])
def test_17_a_hostile_id_in_the_spec_is_rejected(ws: Workspace, spec_id: str) -> None:
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("id: xai-colossus", f'id: "{spec_id}"'),
                    encoding="utf-8")
    assert_refused(ws.build(), f"error: {spec}:2: id: bad value {spec_id!r} "
                               "(expected lower-case letters, digits and - (e.g. xai-colossus))")
    ws.assert_untouched()
    assert files_outside(ws) == []


def test_17_a_device_name_id_gets_a_safe_folder_inside_reports(ws: Workspace) -> None:
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("id: xai-colossus", "id: con"), encoding="utf-8")
    result = ws.build("--lang", "en")
    assert (result.code, result.err) == (0, "")
    assert (ws.reports / "con_" / f"{EDITION}.en.pdf").read_bytes().startswith(b"%PDF")
    assert files_outside(ws) == [] and ws.pdf("en").read_bytes() == OLD
