"""Hostile input, end to end through ``run.py`` (issue 10, point 5): each case ends in one located error
line, exit 1, no traceback — quickly and in bounded memory. No case is timed: each input would hang,
exhaust memory or raise an unhandled exception without its limit.
"""

from __future__ import annotations

import datetime as dt
import re

import jinja2
import pytest
from conftest import pdf_text
from hardening import Workspace, assert_refused, run

from briefgen import compose
from briefgen.errors import ComposeError
from briefgen.model import BriefSpec, FactSet

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


# --- templates: a sandbox with bounded range, *, **, widths and output, and a wall-clock budget ------


@pytest.mark.parametrize(("text", "problem"), [
    ("{{ range(10**9) }}", "range(1000000000) has 1,000,000,000 items (at most 10,000 in a template)"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range(1000000000) has 1,000,000,000 items"),
    ("{{ 'x'*10**9 }}", "repeating 1 items 1,000,000,000 times makes more than 100,000"),
    ("{{ 10**9*[0] }}", "repeating 1 items 1,000,000,000 times"),
    ("{{ 10**10**10**10 }}", "a power of about 2**3,322 is larger than 2**1000"),
    ("{{ 'x'|center(10**9) }}", "the width 1,000,000,000 is above 100,000"),
    ("{{ '%0999999999d' % 1 }}", "the format '%0999999999' has a width of * or above 100,000"),
    ("{{ '%0*d'|format(10**9, 1) }}", "the format '%0*' has a width of * or above 100,000"),
    ("{{ '{:>999999999}'.format(1) }}", "the format '{:>999999999' has a width"),
    ("{% for i in range(10000) %}{{ 'x'*100000 }}{% endfor %}", "the template printed more than 5,000,000 characters"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "maximum recursion depth exceeded"),
    ("{{ 1/0 }}", "division by zero"),
    ("{{ 2.0**100000 }}", "Numerical result out of range"),
])
def test_a_template_beyond_the_sandbox_limits_is_one_line_naming_template_and_line(
        ws: Workspace, text: str, problem: str) -> None:
    path = ws.templates / "xai-colossus" / "en.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2:2] = [text, ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = assert_refused(ws.build("--lang", "en"), f"{path}:3: {problem}", "(expected a template within the sandbox's limits")
    assert len(error) < 500
    ws.assert_untouched()


def test_small_widths_repeats_and_powers_still_work() -> None:
    env = compose.environment(jinja2.DictLoader({"t/en.md": (
        "{{ 'ab'|center(6) }}|{{ '%05d' % 3 }}|{{ '{:>4}'.format(7) }}|{{ 'xy'*3 }}|{{ 2**10 }}|"
        "{% for i in range(3) %}{{ i }}{% endfor %}\n")}))
    brief = compose.compose(SPEC, FactSet({}, {}), (), "en", dt.date(2024, 7, 29), env)
    assert "ab  |00003|   7|xyxyxy|1024|012" in str(brief.blocks)


class SteppingClock:
    """A clock that moves one second each time it is read (no test waits for real time)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_template_running_past_its_budget_stops_at_its_line() -> None:
    clock = SteppingClock()
    env = compose.environment(jinja2.DictLoader({"t/en.md": (
        "# Title\n\n{% for i in range(10000) %}{% for j in range(10000) %}\n{% endfor %}{% endfor %}\n")}),
        clock=clock)
    with pytest.raises(ComposeError, match=r"^t/en\.md:3: the template ran longer than 10 seconds"):
        compose.compose(SPEC, FactSet({}, {}), (), "en", dt.date(2024, 7, 29), env)
    assert clock.now < 20


SPEC = BriefSpec(id="t", title={"en": "Title"}, languages=("en",), template="t", facts_path="facts.csv",
                 sources_path="sources.csv", comparisons=(), key_numbers=(), charts=(), origin="brief.yaml")
