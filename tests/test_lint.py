"""lint (issue 10, point 4): ``build`` warns about numbers typed into a template, facts without a label
and stale data, and ``--strict`` turns any warning into a failure that writes nothing; template
mistakes say what was meant. End to end through ``run.py`` on a private copy of the reference brief.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import jinja2
import pytest
from conftest import ROOT, pdf_text
from hardening import BRIEF, OLD, Result, Workspace, assert_refused, run, squash

from briefgen.compose import compose
from briefgen.compute import lint


@pytest.fixture(autouse=True)
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="briefgen")
    return caplog


@pytest.fixture
def build(ws: Workspace, logged: pytest.LogCaptureFixture) -> Callable[..., tuple[Result, list[str]]]:
    """``run.py [options] *argv`` in-process (``build BRIEF`` by default) → the result and the warnings
    it logged (the command line prints them on stderr: ``test_the_command_line_shows_warnings``)."""
    def built(*argv: str) -> tuple[Result, list[str]]:
        logged.clear()
        result = run(*ws.options(), *(argv or ("build", BRIEF)))
        return result, [r.getMessage() for r in logged.records
                        if r.name.startswith("briefgen") and r.levelno >= logging.WARNING]
    return built


def add_paragraph(path: Path, text: str) -> int:
    """Add ``text`` as a paragraph after the template's first paragraph; return its line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("") + 1
    lines[at:at] = [text, ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def strict_failure(result: Result, *fragments: str) -> str:
    """Exit 1, no traceback, and the last line on stderr (after the warnings) the ``error: --strict`` line."""
    assert result.code == 1 and "Traceback" not in result.err, result.err
    last = result.err.splitlines()[-1]
    assert last.startswith("error: --strict: ") and all(f in last for f in fragments), (fragments, last)
    return last


def set_spec(ws: Workspace, line: str) -> None:
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


# --- a clean brief ----------------------------------------------------------------------------------

Build = Callable[..., tuple[Result, list[str]]]


def test_the_reference_brief_builds_strict_without_a_warning(ws: Workspace, build: Build) -> None:
    result, warned = build("build", BRIEF, "--strict")
    assert (result.code, result.err, warned) == (0, "", [])
    assert ws.pdf("en").read_bytes() != OLD


def test_the_command_line_shows_warnings_and_strict_fails_listing_them(ws: Workspace) -> None:
    path = ws.templates / BRIEF / "en.md"
    line = add_paragraph(path, "That is about 3.5× the earlier plan.")
    shown = f"{path}:{line}: a number typed into the template: '3.5×'"
    command = [sys.executable, str(ROOT / "run.py"), *ws.options(), "build", BRIEF]
    warned = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert warned.returncode == 0 and [w.startswith(shown) for w in shown_warnings(warned.stderr)] == [True]
    failed = subprocess.run([*command, "--strict"], capture_output=True, text=True, timeout=120)
    warnings = shown_warnings(failed.stderr)
    assert failed.returncode == 1 and [w.startswith(shown) for w in warnings] == [True]
    assert failed.stderr.splitlines()[-1] == f"error: --strict: 1 warning, nothing written: {warnings[0]}"


def shown_warnings(stderr: str) -> list[str]:
    """The messages of the ``<time> WARNING briefgen: …`` lines the command line printed."""
    return [m[1] for m in re.finditer(r"(?m)^\S+ WARNING briefgen(?:\.\w+)*: (.*)$", stderr)]


# --- numbers typed into a template ------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "text", "typed"), [
    ("en", "That is about 3.5× the earlier plan.", ["3.5×"]),
    ("en", "In 2024, 30% of the chips came late.", ["2024", "30%"]),
    ("en", "The answer is {{ 42 }}, or {{ '12' ~ 'k' }}.", ["42", "12"]),
    ("ja", "年内には約１２万台、2万5,000台に増える。", ["１２万", "2万5,000"]),
])
def test_a_number_typed_into_a_template_is_a_warning_naming_file_line_and_number(
        ws: Workspace, build: Build, lang: str, text: str, typed: list[str]) -> None:
    path = ws.templates / BRIEF / f"{lang}.md"
    line = add_paragraph(path, text)
    result, warned = build()
    assert result.code == 0
    assert [re.search(r"typed into the template: '([^']*)'", w)[1] for w in warned] == typed  # type: ignore[index]
    assert all(w.startswith(f"{path}:{line}: ") for w in warned)
    assert ws.pdf(lang).read_bytes() != OLD  # a warning does not stop the build


