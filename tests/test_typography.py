"""Typography: real Latin and Japanese faces (no faked bold), line breaking, quotes, the key-number panel."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from io import BytesIO

from pypdf import PdfReader
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from briefgen import fonts
from briefgen.model import Brief, Heading, Markup, Para
from briefgen.render import render_pdf

M = Markup


def brief(lang: str, *blocks: object, title: str = "Colossus") -> Brief:
    return Brief(brief_id="t", title=title, lang=lang, date=dt.date(2024, 7, 29),  # type: ignore[arg-type]
                 blocks=tuple(blocks))  # type: ignore[arg-type]


def faces(markup: str, lang: str) -> list[tuple[str, str]]:
    """(face, text) of each run of a paragraph set in the edition's family."""
    style = ParagraphStyle("t", fontName=fonts.family(lang))
    return [(f.fontName, f.text) for f in fonts.split_frags(Paragraph(markup, style).frags)]


def embedded(data: bytes) -> set[str]:
    """The embedded fonts' names (without the subset prefix) that pdffonts lists."""
    listing = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:]
            if re.search(r"\s+TrueType\s+\S+\s+yes\s+yes\s+yes\s", line)}


def test_english_is_set_in_noto_sans_with_real_bold_and_italic(no_warnings: None) -> None:
    assert faces("Plain, <b>bold</b>, <i>italic</i> and <b><i>both</i></b>.", "en") == [
        ("NotoSans", "Plain, "), ("NotoSans-Bold", "bold"), ("NotoSans", ", "), ("NotoSans-Italic", "italic"),
        ("NotoSans", " and "), ("NotoSans-BoldItalic", "both"), ("NotoSans", ".")]
    data = render_pdf(brief("en", Para(M("Plain, <b>bold</b>, <i>italic</i> and <b><i>both</i></b>."))))
    assert embedded(data) == {"NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic", "NotoSans-BoldItalic"}


def test_japanese_bold_is_a_real_face_and_latin_runs_use_the_latin_faces(no_warnings: None) -> None:
    assert faces("xAIは<b>10万台の<i>H100</i></b>を<i>使うH</i>。", "ja") == [
        ("NotoSans", "xAI"), ("IPAexGothic", "は"), ("NotoSans-Bold", "10"), ("MigMix1P-Bold", "万台の"),
        ("NotoSans-BoldItalic", "H100"), ("IPAexGothic", "を"), ("IPAexGothic", "使う"),
        ("NotoSans-Italic", "H"), ("IPAexGothic", "。")]
    data = render_pdf(brief("ja", Para(M("xAIは<b>10万台</b>を使う。")), title="数字で読む"))
    assert embedded(data) == {"IPAexGothic", "migmix-1p-bold", "NotoSans-Regular", "NotoSans-Bold"}


def test_japanese_inside_english_uses_the_japanese_faces(no_warnings: None) -> None:
    assert faces("The <b>「数量は4倍」</b> and 半分.", "en") == [
        ("NotoSans", "The "), ("MigMix1P-Bold", "「数量は"), ("NotoSans-Bold", "4"), ("MigMix1P-Bold", "倍」"),
        ("NotoSans", " and "), ("IPAexGothic", "半分"), ("NotoSans", ".")]


def test_no_text_is_emboldened_by_stroking(no_warnings: None) -> None:
    for lang in ("ja", "en"):
        data = render_pdf(brief(lang, Heading(M("見出し Heading")), Para(M("<b>太字 bold</b>"))))
        streams = b"".join(page.get_contents().get_data() for page in PdfReader(BytesIO(data)).pages)
        assert not re.search(rb"\b[12] Tr\b", streams)


def test_a_fallback_script_keeps_its_bold(no_warnings: None) -> None:
    assert faces("<b>Arabic مرحبا</b> and مرحبا", "en") == [
        ("NotoSans-Bold", "Arabic "), ("NotoSansArabic-Bold", "مرحبا"), ("NotoSans", " and "),
        ("NotoSansArabic", "مرحبا")]
