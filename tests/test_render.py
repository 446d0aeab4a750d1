"""render_pdf: text round trip, embedded fonts, layout limits, metadata, determinism, hostile text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen.base.errors import RenderError
from briefgen.base.model import (
    Bar,
    Brief,
    Bullets,
    Chart,
    Heading,
    KeyNumber,
    KeyNumbers,
    Markup,
    Para,
    SourceNote,
    Table,
)
from briefgen.render import fonts, render
from briefgen.render.render import render_pdf
from tests.conftest import pdf_text

M = Markup
JA_PARA = "xAIは米テネシー州メンフィスで、10万台のH100を使うスーパーコンピューターを稼働させた。"
A4_WIDTH = 595.28


def ja_brief(*blocks: object, **changes: object) -> Brief:
    brief = Brief(
        brief_id="xai-colossus", title="xAIのスーパーコンピューター「Colossus」", lang="ja",
        date=dt.date(2024, 7, 29), subject="GPU10万台の規模を数字で読む",
        blocks=tuple(blocks) or (  # type: ignore[arg-type]
            KeyNumbers((KeyNumber(M("10万台"), M("H100の数<super>1</super>")),
                        KeyNumber(M("4倍"), M("GPT-4との比")), KeyNumber(M("40億ドル"), M("推定費用")))),
            Heading(M("概要")),
            Para(M(JA_PARA.replace("10万台", "<b>10万台</b>"))),
            Bullets((M("単価は3万〜4万ドル"), M("建設期間は約4か月 &lt;推定&gt;"))),
            Heading(M("GPU数"), level=2),
            Chart("GPU数の比較", (Bar("xAI", 100000, "10万台"), Bar("GPT-4", 25000, "2万5,000台")),
                  caption="出典: 報道"),
            Table(("指標", "値"), (("GPU比", "4倍"), ("調達比率", "42%")), caption="比較"),
        ),
        notes=(SourceNote(1, "ITmedia 2024年7月23日 https://www.itmedia.co.jp/news/"),),
    )
    return dataclasses.replace(brief, **changes)  # type: ignore[arg-type]


def en_brief(*blocks: object) -> Brief:
    return Brief(
        brief_id="xai-colossus", title="xAI's Colossus", lang="en", date=dt.date(2024, 7, 29),
        subject="The build-out in numbers", author="Desk",
        blocks=tuple(blocks) or (  # type: ignore[arg-type]
            KeyNumbers((KeyNumber(M("100,000"), M("H100 GPUs")), KeyNumber(M("$4B"), M("cluster cost")))),
            Heading(M("Overview")),
            Para(M("xAI switched on <b>Colossus</b> with 100,000 GPUs &amp; more.")),
            Table(("Metric", "Value"), (("GPU ratio", "4×"),)),
        ),
        notes=(SourceNote(1, "Reuters, May 27, 2024"),),
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def run(*args: str, data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(data)
    return subprocess.run([*args, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def test_japanese_text_comes_back_exactly(no_warnings: None) -> None:
    text = squash(pdf_text(render_pdf(ja_brief())))
    for expected in (JA_PARA, "10万台", "H100の数1", "概要", "単価は3万〜4万ドル", "<推定>", "GPU数の比較",
                     "2万5,000台", "出典:報道", "GPU比", "42%", "ITmedia2024年7月23日", "2024年7月29日号"):
        assert squash(expected) in text


def test_english_text_comes_back(no_warnings: None) -> None:
    text = pdf_text(render_pdf(en_brief()))
    assert "xAI switched on Colossus with 100,000 GPUs & more." in text
    assert "Edition of July 29, 2024" in text and "Reuters, May 27, 2024" in text


def test_ipaex_is_embedded_as_a_subset_and_nothing_is_unembedded(tmp_path: Path) -> None:
    listing = subprocess.run(["pdffonts", "-"], input=render_pdf(ja_brief()), capture_output=True,
                             check=True).stdout.decode().splitlines()[2:]
    assert any(re.match(r"[A-Z]{6}\+IPAexGothic\s+TrueType\s+\S+\s+yes\s+yes", line) for line in listing)
    assert all(re.search(r"\syes\s+yes\s+yes\s", line) for line in listing), listing


def non_white_pixels(data: bytes, tmp_path: Path) -> int:
    (tmp_path / "p.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(tmp_path / "p.pdf"),
                    str(tmp_path / "page")], check=True)
    pgm = next(tmp_path.glob("page*.pgm")).read_bytes()
    magic, width, height, maxval, pixels = pgm.split(maxsplit=4)
    assert magic == b"P5" and int(maxval) == 255
    return sum(1 for value in pixels[: int(width) * int(height)] if value < 200)


def test_page_one_is_not_blank(tmp_path: Path) -> None:
    assert non_white_pixels(render_pdf(ja_brief()), tmp_path) > 2000


def test_metadata_language_and_dates() -> None:
    reader = PdfReader(BytesIO(render_pdf(en_brief())))
    meta = reader.metadata
    assert meta is not None
    assert (meta.title, meta.author, meta.subject) == ("xAI's Colossus", "Desk", "The build-out in numbers")
    assert meta["/CreationDate"].startswith("D:20240729")
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_same_brief_gives_same_bytes() -> None:
    assert render_pdf(ja_brief()) == render_pdf(ja_brief())


def test_page_numbers_n_of_total() -> None:
    rows = tuple((f"行{i}", str(i)) for i in range(150))
    reader = PdfReader(BytesIO(render_pdf(ja_brief(Table(("行", "番号"), rows)))))
    total = len(reader.pages)
    assert total >= 3
    for number, page in enumerate(reader.pages, start=1):
        assert f"{number} / {total}" in page.extract_text()


def test_long_table_splits_and_repeats_its_header() -> None:
    rows = tuple((f"行{i}", f"値{i}") for i in range(200))
    pages = [p.extract_text() for p in PdfReader(BytesIO(render_pdf(ja_brief(Table(("指標名", "数値"), rows))))).pages]
    assert len(pages) > 1
    assert all("指標名" in page for page in pages)
    assert all(f"値{i}" in "".join(pages) for i in range(200))


def heading_and_table_pages(paragraphs: int) -> tuple[int, list[str]]:
    """``paragraphs`` of text, a heading and a 60-row table: the heading's page, and every page's text."""
    filler = tuple(Para(M(f"{JA_PARA}{i}")) for i in range(paragraphs))
    table = Table(("指標名", "数値"), tuple((f"行{i}", f"値{i}") for i in range(60)))
    pdf = render_pdf(ja_brief(*filler, Heading(M("比較表")), table))
    pages = [squash(p.extract_text()) for p in PdfReader(BytesIO(pdf)).pages]
    return next(n for n, text in enumerate(pages) if "比較表" in text), pages


def test_a_heading_starts_its_long_table_on_the_same_page_when_there_is_room() -> None:
    heading_page, pages = heading_and_table_pages(8)  # about half of page 1 left
    assert heading_page == 0 and "行0" in pages[0] and "値59" not in pages[0]


@pytest.mark.parametrize("paragraphs", range(16, 34, 2))
def test_a_heading_is_never_left_without_its_table(paragraphs: int) -> None:
    heading_page, pages = heading_and_table_pages(paragraphs)
    assert "比較表指標名数値行0値0" in pages[heading_page]


def test_hostile_text_in_table_cells_prints_literally(no_warnings: None) -> None:
    hostile = "<b>bold?</b> & <img src='/etc/passwd'/> &amp; <font name=\"x\">"
    text = pdf_text(render_pdf(ja_brief(Table(("列",), ((hostile,),), caption="<i>cap</i>"))))
    assert hostile in text and "<i>cap</i>" in text


def test_plain_text_title_and_notes_are_escaped() -> None:
    brief = ja_brief(Para(M("本文")), title="A <b> & B", notes=(SourceNote(1, "<a href='x'>src</a>"),))
    text = pdf_text(render_pdf(brief))
    assert "A <b> & B" in text and "<a href='x'>src</a>" in text


def test_image_markup_is_refused() -> None:
    with pytest.raises(RenderError, match="images are not allowed"):
        render_pdf(ja_brief(Para(M('<img src="/etc/passwd" width="10" height="10"/>'))))


def test_broken_markup_is_a_render_error_naming_the_block() -> None:
    with pytest.raises(RenderError, match=r"block 2 \(Para, section '概要'\): invalid paragraph markup"):
        render_pdf(ja_brief(Heading(M("概要")), Para(M("<b>unclosed"))))


def word_boxes(data: bytes, tmp_path: Path) -> list[tuple[float, str]]:
    (tmp_path / "b.pdf").write_bytes(data)
    html = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "b.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [(float(x), word) for x, word in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', html)]


@pytest.mark.parametrize(("brief", "letter"), [
    (ja_brief(Para(M("あ" * 5000))), "あ"),
    (ja_brief(Para(M("https://example.com/" + "a" * 5000))), "a"),
    (en_brief(Para(M("x" * 5000))), "x"),
    (en_brief(Table(("Long",), (("y" * 5000,),))), "y"),
], ids=["ja-kana", "ja-url", "en-word", "en-cell"])
def test_a_5000_character_word_wraps_inside_the_page(brief: Brief, letter: str, tmp_path: Path) -> None:
    data = render_pdf(brief)
    assert pdf_text(data).count(letter) >= 5000
    boxes = word_boxes(data, tmp_path)
    assert boxes and max(x for x, _ in boxes) <= A4_WIDTH - 20


def test_a_cell_taller_than_a_page_splits() -> None:
    data = render_pdf(ja_brief(Heading(M("巨大")), Table(("本文", "注"), (("い" * 20000, "短い"),))))
    assert len(PdfReader(BytesIO(data)).pages) > 2
    assert pdf_text(data).count("い") >= 20000


def test_content_that_cannot_split_is_a_render_error_naming_the_section() -> None:
    bars = tuple(Bar(f"項目{i}", i, str(i)) for i in range(60))
    with pytest.raises(RenderError, match=r"section '多すぎる棒' does not fit on an A4 page"):
        render_pdf(ja_brief(Heading(M("多すぎる棒")), Chart("棒", bars)))


def test_no_line_starts_with_japanese_comma_or_full_stop(tmp_path: Path) -> None:
    paragraphs = [Para(M("あ" * k + "、" + "い" * 7 + "。" + "う" * (k % 5))) for k in range(30, 90)]
    lines = run("pdftotext", "-layout", data=render_pdf(ja_brief(*paragraphs)), tmp_path=tmp_path).splitlines()
    stripped = [line.strip() for line in lines if line.strip()]
    assert len(stripped) > 100
    assert not [line for line in stripped if line[0] in "、。"]


def test_table_rows_must_match_the_header() -> None:
    with pytest.raises(RenderError, match="table row 2 has 1 cells"):
        render_pdf(ja_brief(Table(("a", "b"), (("1", "2"), ("3",)))))


def test_characters_outside_ipaex_use_an_embedded_fallback(no_warnings: None) -> None:
    data = render_pdf(en_brief(Para(M("Arabic مرحبا and Hebrew שלום"))))
    listing = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert re.search(r"\+NotoSansArabic\S*\s+TrueType\s+\S+\s+yes\s+yes", listing)
    assert re.search(r"\+NotoSansHebrew\S*\s+TrueType\s+\S+\s+yes\s+yes", listing)


def test_a_character_no_font_has_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen")
    render_pdf(ja_brief(Para(M("吉野家の𠮷"))))
    assert any("U+20BB7" in r.getMessage() for r in caplog.records)


def test_only_characters_no_installed_font_has_are_unprintable() -> None:
    found = fonts.unprintable("Ж مرحبا 😀 𠮷", fonts.primary())
    assert found == {"𠮷"}
    assert fonts.describe({"𠮷", "é"}) == "U+00E9 é, U+20BB7 𠮷"


def test_missing_ipaex_font_tells_the_user_to_run_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "find_font_file", lambda filename, known=(): None)
    fonts.primary.cache_clear()
    try:
        with pytest.raises(RenderError, match="scripts/setup.sh"):
            fonts.primary()
    finally:
        monkeypatch.undo()
        fonts.primary.cache_clear()
        fonts.primary()


def test_key_numbers_wrap_into_rows(no_warnings: None) -> None:
    items = tuple(KeyNumber(M(f"{i}0万台"), M(f"ラベル{i}")) for i in range(1, 8))
    text = squash(pdf_text(render_pdf(ja_brief(KeyNumbers(items)))))
    assert all(f"{i}0万台ラベル{i}" in text for i in range(1, 8))


def test_a_forced_line_break_falls_after_its_character_not_its_fragment() -> None:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from briefgen.render.render import _Chars

    para = Paragraph("abc <b>def</b> ghi<br/>jklmno", ParagraphStyle("t", fontName=fonts.latin(), fontSize=10))
    chars = _Chars.of(para.frags)
    assert chars.text == "abc def ghijklmno"
    assert chars.forced == frozenset({len("abc def ghi")})


def test_a_paragraph_wrapped_again_after_a_split_that_dropped_its_lines_breaks_them_again() -> None:
    para = render._para(M(JA_PARA * 3), render._styles("ja")["body"], "test")
    size = para.wrap(200, 1000)
    assert para.wrap(200, 1000) == size and para.blPara.lines  # the same width: the same lines
    assert para.split(200, 5) == []  # no room for two lines: ReportLab drops the lines it had
    assert not hasattr(para, "blPara")
    assert para.wrap(200, 1000) == size and len(para.blPara.lines) * 16 == size[1]
    assert para.wrap(300, 1000)[1] < size[1]  # another width: wrapped anew
