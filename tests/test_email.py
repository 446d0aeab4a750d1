"""The HTML email end to end: ``run.py send`` to a real aiosmtpd server, each message read back with the
``email`` package — headline, key numbers with the PDF panel's captions, claim warnings, page 1 inline
by Content-ID, the PDF attached, a plain-text part that says the same — in both languages, also when a
later run sends the frozen edition from the archive."""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from io import BytesIO

from conftest import pdf_text
from hardening import BRIEF, EDITION, Workspace, squash
from PIL import Image
from smtpserver import Server

CAPTIONS = {"ja": ["xAIが確保したGPU", "OpenAIの主力モデル訓練時との比", "GPU調達費の試算",
                   "OpenAIの累計調達額に対する比率", "最大電力", "冷却水（日量）"],
            "en": ["GPUs secured by xAI", "Versus OpenAI’s flagship training run", "Estimated GPU bill",
                   "Share of OpenAI’s total funding", "Peak power", "Cooling water a day"]}
HEADLINES = {"ja": "10万台のGPUは、OpenAIの主力モデル訓練に使われた2万5,000台の4倍。",
             "en": "100,000 GPUs: 4× the 25,000 GPUs OpenAI used to train its flagship model."}
FIGURES = {"ja": ["10万台", "4倍", "30億〜40億ドル", "42%", "150メガワット"],
           "en": ["100,000 GPUs", "4×", "$3B–4B", "42%", "150 MW"]}
WARNINGS = {"ja": ["「OpenAIの10年分の資金調達額の半分に相当する」", "「半分」→ 42%（▲誇張）",
                   "「評価額1300億ドルを突破」", "「1,300億ドル以上」→ 240億ドル（✗矛盾）"],
            "en": ["“OpenAIの10年分の資金調達額の半分に相当する”", "“half” → 42%: ▲ overstated",
                   "“評価額1300億ドルを突破”", "“at least $130B” → $24B: ✗ contradicted"]}


def _text(part: EmailMessage | None) -> str:
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # quoted-printable keeps the wire's CRLF


def _check_message(message: EmailMessage, lang: str, pdf_on_disk: bytes) -> None:
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png",
        "application/pdf"]
    plain, rich = _text(message.get_body(("plain",))), _text(message.get_body(("html",)))
    (pdf,) = message.iter_attachments()
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == f"{BRIEF}-{EDITION}-{lang}.pdf"
    assert pdf.get_content() == pdf_on_disk
    shown = squash(pdf_text(pdf_on_disk))
    # the headline, and each key number over the caption the PDF's panel gives it (no formula labels)
    assert f"\n{HEADLINES[lang]}\n" in plain and f">{html.escape(HEADLINES[lang])}</p>" in rich
    sep = "：" if lang == "ja" else ": "
    for figure, caption in zip(FIGURES[lang], CAPTIONS[lang]):
        assert squash(caption) in shown
        assert f"- {figure}{sep}{caption}\n" in plain
        assert f">{html.escape(figure)}</div>" in rich and f">{html.escape(caption)}</div>" in rich
    assert "÷" not in plain and "÷" not in rich
    for text in WARNINGS[lang]:
        assert text in plain and html.escape(text) in rich
    # page 1, inline, shown by the HTML through its Content-ID
    picture = next(p for p in message.walk() if p.get_content_type() == "image/png")
    assert picture.get_content_disposition() == "inline"
    cid = picture["Content-ID"]
    assert re.fullmatch(rf"<page1\.{lang}\.{BRIEF}\.{EDITION}@example\.com>", cid)
    assert rich.count(f'src="cid:{cid[1:-1]}"') == 1
    with Image.open(BytesIO(picture.get_content())) as image:
        assert image.size[0] == 800 and 1100 < image.size[1] < 1150  # A4 at 800 pixels wide
        darkest, lightest = image.convert("L").getextrema()
        assert darkest < 64 and lightest > 200
    assert len(picture.get_content()) < 150_000 and len(message.as_bytes()) < 400_000


def test_each_reader_gets_the_html_email_with_page_one_and_the_pdf_in_their_language(
        ws: Workspace, server: Server) -> None:
    result = ws.send(server)
    assert (result.code, result.err) == (0, ""), result.out
    by_reader = {r.rcpt_tos[0]: r.message for r in server.handler.received}
    assert len(by_reader) == 4
    for address, lang in (("hanako.yamada@example.jp", "ja"), ("alice@example.com", "en")):
        _check_message(by_reader[address], lang, ws.pdf(lang).read_bytes())


def test_a_later_run_sends_the_frozen_edition_with_the_same_email(ws: Workspace, server: Server) -> None:
    readers = ws.data / "readers.csv"
    everyone = readers.read_text(encoding="utf-8")
    readers.write_text(everyone.splitlines()[0] + "\n" + "\n".join(
        line for line in everyone.splitlines()[1:] if "alice" not in line and "hanako" not in line) + "\n",
        encoding="utf-8")
    assert ws.send(server).code == 0
    first = {r.rcpt_tos[0]: r.message for r in server.handler.received}
    readers.write_text(everyone, encoding="utf-8")
    assert ws.send(server).code == 0  # the frozen edition, read back from the archive
    later = {r.rcpt_tos[0]: r.message for r in server.handler.received[len(first):]}
    assert sorted(later) == ["alice@example.com", "hanako.yamada@example.jp"]
    for address, lang, twin in (("hanako.yamada@example.jp", "ja", "ken.sato@example.jp"),
                                ("alice@example.com", "en", "bob.chen@example.com")):
        _check_message(later[address], lang, ws.pdf(lang).read_bytes())
        body, twin_body = (_text(m.get_body(("plain",))) for m in (later[address], first[twin]))
        assert body.split("\n", 2)[2] == twin_body.split("\n", 2)[2]  # the same past the greeting
