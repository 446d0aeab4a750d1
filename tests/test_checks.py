"""Tests for briefgen.compute.checks: verdicts on the reference claims, tolerance edges, and fact conflicts."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any, Literal

import factories
import pytest

from briefgen.base.errors import ComparisonError
from briefgen.base.model import (
    ClaimSpec,
    Comparison,
    Currency,
    Fact,
    FactSet,
    PartialDate,
    Product,
    Quantity,
    Ratio,
    Share,
    Source,
)
from briefgen.compute import checks, compare

SOURCE = Source("seed_article", "Publisher", "Title", None, "https://example.com/a")
MAY26 = PartialDate(2024, 5, 26)


def make_fact(fact_id: str, value: str | None, unit: str = "USD", *, entity: str = "xAI",
              **kw: Any) -> Fact:
    """A fact for these tests: dollars about xAI unless told otherwise."""
    return factories.make_fact(fact_id, value, unit, entity=entity, source=SOURCE, **kw)


fact_set = factories.fact_set




FACTS = fact_set(
    make_fact("xai_h100_count", "100000", "GPU"),
    make_fact("gpt4_gpu_count", "25000", "GPU"),
    make_fact("h100_unit_price", None, "USD/GPU", low="30000", high="40000"),
    make_fact("cluster_cost_usd", "4e9"),
    make_fact("usd_cny_rate", "7.2417", "CNY/USD"),
    make_fact("xai_round_amount", "6e9", metric="funding_round", as_of=MAY26),
    make_fact("openai_total_raised", "1.43e10"),
    make_fact("xai_valuation", "2.4e10", metric="valuation", as_of=MAY26, line=17),
    make_fact("xai_valuation_cny", "1.738e11", "CNY", metric="valuation", as_of=MAY26, line=18),
    make_fact("xai_valuation_headline", "1.3e11", metric="valuation", as_of=MAY26, line=19),
    make_fact("xai_founded", None, event=PartialDate(2023, 7)),
)

SPECS = (
    Ratio(id="gpu_ratio", of="xai_h100_count", to="gpt4_gpu_count", origin="brief.yaml: comparisons[0]"),
    Share(id="raise_share", part="xai_round_amount", whole="openai_total_raised", origin="brief.yaml: comparisons[1]"),
    Product(id="cluster_cost_est", of=("xai_h100_count", "h100_unit_price"), origin="brief.yaml: comparisons[4]"),
    Currency(id="cluster_cost_cny_calc", of="cluster_cost_usd", rate="usd_cny_rate", to="CNY",
             origin="brief.yaml: comparisons[9]"),
)
COMPARISONS = compare.compute(SPECS, FACTS)

Direction = Literal["about", "at_least", "at_most"]


def claim(target: str, asserted: str, unit: str, tolerance: str = "0.02", direction: Direction = "about",
          claim_id: str = "c") -> ClaimSpec:
    return ClaimSpec(claim_id, "quote", target, Quantity.point(asserted, unit), Decimal(tolerance),
                     f"brief.yaml: claims[{claim_id}]", direction)


def check(c: ClaimSpec, facts: FactSet = FACTS, comparisons: tuple[Comparison, ...] = COMPARISONS) -> tuple[str, str]:
    (result,) = checks.check_claims([c], facts, comparisons)
    assert result.claim is c
    return result.verdict, result.note


# --- the five reference claims --------------------------------------------------------------------


def test_reference_claims() -> None:
    claims = [
        claim("gpu_ratio", "4", "1", "0.02", claim_id="c_gpu_4x"),
        claim("raise_share", "0.5", "1", "0.05", claim_id="c_half"),
        claim("cluster_cost_est", "4000000000", "USD", "0.02", claim_id="c_total_cost"),
        claim("cluster_cost_cny_calc", "29000000000", "CNY", "0.01", "at_least", claim_id="c_cny"),
        claim("xai_valuation", "130000000000", "USD", "0.02", "at_least", claim_id="c_valuation"),
    ]
    results = {r.claim.id: r for r in checks.check_claims(claims, FACTS, COMPARISONS)}
    assert {k: r.verdict for k, r in results.items()} == {
        "c_gpu_4x": "holds",
        "c_half": "overstated",
        "c_total_cost": "holds",
        # 4e9 USD × 7.2417 = 2.89668e10 CNY: 0.11 % short of "290億以上", inside the 1 % tolerance.
        "c_cny": "holds",
        "c_valuation": "contradicted",
    }
    assert results["c_gpu_4x"].note == ""
    assert results["c_half"].note == "computed 0.4196 vs asserted 0.5"
    assert results["c_total_cost"].note == "upper end of 3e+9–4e+9"
    assert results["c_total_cost"].computed == Quantity(Decimal("3e9"), Decimal("4e9"), "USD")
    assert results["c_cny"].note == "computed 2.897e+10 vs asserted 2.9e+10"
    assert results["c_valuation"].note == "computed 2.4e+10 vs asserted 1.3e+11"


# --- verdict table --------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "asserted", "unit", "tol", "direction", "verdict", "note"), [
    ("gpu_ratio", "4.08", "1", "0.02", "about", "holds", "computed 4 vs asserted 4.08"),
    ("gpu_ratio", "4.09", "1", "0.02", "about", "overstated", "computed 4 vs asserted 4.09"),
    ("gpu_ratio", "5", "1", "0.02", "about", "overstated", "computed 4 vs asserted 5"),  # 25 % off
    ("gpu_ratio", "5.01", "1", "0.02", "about", "contradicted", "computed 4 vs asserted 5.01"),
    ("gpu_ratio", "8", "1", "0.02", "about", "contradicted", "computed 4 vs asserted 8"),
    ("gpu_ratio", "3", "1", "0.02", "about", "understated", "computed 4 vs asserted 3"),
    ("gpu_ratio", "2.99", "1", "0.02", "about", "contradicted", "computed 4 vs asserted 2.99"),
    ("gpu_ratio", "1.9", "1", "0.02", "about", "contradicted", "computed 4 vs asserted 1.9"),
    ("gpu_ratio", "-4", "1", "0.02", "about", "contradicted", "computed 4 vs asserted -4"),
    ("gpu_ratio", "400", "percent", "0.02", "about", "holds", ""),
    ("raise_share", "42", "percent", "0.01", "about", "holds", "computed 0.4196 vs asserted 0.42"),
    ("cluster_cost_est", "3e9", "USD", "0.02", "about", "holds", "lower end of 3e+9–4e+9"),
    ("cluster_cost_est", "3.5e9", "USD", "0.02", "about", "holds", "within 3e+9–4e+9"),
    ("cluster_cost_est", "4.1e9", "USD", "0.02", "about", "overstated", "computed 3e+9–4e+9 vs asserted 4.1e+9"),
    ("cluster_cost_est", "2.9e9", "USD", "0.02", "about", "understated", "computed 3e+9–4e+9 vs asserted 2.9e+9"),
    ("cluster_cost_est", "1e9", "USD", "0.02", "at_least", "holds", "below 3e+9–4e+9"),
    ("cluster_cost_est", "4e9", "USD", "0.02", "at_least", "holds", "upper end of 3e+9–4e+9"),
    ("cluster_cost_est", "5e9", "USD", "0.02", "at_least", "overstated", "computed 3e+9–4e+9 vs asserted 5e+9"),
    ("cluster_cost_est", "9e9", "USD", "0.02", "at_most", "holds", "above 3e+9–4e+9"),
    ("cluster_cost_est", "5.01e9", "USD", "0.02", "at_least", "contradicted", "computed 3e+9–4e+9 vs asserted 5.01e+9"),
    ("cluster_cost_est", "2.5e9", "USD", "0.02", "at_most", "understated", "computed 3e+9–4e+9 vs asserted 2.5e+9"),
    ("cluster_cost_est", "2e9", "USD", "0.02", "at_most", "contradicted", "computed 3e+9–4e+9 vs asserted 2e+9"),
    ("cluster_cost_est", "1e9", "USD", "0.02", "at_most", "contradicted", "computed 3e+9–4e+9 vs asserted 1e+9"),
    ("xai_valuation", "2.4e10", "USD", "0", "at_most", "holds", ""),
])
def test_verdicts(target: str, asserted: str, unit: str, tol: str, direction: Direction, verdict: str,
                  note: str) -> None:
    assert check(claim(target, asserted, unit, tol, direction)) == (verdict, note)


def test_five_times_against_a_computed_2_73_times_is_contradicted() -> None:
    facts = fact_set(make_fact("a", "273", "GPU"), make_fact("b", "100", "GPU"))
    ratio = compare.compute([Ratio(id="r", of="a", to="b", origin="brief.yaml")], facts)
    (result,) = checks.check_claims([claim("r", "5", "1")], facts, ratio)
    assert result.verdict == "contradicted"
    assert result.deviation is not None and round(result.deviation, 3) == Decimal("0.832")


@pytest.mark.parametrize(("beyond", "verdict"), [("0.25", "contradicted"), ("1", "overstated"), ("0.9", "overstated")])
def test_the_contradiction_threshold_is_set_per_claim(beyond: str, verdict: str) -> None:
    c = replace(claim("gpu_ratio", "7.5", "1"), contradicted_beyond=Decimal(beyond))
    assert check(c)[0] == verdict


@pytest.mark.parametrize(("asserted", "deviation"), [
    ("5", Decimal("0.25")), ("3", Decimal("-0.25")), ("4", Decimal(0)),
])
def test_deviation_is_relative_to_the_computed_figure(asserted: str, deviation: Decimal) -> None:
    (result,) = checks.check_claims([claim("gpu_ratio", asserted, "1")], FACTS, COMPARISONS)
    assert result.deviation == deviation


def test_deviation_inside_a_computed_range_is_none() -> None:
    (result,) = checks.check_claims([claim("cluster_cost_est", "3.5e9", "USD")], FACTS, COMPARISONS)
    assert result.deviation is None and result.position == "within"


# --- order claims ---------------------------------------------------------------------------------


def order(kind: Literal["less_than", "greater_than"], of: str, than: str) -> ClaimSpec:
    return ClaimSpec("c", "quote", of, None, Decimal(0), "brief.yaml: claims[c]", kind=kind, than=than)


ORDER_FACTS = fact_set(make_fact("frontier", "22.7", "MW"), make_fact("aurora", "38698", "kW"),
                       make_fact("same", "22700", "kW"), make_fact("wide", None, "MW", low="20", high="40"),
                       make_fact("day", None, event=PartialDate(2024, 1)))


@pytest.mark.parametrize(("kind", "of", "than", "verdict", "note"), [
    ("less_than", "frontier", "aurora", "holds", ""),
    ("greater_than", "aurora", "frontier", "holds", ""),
    ("greater_than", "frontier", "aurora", "contradicted", ""),
    ("less_than", "aurora", "frontier", "contradicted", ""),
    ("less_than", "frontier", "same", "contradicted", ""),  # equal is not less
    ("less_than", "frontier", "wide", "unverifiable", "ranges overlap"),
])
def test_order_claims(kind: Literal["less_than", "greater_than"], of: str, than: str, verdict: str,
                      note: str) -> None:
    (result,) = checks.check_claims([order(kind, of, than)], ORDER_FACTS, ())
    assert (result.verdict, result.note) == (verdict, note)
    assert result.computed == ORDER_FACTS[of].quantity
    assert result.other is not None and result.other.unit == ORDER_FACTS[of].quantity.unit  # type: ignore[union-attr]


@pytest.mark.parametrize(("than", "message"), [
    ("aurroa", "claims[c]: c.than: unknown id 'aurroa'; did you mean 'aurora'?"),
    ("day", "c.than: day is an event dated 2024-01"),
])
def test_order_claim_errors_name_the_claim(than: str, message: str) -> None:
    with pytest.raises(ComparisonError) as info:
        checks.check_claims([order("less_than", "frontier", than)], ORDER_FACTS, ())
    assert message in str(info.value)


def test_order_claim_across_dimensions_is_an_error() -> None:
    facts = fact_set(make_fact("a", "1", "MW"), make_fact("b", "1", "GPU"))
    with pytest.raises(ComparisonError, match=r"c\.than: than 'GPU' does not fit a \(MW\)"):
        checks.check_claims([order("less_than", "a", "b")], facts, ())


def test_a_claim_can_target_a_fact_directly() -> None:
    assert check(claim("xai_h100_count", "100000", "GPU"))[0] == "holds"


def test_asserted_unit_is_converted_to_the_target_unit() -> None:
    facts = fact_set(make_fact("power", "150", "MW"))
    assert check(claim("power", "150000", "kW"), facts, ()) == ("holds", "")


@pytest.mark.parametrize(("c", "message"), [
    (claim("gpu_ratoi", "4", "1"), "brief.yaml: claims[c]: c.target: unknown id 'gpu_ratoi'; did you mean 'gpu_ratio'?"),
    (claim("xai_valuation", "1.3e11", "GPU"),
     "brief.yaml: claims[c]: c.unit: asserted unit 'GPU' does not fit xai_valuation (USD) "
     "(expected a unit of the same dimension as USD)"),
    (claim("xai_valuation", "1.3e11", "CNY"), "asserted unit 'CNY' does not fit xai_valuation (USD)"),
    (claim("xai_founded", "2023", "1"), "brief.yaml: claims[c]: c.target: xai_founded is an event dated 2023-07"),
])
def test_claim_errors_name_the_claim(c: ClaimSpec, message: str) -> None:
    with pytest.raises(ComparisonError) as info:
        check(c)
    assert message in str(info.value)


# --- conflicts ------------------------------------------------------------------------------------


def test_headline_valuation_conflicts_with_the_body() -> None:
    (conflict,) = checks.find_conflicts(FACTS)
    assert (conflict.entity, conflict.metric) == ("xAI", "valuation")
    assert [f.id for f in conflict.facts] == ["xai_valuation", "xai_valuation_headline"]
    assert conflict.used.id == "xai_valuation"


def test_first_fact_in_file_order_is_used() -> None:
    facts = fact_set(make_fact("headline", "1.3e11", metric="valuation", as_of=MAY26),
                     make_fact("body", "2.4e10", metric="valuation", as_of=MAY26))
    (conflict,) = checks.find_conflicts(facts)
    assert conflict.used.id == "headline"


@pytest.mark.parametrize(("a", "b", "conflicts"), [
    (make_fact("a", "2.4e10"), make_fact("b", "2.4e10"), False),
    (make_fact("a", "2.4e10"), make_fact("b", "2.5e10"), True),
    (make_fact("a", "1", "MW"), make_fact("b", "1000", "kW"), False),
    (make_fact("a", None, low="3e9", high="4e9"), make_fact("b", "4e9"), False),
    (make_fact("a", None, low="3e9", high="4e9"), make_fact("b", None, low="4.1e9", high="5e9"), True),
    (make_fact("a", "2.4e10"), make_fact("b", "1.738e11", "CNY"), False),
    (make_fact("a", "2.4e10"), make_fact("b", "2.5e10", as_of=MAY26), False),
    (make_fact("a", "2.4e10"), make_fact("b", "2.5e10", entity="OpenAI"), False),
    (make_fact("a", None, event=PartialDate(2024, 3)), make_fact("b", None, event=PartialDate(2024, 3, 15)), False),
    (make_fact("a", None, event=PartialDate(2024, 3)), make_fact("b", None, event=PartialDate(2024, 4)), True),
    (make_fact("a", None, event=PartialDate(2024)), make_fact("b", None, event=PartialDate(2025, 1)), True),
    (make_fact("a", None, event=PartialDate(2024, 3)), make_fact("b", "3", "month"), False),
])
def test_conflict_rules(a: Fact, b: Fact, conflicts: bool) -> None:
    a, b = (Fact(f.id, f.entity, "m", f.quantity, f.event, f.as_of, f.source, f.quote, f.origin) for f in (a, b))
    found = checks.find_conflicts(fact_set(a, b))
    assert bool(found) is conflicts
    if conflicts:
        assert found[0].facts == (a, b) and found[0].used == a


def test_every_disagreeing_fact_is_listed_once() -> None:
    facts = fact_set(make_fact("a", "1", metric="m"), make_fact("b", "2", metric="m"),
                     make_fact("c", "1", metric="m"), make_fact("d", "3", metric="m"))
    (conflict,) = checks.find_conflicts(facts)
    assert [f.id for f in conflict.facts] == ["a", "b", "d"]
