"""Typography: real Latin and Japanese faces (no faked bold), line breaking, quotes, the key-number panel."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from conftest import REFERENCE_SPEC, pdf_text
from hardening import Workspace
from pypdf import PdfReader
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from briefgen.base import markdown
from briefgen.base.errors import BriefError, RenderError
from briefgen.base.model import Brief, Heading, KeyNumber, KeyNumbers, Markup, Para, Table
from briefgen.load.spec import load_spec
from briefgen.render import fonts, linebreak
from briefgen.render.charts import ALERT, CAUTION, OK
from briefgen.render.render import render_pdf

M = Markup


def brief(lang: str, *blocks: object, title: str = "Colossus") -> Brief:
    return Brief(brief_id="t", title=title, lang=lang, date=dt.date(2024, 7, 29),  # type: ignore[arg-type]
                 blocks=tuple(blocks))  # type: ignore[arg-type]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


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


def lines(text: str, width: int, *, balance: bool = False, glued: tuple[int, ...] = ()) -> list[str]:
    """``text`` broken into lines of ``width`` characters of width 1 each."""
    starts = linebreak.line_starts(text, [1.0] * len(text), [float(width)], balance=balance,
                                   glued=[i in glued for i in range(len(text))])
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]


@pytest.mark.parametrize(("text", "width", "expected"), [
    ("あいうえ（かきく", 5, ["あいうえ", "（かきく"]),  # an opening bracket never ends a line
    ("あいうえおーかき", 5, ["あいうえ", "おーかき"]),  # ー never starts a line
    ("あいうえお。かき", 5, ["あいうえ", "お。かき"]),  # nor 。
    ("あいうえっかき", 4, ["あいう", "えっかき"]),  # nor a small kana
    ("あいうえ」かき", 4, ["あいう", "え」かき"]),  # nor a closing bracket
    ("あいう1.5キロワット/世帯です", 12, ["あいう", "1.5キロワット/世帯", "です"]),  # number + unit whole
    ("あいうえおかき（40億ドル）です", 10, ["あいうえおかき", "（40億ドル）です"]),
    ("あいうえおかき（正しい）です", 9, ["あいうえおかき", "（正しい）です"]),  # a short bracket whole
    ("100,000 GPUs ÷ 25,000 GPUs [1]", 26, ["100,000 GPUs ÷ ", "25,000 GPUs [1]"]),  # a marker stays with its word
    ("Latin words stay whole", 9, ["Latin ", "words ", "stay ", "whole"]),
])
def test_line_breaking_follows_the_japanese_rules(text: str, width: int, expected: list[str]) -> None:
    assert lines(text, width) == expected


def test_a_superscript_marker_stays_with_the_character_before_it() -> None:
    assert lines("あいうえお[1]かき", 6, glued=(5, 6, 7)) == ["あいうえ", "お[1]かき"]


def test_no_last_line_of_one_character() -> None:
    assert lines("あいうえおかきくけこさ。", 10) == ["あいうえおかきくけ", "こさ。"]
    assert lines("あいうえおかきくけこ", 5) == ["あいうえお", "かきくけこ"]


def test_a_heading_leaves_no_orphan_and_breaks_after_punctuation() -> None:
    title = "xAIのメンフィス・スーパーコンピューター：数字で読む"
    assert lines(title, 25) == ["xAIのメンフィス・スーパーコンピューター：数字で", "読む"]
    assert lines(title, 25, balance=True) == ["xAIのメンフィス・スーパーコンピューター：", "数字で読む"]
    assert lines("xAI's Memphis supercomputer, by the numbers", 38, balance=True) == [
        "xAI's Memphis supercomputer, ", "by the numbers"]
    assert lines("The TOP500 supercomputers: the top five, by the numbers", 45, balance=True) == [
        "The TOP500 supercomputers: the top five, ", "by the numbers"]
    assert lines("Compute: finished ahead of the schedule set", 30, balance=True) == [
        "Compute: finished ahead of the ", "schedule set"]  # not short: kept


def test_japanese_lines_in_the_pdf_follow_the_rules(tmp_path: Path) -> None:
    text = ("最大電力は150メガワットで、10万世帯分の電力に相当する。世帯あたりに直すと1.5キロワット/世帯、"
            "総額は40億ドル（正しい）となる。ーーー「長い引用」（40億ドル + 20億ドル）だった。") * 6
    data = render_pdf(brief("ja", Para(M(text))))
    (tmp_path / "p.pdf").write_bytes(data)
    shown = subprocess.run(["pdftotext", "-layout", str(tmp_path / "p.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    body = [line.strip() for line in shown.splitlines() if line.strip()][2:-1]  # masthead, title; footer
    assert len(body) > 5
    for line, after in zip(body, body[1:]):
        assert line[-1] not in linebreak.NO_END and after[0] not in linebreak.NO_START, (line, after)
    joined = "".join(body)
    assert joined.count("1.5キロワット/世帯") == 6 and joined.count("（正しい）") == 6
    assert all("1.5キロワット/世帯" in line or "1.5" not in line for line in body)
    assert all("40億ドル" in line or "40億" not in line for line in body)


@pytest.mark.parametrize(("lang", "markup", "expected"), [
    ("en", '"Checking the article" and Musk\'s <b>"own"</b> \'quote\'', "“Checking the article” and Musk’s <b>“own”</b> ‘quote’"),
    ("en", '<font color="#A61E22">red</font> it\'s', '<font color="#A61E22">red</font> it’s'),
    ("ja", '記事は"正しい"と"数量"を示すxAI\'s', "記事は「正しい」と「数量」を示すxAI’s"),
    ("en", "fact text &quot;as given&quot; &#39;x&#39;", "fact text &quot;as given&quot; &#39;x&#39;"),
])
def test_straight_quotes_the_template_wrote_become_typographic(lang: str, markup: str, expected: str) -> None:
    assert markdown.quotes(markup, lang) == expected  # type: ignore[arg-type]


def test_a_verdict_mark_stays_with_its_word() -> None:
    assert lines("computed 28.97B yuan: ✓ holds [1]", 25) == ["computed 28.97B yuan: ", "✓ holds [1]"]


def fill_colours(data: bytes) -> set[str]:
    streams = b"".join(page.get_contents().get_data() for page in PdfReader(BytesIO(data)).pages)
    return {" ".join(f"{float(v):.2f}" for v in m.groups()) for m in re.finditer(
        rb"([\d.]+) ([\d.]+) ([\d.]+) rg", streams)}


def test_verdicts_are_coloured_and_marked(no_warnings: None) -> None:
    rows = (("a", "“4×” → 4×: ✓ holds"), ("b", "“half” → 42%: ▲ overstated"), ("c", "“$130B” → $24B: ✗ contradicted"))
    plain = render_pdf(brief("en", Table(("Says", "Check"), rows)))
    toned = render_pdf(brief("en", Table(("Says", "Check"), rows, tones=(("", "ok"), ("", "caution"), ("", "alert")))))
    colours = {f"{c.red:.2f} {c.green:.2f} {c.blue:.2f}" for c in (OK, CAUTION, ALERT)}
    assert colours <= fill_colours(toned) and not colours & fill_colours(plain)
    assert faces("<b>✗</b>", "en") == [("DejaVuSans-Bold", "✗")]  # the mark is printed, not a box


def test_tones_must_match_the_cells() -> None:
    with pytest.raises(RenderError, match="tones do not match"):
        render_pdf(brief("en", Table(("a", "b"), (("1", "2"),), tones=(("ok",),))))


def test_editor_notes_fall_back_to_the_other_language_with_a_warning(ws: Workspace) -> None:
    spec = ws.brief_dir / "brief.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(re.sub(r'acknowledged: \{ja: "[^"]*", ', "acknowledged: {", text), encoding="utf-8")
    result = ws.build("--lang", "all")
    assert result.code == 0, result.err
    assert "acknowledged.ja: claim c_valuation has no ja acknowledged; the ja edition prints the en one" in result.err
    assert "headlinefigureunsupported" in squash(pdf_text(ws.pdf("ja").read_bytes()))


def test_claim_notes_and_glosses_are_read_per_language(tmp_path: Path) -> None:
    spec = tmp_path / "brief.yaml"
    spec.write_text(REFERENCE_SPEC.read_text(encoding="utf-8").replace(
        'gloss: {en: "valuation tops $130 billion"}', 'gloss: {en: "valuation tops $130 billion", fr: "x"}'),
        encoding="utf-8")
    with pytest.raises(BriefError, match=r"claims\[4\]\.gloss\.fr: unknown key 'fr'"):
        load_spec(spec)
    claim = load_spec(REFERENCE_SPEC).claims[4]
    assert claim.gloss.own("en") == "valuation tops $130 billion" and not claim.gloss.own("ja")
    assert claim.note.own("ja").startswith("2024-07-29 編集部確認") and claim.acknowledged == claim.note.own("en")


def test_an_english_number_keeps_its_unit() -> None:
    assert lines("The site can draw up to 150 MW of power", 28) == ["The site can draw up to ", "150 MW of power"]


def test_key_numbers_share_one_size(no_warnings: None) -> None:
    figures = ("1", "10万台", "4,921立方メートル/日", "42%")
    data = render_pdf(brief("ja", KeyNumbers(tuple(KeyNumber(M(f), M("label")) for f in figures))))
    sizes: dict[str, set[float]] = {f: set() for f in figures}

    def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        for figure in figures:
            if text.strip() and text.strip() in figure:
                sizes[figure].add(round(size * tm[0], 2))

    PdfReader(BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    found = set().union(*sizes.values())
    assert len(found) == 1 and 11 <= found.pop() < 20, sizes


def test_a_fact_note_is_the_translation_of_a_foreign_quote(ws: Workspace) -> None:
    rows = ws.facts.read_text(encoding="utf-8").splitlines()
    notes = {"xai_valuation": ",valuation of $24 billion", "xai_valuation_headline": "見出しの数字,"}
    ws.facts.write_text("\n".join([rows[0] + ",note_ja,note_en"] + [
        row + (f",{notes[row.split(',')[0]]}" if row.split(",")[0] in notes else ",,") for row in rows[1:]]) + "\n",
        encoding="utf-8")
    result = ws.build("--lang", "all")
    assert result.code == 0, result.err
    en, ja = (squash(pdf_text(ws.pdf(lang).read_bytes())) for lang in ("en", "ja"))
    assert "“評価額は240億ドル”(translation:“valuationof$24billion”)" in en
    assert "「評価額は240億ドル」" in ja and "valuationof$24billion" not in ja  # the en translation stays out
    assert "「評価額1300億ドルを突破」（注：見出しの数字）" in ja
    assert "“評価額1300億ドルを突破”(note:見出しの数字)" in en  # the ja note, as a fallback
    assert "facts.csv:19: note_en: fact xai_valuation_headline has no en note" in result.err


def test_a_unit_wider_than_the_line_still_breaks_by_the_character_classes() -> None:
    assert lines("52.59ギガフロップス/ワット [5]", 13) == ["52.59ギガフロップス/", "ワット [5]"]


def test_the_spelt_out_white_space_is_every_white_space_character_of_unicode() -> None:
    assert fonts._SPACES == frozenset(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
