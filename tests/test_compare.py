"""Tests for briefgen.compute.compare: every kind on the reference numbers, ranges, chaining, errors, properties."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from typing import Mapping

import factories
import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefgen.base.errors import ComparisonError
from briefgen.base.model import ClaimSpec, Comparison, ComparisonSpec, FactSet, PartialDate, Quantity
from briefgen.compute import compare
from briefgen.compute.checks import check_claims
from briefgen.load.spec import KINDS
from briefgen.report import checks_text

SOURCE = factories.SOURCE
ORIGIN = "data/x/brief.yaml: comparisons[0]"


make_fact = factories.make_fact
fact_set = factories.fact_set


REFERENCE_FACTS = (
    make_fact("xai_h100_count", "100000", "GPU"),
    make_fact("gpt4_gpu_count", "25000", "GPU"),
    make_fact("h100_unit_price", unit="USD/GPU", low="30000", high="40000"),
    make_fact("cluster_cost_usd", "4e9", "USD"),
    make_fact("colossus_power", "150", "MW"),
    make_fact("colossus_households", "100000", "household"),
    make_fact("colossus_water", "1.3e6", "gallon/day"),
    make_fact("build_start", event=PartialDate(2024, 3)),
    make_fact("oracle_h100", "24000", "GPU"),
    make_fact("xai_round_amount", "6e9", "USD", as_of=PartialDate(2024, 5, 26)),
    make_fact("xai_valuation", "2.4e10", "USD", entity="xAI", metric="valuation", as_of=PartialDate(2024, 5, 26)),
    make_fact("xai_valuation_cny", "1.738e11", "CNY", entity="xAI", metric="valuation",
              as_of=PartialDate(2024, 5, 26)),
    make_fact("xai_valuation_headline", "1.3e11", "USD", entity="xAI", metric="valuation",
              as_of=PartialDate(2024, 5, 26)),
    make_fact("openai_total_raised", "1.43e10", "USD"),
    make_fact("openai_funding_span", "10", "year"),
    make_fact("xai_funding_span", "10", "month"),
    make_fact("anthropic_round_sep", "4e9", "USD"),
    make_fact("anthropic_round_oct", "2e9", "USD"),
    make_fact("inflection_round", "1.3e9", "USD"),
    make_fact("usd_cny_rate", "7.2417", "CNY/USD"),
    make_fact("zero_gpus", "0", "GPU"),
    make_fact("zero_span", "0", "month"),
    make_fact("negative_span", "-3", "month"),
    make_fact("signed_range", unit="GPU", low="-10", high="10"),
)




FACTS = fact_set(*REFERENCE_FACTS)


def spec(comparison_id: str, kind: str, args: Mapping[str, object], index: int = 0) -> ComparisonSpec:
    """``kind``'s spec type with ``args`` (a list of ids as a tuple), as brief.yaml's entry ``index`` would read."""
    typed = {name: tuple(value) if isinstance(value, list) else value for name, value in args.items()}
    return KINDS[kind](id=comparison_id, origin=f"data/x/brief.yaml: comparisons[{index}]", **typed)  # type: ignore


def one(kind: str, facts: FactSet = FACTS, **args: object) -> Comparison:
    (result,) = compute_all([("result", kind, args)], facts)
    return result


def compute_all(rows: list[tuple[str, str, Mapping[str, object]]], facts: FactSet = FACTS) -> tuple[Comparison, ...]:
    return compare.compute([spec(i, k, a, n) for n, (i, k, a) in enumerate(rows)], facts)


def approx(q: Quantity, low: str, high: str | None = None, unit: str | None = None, rel: str = "1e-9") -> None:
    """Assert ``q`` is ``low``–``high`` (a point when high is omitted) in ``unit`` within ``rel``."""
    for got, want in ((q.low, Decimal(low)), (q.high, Decimal(high or low))):
        assert abs(got - want) <= abs(want) * Decimal(rel), (q, low, high)
    if unit is not None:
        assert q.unit == unit


# --- each kind on the reference numbers -----------------------------------------------------------


@pytest.mark.parametrize(("kind", "args", "low", "high", "unit", "operator"), [
    ("ratio", {"of": "xai_h100_count", "to": "gpt4_gpu_count"}, "4", None, "1", "÷"),
    ("share", {"part": "xai_round_amount", "whole": "openai_total_raised"}, "0.41958041958042", None, "1", "÷"),
    ("share", {"part": "oracle_h100", "whole": "xai_h100_count"}, "0.24", None, "1", "÷"),
    ("difference", {"of": "xai_h100_count", "minus": "gpt4_gpu_count"}, "75000", None, "GPU", "−"),
    ("product", {"of": ["xai_h100_count", "h100_unit_price"]}, "3e9", "4e9", "USD", "×"),
    ("sum", {"of": ["anthropic_round_sep", "anthropic_round_oct"]}, "6e9", None, "USD", "+"),
    ("convert", {"of": "colossus_water", "to": "m**3/day"}, "4921.0353192", None, "m**3/day", "→"),
    ("convert", {"of": "colossus_power", "per": "colossus_households", "to": "kW/household"},
     "1.5", None, "kW/household", "÷"),
    ("convert", {"of": "colossus_power", "over": "1 year", "to": "TWh"}, "1.3149", None, "TWh", "×"),
    ("convert", {"of": "colossus_power", "over": "1,000 hour", "to": "TWh"}, "0.15", None, "TWh", "×"),
    ("currency", {"of": "cluster_cost_usd", "rate": "usd_cny_rate", "to": "CNY"}, "2.89668e10", None, "CNY", "×"),
    ("pace", {"of": "xai_round_amount", "span": "xai_funding_span", "per": "month"}, "6e8", None, "USD/month", "÷"),
    ("pace", {"of": "openai_total_raised", "span": "openai_funding_span", "per": "month"},
     "119166666.666667", None, "USD/month", "÷"),
])
def test_reference_numbers(kind: str, args: dict[str, object], low: str, high: str | None, unit: str,
                           operator: str) -> None:
    result = one(kind, **args)
    approx(result.value, low, high, unit)
    assert result.operator == operator
    assert result.kind == kind
    assert result.spec_origin == "data/x/brief.yaml: comparisons[0]"


def test_ratio_keeps_operands_and_inputs_in_formula_order() -> None:
    result = one("ratio", of="xai_h100_count", to="gpt4_gpu_count")
    assert result.value == Quantity.point(4, "1")
    assert result.operands == (Quantity.point("100000", "GPU"), Quantity.point("25000", "GPU"))
    assert [f.id for f in result.inputs] == ["xai_h100_count", "gpt4_gpu_count"]


def test_currency_lists_the_rate_fact_among_inputs() -> None:
    result = one("currency", of="cluster_cost_usd", rate="usd_cny_rate", to="CNY")
    assert [f.id for f in result.inputs] == ["cluster_cost_usd", "usd_cny_rate"]
    assert result.operands[1] == Quantity.point("7.2417", "CNY/USD")


def test_rank_orders_facts_largest_first() -> None:
    result = one("rank", subject="anthropic_round_oct",
                 among=["xai_round_amount", "anthropic_round_sep", "anthropic_round_oct", "inflection_round"])
    assert result.value == Quantity.point(3, "1")
    assert result.subject == "anthropic_round_oct"
    assert [f.id for f in result.ranking] == ["xai_round_amount", "anthropic_round_sep",
                                               "anthropic_round_oct", "inflection_round"]
    assert result.operator == ">"


def test_rank_of_the_reference_round_is_first_of_four() -> None:
    result = one("rank", subject="xai_round_amount",
                 among=["inflection_round", "anthropic_round_sep", "xai_round_amount", "anthropic_round_oct"])
    assert result.value == Quantity.point(1, "1")
    assert len(result.ranking) == 4


def test_rank_converts_units_before_ordering() -> None:
    facts = fact_set(make_fact("a", "900", "kW"), make_fact("b", "1", "MW"))
    result = one("rank", facts, subject="a", among=["a", "b"])
    assert result.value == Quantity.point(2, "1")


def test_ratio_converts_the_baseline_into_the_same_unit() -> None:
    facts = fact_set(make_fact("a", "1", "MW"), make_fact("b", "500", "kW"))
    approx(one("ratio", facts, of="a", to="b").value, "2", unit="1")


def test_difference_converts_units() -> None:
    facts = fact_set(make_fact("a", "2", "MW"), make_fact("b", "500", "kW"))
    approx(one("difference", facts, of="a", minus="b").value, "1.5", unit="MW")


def test_comparisons_chain_and_flatten_inputs() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("xai_pace", "pace", {"of": "xai_round_amount", "span": "xai_funding_span", "per": "month"}),
        ("openai_pace", "pace", {"of": "openai_total_raised", "span": "openai_funding_span", "per": "month"}),
        ("pace_ratio", "ratio", {"of": "xai_pace", "to": "openai_pace"}),
    ]
    *_, ratio = compute_all(rows)
    approx(ratio.value, "5.034965034965", unit="1", rel="1e-12")
    assert ratio.operands[0] == Quantity.point("6e8", "USD/month")
    assert [f.id for f in ratio.inputs] == ["xai_round_amount", "xai_funding_span",
                                            "openai_total_raised", "openai_funding_span"]


def test_chained_inputs_have_no_duplicates() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("cost", "product", {"of": ["xai_h100_count", "h100_unit_price"]}),
        ("cost_again", "product", {"of": ["h100_unit_price", "xai_h100_count"]}),
        ("same", "ratio", {"of": "cost", "to": "cost_again"}),
    ]
    *_, same = compute_all(rows)
    approx(same.value, "0.75", "1.3333333333333")
    assert [f.id for f in same.inputs] == ["xai_h100_count", "h100_unit_price"]


# --- ranges ---------------------------------------------------------------------------------------


RANGES = fact_set(make_fact("a", unit="USD", low="10", high="20"), make_fact("b", unit="USD", low="4", high="5"),
                  make_fact("n", "3", "GPU"), make_fact("d", unit="month", low="2", high="4"))


@pytest.mark.parametrize(("kind", "args", "low", "high"), [
    ("ratio", {"of": "a", "to": "b"}, "2", "5"),
    ("share", {"part": "b", "whole": "a"}, "0.2", "0.5"),
    ("difference", {"of": "a", "minus": "b"}, "5", "16"),
    ("sum", {"of": ["a", "b"]}, "14", "25"),
    ("product", {"of": ["a", "n"]}, "30", "60"),
    ("pace", {"of": "a", "span": "d", "per": "month"}, "2.5", "10"),
])
def test_ranges_propagate_as_intervals(kind: str, args: dict[str, object], low: str, high: str) -> None:
    approx(one(kind, RANGES, **args).value, low, high)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "args", "message"), [
    ("ratio", {"of": "xai_h100_count", "to": "zero_gpus"},
     "data/x/brief.yaml: comparisons[0]: result.to: zero_gpus is 0 GPU, which is or touches zero; "
     "cannot divide by it (expected a non-zero baseline)"),
    ("share", {"part": "xai_h100_count", "whole": "signed_range"},
     "result.whole: signed_range is -10–10 GPU, which is or touches zero"),
    ("ratio", {"of": "xai_h100_count", "to": "h100_unit_price"},
     "result: xai_h100_count (GPU) and h100_unit_price (USD/GPU) have different dimensions "
     "(expected quantities of the same dimension)"),
    ("ratio", {"of": "xai_h100_count", "to": "gpt4_gpu_cnt"},
     "result.to: unknown id 'gpt4_gpu_cnt'; did you mean 'gpt4_gpu_count'?"),
    ("difference", {"of": "build_start", "minus": "xai_h100_count"},
     "result.of: build_start is an event dated 2024-03 (data/x/facts.csv:2), not a number"),
    ("pace", {"of": "xai_round_amount", "span": "zero_span", "per": "month"},
     "result.span: zero_span is a negative or zero duration (0 month) (expected a positive duration)"),
    ("pace", {"of": "xai_round_amount", "span": "negative_span", "per": "month"},
     "result.span: negative_span is a negative or zero duration (-3 month)"),
    ("pace", {"of": "xai_round_amount", "span": "xai_h100_count", "per": "month"},
     "result.span: xai_h100_count is in GPU, which cannot be expressed in month"),
    ("pace", {"of": "xai_round_amount", "span": "xai_funding_span", "per": "GPU"},
     "result.per: 'GPU' is not a unit of time"),
    ("convert", {"of": "colossus_water", "to": "MW"},
     "result.to: colossus_water is in gallon/day, which cannot be expressed in MW"),
    ("convert", {"of": "colossus_water", "to": "furlongs_per_fortnight"}, "result.to: unknown unit"),
    ("convert", {"of": "colossus_power", "per": "colossus_households", "to": "kW"},
     "result.to: colossus_power ÷ colossus_households is in megawatt/household, which cannot be expressed in kW"),
    ("convert", {"of": "colossus_power", "per": "colossus_households", "over": "1 year", "to": "TWh"},
     "result.over: per and over together"),
    ("currency", {"of": "cluster_cost_usd", "rate": "xai_h100_count", "to": "CNY"},
     "result.rate: xai_h100_count is in GPU; converting cluster_cost_usd (USD) to CNY needs a rate in CNY/USD"),
    ("product", {"of": ["xai_h100_count"]}, "result.of: only 1 id (expected a list of at least two ids"),
    ("rank", {"subject": "oracle_h100", "among": ["xai_h100_count", "gpt4_gpu_count"]},
     "result.subject: 'oracle_h100' is not one of among"),
    ("sum", {"of": ["xai_round_amount", "xai_h100_count"]},
     "xai_round_amount (USD) and xai_h100_count (GPU) have different dimensions"),
])
def test_errors_name_spec_comparison_and_fact(kind: str, args: dict[str, object], message: str) -> None:
    with pytest.raises(ComparisonError) as info:
        one(kind, **args)
    assert message in str(info.value)


def test_currency_rate_in_the_wrong_direction_is_an_error() -> None:
    facts = fact_set(make_fact("cost", "4e9", "USD"), make_fact("rate", "0.138", "USD/CNY"))
    with pytest.raises(ComparisonError, match="rate is in USD/CNY; converting cost .USD. to CNY needs a rate in CNY/USD"):
        one("currency", facts, of="cost", rate="rate", to="CNY")


def test_rank_holds_facts_only() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("total", "sum", {"of": ["anthropic_round_sep", "anthropic_round_oct"]}),
        ("r", "rank", {"subject": "xai_round_amount", "among": ["xai_round_amount", "total"]}),
    ]
    with pytest.raises(ComparisonError, match="r.among: total is a comparison; a ranking holds facts"):
        compute_all(rows)


def test_comparison_may_only_refer_to_earlier_ones() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("r", "ratio", {"of": "later", "to": "gpt4_gpu_count"}),
        ("later", "sum", {"of": ["xai_h100_count", "oracle_h100"]}),
    ]
    with pytest.raises(ComparisonError, match=r"comparisons\[0\]: r.of: unknown id 'later'"):
        compute_all(rows)


def test_duplicate_ids_are_rejected() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("xai_h100_count", "sum", {"of": ["xai_h100_count", "oracle_h100"]}),
    ]
    with pytest.raises(ComparisonError, match="id 'xai_h100_count' is already used"):
        compute_all(rows)


def test_all_problems_are_reported_once_and_dependents_are_skipped() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("bad", "ratio", {"of": "xai_h100_count", "to": "zero_gpus"}),
        ("uses_bad", "ratio", {"of": "bad", "to": "gpt4_gpu_count"}),
        ("also_bad", "ratio", {"of": "xai_h100_count", "to": "nope"}),
    ]
    with pytest.raises(ComparisonError) as info:
        compute_all(rows)
    assert len(info.value.problems) == 2
    assert "comparisons[0]: bad.to" in str(info.value.problems[0])
    assert "comparisons[2]: also_bad.to" in str(info.value.problems[1])


# --- public helpers -------------------------------------------------------------------------------


def test_lookup_and_quantity_of() -> None:
    (ratio,) = compute_all([("gpu_ratio", "ratio", {"of": "xai_h100_count", "to": "gpt4_gpu_count"})])
    assert compare.lookup(FACTS, [ratio], "gpu_ratio") is ratio
    assert compare.lookup(FACTS, [ratio], "oracle_h100") is FACTS["oracle_h100"]
    assert compare.quantity_of(ratio) == Quantity.point(4, "1")
    with pytest.raises(ComparisonError, match="brief.yaml: claims.x: unknown id 'gpu_ratoi'; did you mean 'gpu_ratio'"):
        compare.lookup(FACTS, [ratio], "gpu_ratoi", origin="brief.yaml", field="claims.x")
    with pytest.raises(ComparisonError, match=r"data/x/facts.csv:2: build_start is an event dated 2024-03"):
        compare.quantity_of(FACTS["build_start"])


def test_in_unit() -> None:
    approx(compare.in_unit(Quantity.point("50", "percent"), "1"), "0.5", unit="1")
    with pytest.raises(ValueError, match="cannot be expressed in USD"):
        compare.in_unit(Quantity.point("1", "GPU"), "USD")


# --- properties -----------------------------------------------------------------------------------

POSITIVE = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e12"), places=3)
ANY = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=3)


@given(POSITIVE, POSITIVE)
def test_ratio_times_baseline_is_the_amount(a: Decimal, b: Decimal) -> None:
    facts = fact_set(make_fact("a", str(a), "USD"), make_fact("b", str(b), "USD"))
    ratio = one("ratio", facts, of="a", to="b").value.low
    assert abs(ratio * b - a) <= a * Decimal("1e-13")


@given(ANY, ANY, ANY, ANY, st.sampled_from(["ratio", "difference", "sum", "product"]))
def test_range_results_are_ordered(a1: Decimal, a2: Decimal, b1: Decimal, b2: Decimal, kind: str) -> None:
    facts = fact_set(make_fact("a", unit="GPU", low=str(min(a1, a2)), high=str(max(a1, a2))),
                     make_fact("b", unit="GPU", low=str(min(b1, b2)), high=str(max(b1, b2))))
    args: dict[str, object] = {"ratio": {"of": "a", "to": "b"}, "difference": {"of": "a", "minus": "b"}}.get(
        kind, {"of": ["a", "b"]})
    try:
        value = one(kind, facts, **args).value
    except ComparisonError as exc:
        assert kind == "ratio" and "touches zero" in str(exc)
        return
    assert value.low <= value.high
    assert value.low.is_finite() and value.high.is_finite()


@given(st.lists(ANY, min_size=2, max_size=5))
def test_sum_of_points_is_commutative(values: list[Decimal]) -> None:
    facts = fact_set(*(make_fact(f"v{i}", str(v), "USD") for i, v in enumerate(values)))
    ids = list(facts.facts)
    forward = one("sum", facts, of=ids).value
    backward = one("sum", facts, of=ids[::-1]).value
    assert forward == backward


def test_results_are_rounded_once_and_written_without_trailing_zeros() -> None:
    assert str(one("convert", of="colossus_power", per="colossus_households", to="kW/household").value.low) == "1.5"
    assert str(one("convert", of="colossus_water", to="m**3/day").value.low) == "4921.0353192"
    assert str(one("product", of=["xai_h100_count", "h100_unit_price"]).value.low) == "3000000000"
    assert str(one("share", part="xai_round_amount", whole="openai_total_raised").value.low) == "0.41958041958042"


# --- if_unavailable: na (issue 6, case 7) ---------------------------------------------------------


def opted(rows: list[tuple[str, str, Mapping[str, object]]], na: set[str]) -> tuple[Comparison, ...]:
    """``compute_all`` with ``if_unavailable: na`` on the comparisons named in ``na``."""
    specs = [replace(spec(i, k, a, n), if_unavailable="na" if i in na else "error")
             for n, (i, k, a) in enumerate(rows)]
    return compare.compute(specs, FACTS)


@pytest.mark.parametrize(("kind", "args", "reason"), [
    ("ratio", {"of": "xai_h100_count", "to": "zero_gpus"},
     "zero_gpus is 0 GPU, which is or touches zero; cannot divide by it"),
    ("share", {"part": "xai_h100_count", "whole": "signed_range"}, "signed_range is -10–10 GPU, which is or touches zero"),
    ("pace", {"of": "xai_round_amount", "span": "zero_span", "per": "month"},
     "zero_span is a negative or zero duration (0 month)"),
    ("convert", {"of": "colossus_power", "per": "zero_gpus", "to": "MW/GPU"}, "zero_gpus is 0 GPU"),
    ("ratio", {"of": "xai_h100_count", "to": "gpt4_gpu_cnt"}, "unknown id 'gpt4_gpu_cnt'; did you mean 'gpt4_gpu_count'?"),
    ("sum", {"of": ["xai_round_amount", "this_weeks_round"]}, "unknown id 'this_weeks_round'"),
])
def test_na_makes_a_zero_or_missing_baseline_unavailable_with_a_warning(
        kind: str, args: dict[str, object], reason: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen")
    (result,) = opted([("result", kind, args)], {"result"})
    assert result.value is None and result.operands == () and result.inputs == ()
    assert reason in result.unavailable
    (record,) = [r for r in caplog.records if r.name == "briefgen"]
    message = record.getMessage()
    assert message.startswith("data/x/brief.yaml: comparisons[0]: result: not available, printed as n/a: ")
    assert reason in message and record.levelno == logging.WARNING


@pytest.mark.parametrize(("kind", "args", "message"), [
    ("pace", {"of": "xai_round_amount", "span": "negative_span", "per": "month"}, "negative_span is a negative"),
    ("ratio", {"of": "xai_h100_count", "to": "h100_unit_price"}, "have different dimensions"),
    ("difference", {"of": "build_start", "minus": "xai_h100_count"}, "build_start is an event"),
])
def test_na_does_not_excuse_other_errors(kind: str, args: dict[str, object], message: str) -> None:
    with pytest.raises(ComparisonError, match=message):
        opted([("result", kind, args)], {"result"})


def test_anything_computed_from_an_unavailable_comparison_is_unavailable_too() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("bad", "ratio", {"of": "xai_h100_count", "to": "zero_gpus"}),
        ("uses_bad", "difference", {"of": "bad", "minus": "bad"}),
        ("fine", "ratio", {"of": "xai_h100_count", "to": "gpt4_gpu_count"}),
    ]
    bad, uses_bad, fine = opted(rows, {"bad"})
    assert bad.value is None and uses_bad.value is None
    assert uses_bad.unavailable == "bad is not available (zero_gpus is 0 GPU, which is or touches zero; cannot divide by it)"
    assert fine.value == Quantity.point(4, "1") and fine.unavailable == ""
    with pytest.raises(ComparisonError, match="uses_bad is not available: bad is not available"):
        compare.quantity_of(uses_bad)


def test_without_na_a_missing_id_is_still_an_error_even_next_to_an_opted_in_one() -> None:
    rows: list[tuple[str, str, Mapping[str, object]]] = [
        ("lenient", "ratio", {"of": "xai_h100_count", "to": "nope"}),
        ("strict", "ratio", {"of": "xai_h100_count", "to": "gpt4_gpu_cnt"}),
    ]
    with pytest.raises(ComparisonError) as info:
        opted(rows, {"lenient"})
    assert [str(p) for p in info.value.problems] == [
        "data/x/brief.yaml: comparisons[1]: strict.to: unknown id 'gpt4_gpu_cnt'; did you mean 'gpt4_gpu_count'? "
        "(expected a fact id or the id of an earlier comparison)"]


def test_a_claim_on_an_unavailable_comparison_is_not_checkable() -> None:
    comparisons = opted([("gpu_ratio", "ratio", {"of": "xai_h100_count", "to": "zero_gpus"})], {"gpu_ratio"})
    claim = ClaimSpec("c_4x", "4倍", "gpu_ratio", Quantity.point(4, "1"), Decimal("0.02"), "brief.yaml:20")
    (check,) = check_claims([claim], FACTS, comparisons)
    assert (check.verdict, check.computed, check.position) == ("unverifiable", None, "")
    assert check.note == comparisons[0].unavailable
    assert "n/a" in checks_text([check], [], comparisons, FACTS, "en")
    assert "[not checkable] c_4x" in checks_text([check], [], comparisons, FACTS, "en")


# --- shares that are not a part of a whole (issue 10, point 3) -------------------------------------


@pytest.mark.parametrize(("part", "whole", "warning"), [
    ("-415", "100", "the share is negative (part ÷ whole = -415%)"),
    ("150", "100", "the share is over 100% (part ÷ whole = 150%)"),
    ("10", "-20", "the share is negative (part ÷ whole = -50%)"),
])
def test_a_negative_share_or_one_over_100_percent_is_computed_with_a_warning(
        part: str, whole: str, warning: str, caplog: pytest.LogCaptureFixture) -> None:
    facts = fact_set(make_fact("part", part, "USD"), make_fact("whole", whole, "USD"))
    result = one("share", facts, part="part", whole="whole")
    assert result.value.low == Decimal(part) / Decimal(whole)
    assert f"data/x/brief.yaml: comparisons[0]: result: {warning}" in caplog.text


def test_a_share_within_the_whole_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    facts = fact_set(make_fact("part", "25", "USD"), make_fact("whole", "100", "USD"))
    assert one("share", facts, part="part", whole="whole").value.low == Decimal("0.25")
    assert "share" not in caplog.text
