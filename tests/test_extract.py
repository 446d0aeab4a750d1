"""Tests for briefgen.extract: article text → candidate number expressions."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SEED_ARTICLE
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen import units
from briefgen.errors import OutputError
from briefgen.extract import (
    CSV_COLUMNS,
    Candidate,
    candidates_rows,
    detect_lang,
    extract,
    stale_quotes,
    uncovered,
    write_candidates_csv,
)
from briefgen.model import Fact, FactSet, Origin, PartialDate, Quantity, Source

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
ARTICLE_JA = SEED_ARTICLE
PARA_EN = FIXTURES / "para-en.txt"


def _expected(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _dec(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _key(c: Candidate) -> tuple[int, str]:
    return (c.line, c.expression)


def _right(c: Candidate, row: dict[str, str]) -> bool:
    return (c.value == _dec(row["value"]) and c.low == _dec(row["low"])
            and c.high == _dec(row["high"]) and c.unit == row["unit"] and c.date == row["date"]
            and c.qualifier == row["qualifier"] and c.vague == (row["vague"] == "true"))


@pytest.mark.parametrize("article, expected", [
    (ARTICLE_JA, FIXTURES / "article-ja.expected.csv"),
    (PARA_EN, FIXTURES / "para-en.expected.csv"),
])
def test_finds_every_number_expression_and_nothing_else(article: Path, expected: Path) -> None:
    rows = _expected(expected)
    found = extract(article.read_text(encoding="utf-8"))
    wanted = {(int(r["line"]), r["expression"]): r for r in rows}
    # precision: nothing outside the hand-made list (which therefore lists every number)
    assert [c for c in found if _key(c) not in wanted] == []
    # recall: at least 95 % found with the right value, range, unit, date and qualifier
    by_key = {_key(c): c for c in found}
    missed = [key for key, row in wanted.items()
              if key not in by_key or not _right(by_key[key], row)]
    assert len(missed) <= 0.05 * len(rows), missed
    assert len(rows) == len(set(wanted))  # no duplicate (line, expression) rows in the list


def test_reference_article_has_about_fifty_numbers() -> None:
    assert len(_expected(FIXTURES / "article-ja.expected.csv")) >= 45


@pytest.mark.parametrize("path", [ARTICLE_JA, PARA_EN])
def test_every_unit_is_understood_by_briefgen_units(path: Path) -> None:
    for c in extract(path.read_text(encoding="utf-8")):
        assert c.unit == "date" or units.is_known(c.unit), c


@pytest.mark.parametrize("path", [ARTICLE_JA, PARA_EN])
def test_offsets_lines_sentences_and_quotes_point_into_the_text(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    squashed = " ".join(text.split())
    for c in extract(text):
        assert text[c.char_offset:c.char_offset + len(c.expression)] == c.expression
        assert c.expression in lines[c.line - 1]
        assert c.expression in c.quote and c.quote in c.sentence and c.quote in squashed


@pytest.mark.parametrize("text, expression, value, unit, counter", [
    ("１０万台のGPUを導入", "１０万台", Decimal(100000), "GPU", "台"),
    ("工場に10台の車がある", "10台", Decimal(10), "1", "台"),
    ("サーバー200台を増設", "200台", Decimal(200), "server", "台"),
    ("評価額は1億2000万ドル", "1億2000万ドル", Decimal(120000000), "USD", "ドル"),
    ("社員の3割が参加", "3割", Decimal(30), "percent", "割"),
    ("二十名が参加した", "二十名", Decimal(20), "person", "名"),
    ("売上は三倍になった", "三倍", Decimal(3), "1", "倍"),
    ("十年間にわたり", "十年間", Decimal(10), "year", "年間"),
    ("毎日130万ガロンの水", "130万ガロン", Decimal(1300000), "gallon/day", "ガロン"),
    ("1時間あたり150メガワットの電力", "150メガワット", Decimal(150), "MW", "メガワット"),
    ("１２．５％の増加", "１２．５％", Decimal("12.5"), "percent", "%"),
    ("It raised $10m in May.", "$10m", Decimal(10000000), "USD", ""),
    ("It costs €2.5 billion.", "€2.5 billion", Decimal(2500000000), "EUR", ""),
    ("It hired 12 staff.", "12 staff", Decimal(12), "person", "staff"),
    ("It took a 10-month sprint.", "10-month", Decimal(10), "month", "month"),
    ("It uses 40 GW daily.", "40 GW", Decimal(40), "GW", "GW"),
    ("It sells 300 GPUs a day.", "300 GPUs", Decimal(300), "GPU/day", "GPUs"),
])
def test_single_amounts(text: str, expression: str, value: Decimal, unit: str, counter: str) -> None:
    (c,) = extract(text)
    assert (c.expression, c.value, c.unit, c.counter) == (expression, value, unit, counter)


def test_per_unit_denominator_makes_a_rate_and_is_not_a_candidate() -> None:
    (c,) = extract("NVIDIA H100は1台あたり3-4万ドルと高額")
    assert (c.expression, c.low, c.high, c.unit, c.value) == (
        "3-4万ドル", Decimal(30000), Decimal(40000), "USD/GPU", None)


def test_currency_named_before_a_bare_amount() -> None:
    (c,) = extract("総額は40億ドル(人民元換算で290億以上)に達する")[1:]
    assert (c.expression, c.value, c.unit, c.qualifier) == (
        "290億以上", Decimal(29000000000), "CNY", "at_least")


@pytest.mark.parametrize("text", [
    "もう一つ重要な要素がある。",
    "マスク氏の一挙手一投足が一つの分野の方向性に影響を与える。",
    "主要な共同創設者の一人として世界一の富豪になった。",
    "十分な電力を提供する。",
    "AI元年が過ぎても、数量は不明。",
    "NVIDIA H100とGPT4、GPT-4、Grok-1.5V、Grok-2を比較。",
    "Grok 2 beats GPT-4 and the H100 and A100s, in the first half of the year.",
    "A 10m wall.",
])
def test_things_that_are_not_number_expressions(text: str) -> None:
    assert extract(text) == ()


@pytest.mark.parametrize("text, date", [
    ("今年4月13日、発表した", "--04-13"),
    ("2023年7月、設立", "2023-07"),
    ("2025年の完成", "2025"),
    ("2015年から2018年まで", "2015/2018"),
    ("２０２４年５月２６日に", "2024-05-26"),
    ("On 26 May 2024 it closed.", "2024-05-26"),
    ("By Sept. 3 it was done.", "--09-03"),
    ("It ran 2015–2018.", "2015/2018"),
])
def test_dates(text: str, date: str) -> None:
    (c,) = extract(text)
    assert (c.kind, c.unit, c.date, c.value) == ("date", "date", date, None)


@pytest.mark.parametrize("text, qualifier", [
    ("約50名", "about"), ("最大150メガワット", "at_most"), ("290億以上", "at_least"),
    ("わずか1歳", "only"), ("100人未満", "at_most"), ("It has over 40 cities.", "at_least"),
    ("契約50件", ""),
])
def test_qualifiers(text: str, qualifier: str) -> None:
    (c,) = extract(text)
    assert c.qualifier == qualifier


def test_vague_amounts_are_kept_without_a_value() -> None:
    (ja,) = extract("数千万ドルの資金を提供")
    (en,) = extract("It gave hundreds of millions of dollars.")
    for c in (ja, en):
        assert (c.vague, c.value, c.low, c.high, c.unit) == (True, None, None, None, "USD")


def test_ranges_take_the_multiplier_of_their_upper_end() -> None:
    assert [(c.low, c.high) for c in extract("3-4万ドル、7、8の都市")] == [
        (Decimal(30000), Decimal(40000)), (Decimal(7), Decimal(8))]
    assert [(c.low, c.high) for c in extract("It cost $3–4 billion.")] == [
        (Decimal(3000000000), Decimal(4000000000))]


def test_language_is_detected_and_can_be_forced() -> None:
    assert detect_lang("xAI raised $6B") == "en"
    assert detect_lang("xAIは60億ドル") == "ja"
    assert [c.unit for c in extract("150 MW", lang="en")] == ["MW"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789０１万億台ドル年月日約以上のあたり1,.-、 $Bxabc\n%一二十", max_size=40))
def test_any_text_gives_consistent_candidates(text: str) -> None:
    for c in extract(text):
        assert text[c.char_offset:c.char_offset + len(c.expression)] == c.expression
        assert c.value is None or (c.low is None and c.high is None)
        assert (c.low is None) == (c.high is None)
        assert c.low is None or c.high is None or c.low < c.high


# --- candidates table -----------------------------------------------------------------------------

def test_candidates_rows_use_the_facts_layout() -> None:
    cands = extract("毎日130万ガロン。2023年7月、3-4万ドルを払った。")
    rows = candidates_rows(cands, source="src1")
    assert [list(r) for r in rows] == [list(CSV_COLUMNS)] * 3
    assert [(r["id"], r["value"], r["low"], r["high"], r["unit"]) for r in rows] == [
        ("n001", "1300000", "", "", "gallon/day"),
        ("n002", "2023-07", "", "", "date"),
        ("n003", "", "30000", "40000", "USD"),
    ]
    assert all(r["source"] == "src1" and r["entity"] == r["metric"] == "" for r in rows)
    assert rows[0]["quote"] == "毎日130万ガロン"


def test_write_candidates_csv_round_trips(tmp_path: Path) -> None:
    cands = extract(ARTICLE_JA.read_text(encoding="utf-8"))
    out = write_candidates_csv(cands, tmp_path / "candidates.csv")
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == candidates_rows(cands)
    assert len(rows) == len(cands) and rows[-1]["id"] == f"n{len(cands):03d}"


def test_write_candidates_csv_names_the_path_it_cannot_write(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "candidates.csv"
    with pytest.raises(OutputError) as err:
        write_candidates_csv((), target)
    assert str(target) in str(err.value) and "expected" in str(err.value)


# --- against a brief's facts ----------------------------------------------------------------------

SOURCE = Source("art", "36Kr", "article", None, "https://example.com")


def _fact(fid: str, quote: str, quantity: Quantity | None = None, event: str | None = None,
          as_of: str | None = None) -> Fact:
    def date(text: str | None) -> PartialDate | None:
        return None if text is None else PartialDate(*(int(p) for p in text.split("-")))
    return Fact(fid, "xAI", fid, quantity, date(event), date(as_of), SOURCE, quote,
                Origin("facts.csv", 2))


def _factset(*facts: Fact) -> FactSet:
    return FactSet({f.id: f for f in facts}, {"art": SOURCE}, "facts.csv")


def test_uncovered_matches_value_unit_quote_and_dates() -> None:
    text = ("10万台のGPU。毎日130万ガロン。3-4万ドル。5月26日に60億ドル。2023年7月。約50名。"
            "4倍。2015年から2018年。数千万ドル。")
    facts = _factset(
        _fact("gpus", "別の言い方", Quantity.point(100000, "GPU")),
        _fact("water", "x", Quantity.point(Decimal("4921"), "m**3/day")),   # 1.3e6 gal ≈ 4921 m³
        _fact("price", "y", Quantity(Decimal(30000), Decimal(40000), "USD")),
        _fact("round", "z", Quantity.point(Decimal("6.03e9"), "USD"), as_of="2024-05-26"),
        _fact("founded", "w", event="2023-07"),
        _fact("ratio", "数量は4倍に増加", Quantity.point(4, "1")),
        _fact("start", "v", event="2015"),
    )
    left = uncovered(extract(text), facts)
    assert [c.expression for c in left] == ["約50名", "2015年から2018年", "数千万ドル"]
    strict = uncovered(extract("60億ドル"), facts, tolerance=Decimal("0.001"))
    assert [c.expression for c in strict] == ["60億ドル"]


def test_uncovered_accepts_claim_quotes_as_cover() -> None:
    cands = extract("数量は4倍に増加し、資金調達額の半分に相当する。")
    assert len(uncovered(cands, _factset())) == 2
    assert uncovered(cands, _factset(), quotes=["数量は4倍に増加", "資金調達額の半分に相当"]) == ()


def test_uncovered_dates_need_the_same_precision() -> None:
    facts = _factset(_fact("launch", "q", event="2024-04-13"), _fact("plan", "r", event="2024-08"))
    left = uncovered(extract("4月13日、4月、8月、2024年8月12日。"), facts)
    assert [c.expression for c in left] == ["4月", "2024年8月12日"]


def test_stale_quotes_compare_whitespace_normalised() -> None:
    text = ARTICLE_JA.read_text(encoding="utf-8")
    kept = _fact("ratio", "数量は4倍に増加")
    spaced = _fact("h100", "10万台のNVIDIA  H100は1台あたり3-4万ドル")
    stale = _fact("edited", "数量は5倍に増加")
    assert stale_quotes(text, _factset(kept, spaced, stale)) == (stale,)
