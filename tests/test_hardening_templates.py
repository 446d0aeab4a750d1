"""Hardening, templates and text (issue 6, cases 9–13), end to end through ``run.py``.

test_compose pins the escape and the template errors on DictLoader templates; here the real
templates (a private copy) and the real data go through ``build``/``send``/``schedule``: a template
mistake stops the run with ``file:line`` before anything is written or sent, and hostile or exotic
fact text comes out of the PDF and the email exactly as typed.
"""

from __future__ import annotations

import html
import logging
import re
import socket
import subprocess
from pathlib import Path

import factories
import pytest
import reportlab
from conftest import ROOT, pdf_text
from hardening import BRIEF, Workspace, assert_refused, refused_everywhere, run, squash
from reportlab import rl_config
from reportlab.lib.utils import open_for_read
from smtpserver import Server


@pytest.fixture
def templates(ws: Workspace) -> Path:
    """The workspace's private copy of templates/ (every command gets ``--templates`` for it)."""
    return ws.templates


def insert_paragraph(path: Path, text: str) -> int:
    """Add ``text`` as a paragraph after the template's first paragraph; return its line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("") + 1
    lines[at:at] = [text, ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


# --- 9. undefined names and mistyped attributes -----------------------------------------------------


@pytest.mark.parametrize(("lang", "text", "named"), [
    ("en", "{{ f.xai_h100_cuont|num }}", "xai_h100_cuont"),
    ("ja", "{{ f.xai_h100_count.lable }}", "lable"),
])
def test_9_an_undefined_name_stops_the_run_naming_template_and_line(
        ws: Workspace, server: Server, templates: Path, lang: str, text: str, named: str) -> None:
    path = templates / BRIEF / f"{lang}.md"
    line = insert_paragraph(path, text)
    error = refused_everywhere(ws, server, f"{path}:{line}: ")
    assert named in error


def test_9_an_unknown_filter_stops_the_run_naming_template_and_line(
        ws: Workspace, server: Server, templates: Path) -> None:
    path = templates / BRIEF / "en.md"
    line = insert_paragraph(path, "{{ c.gpu_ratio|nmu }}")
    error = refused_everywhere(ws, server, f"{path}:{line}: ")
    assert "nmu" in error


# --- 10. syntax errors are found when templates are loaded ------------------------------------------


def broken_template(templates: Path) -> Path:
    """A syntax error in another brief's template (the brief being built does not use it)."""
    path = templates / "other-brief" / "en.md"
    path.parent.mkdir()
    path.write_text("# Other\n\n{% if %}\n", encoding="utf-8")
    return path


def test_10_a_syntax_error_in_any_template_stops_the_run_before_any_brief_is_built(
        ws: Workspace, server: Server, templates: Path) -> None:
    path = broken_template(templates)
    refused_everywhere(ws, server, f"{path}:3: ", "(expected valid Jinja2 syntax, with the filters num, formula, date, label)")
    result = run(*ws.options())  # no command: build every brief
    assert_refused(result, f"{path}:3: ")
    ws.assert_untouched()


def test_10_the_scheduler_refuses_to_start_with_a_broken_template(ws: Workspace, server: Server,
                                                                  templates: Path) -> None:
    path = broken_template(templates)
    result = run(*ws.options(), "schedule", "--once", "--readers", str(ws.data / "readers.csv"),
                 "--config", str(ws.smtp_config(server)))
    assert_refused(result, f"{path}:3: ")
    assert server.handler.received == []


# --- 11 and 12. hostile fact text prints literally --------------------------------------------------

HOSTILE = factories.HOSTILE


@pytest.mark.parametrize("text", HOSTILE)
def test_11_12_hostile_fact_text_prints_literally_in_the_pdf_and_the_email(
        ws: Workspace, server: Server, text: str) -> None:
    ws.set_fact("xai_h100_count", label_en=f"GPUs {text} end", label_ja=f"GPU {text} 終わり")
    for lang in ("ja", "en"):  # the key-number panel captions the figure with the fact's label
        template = ws.templates / BRIEF / f"{lang}.md"
        template.write_text(re.sub(r"(?m)^xai_h100_count: .*\n", "", template.read_text(encoding="utf-8")),
                            encoding="utf-8")
    result = ws.send(server)
    assert (result.code, result.err) == (0, "")
    for lang in ("ja", "en"):
        shown = pdf_text(ws.pdf(lang).read_bytes())
        assert squash(text) in squash(shown), lang
        assert "uid=" not in shown
    def bodies(kind: str) -> list[str]:
        return [part.get_content() for r in server.handler.received
                for part in r.message.walk() if part.get_content_type() == f"text/{kind}"]
    assert len(bodies("plain")) == 4 and all(text in body for body in bodies("plain"))
    assert not any("49" in body.split("end")[0] and "7*7" not in body for body in bodies("plain"))
    assert len(bodies("html")) == 4 and all(html.escape(text) in body for body in bodies("html"))  # escaped once


def test_12_reportlab_is_pinned_at_or_above_the_rl_safe_eval_fix() -> None:
    def version(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", text)[:3])

    pinned = re.search(r"^reportlab==(\S+)", (ROOT / "requirements.txt").read_text(encoding="utf-8"), re.M)
    assert pinned is not None
    assert version(pinned[1]) >= (3, 6, 13) and version(reportlab.Version) >= (3, 6, 13)
    assert reportlab.Version == pinned[1]


def test_12_after_a_build_reportlab_trusts_no_host_and_no_scheme(ws: Workspace) -> None:
    assert ws.build("--lang", "en").code == 0
    assert not rl_config.trustedHosts and rl_config.trustedSchemes == []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        for url in (f"http://127.0.0.1:{port}/x.png", "file:///etc/hostname", f"ftp://127.0.0.1:{port}/x"):
            with pytest.raises(OSError, match="Cannot open resource"):
                open_for_read(url)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected


# --- 13. mixed scripts ----------------------------------------------------------------------------

COVERED = "Привет Ελληνικά Cafe\u0301 ✓"
RTL = "مرحبا שלום"
UNCOVERED = "😀 𠮷"
FIX = "(expected characters an installed font has (see scripts/setup.sh for the fonts))"


def test_13_mixed_scripts_print_in_fallback_fonts_and_problem_characters_name_the_fact(
        ws: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen")
    line = ws.set_fact("gpt4_gpu_count", label_en=f"{COVERED} {RTL} {UNCOVERED}")
    result = ws.build("--lang", "en")
    assert result.code == 0 and all(" WARNING briefgen: " in line for line in result.err.splitlines()), result.err
    data = ws.pdf("en").read_bytes()
    text = pdf_text(data)
    assert all(word in text for word in COVERED.split())
    # Arabic and Hebrew letters are all there; ReportLab lays them out left to right (no bidi support).
    assert all(word in text or word[::-1] in text for word in RTL.split())
    listing = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    for font in ("IPAexGothic", "NotoSansArabic", "NotoSansHebrew", "DejaVuSans"):
        assert re.search(rf"\+{font}\S*\s+TrueType\s+\S+\s+yes\s+yes", listing), font
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    where = f"{ws.facts}:{line}: label_en: fact gpt4_gpu_count"
    assert f"{where}: no installed font has U+20BB7 𠮷; it would print as a blank box {FIX}" in warnings
    assert not any("1F600" in w for w in warnings)
    assert "😀" in text  # beyond U+FFFF, printed from DejaVu Sans, and extracted back (ToUnicode fix)
