"""Tests for briefgen.extract.extract: article text → candidate number expressions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SEED_ARTICLE
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen.base import units
from briefgen.base.errors import OutputError
from briefgen.base.model import Fact, FactSet, Origin, PartialDate, Quantity, Source
from briefgen.extract.candidates import PLACEHOLDER, plain, propose, squash
from briefgen.extract.extract import (
    CSV_COLUMNS,
    candidates_rows,
    detect_lang,
    extract,
    stale_quotes,
    uncovered,
    write_candidates_csv,
)
from briefgen.load.facts import load_facts

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
CORPUS = sorted((FIXTURES / "corpus").glob("*.txt"))
ARTICLE_JA = SEED_ARTICLE
PARA_EN = FIXTURES / "para-en.txt"


@pytest.mark.parametrize("path", [ARTICLE_JA, PARA_EN, *CORPUS])
def test_every_unit_is_understood_by_briefgen_units(path: Path) -> None:
    for c in extract(path.read_text(encoding="utf-8")):
        assert c.unit == "date" or units.is_known(c.unit), c


@pytest.mark.parametrize("path", [ARTICLE_JA, PARA_EN, *CORPUS])
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
    ("It raised $10m in spring.", "$10m", Decimal(10000000), "USD", ""),
    ("It costs €2.5 billion.", "€2.5 billion", Decimal(2500000000), "EUR", ""),
    ("It hired 12 staff.", "12 staff", Decimal(12), "person", "staff"),
    ("It took a 10-month sprint.", "10-month", Decimal(10), "month", "month"),
    ("It uses 40 GW daily.", "40 GW", Decimal(40), "GW", "GW"),
    ("It sells 300 GPUs a day.", "300 GPUs", Decimal(300), "GPU/day", "GPUs"),
])
def test_single_amounts(text: str, expression: str, value: Decimal, unit: str, counter: str) -> None:
    (c,) = extract(text)
    assert (c.expression, c.value, c.unit, c.counter) == (expression, value, unit, counter)


@pytest.mark.parametrize("text, expression, value, unit", [
    ("Profit changed by -3.7 per cent.", "-3.7 per cent", Decimal("-3.7"), "percent"),
    ("Wages moved minus 2 percent.", "minus 2 percent", Decimal(-2), "percent"),
    ("GDP shrank at a −3.7% pace.", "−3.7%", Decimal("-3.7"), "percent"),
    ("年率換算で−3.7%だった", "−3.7%", Decimal("-3.7"), "percent"),
    ("営業損益は▲9.2億円", "▲9.2億円", Decimal("-920000000"), "JPY"),
    ("前年度比△0.4%", "△0.4%", Decimal("-0.4"), "percent"),
    ("個人消費はマイナス0.4%", "マイナス0.4%", Decimal("-0.4"), "percent"),
    ("前年同期比11・2%減", "11・2%", Decimal("11.2"), "percent"),
    ("自治体の3分の1で", "3分の1", Decimal("0.3333"), "1"),
    ("It is a third of the total.", "a third", Decimal("0.3333"), "1"),
    ("Two-thirds of contracts.", "Two-thirds", Decimal("0.6667"), "1"),
    ("Capacity doubled last year.", "doubled", Decimal(2), "1"),
    ("It is twice the level.", "twice", Decimal(2), "1"),
    ("出生数が倍増した", "倍増", Decimal(2), "1"),
    ("Traffic was halved.", "halved", Decimal("0.5"), "1"),
    ("B社は2位だった", "2位", Decimal(2), "1"),
    ("It ranks No. 2 in the market.", "No. 2", Decimal(2), "1"),
    ("国内12拠点の体制", "12拠点", Decimal(12), "1"),
    ("開花は平年より5日早い", "5日", Decimal(5), "day"),
    ("1バレル=72.5ドル", "72.5ドル", Decimal("72.5"), "USD/barrel"),
    ("1ドル=152円台", "152円", Decimal(152), "JPY/USD"),
    ("基本給を月額1万5,000円引き上げ", "1万5,000円", Decimal(15000), "JPY/month"),
    ("Trading 80 cents lower.", "80 cents", Decimal("0.8"), "USD"),
    ("There were 9 million vacant homes.", "9 million vacant homes", Decimal(9000000), "household"),
])
def test_signs_fractions_multiples_and_counters(text: str, expression: str, value: Decimal, unit: str) -> None:
    (c,) = extract(text)
    assert (c.expression, c.value, c.unit) == (expression, value, unit)


def test_a_plus_after_the_number_keeps_magnitude_and_says_at_least() -> None:
    (c,) = extract("It sold 120+ million units worldwide.")
    assert (c.expression, c.value, c.unit, c.qualifier) == ("120+ million units", Decimal(120000000), "1", "at_least")


@pytest.mark.parametrize("text, expression, low, high, unit", [
    ("180万〜190万セットの年産", "180万〜190万セット", Decimal(1800000), Decimal(1900000), "1"),
    ("初任給を25万〜28万円に", "25万〜28万円", Decimal(250000), Decimal(280000), "JPY"),
    ("It takes 8–10 months.", "8–10 months", Decimal(8), Decimal(10), "month"),
])
def test_ranges_with_any_counter_are_one_range(text: str, expression: str, low: Decimal, high: Decimal,
                                               unit: str) -> None:
    (c,) = extract(text)
    assert (c.expression, c.low, c.high, c.unit, c.value) == (expression, low, high, unit, None)


def test_from_one_amount_to_another_is_two_amounts_not_a_range() -> None:
    assert [c.expression for c in extract("従業員は約1700人から2000人に増える")] == ["約1700人", "2000人"]


@pytest.mark.parametrize("text", [
    "株価(6501)は午前10時30分に上昇した。",
    "12:00時点で取引された。",
    "第3ゾーンに新工場。",
    "北辰電機は12日、発表した。",
    "Sakura Cloud (3778) rose at 12:00 and at 9:30 a.m.",
    "Work on the Zone 3 hall began.",
])
def test_times_stock_codes_days_and_names_are_not_quantities(text: str) -> None:
    assert extract(text) == ()


@pytest.mark.parametrize("text, date", [
    ("2026年3月期の見通し", "2025-04/2026-03"),
    ("2024年度の統計", "2024-04/2025-03"),
    ("2024年度上期の統計", "2024-04/2024-09"),
    ("2023年下半期の出荷", "2023-07/2023-12"),
    ("第2四半期の需要", "--04/--06"),
    ("2024年度第4四半期", "2025-01/2025-03"),
    ("2Qの需要", "--04/--06"),
    ("7〜12月の目標", "--07/--12"),
    ("8–10月には", "--08/--10"),
    ("2025年4〜9月期の損益", "2025-04/2025-09"),
    ("2024/5/26に稼働", "2024-05-26"),
    ("2024-04-13に発表", "2024-04-13"),
    ("Profit fell in the fourth quarter.", "--10/--12"),
    ("Output rose in Q4 2024.", "2024-10/2024-12"),
    ("In the first quarter of 2025 it grew.", "2025-01/2025-03"),
    ("Growth slowed in 2Q.", "--04/--06"),
    ("It began in the second half of 2023.", "2023-07/2023-12"),
    ("Sales in the April-December period.", "--04/--12"),
    ("July was hot.", "--07"),
])
def test_periods_quarters_and_numeric_dates(text: str, date: str) -> None:
    (c,) = extract(text)
    assert (c.kind, c.unit, c.date) == ("date", "date", date)


def test_march_and_may_are_months_only_after_a_preposition() -> None:
    assert [c.date for c in extract("Prices may march higher. It opened in May.")] == ["--05"]


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
    rows = candidates_rows(cands, "ja", source="src1")
    assert [list(r) for r in rows] == [list(CSV_COLUMNS)] * 2
    assert [(r["value"], r["low"], r["high"], r["unit"], r["as_of"]) for r in rows] == [
        ("1300000", "", "", "gallon/day", ""),
        ("", "30000", "40000", "USD", "2023-07"),
    ]
    assert all(r["source"] == "src1" for r in rows)
    assert rows[0]["quote"] == "毎日130万ガロン。"


def test_proposals_merge_name_date_and_keep_the_qualifier() -> None:
    text = ("北辰電機は2025年5月12日、売上高が約2兆3000億円になると発表した。同社の売上高は約2兆3000億円で、"
            "純利益は1,240億円。\n数千万ドルの寄付もあった。\n8月26日、同社は新工場を稼働した。")
    found = propose(extract(text), "ja", today=dt.date(2025, 9, 1))
    assert [(p.id, p.entity, p.metric, plain(p.mention.value) or p.event, p.as_of) for p in found.facts] == [
        ("revenue", "北辰電機", "売上高", "2300000000000", "2025-05-12"),
        ("net_profit", "北辰電機", "純利益", "124000000000", ""),
        ("start", "北辰電機", "開始", "2025-08-26", ""),
    ]
    assert found.facts[0].labels == ("売上高（約）", "revenue (about)")
    assert len(found.facts[0].merged) == 1
    review = [r.text("en") for r in found.review]
    assert any("merged with line 1" in r for r in review)
    assert any("数千万ドル" in r and "no exact amount" in r for r in review)
    assert any("「数千万ドル」は数量を特定していません" in r.text("ja") for r in found.review)


def test_english_proposals_carry_the_entity_and_leave_placeholders_when_unsure() -> None:
    text = "Northfield Motors said revenue rose 8% in 2024. Its net profit hit $2 billion. The index gained 3 points."
    found = propose(extract(text), "en")
    assert [(p.id, p.entity, p.metric, p.as_of) for p in found.facts] == [
        ("northfield_motors_revenue", "Northfield Motors", "revenue", "2024"),
        ("northfield_motors_net_profit", "Northfield Motors", "net profit", ""),
        ("count", PLACEHOLDER, PLACEHOLDER, ""),
    ]
    assert any(r.text("en").startswith("count (line 1): entity unclear") for r in found.review)


def test_a_date_without_its_year_takes_the_sentence_year_then_the_article_year() -> None:
    text = "2023年9月12日に40億ドル、10月28日に20億ドルを調達。\n5月26日に60億ドル。"
    found = propose(extract(text), "ja", today=dt.date(2024, 7, 29))
    assert [p.as_of for p in found.facts] == ["2023-09-12", "2023-10-28", "2024-05-26"]
    assert [p.as_of for p in propose(extract("5月26日に60億ドル。"), "ja").facts] == [""]


@pytest.mark.parametrize("article", [ARTICLE_JA, PARA_EN, *CORPUS], ids=lambda p: p.name)
def test_the_written_table_loads_as_facts(article: Path, tmp_path: Path) -> None:
    text = article.read_text(encoding="utf-8")
    cands = extract(text)
    out = write_candidates_csv(cands, tmp_path / "facts.csv", detect_lang(text), source="art")
    (tmp_path / "sources.csv").write_text("id,publisher,title,date,url,lang\nart,P,T,2024-07-29,,\n",
                                          encoding="utf-8")
    facts = load_facts(out, tmp_path / "sources.csv")
    assert len(facts.facts) >= 0.5 * len([c for c in cands if not c.vague])
    assert all(f.quote in squash(text) for f in facts.facts.values())


def test_write_candidates_csv_names_the_path_it_cannot_write(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "candidates.csv"
    with pytest.raises(OutputError) as err:
        write_candidates_csv((), target, "ja")
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


def test_uncovered_accepts_claims_with_the_same_amount_as_cover() -> None:
    cands = extract("数量は4倍に増加し、資金調達額の半分に相当する。")
    assert len(uncovered(cands, _factset())) == 2
    claims = [("数量は4倍に増加", Quantity.point(4, "1")), ("資金調達額の半分に相当", Quantity.point(Decimal("0.5"), "1"))]
    assert uncovered(cands, _factset(), claims=claims) == ()
    wrong = [("数量は4倍に増加", Quantity.point(5, "1"))]  # the quote alone is not enough
    assert [c.expression for c in uncovered(cands[:1], _factset(), claims=wrong)] == ["4倍"]


def test_uncovered_matches_by_value_and_unit_not_by_substring() -> None:
    facts = _factset(_fact("power", "国内12拠点と12GWの電源", Quantity.point(12, "GW")))
    left = uncovered(extract("新たに国内12拠点を設け、電源は12GWとなる。"), facts)
    assert [c.expression for c in left] == ["12拠点"]


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


def test_cli_writes_a_table_that_loads_with_the_named_source(tmp_path: Path) -> None:
    import io

    from briefgen.cli import main

    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "facts.csv"
    code = main(["--date", "2024-07-29", "extract", str(ARTICLE_JA), "--out", str(target), "--source", "kr36"],
                stdout=out, stderr=err)
    assert (code, err.getvalue()) == (0, "") and "source 'kr36'" in out.getvalue()
    (tmp_path / "sources.csv").write_text("id,publisher,title,date,url,lang\nkr36,36Kr,T,2024-07-29,,ja\n",
                                          encoding="utf-8")
    facts = load_facts(target, tmp_path / "sources.csv")
    assert facts.facts["xai_funding"].as_of == PartialDate(2024, 5, 26)
    with pytest.raises(SystemExit) as usage:
        main(["extract", str(ARTICLE_JA), "--out", str(target), "--source", "Bad Id"], stdout=out, stderr=err)
    assert usage.value.code == 2