def test_a_number_in_a_directive_label_is_a_warning_its_id_is_not(ws: Workspace, build: Build) -> None:
    path = ws.templates / BRIEF / "en.md"
    source = path.read_text(encoding="utf-8")
    path.write_text(source.replace("gpu_difference: GPU count gap", "gpu_difference: GPU count gap (top 7)"),
                    encoding="utf-8")
    line = source.splitlines().index("gpu_difference: GPU count gap") + 1
    _, warned = build()
    assert len(warned) == 1 and warned[0].startswith(f"{path}:{line}: a number typed into the template: '7'")


@pytest.mark.parametrize("text", [
    "It took 1 week; the 2nd site and the 3rd follow, with H100, GPT-4 and Grok-1.5V chips.",
    "第2期の工事は1週間遅れ、1日あたりの取水量が問題になった。H100とB200を使う。",
    "See https://x.ai/blog/2024 for details &#42;.",
    "1. first point",
    "{# a comment with 2024 in it #}{{ f.xai_h100_count|num(compact=False) }}",
])
def test_ordinals_one_unit_of_time_names_and_urls_are_not_typed_numbers(ws: Workspace, build: Build,
                                                                         text: str) -> None:
    add_paragraph(ws.templates / BRIEF / "en.md", text)
    result, warned = build("build", BRIEF, "--lang", "en")
    assert (result.code, warned) == (0, [])


def test_strict_fails_on_a_typed_number_listing_it_and_writes_nothing(ws: Workspace, build: Build) -> None:
    path = ws.templates / BRIEF / "en.md"
    line = add_paragraph(path, "That is about 3.5× the earlier plan.")
    for argv in (("build", BRIEF, "--strict"), ("--strict",)):  # build, and no command (every brief)
        result, warned = build(*argv)
        error = strict_failure(result, "error: --strict: 1 warning, nothing written: ")
        assert error.endswith(f"nothing written: {warned[0]}")
        assert warned[0].startswith(f"{path}:{line}: a number typed into the template: '3.5×'")
        ws.assert_untouched()


# --- missing labels ---------------------------------------------------------------------------------


def test_a_missing_label_is_a_warning_naming_fact_file_line_and_field(ws: Workspace, build: Build) -> None:
    line = ws.set_fact("gpt4_gpu_count", label_ja="")
    result, warned = build()
    assert result.code == 0
    assert warned == [
        f"{ws.facts}:{line}: label_ja: fact gpt4_gpu_count has no Japanese label; the ja edition prints "
        "'GPUs used to train GPT-4' instead (expected a short Japanese label for tables, charts and formulas)"]
    ja = squash(pdf_text(ws.pdf("ja").read_bytes()))
    assert "GPUsusedtotrainGPT-4" in ja and "gpt4_training_gpus" not in ja
    assert build("build", BRIEF, "--lang", "en")[1] == []  # the English edition has its label


def test_without_either_label_the_pdf_prints_entity_and_metric_not_the_raw_id(ws: Workspace, build: Build) -> None:
    line = ws.set_fact("gpt4_gpu_count", label_ja="", label_en="")
    result, warned = build("build", BRIEF, "--lang", "en")
    assert [w.split(": fact")[0] for w in warned] == [f"{ws.facts}:{line}: label_en"]
    assert "'OpenAI gpt4 training gpus'" in warned[0]
    assert "gpt4_training_gpus" not in pdf_text(ws.pdf("en").read_bytes())
    strict, _ = build("build", BRIEF, "--strict")
    strict_failure(strict, f"2 warnings, nothing written: {ws.facts}:{line}: label_ja")


# --- stale data -------------------------------------------------------------------------------------


def test_an_edition_long_after_the_newest_fact_is_a_stale_data_warning(ws: Workspace, build: Build) -> None:
    result, warned = build("--date", "2025-01-01", "build", BRIEF)
    line = ws.line_of("xai_h100_count")  # as of 2024-07: the newest, counted from July 31
    assert result.code == 0
    assert warned == [
        f"{ws.facts}:{line}: as_of: stale data: the newest fact, xai_h100_count, is as of 2024-07, 154 days "
        f"before the edition of 2025-01-01 (expected facts at most 90 days older than the edition; "
        f"stale_after_days in {ws.brief_dir / 'brief.yaml'} sets how many)"]


