"""numfmt: the newsroom number and date forms in Japanese and English, and that no finite number breaks them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Context, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefgen.base import numfmt
from briefgen.base.model import Lang, PartialDate, Quantity

D = Decimal


def point(value: str | int, unit: str) -> Quantity:
    return Quantity.point(D(value), unit)


def span(low: str | int, high: str | int, unit: str) -> Quantity:
    return Quantity(D(low), D(high), unit)


CASES = [
    # quantity, kind, ja, en
    (point(100000, "GPU"), None, "10万台", "100,000 GPUs"),
    (point(25000, "GPU"), None, "2万5,000台", "25,000 GPUs"),
    (point("4e9", "USD"), None, "40億ドル", "$4B"),
    (point("6e9", "USD"), None, "60億ドル", "$6B"),
    (point("1.43e10", "USD"), None, "143億ドル", "$14.3B"),
    (point("1.738e11", "CNY"), None, "1,740億元", "174B yuan"),  # one rounding, both languages
    (point("0.4196", "1"), "share", "42%", "42%"),
    (point(4, "1"), "ratio", "4倍", "4×"),
    (point("5.03", "1"), "ratio", "5倍", "5×"),
    (point("4.17", "1"), "ratio", "4.2倍", "4.2×"),
    (span(30000, 40000, "USD"), None, "3万〜4万ドル", "$30k–40k"),
    (span(30000, 40000, "USD/GPU"), None, "3万〜4万ドル/台", "$30k–40k per GPU"),
    (span("3e9", "4e9", "USD"), None, "30億〜40億ドル", "$3B–4B"),
    (point(150, "MW"), None, "150メガワット", "150 MW"),
    (point("4921.03", "m**3/day"), None, "4,921立方メートル/日", "4,921 m³ a day"),
    (point("1.25e9", "USD"), None, "12億5,000万ドル", "$1.25B"),
    (point("1.3e6", "gallon/day"), None, "130万ガロン/日", "1.3M gallons a day"),
    (point("-4e9", "USD"), None, "−40億ドル", "−$4B"),
    (point(1, "1"), "rank", "1位", "1st"),
    (point(2, "1"), "rank", "2位", "2nd"),
    (point(3, "1"), "rank", "3位", "3rd"),
    (point(11, "1"), "rank", "11位", "11th"),
    (point("0.001", "1"), "share", "<1%", "<1%"),
    (point(0, "1"), "share", "0%", "0%"),
    (point("9999.6", "GPU"), None, "1万台", "10,000 GPUs"),
    (point("999.7", "USD"), None, "1,000ドル", "$1k"),
    (point("1e-12", "GPU"), None, "1E−12台", "1E−12 GPUs"),
    (point("1e300", "USD"), None, "1E300ドル", "$1E300"),
    (point("7.2417", "CNY/USD"), None, "7.24元/ドル", "7.24 yuan per dollar"),
]


@pytest.mark.parametrize(("q", "kind", "ja", "en"), CASES)
def test_quantity_newsroom_forms(q: Quantity, kind: str | None, ja: str, en: str) -> None:
    assert numfmt.quantity(q, "ja", kind=kind) == ja
    assert numfmt.quantity(q, "en", kind=kind) == en


@pytest.mark.parametrize(("q", "ja", "en"), [
    (point(100000, "GPU"), "100,000台", "100,000 GPUs"),
    (point(25000, "GPU"), "25,000台", "25,000 GPUs"),
    (point("6e9", "USD"), "60億ドル", "$6B"),
    (span(30000, 40000, "USD"), "30,000〜40,000ドル", "$30,000–40,000"),
    (point("6e8", "USD/month"), "6億ドル/月", "$600M per month"),
])
def test_formula_operands_abbreviate_only_large_numbers(q: Quantity, ja: str, en: str) -> None:
    assert numfmt.quantity(q, "ja", compact=False) == ja
    assert numfmt.quantity(q, "en", compact=False) == en


def test_helpers() -> None:
    assert numfmt.number(D(100000), "ja") == "10万"
    assert numfmt.number(D(1500000), "en") == "1.5M"
    assert numfmt.percent(D("0.42"), "en") == "42%"
    assert numfmt.times(D(4), "ja") == "4倍"


@pytest.mark.parametrize(("d", "ja", "en"), [
    (PartialDate(2024, 5, 26), "2024年5月26日", "May 26, 2024"),
    (dt.date(2024, 5, 26), "2024年5月26日", "May 26, 2024"),
    (PartialDate(2023, 7), "2023年7月", "July 2023"),
    (PartialDate(2025), "2025年", "2025"),
])
def test_date(d: PartialDate | dt.date, ja: str, en: str) -> None:
    assert numfmt.date(d, "ja") == ja
    assert numfmt.date(d, "en") == en


# --- properties -----------------------------------------------------------------------------------

finite = st.decimals(allow_nan=False, allow_infinity=False)
langs = st.sampled_from(["ja", "en"])
kinds = st.sampled_from([None, "share", "ratio", "rank"])
unit_names = st.sampled_from(["1", "GPU", "USD", "USD/GPU", "MW", "percent", "m**3/day"])


@given(finite, finite, unit_names, langs, kinds, st.booleans())
def test_any_finite_decimal_formats(a: Decimal, b: Decimal, unit: str, lang: str, kind: str | None,
                                    compact: bool) -> None:
    text = numfmt.quantity(Quantity(min(a, b), max(a, b), unit), lang, kind=kind,  # type: ignore[arg-type]
                           compact=compact)
    assert text and not re.search(r"inf|nan|∞", text, re.IGNORECASE)
    assert "-" not in text  # negatives use the real minus sign


@given(finite.filter(lambda x: x != 0), langs)
def test_nonzero_share_is_never_zero_percent(x: Decimal, lang: str) -> None:
    assert numfmt.percent(x, lang) not in ("0%", "−0%")  # type: ignore[arg-type]


_UNITS = {"万": D(10) ** 4, "億": D(10) ** 8, "兆": D(10) ** 12, "京": D(10) ** 16,
          "k": D(10) ** 3, "M": D(10) ** 6, "B": D(10) ** 9, "T": D(10) ** 12}


def read_back(text: str) -> Decimal:
    """Parse a formatted bare number (``1億2,300万``, ``14.3B``, ``1.43E20``) back to its value."""
    sign = -1 if text.startswith("−") else 1
    text = text.lstrip("−").replace(",", "")
    with localcontext(Context(prec=80)):
        if "E" in text:
            return sign * D(text.replace("−", "-"))
        parts = re.findall(r"([\d.]+)([万億兆京kMBT]?)", text)
        assert "".join(n + u for n, u in parts) == text
        return sign * sum((D(n) * _UNITS.get(u, D(1)) for n, u in parts), D(0))


@given(finite, langs, st.booleans())
def test_magnitude_round_trips(x: Decimal, lang: str, compact: bool) -> None:
    shown = read_back(numfmt.number(x, lang, compact=compact))  # type: ignore[arg-type]
    assert abs(shown - x) <= abs(x) * D("0.005")


@pytest.mark.parametrize(("q", "en"), [
    (point(1, "year"), "1 year"), (point(1, "GPU"), "1 GPU"), (point(1, "person"), "1 person"),
    (point(1, "gallon/day"), "1 gallon a day"), (point(1, "CNY/USD"), "1 yuan per dollar"),
    (point(2, "year"), "2 years"), (span(1, 2, "year"), "1–2 years"), (point(-1, "day"), "−1 day"),
])
def test_english_says_one_in_the_singular(q: Quantity, en: str) -> None:
    assert numfmt.quantity(q, "en", compact=False) == en


@pytest.mark.parametrize(("value", "ja", "en"), [
    ("0.5", "半分", "half"), ("0.25", "4分の1", "a quarter"), ("0.3333", "3分の1", "a third"),
    ("0.75", "4分の3", "three quarters"), ("0.42", "42%", "42%"), ("0.51", "51%", "51%"),
])
def test_share_words(value: str, ja: str, en: str) -> None:
    assert numfmt.share_words(D(value), "ja") == ja
    assert numfmt.share_words(D(value), "en") == en


@pytest.mark.parametrize(("old", "new", "ja", "en"), [
    (point(100000, "GPU"), point(150000, "GPU"), "10万台 → 15万台（+50%）", "100,000 → 150,000 GPUs (+50%)"),
    (point("4e9", "USD"), point("3e9", "USD"), "40億ドル → 30億ドル（−25%）", "$4B → $3B (−25%)"),
    (span(3, 5, "GPU"), point(4, "GPU"), "3〜5台 → 4台（±0%）", "3–5 → 4 GPUs (±0%)"),
    (point(0, "GPU"), point(5, "GPU"), "0台 → 5台", "0 → 5 GPUs"),
    (point(10, "month"), point(1, "year"), "10ヶ月 → 1年", "10 months → 1 year"),
    (point(1000, "GPU"), point(1001, "GPU"), "1,000台 → 1,001台（+<1%）", "1,000 → 1,001 GPUs (+<1%)"),
])
def test_change_old_to_new_with_the_relative_change(old: Quantity, new: Quantity, ja: str, en: str) -> None:
    assert numfmt.change(old, new, "ja") == ja
    assert numfmt.change(old, new, "en") == en


@pytest.mark.parametrize(("old", "new", "ja", "en"), [
    (point(100000, "GPU"), point(150000, "GPU"), "+5万台（+50%）", "+50,000 GPUs (+50%)"),
    (point(4000000000, "USD"), point(3000000000, "USD"), "−10億ドル（−25%）", "−$1B (−25%)"),
    (point(150, "MW"), point(150, "MW"), "±0", "±0"),
    (point(0, "MW"), point(5, "MW"), "+5メガワット", "+5 MW"),
    (point(150, "MW"), point(1, "GW"), "150メガワット → 1ギガワット", "150 MW → 1 GW"),
    (span(30000, 40000, "USD/GPU"), point(35000, "USD/GPU"), "3万〜4万ドル/台 → 3万5,000ドル/台（±0%）",
     "$30k–40k → $35k per GPU (±0%)"),
])
def test_step_from_one_edition_to_the_next(old: Quantity, new: Quantity, ja: str, en: str) -> None:
    assert numfmt.step(old, new, "ja") == ja
    assert numfmt.step(old, new, "en") == en


@pytest.mark.parametrize(("computed", "asserted", "lang", "kind", "expected"), [
    (Quantity.point("28966800000", "CNY"), Quantity.point("29000000000", "CNY"), "ja", None, "289億7,000万元"),
    (Quantity.point("28966800000", "CNY"), Quantity.point("29000000000", "CNY"), "en", None, "28.97B yuan"),
    (Quantity.point("4", "1"), Quantity.point("4", "1"), "en", "ratio", "4×"),
    (Quantity.point("0.41958", "1"), Quantity.point("0.5", "1"), "ja", "share", "42%"),
    (Quantity(Decimal("3e9"), Decimal("4e9"), "USD"), Quantity.point("4e9", "USD"), "en", None, "$3B–4B"),
])
def test_a_computed_figure_never_reads_the_same_as_a_different_claim(
        computed: Quantity, asserted: Quantity, lang: Lang, kind: str | None, expected: str) -> None:
    assert numfmt.against(computed, asserted, lang, kind=kind) == expected


# --- one rounding per figure (issue 10, point 3) --------------------------------------------------


@pytest.mark.parametrize(("precision", "forms"), [
    (None, ("2万2,800キロワット", "22,800キロワット", "22,800 kW", "22,800 kW")),
    (4, ("2万2,790キロワット", "22,790キロワット", "22,790 kW", "22,790 kW")),
    ("exact", ("2万2,786キロワット", "22,786キロワット", "22,786 kW", "22,786 kW")),
])
def test_one_figure_reads_the_same_in_text_formulas_and_both_languages(precision: object,
                                                                     forms: tuple[str, ...]) -> None:
    q = point(22786, "kW")
    shown = tuple(numfmt.quantity(q, lang, compact=compact, precision=precision)  # type: ignore[arg-type]
                  for lang in ("ja", "en") for compact in (True, False))
    assert shown == forms


@pytest.mark.parametrize(("q", "precision", "ja", "en"), [
    (point(29999, "USD"), "exact", "2万9,999ドル", "$29,999"),
    (point(29999, "USD"), None, "3万ドル", "$30k"),
    (point("1.738e11", "CNY"), "exact", "1,738億元", "173.8B yuan"),
    (point("1234567.891", "USD"), "exact", "123万4,567.891ドル", "$1,234,567.891"),
    (point("119166666.67", "USD/month"), None, "1億1,900万ドル/月", "$119M per month"),
    (point("0.000123456", "1"), "exact", "1.23456E−4", "1.23456E−4"),
    (point("4.2417", "1"), 2, "4.2", "4.2"),
    (point("123456", "GPU"), 2, "12万台", "120,000 GPUs"),
    (point("1234", "GPU"), 2, "1,234台", "1,234 GPUs"),  # integer digits below 10,000 are kept
])
def test_precision_is_significant_digits_or_exact(q: Quantity, precision: object, ja: str, en: str) -> None:
    assert numfmt.quantity(q, "ja", precision=precision) == ja  # type: ignore[arg-type]
    assert numfmt.quantity(q, "en", precision=precision) == en  # type: ignore[arg-type]


@given(finite.filter(lambda x: len(x.as_tuple().digits) <= 28), langs, st.booleans())
def test_exact_figures_read_back_exactly(x: Decimal, lang: str, compact: bool) -> None:
    text = numfmt.quantity(Quantity.point(x, "1"), lang, compact=compact, precision="exact")  # type: ignore[arg-type]
    assert read_back(text) == x


@given(finite, st.sampled_from([None, 1, 2, 3, 5, "exact"]))
def test_every_form_of_a_figure_is_the_same_number(x: Decimal, precision: object) -> None:
    forms = {read_back(numfmt.quantity(Quantity.point(x, "1"), lang, compact=compact,  # type: ignore[arg-type]
                                       precision=precision))  # type: ignore[arg-type]
             for lang in ("ja", "en") for compact in (True, False)}
    assert len(forms) == 1


@pytest.mark.parametrize(("old", "new", "precision", "en"), [
    (point(29999, "USD"), point(30000, "USD"), None, "$29,999 → $30k (+<1%)"),
    (point(29999, "USD"), point(30000, "USD"), "exact", "$29,999 → $30k (+<1%)"),
    (point("22786", "kW"), point("22790", "kW"), None, "22,786 → 22,790 kW (+<1%)"),
    (point("1.00000000000000001", "1"), point(1, "1"), None, "1.00000000000000001 → 1 (−<1%)"),
])
def test_a_change_never_reads_x_to_x(old: Quantity, new: Quantity, precision: object, en: str) -> None:
    assert numfmt.change(old, new, "en", precision) == en  # type: ignore[arg-type]
    before, after = numfmt.change(old, new, "ja", precision).split(" → ")  # type: ignore[arg-type]
    assert before != after.split("（")[0]
