"""units: unit expressions, their display words, dimensions, and the registry's cache fallback."""

from __future__ import annotations

from typing import Any

import pint
import pytest

from briefgen import units


@pytest.mark.parametrize("expr", ["GPU", "USD/GPU", "gallon/day", "m**3/day", "kW/household", "1", "percent",
                                  "CNY/USD", "TWh/year"])
def test_known_units_parse(expr: str) -> None:
    assert units.is_known(expr)


def test_an_unknown_unit_names_the_valid_forms() -> None:
    with pytest.raises(ValueError, match=r"unknown unit 'furlongz'; use one of 1, CNY, .* or a pint expression"):
        units.parse("furlongz")


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
    units.registry.cache_clear()
    try:
        assert str(units.registry().parse_units("GPU")) == "GPU"
    finally:
        units.registry.cache_clear()
        units.parse.cache_clear()
