"""units: unit expressions, their display words, dimensions, and the registry's cache fallback."""

from __future__ import annotations

from typing import Any

import pint
import pytest
from conftest import DATA

from briefgen.base import units
from briefgen.load import spec


@pytest.mark.parametrize("expr", ["GPU", "USD/GPU", "gallon/day", "m**3/day", "kW/household", "1", "percent",
                                  "CNY/USD", "TWh/year"])
def test_known_units_parse(expr: str) -> None:
    assert units.is_known(expr)


def test_an_unknown_unit_names_the_valid_forms() -> None:
    with pytest.raises(ValueError, match=r"^unknown unit 'furlongz'$"):
        units.parse("furlongz")
    with pytest.raises(ValueError, match=r"^unknown unit 'gpus' \(did you mean GPU\?\)$"):
        units.parse("gpus")


def test_counted_things_and_currencies_are_their_own_dimensions() -> None:
    assert not units.same_dimension("GPU", "USD")
    assert not units.same_dimension("USD", "CNY")
    assert units.same_dimension("gallon/day", "m**3/day")


def test_an_unlisted_unit_is_written_with_its_symbol() -> None:
    assert units.words("kg").ja == "kg" and units.words("kg").en == " kg"
    assert units.words("USD").en_prefix == "$"


def test_the_registry_works_without_a_writable_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pint.UnitRegistry

    def no_cache(*args: Any, **kwargs: Any) -> Any:
        if "cache_folder" in kwargs:
            raise PermissionError(13, "Permission denied", "/home/x/.cache/pint")
        return real(*args, **kwargs)

    monkeypatch.setattr(pint, "UnitRegistry", no_cache)
    monkeypatch.setattr(units, "_REGISTRIES", {})
    assert str(units.registry().parse_units("GPU")) == "GPU"


# --- the built-in FLOP family --------------------------------------------------------------------


@pytest.mark.parametrize(("written", "en", "ja"), [
    ("PFLOP/s", " PFLOP/s", "ペタフロップス"), ("PFLOPS", " PFLOP/s", "ペタフロップス"),
    ("PFlop/s", " PFLOP/s", "ペタフロップス"), ("EFlop/s", " EFLOP/s", "エクサフロップス"),
    ("EFLOPS", " EFLOP/s", "エクサフロップス"), ("TFlops", " TFLOP/s", "テラフロップス"),
    ("GFlop/s/W", " GFLOP/s/W", "ギガフロップス/ワット"), ("GFLOPS/W", " GFLOP/s/W", "ギガフロップス/ワット"),
    ("FLOP", " FLOP", "FLOP"),
])
def test_flop_rates_parse_as_written_and_print_one_way(written: str, en: str, ja: str) -> None:
    shown = units.words(written)
    assert (shown.en, shown.ja) == (en, ja)
    assert "Hz" not in units.symbol(written)


def test_flop_rates_convert_and_stay_apart_from_hertz() -> None:
    assert units.registry().Quantity(1102, units.parse("PFlop/s")).to(units.parse("EFLOP/s")).magnitude == \
        pytest.approx(1.102)
    assert not units.same_dimension("EFLOP/s", "Hz")
    assert units.same_dimension("GFLOP/s/W", "PFLOPS/kW")


# --- tables: defining units ------------------------------------------------------------------------


def test_a_counted_thing_gets_its_own_dimension_and_words() -> None:
    table = units.BUILTIN.extended("car", "count", "{}台", "{} cars")
    with units.using(table):
        assert units.words("car") == units.UnitWords(ja="台", en=" cars")
        assert not units.same_dimension("car", "USD") and units.same_dimension("USD/car", "JPY/car") is False
    assert not units.is_known("car")  # only inside the table's block


def test_an_amount_definition_and_words_for_an_existing_unit() -> None:
    table = units.BUILTIN.extended("MFLOP_unit", "1e6 FLOP").extended("USD/MWh", ja="{}ドル/MWh", en="${} per MWh")
    with units.using(table):
        assert units.registry().Quantity(2, units.parse("MFLOP_unit")).to("FLOP").magnitude == 2e6
        assert units.words("USD/MWh") == units.UnitWords(ja="ドル/MWh", en=" per MWh", en_prefix="$")


@pytest.mark.parametrize(("expr", "define", "ja", "en", "message"), [
    ("kW", "count", None, None, r"'kW' is already a unit \(kilowatt\); give it words without define"),
    ("ms", "count", None, None, r"'ms' is already a unit \(millisecond\)"),
    ("two words", "count", None, None, r"a new unit's name is one word"),
    ("car", "1e6 nope", None, None, r"unknown unit 'nope'"),
    ("car", "2 kW**(9**9)", None, None, r"exponent '\(' is not a whole number"),
    ("car", "count", "台", None, r"bad display pattern '台'"),
    ("car", "count", None, "{} cars {}", r"bad display pattern"),
    ("USD/nope", None, None, None, r"unknown unit 'nope'"),
])
def test_a_bad_definition_is_refused_with_the_reason(expr: str, define: str | None, ja: str | None,
                                                     en: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        units.BUILTIN.extended(expr, define, ja, en)


# --- hostile expressions: refused quickly, never evaluated -------------------------------------------


@pytest.mark.parametrize(("expr", "message"), [
    ("kW**(9**9**9)", r"exponent '\(' is not a whole number from -9 to 9"),
    ("kW**9**9**9", r"unexpected '\*\*'"),
    ("1/0", r"'0' where a unit name belongs"),
    ("kW**(2**-2000)", r"exponent '\(' is not a whole number"),
    ("kW**1e309", r"exponent '1e309' is not a whole number"),
    ("kW**10", r"exponent '10' is not a whole number"),
    ("kW**0.5", r"exponent '0.5' is not a whole number"),
    ("(((((kW)))))", r"parentheses more than 3 deep"),
    ("(kW", r"a \( without its \)"),
    ("kW h", r"unexpected 'h'"),
    ("__import__('os')", r"unexpected"),
    ("kW; rm -rf /", r"unexpected ';"),
    ("k" * 10_000, r"is 10000 characters long \(at most 80\)"),
    ("", r"empty unit"),
    ("1e300 kW", r"'1e300' where a unit name belongs"),
])
def test_a_hostile_unit_is_a_short_value_error(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        units.parse(expr)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("expr", ["m**-2", "kW/(m**2)", "USD/GPU", "1/day", "m^3/day", "kW·h", "GPU*hour"])
def test_ordinary_expressions_still_parse(expr: str) -> None:
    assert units.is_known(expr)


def test_a_units_mapping_is_added_on_one_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five defined units cost one pint registry, not one each (pint's set-up is most of it)."""
    made: list[tuple[str, ...]] = []
    real = units.new_registry

    def counted(*args: Any) -> Any:
        made.append(args)
        return real(*args)

    monkeypatch.setattr(units, "new_registry", counted)
    monkeypatch.setattr(units, "_REGISTRIES", {})
    units.extend.cache_clear()
    try:
        table = spec.load_units(DATA / spec.UNITS_NAME)
        with units.using(table):
            assert units.words("household").en == " households" and units.is_known("GPU")
            units.registry().Quantity(1, units.parse("kW/household"))
    finally:
        units.extend.cache_clear()
    assert len(made) == 1 and len(table.definitions) == len(units.BUILTIN.definitions) + 5
