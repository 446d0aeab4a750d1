"""units: unit expressions, their display words, dimensions, and the registry's cache fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pint
import pytest
from conftest import DATA

from briefgen.base import caches, units
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


def test_the_registry_works_without_a_writable_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = pint.UnitRegistry

    def no_cache(*args: Any, **kwargs: Any) -> Any:
        if "cache_folder" in kwargs:
            raise PermissionError(13, "Permission denied", "/home/x/.cache/pint")
        return real(*args, **kwargs)

    monkeypatch.setattr(pint, "UnitRegistry", no_cache)
    ureg = units.new_registry(tmp_path)
    assert str(ureg.parse_units("USD")) == "USD"


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
    assert 1102 * units.factor(units.parse("PFlop/s"), units.parse("EFLOP/s")) == pytest.approx(1.102)
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
        assert 2 * units.factor(units.parse("MFLOP_unit"), units.parse("FLOP")) == 2e6
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


def test_a_units_mapping_is_added_on_one_registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Five defined units cost one pint registry, not one each (pint's set-up is most of it)."""
    made: list[tuple[str, ...]] = []
    real = units.new_registry

    def counted(*args: Any) -> Any:
        made.append(args)
        return real(*args)

    monkeypatch.setattr(units, "new_registry", counted)
    monkeypatch.setattr(units, "_REGISTRIES", {})
    monkeypatch.setattr(units, "_KNOWN", {})
    monkeypatch.setattr(caches, "CACHE_DIR", tmp_path)
    units.extend.cache_clear()
    try:
        table = spec.load_units(DATA / spec.UNITS_NAME)
        with units.using(table):
            assert units.words("household").en == " households" and units.is_known("GPU")
            assert units.parse("kW/household").dimensionality == (("[household]", -1), ("[length]", 2),
                                                                  ("[mass]", 1), ("[time]", -3))
    finally:
        units.extend.cache_clear()
    assert len(made) == 1 and len(table.definitions) == len(units.BUILTIN.definitions) + 5


# --- plain units: what pint said, kept without pint -------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [("MW", "year"), ("USD", "JPY"), ("gallon/day", "day"), ("kW", "kW"),
                                      ("m**3/day", "gallon/day"), ("percent", "USD")])
def test_products_and_quotients_are_what_pint_makes(a: str, b: str) -> None:
    ureg = units.new_registry(None)
    for ours, theirs in ((units.parse(a) * units.parse(b), ureg.parse_units(a) * ureg.parse_units(b)),
                         (units.parse(a) / units.parse(b), ureg.parse_units(a) / ureg.parse_units(b))):
        assert dict(ours.terms) == dict(theirs._units) and dict(ours.dimensionality) == dict(theirs.dimensionality)
        assert ours.scale == pytest.approx(ureg.get_root_units(theirs)[0], rel=1e-15)
        assert units.compact(ours) == f"{theirs:C}"


def test_a_conversion_factor_is_pints() -> None:
    ureg = units.new_registry(None)
    for source, target in (("gallon/day", "m**3/day"), ("MW*year", "TWh"), ("PFLOP/s", "EFLOP/s"), ("CNY", "CNY")):
        expected = ureg.Quantity(1, ureg.parse_units(source)).to(ureg.parse_units(target)).magnitude
        assert units.factor(units.parse(source), units.parse(target)) == pytest.approx(expected, rel=1e-15)
    with pytest.raises(ValueError, match=r"^USD cannot be expressed in GPU$"):
        units.factor(units.parse("USD"), units.parse("GPU"))


@pytest.fixture
def saved_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A units cache folder as set-up makes it, in force, with nothing known in this process."""
    monkeypatch.setattr(caches, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(units, "_KNOWN", {})
    (tmp_path / units.KNOWN_CACHE).mkdir()
    units._parse.cache_clear()
    yield tmp_path / units.KNOWN_CACHE
    units._parse.cache_clear()


def _asking_pint_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any) -> Any:
        raise AssertionError("pint was asked")

    monkeypatch.setattr(units, "_KNOWN", {})
    monkeypatch.setattr(units, "_REGISTRIES", {})
    monkeypatch.setattr(units, "new_registry", refused)
    units._parse.cache_clear()


def test_saved_answers_are_used_by_a_later_process_and_a_damaged_file_is_asked_again(
        saved_units: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = units.parse("gallon/day"), units.symbol("m**3/day")
    (written,) = units.save_learnt()
    assert units.save_learnt() == ()  # nothing new
    _asking_pint_fails(monkeypatch)
    assert (units.parse("gallon/day"), units.symbol("m**3/day")) == asked
    with pytest.raises(AssertionError, match="pint was asked"):
        units.parse("kW")  # never asked before: pint it is

    written.write_bytes(b"not a pickle")
    monkeypatch.undo()
    monkeypatch.setattr(caches, "CACHE_DIR", saved_units.parent)
    monkeypatch.setattr(units, "_KNOWN", {})
    units._parse.cache_clear()
    assert units.parse("gallon/day") == asked[0] and units.save_learnt() == (written,)


def test_a_refused_expression_is_not_saved_and_a_garbled_one_needs_no_pint(
        saved_units: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown unit 'gpus'"):
        units.parse("gpus")
    assert units.save_learnt() == ()
    _asking_pint_fails(monkeypatch)
    for garbled in ("", "k" * 81, "kW; rm"):
        assert not units.is_known(garbled)