@pytest.mark.parametrize(("date", "days", "stale"), [
    ("2024-10-29", None, False),   # 90 days after 2024-07-31: not yet
    ("2024-10-30", None, True),    # 91 days
    ("2025-01-01", 365, False),
    ("2025-01-01", 30, True),
])
def test_stale_after_days_sets_the_limit(ws: Workspace, build: Build, date: str, days: int | None,
                                         stale: bool) -> None:
    if days is not None:
        set_spec(ws, f"stale_after_days: {days}")
    result, warned = build("--date", date, "build", BRIEF)
    assert result.code == 0
    assert [("stale data" in w) for w in warned] == ([True] if stale else [])


def test_strict_fails_on_stale_data(ws: Workspace, build: Build) -> None:
    result, _ = build("--date", "2026-01-05", "build", BRIEF, "--strict")
    strict_failure(result, "nothing written: ", "stale data")
    assert not (ws.reports / BRIEF / "2026-01-05.en.pdf").exists()


# --- template mistakes say what was meant -------------------------------------------------------------


@pytest.mark.parametrize(("lang", "text", "said"), [
    ("en", "{{ f.xai_h100_cuont|num }}", "f.xai_h100_cuont: no fact 'xai_h100_cuont'; did you mean f.xai_h100_count?"),
    ("en", "{{ f.gpu_ratio|num }}", "f.gpu_ratio: no fact 'gpu_ratio'; gpu_ratio is a comparison: c.gpu_ratio"),
    ("ja", "{{ c.gpu_ratoi|num }}", "c.gpu_ratoi: no comparison 'gpu_ratoi'; did you mean c.gpu_ratio"),
    ("ja", "{{ f.xai_h100_count.lable }}", "f.xai_h100_count has no attribute 'lable'; did you mean 'label'?"),
    ("en", "{{ f.xai_round_amount.as_of.whn }}", "f.xai_round_amount.as_of has no attribute 'whn'; did you mean 'when'?"),
    ("en", "{{ brief.titel }}", "brief has no attribute 'titel'; did you mean 'title'?"),
    ("en", "{{ breif.title }}", "'breif' is undefined; did you mean 'brief'?"),
    ("en", "{{ c.gpu_ratio|nmu }}", "No filter named 'nmu'; did you mean 'num'?"),
    ("en", "```chrat gpu_counts\n```", "unknown directive ```chrat; did you mean ```chart?"),
    ("en", "```chart gpu_cuonts\n```", "```chart 'gpu_cuonts' is not in the brief spec; did you mean 'gpu_counts'?"),
])
def test_a_template_mistake_says_what_was_meant_with_file_and_line(ws: Workspace, build: Build, lang: str,
                                                                   text: str, said: str) -> None:
    path = ws.templates / BRIEF / f"{lang}.md"
    line = add_paragraph(path, text)
    assert_refused(build()[0], f"error: {path}:{line}: {said}")
    ws.assert_untouched()


# --- the allow-list, unit by unit ---------------------------------------------------------------------


@pytest.mark.parametrize(("source", "typed"), [
    ("Up 12% in 2024.", ["12%", "2024"]),
    ("**4×** the GPUs", ["4×"]),
    ("11週間、2週間、1週間、1.1年", ["11", "2", "1.1"]),
    ("第1四半期、3番目、2台目、21st, 1 week, 1日あたり、1ワットあたり、1台当たり", []),
    ("12台目の2台、2ワットあたり", ["2", "2"]),
    ("```chart top500_rmax\n```\n", []),
    ("```keynumbers\nrank_2024: 2024年の順位\n```\n", ["2024"]),
    ("{% if f %}{{ 7 }}{% endif %}{{ lang|upper }}", ["7"]),
])
def test_typed_numbers(source: str, typed: list[str]) -> None:
    env = compose.environment(jinja2.DictLoader({}))
    found = lint.typed_numbers(source, "t.md", env)
    assert [re.search(r"template: '([^']*)'", p.problem)[1] for p in found] == typed  # type: ignore[index]
