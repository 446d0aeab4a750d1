"""Hostile input, end to end through ``run.py`` (issue 10, point 5): each case ends in one located error
line, exit 1, no traceback — quickly and in bounded memory. No case is timed: each input would hang,
exhaust memory or raise an unhandled exception without its limit.
"""

from __future__ import annotations

import re

import pytest
from conftest import pdf_text
from hardening import Workspace, assert_refused, run

# --- unit expressions: a whitelist grammar, never evaluated ------------------------------------------


@pytest.mark.parametrize(("unit", "problem"), [
    ("kW**(9**9**9)", "exponent '(' is not a whole number from -9 to 9 in unit 'kW**(9**9**9)'"),
    ("1/0", "'0' where a unit name belongs in unit '1/0'"),
    ("kW**(2**-2000)", "exponent '(' is not a whole number from -9 to 9"),
    ("kW**1e309", "exponent '1e309' is not a whole number from -9 to 9"),
    ("kW**99", "exponent '99' is not a whole number from -9 to 9"),
    ("GPU" * 1000, "unit 'GPUGPUGPUGPUGPUGPUGP'… is 3000 characters long (at most 80)"),
])
def test_a_hostile_unit_cell_is_one_located_line(ws: Workspace, unit: str, problem: str) -> None:
    line = ws.set_fact("colossus_power", unit=unit)
    error = assert_refused(ws.build(), f"{ws.facts}:{line}: unit: {problem}")
    assert len(error) < 400
    ws.assert_untouched()


def test_a_hostile_unit_in_the_spec_is_one_located_line(ws: Workspace) -> None:
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace('to: "m**3/day"', 'to: "m**(9**9**9)"'),
                    encoding="utf-8")
    assert_refused(ws.build(), "brief.yaml:19: comparisons[6].to: exponent '(' is not a whole number")


def test_a_flop_rate_prints_as_flops_never_as_hertz(ws: Workspace) -> None:
    ws.set_fact("colossus_power", value="1.102", unit="EFlop/s")
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(
        '  - {id: power_per_household, kind: convert, of: colossus_power, per: colossus_households, to: "kW/household"}\n'
        '  - {id: energy_per_year, kind: convert, of: colossus_power, over: "1 year", to: "TWh"}\n', ""),
        encoding="utf-8")
    for template in ws.templates.glob("xai-colossus/*.md"):
        text = template.read_text(encoding="utf-8")
        for name in ("power_per_household", "energy_per_year"):
            text = "\n".join(line for line in text.splitlines() if name not in line) + "\n"
        template.write_text(text, encoding="utf-8")
    result = ws.build()
    assert result.code == 0, result.err
    en, ja = pdf_text(ws.pdf("en").read_bytes()), pdf_text(ws.pdf("ja").read_bytes())
    assert re.search(r"1\.1\d* EFLOP/s", en) and re.search(r"1\.1\d*エクサフロップス", ja)
    assert "Hz" not in en + ja


# --- nesting: a depth limit before any recursive parser runs -----------------------------------------

DEEP = 100_000


@pytest.mark.parametrize(("name", "text", "line"), [
    ("facts.json", "[" * DEEP + "]" * DEEP, 1),
    ("facts.json", '{"a":' * DEEP + "1" + "}" * DEEP, 1),
    ("facts.json", '[{"quote": "[[[[", "x": ' + "[" * DEEP + "]" * DEEP + "}]", 1),
    ("facts.yaml", "[" * DEEP + "]" * DEEP, 1),
    ("facts.yaml", "- " * DEEP + "x", 1),
    ("facts.yaml", "rows:\n" + "".join(" " * i + "-\n" for i in range(40)), 33),
])
def test_a_facts_file_nested_100000_deep_is_one_located_line(ws: Workspace, name: str, text: str,
                                                            line: int) -> None:
    path = ws.brief_dir / name
    path.write_text(text, encoding="utf-8")
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("facts: facts.csv", f"facts: {name}"),
                    encoding="utf-8")
    assert_refused(ws.build(), f"{path}:{line}: nested more than 32 levels deep")
    ws.assert_untouched()


@pytest.mark.parametrize("text", ["[" * DEEP + "]" * DEEP, "id: x\ncomparisons:\n" + "  - " * DEEP + "x"])
def test_a_spec_nested_100000_deep_is_one_located_line(ws: Workspace, text: str) -> None:
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(text, encoding="utf-8")
    assert_refused(run("--data", str(ws.data), "check", str(spec)), f"{spec}:", "nested more than 32 levels deep")
    assert_refused(ws.build(), f"{spec}:", "nested more than 32 levels deep")


def test_a_settings_file_nested_100000_deep_is_one_line(ws: Workspace) -> None:
    config = ws.root / "smtp.toml"
    config.write_text("[smtp]\nhost = " + "[" * DEEP + "]" * DEEP + "\n", encoding="utf-8")
    result = run(*ws.options(), "send", "xai-colossus", "--dry-run", "--config", str(config))
    assert_refused(result, f"{config}: arrays or tables nested too deep")
