"""facts: number and date parsing, every fact/source validation rule, and the reference data."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import DATA, FIXTURES, REFERENCE_SPEC, SEED_ARTICLE

from briefgen.base import units
from briefgen.base.errors import FactsError
from briefgen.base.model import PartialDate, Quantity
from briefgen.base.parse import parse_amount, parse_number, parse_partial_date
from briefgen.load.facts import load_facts

FX = FIXTURES / "facts"
NUMBER = "(expected a number such as 1,234 or -3 or 0.25 or 1.5e9 (digits only: no words, 万/億, NaN or inf))"
DATE = "(expected a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD)"
REFERENCE = DATA / "xai-colossus"

#: The fact ids docs/architecture.md promises, with their amount (or event date) and unit.
DOC_FACTS = {
    "xai_h100_count": ("100000", "GPU"), "gpt4_gpu_count": ("25000", "GPU"),
    "h100_unit_price": (("30000", "40000"), "USD/GPU"), "cluster_cost_usd": ("4e9", "USD"),
    "cluster_cost_cny": ("2.9e10", "CNY"), "colossus_power": ("150", "MW"),
    "colossus_households": ("100000", "household"), "colossus_water": ("1.3e6", "gallon/day"),
    "build_start": ("2024-03", "date"), "build_duration": ("4", "month"), "build_planned": ("2025", "date"),
    "oracle_h100": ("24000", "GPU"), "xai_founded": ("2023-07", "date"),
    "grok15v_release": ("2024-04-13", "date"), "xai_round_amount": ("6e9", "USD"),
    "xai_valuation": ("2.4e10", "USD"), "xai_valuation_cny": ("1.738e11", "CNY"),
    "xai_valuation_headline": ("1.3e11", "USD"), "openai_total_raised": ("1.43e10", "USD"),
    "openai_funding_span": ("10", "year"), "xai_funding_span": ("10", "month"),
    "anthropic_round_sep": ("4e9", "USD"), "anthropic_round_oct": ("2e9", "USD"),
    "inflection_round": ("1.3e9", "USD"), "tesla_engineers": ("50", "person"),
    "xai_open_positions": ("30", "position"), "grok2_planned": ("2024-08", "date"),
    "usd_cny_rate": ("7.2417", "CNY/USD"),
}


@pytest.mark.parametrize("text, value", [
    ("1,234", "1234"), ("1,234,567", "1234567"), ("1.5e9", "1500000000"), ("-3", "-3"),
    ("0.25", "0.25"), (" 42 ", "42"), ("+7", "7"), ("1,234.5", "1234.5"), ("1e300", "1e300"),
])
def test_parse_number_accepts(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text", [
    "12,3.4", "n/a", "10万", "", "NaN", "inf", "-Infinity", "1e400", "1e-400", "１２３", "1,23", ".5", "1.",
])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_number(text)


@pytest.mark.parametrize("text, date", [
    ("2023", PartialDate(2023)), ("2023-07", PartialDate(2023, 7)), ("2024-04-13", PartialDate(2024, 4, 13)),
    ("2024-02-29", PartialDate(2024, 2, 29)),
])
def test_parse_partial_date_accepts(text: str, date: PartialDate) -> None:
    assert parse_partial_date(text) == date


@pytest.mark.parametrize("text", ["2023-13", "2023-00", "2023-02-30", "2023-01-00", "2023-7", "23", "0000", "July 2023", ""])
def test_parse_partial_date_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_partial_date(text)


def test_valid_fixture_loads_points_ranges_and_events(no_warnings: None) -> None:
    facts = load_facts(FX / "facts.csv", FX / "sources.csv")
    assert list(facts.facts) == ["gpus", "price", "founded", "rate"]
    assert facts["gpus"].quantity == Quantity.point(100000, "GPU")
    assert facts["price"].quantity == Quantity(Decimal(30000), Decimal(40000), "USD/GPU")
    assert (facts["founded"].quantity, facts["founded"].event) == (None, PartialDate(2023, 7))
    assert facts["gpus"].as_of == PartialDate(2024, 7) and facts["price"].as_of is None
    assert facts["founded"].source.publisher == "Other Paper"
    assert str(facts["rate"].origin) == f"{FX / 'facts.csv'}:5"
    assert (facts["gpus"].label("ja"), facts["price"].label("en")) == ("xAIのGPU数", "H100 unit price")


def test_every_fact_problem_is_reported_with_line_and_column() -> None:
    path = FX / "facts_bad.csv"
    with pytest.raises(FactsError) as info:
        load_facts(path, FX / "sources.csv")
    assert [str(p) for p in info.value.problems] == [
        f"{path}:2: value: not a number: '10万' {NUMBER}",
        f"{path}:3: id: bad id 'Bad-Id' (expected lower-case letters, digits and _ only, e.g. xai_h100_count)",
        f"{path}:4: id: duplicate id 'gpus' (first on line 2) (expected each id once)",
        f"{path}:5: value: both value and low/high given (expected value alone, or low and high alone)",
        f"{path}:6: high: empty (a range needs both ends) (expected low and high both given)",
        f"{path}:7: low: low 9 is greater than high 1 (expected low <= high)",
        f"{path}:8: unit: unknown unit 'megawidgets' (expected date, or {units.FORM})",
        f"{path}:9: source: unknown source 'forbes' (expected the id of a row in the sources table)",
        f"{path}:10: quote: empty (expected the article's own words for this fact)",
        f"{path}:11: as_of: impossible date: '2024-13' (month must be in 1..12) {DATE}",
        f"{path}:12: value: not a date: 'July 2023' {DATE}",
        f"{path}:13: value: not a number: '12,3.4' {NUMBER}",
        f"{path}:14: value: not a number: 'NaN' {NUMBER}",
        f"{path}:15: value: number out of range: '1e400' (|exponent| > 300) {NUMBER}",
        f"{path}:16: value: no amount (expected value for a point, or low and high for a range)",
        f"{path}:17: low: an event has no range (expected empty low; the date goes in value)",
        f"{path}:17: high: an event has no range (expected empty high; the date goes in value)",
    ]


def test_source_problems_and_table_problems_of_both_files_come_together() -> None:
    sources = FX / "sources_bad.csv"
    with pytest.raises(FactsError) as info:
        load_facts(FX / "facts.csv", sources)
    assert [str(p) for p in info.value.problems] == [
        f"{sources}:2: url: not a web address: 'ftp://example.com' (expected an http(s):// URL, or empty)",
        f"{sources}:2: lang: not a language code: 'Japanese' (expected a code such as ja or en, or empty)",
        f"{sources}:2: publisher: empty (expected a non-empty value)",
        f"{sources}:2: date: impossible date: '2024-02-30' (day is out of range for month) {DATE}",
        f"{sources}:3: id: duplicate id 'seed' (first on line 2) (expected each id once)",
        f"{FX / 'facts.csv'}:4: source: unknown source 'other' (expected the id of a row in the sources table)",
    ]


def test_structural_problems_in_both_files_are_reported_at_once() -> None:
    with pytest.raises(FactsError) as info:
        load_facts(FX / "extra_field.csv", FX / "empty.csv")
    text = str(info.value)
    assert f"{FX / 'empty.csv'}: file is empty" in text
    assert f"{FX / 'extra_field.csv'}:3: row has 3 fields" in text
    assert f"{FX / 'extra_field.csv'}:1: entity: missing required column" in text


def test_100000_facts_load_and_validate(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    rows = (f"f{i},xAI,gpus,\"{i:,}\",,,GPU,2024-07,seed,q{i},,\n" for i in range(100_000))
    path.write_text("id,entity,metric,value,low,high,unit,as_of,source,quote,label_ja,label_en\n"
                    + "".join(rows), encoding="utf-8")
    facts = load_facts(path, FX / "sources.csv")
    assert len(facts) == 100_000
    assert facts["f99999"].quantity == Quantity.point(99999, "GPU")


# --- the reference data ---------------------------------------------------------------------------


def test_reference_facts_load_cleanly_with_every_documented_id(no_warnings: None) -> None:
    facts = load_facts(REFERENCE / "facts.csv", REFERENCE / "sources.csv")
    for fact_id, (amount, unit) in DOC_FACTS.items():
        fact = facts[fact_id]
        if unit == "date":
            assert str(fact.event) == amount, fact_id
        elif isinstance(amount, tuple):
            assert fact.quantity == Quantity(Decimal(amount[0]), Decimal(amount[1]), unit), fact_id
        else:
            assert fact.quantity == Quantity.point(amount, unit), fact_id


def test_reference_quotes_are_verbatim_in_the_article_and_labels_are_filled() -> None:
    article = SEED_ARTICLE.read_text(encoding="utf-8")
    facts = load_facts(REFERENCE / "facts.csv", REFERENCE / "sources.csv")
    assert [f.id for f in facts.facts.values() if f.quote not in article] == []
    assert [f.id for f in facts.facts.values() if not (f.label_ja and f.label_en)] == []


def test_reference_dates_and_conflict_pair() -> None:
    facts = load_facts(REFERENCE / "facts.csv", REFERENCE / "sources.csv")
    for fact_id in ("xai_round_amount", "xai_valuation", "xai_valuation_headline"):
        assert facts[fact_id].as_of == PartialDate(2024, 5, 26)
    assert facts["anthropic_round_sep"].as_of == PartialDate(2023, 9, 12)
    assert facts["anthropic_round_oct"].as_of == PartialDate(2023, 10, 28)
    assert facts["inflection_round"].as_of == PartialDate(2023, 6, 30)
    assert facts["xai_open_positions"].as_of == PartialDate(2024, 7, 23)
    headline, valuation = facts["xai_valuation_headline"], facts["xai_valuation"]
    assert (headline.entity, headline.metric) == (valuation.entity, valuation.metric)
    assert facts["usd_cny_rate"].quote == "240億ドル(約1738億人民元)"
    assert REFERENCE_SPEC.parent == REFERENCE


@pytest.mark.parametrize("text, amount", [
    ("1 year", Quantity.point(1, "year")), ("1,000 hour", Quantity.point(1000, "hour")),
    (" 2.5e3  day ", Quantity.point("2.5e3", "day")),
])
def test_parse_amount_accepts(text: str, amount: Quantity) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text, message", [
    ("one year", "not a number: 'one'"), ("NaN year", "not a number: 'NaN'"),
    ("1e400 year", "number out of range: '1e400'"), ("1", "not an amount: '1'"),
    ("1 furlongz", "not an amount: '1 furlongz'"), ("", "not an amount: ''"),
])
def test_parse_amount_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_amount(text)
