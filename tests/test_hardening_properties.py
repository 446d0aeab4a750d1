"""Hardening, property tests (issue 6, case 25): any finite value and any printable text, through the real stages.

test_numfmt checks ``numfmt`` on bare numbers; here a fact with a random value in every unit briefgen
has words for goes through ``compose`` (the ``num`` filter, as templates print it) and must read
back to the same magnitude; and random text in the fonts' repertoire goes through compose and
render and must come back out of the PDF.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from conftest import pdf_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.base import units
from briefgen.base.model import Brief, BriefSpec, Fact, FactSet, Lang, Origin, Quantity, Source
from briefgen.compose import compose
from briefgen.render import fonts
from briefgen.render.render import render_pdf

SOURCE = Source("s", "Publisher", "Title", None, "", "en")
TEMPLATE = "{{ f.x|num }}\n\n{{ f.x.label }}\n\n```sources\n```\n"
MAGNITUDES = {"万": Decimal(10) ** 4, "億": Decimal(10) ** 8, "兆": Decimal(10) ** 12, "京": Decimal(10) ** 16,
              "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "B": Decimal(10) ** 9, "T": Decimal(10) ** 12}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> jinja2.Environment:
    folder = tmp_path_factory.mktemp("templates")
    (folder / "p").mkdir()
    for lang in ("ja", "en"):
        (folder / "p" / f"{lang}.md").write_text(TEMPLATE, encoding="utf-8")
    return compose.template_env(folder)


def one_fact_brief(env: jinja2.Environment, quantity: Quantity, label: str, lang: Lang) -> Brief:
    """The brief of TEMPLATE over one fact ``x`` with this quantity and label."""
    fact = Fact("x", "e", "m", quantity, None, None, SOURCE, "q", Origin("facts.csv", 2), label, label)
    spec = BriefSpec(id="p", title={"ja": "題", "en": "T"}, languages=("ja", "en"), template="p",
                     facts_path="facts.csv", sources_path="sources.csv", comparisons=(), key_numbers=(),
                     charts=(), origin="brief.yaml")
    return compose.compose(spec, FactSet({"x": fact}, {"s": SOURCE}), (), lang, dt.date(2024, 7, 29), env)


def brief_text(env: jinja2.Environment, quantity: Quantity, label: str, lang: Lang) -> tuple[str, ...]:
    brief = one_fact_brief(env, quantity, label, lang)
    return tuple(html.unescape(re.sub(r"<super>.*?</super>|<[^>]*>", "", str(getattr(b, "text", ""))))
                 for b in brief.blocks)


def read_back(shown: str, unit: str, lang: Lang) -> Decimal:
    """A printed figure (``−$4.3B``, ``1億2,300万台``, ``1.43E20 GPUs``) → its value (unit words ignored)."""
    words = units.words(unit)
    prefix = words.ja_prefix if lang == "ja" else words.en_prefix
    sign = -1 if shown.startswith("−") else 1
    text = shown.removeprefix("−").removeprefix(prefix)
    match = re.match(r"[\d.,]+(?:E−?\d+|(?:[万億兆京][\d.,]*)+|[kMBT](?![A-Za-z]))?", text)
    assert match is not None, shown
    figure = match[0].replace(",", "")
    if "E" in figure:
        return sign * Decimal(figure.replace("−", "-"))
    parts = re.findall(r"([\d.]+)([万億兆京kMBT]?)", figure)
    return sign * sum((Decimal(n) * MAGNITUDES.get(u, Decimal(1)) for n, u in parts), Decimal(0))


finite = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e300"),
                     max_value=Decimal("1e300"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=finite, unit=st.sampled_from(units.current().names()), lang=st.sampled_from(["ja", "en"]))
def test_25_any_finite_value_prints_and_reads_back_to_its_magnitude(env: jinja2.Environment, value: Decimal,
                                                                   unit: str, lang: Lang) -> None:
    figure = brief_text(env, Quantity.point(value, unit), "label", lang)[0]
    assert not re.search(r"inf|nan|∞", figure, re.I)
    assert abs(read_back(figure, unit, lang) - value) <= abs(value) * Decimal("0.005")


def _printable() -> str:
    """Letters, digits, punctuation and symbols IPAex Gothic has, from Latin to kana and kanji."""
    ranges = [(0x21, 0x7E), (0xA1, 0x17F), (0x391, 0x3C9), (0x410, 0x44F), (0x2010, 0x203B),
              (0x3001, 0x30FF), (0x4E00, 0x4FFF), (0xFF01, 0xFF5E)]
    chars = (chr(c) for start, end in ranges for c in range(start, end + 1))
    font = fonts.primary()
    return "".join(c for c in chars if unicodedata.category(c)[0] in "LNPS" and not fonts.coverage(c, font)
                   and unicodedata.normalize("NFKC", c) == c)


PRINTABLE = _printable()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.sampled_from(PRINTABLE + " "), min_size=1, max_size=80).filter(str.strip),
       lang=st.sampled_from(["ja", "en"]))
def test_25_any_text_the_font_covers_renders_and_extracts_back(env: jinja2.Environment, text: str,
                                                              lang: Lang) -> None:
    extracted = pdf_text(render_pdf(one_fact_brief(env, Quantity.point(1, "GPU"), text, lang)))
    assert re.sub(r"\s+", "", text) in re.sub(r"\s+", "", extracted)


def test_25_the_printable_repertoire_is_wide(tmp_path: Path) -> None:
    assert len(PRINTABLE) > 800 and {"<", "&", "{", "*", "é", "Ж", "Ω", "あ", "中"} <= set(PRINTABLE)
