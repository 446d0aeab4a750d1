"""A brief's inputs + its template sources → warnings an editor should see before publishing.

- **Numbers typed into a template.** Every number in a brief comes from a fact or a comparison; a
  digit in a template's own text (or a constant it prints, ``{{ 42 }}``) is untraceable, and in a
  weekly template a typed year or count goes stale. Allowed: ordinals (``1st``, ``第2``, ``3番目``,
  ``2台目``, a line numbered ``1.``), one unit of time (``1週間``, ``1日``, ``1 week``), "per one"
  (``1ワットあたり``), names with digits (``H100``, ``GPT-4``, ``TOP500``), URLs and character
  references. Number words (``two``, ``二度``) are the editor's prose and not checked.
- **Missing labels.** A fact without ``label_<lang>`` prints a fallback (the other language's label,
  else its entity and metric) in that edition.
- **Stale data.** An edition dated more than ``stale_after_days`` (brief.yaml, default 90) after the
  newest ``as_of`` of its facts.

Pure: template sources come in as text (``compose.template_source`` reads them).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from typing import Iterable, Iterator, Mapping

import jinja2

from briefgen.base import markdown
from briefgen.base.errors import Problem
from briefgen.base.model import BriefSpec, FactSet, Lang, PartialDate

__all__ = ["lint", "missing_labels", "stale", "typed_numbers"]

LANGUAGE_NAMES: dict[Lang, str] = {"ja": "Japanese", "en": "English"}
#: What a template may type with digits in it (masked before looking for numbers).
ALLOWED = re.compile(
    r"https?://\S+|www\.\S+|&#x?[0-9A-Fa-f]+;"                     # URLs, character references
    r"|(?<![A-Za-z0-9])[A-Za-z]+(?:[-.]?\d+(?:\.\d+)?[A-Za-z]*)+"   # names: H100, GPT-4, Grok-1.5V
    r"|第\s*\d+|\d+\s*(?:番|台|回|人|度|期|社|件|本)?目|(?<![\d.,])\d+(?:st|nd|rd|th)\b"  # ordinals
    r"|^\s*\d+[.)](?=\s)"                                           # a numbered line
    r"|(?<![\d.,])1\s*(?:週間|週|日|か月|カ月|ヶ月|ヵ月|箇月|年|時間)"   # one unit of time
    r"|(?<![\d.,])1[^\d\s、。]{1,8}?(?:あたり|当たり)"                  # per one unit: 1ワットあたり
    r"|(?<![\d.,])\b1\s+(?:week|day|month|year|hour)\b",
    re.MULTILINE)
_DIGITS = r"\d+(?:[.,]\d+)*"
NUMBER = re.compile(rf"{_DIGITS}(?:[万億兆](?:{_DIGITS})?)*(?:\s?[%×倍])?")
ALLOWED_FORM = ("numbers printed from facts and comparisons ({{ f.<id>|num }}, {{ c.<id>|num }}); "
                "a template may type ordinals (1st, 第2), 1週間/1 week and names such as H100")
_CONTEXT = 30


def lint(spec: BriefSpec, facts: FactSet, templates: Mapping[Lang, tuple[str, str]],
         env: jinja2.Environment, today: dt.date) -> tuple[Problem, ...]:
    """Every warning for an edition in ``templates``' languages (lang → (source, file name))."""
    typed = tuple(p for source, origin in templates.values() for p in typed_numbers(source, origin, env))
    return (*typed, *missing_labels(facts, tuple(templates)), *stale(spec, facts, today))


# --- numbers typed into a template ----------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def typed_numbers(source: str, origin: str, env: jinja2.Environment) -> tuple[Problem, ...]:
    """A problem for each number a template prints from its own text rather than from data (kept per
    template text: Jinja's lexer is pure Python, and a warm build or a scheduler lints the same text)."""
    roles = _line_roles(source)
    problems = []
    for line, text in _printed(source, env):
        if roles.get(line) == "fence":
            continue
        if roles.get(line) == "body":
            text = text.partition(":")[2] if ":" in text else text  # `id: label`: only the label prints
        for number, context in _numbers(text):
            problems.append(Problem(origin, f"a number typed into the template: {number!r} in "
                                    f"{context!r}", line=line, expected=ALLOWED_FORM))
    return tuple(problems)


def _printed(source: str, env: jinja2.Environment) -> Iterator[tuple[int, str]]:
    """(line, text) for each line of literal text and each constant a ``{{ }}`` prints without data."""
    expression: list[tuple[int, str, str]] | None = None
    for lineno, kind, value in env.lex(source):
        if kind == "data":
            yield from ((lineno + i, part) for i, part in enumerate(value.split("\n")))
        elif kind == "variable_begin":
            expression = []
        elif kind == "variable_end" and expression is not None:
            yield from _constants(expression)
            expression = None
        elif expression is not None and kind != "whitespace":
            expression.append((lineno, kind, value))


def _constants(tokens: list[tuple[int, str, str]]) -> Iterator[tuple[int, str]]:
    """The literals of a ``{{ }}`` that names no variable (filter names aside): what it prints is typed."""
    names = [t for i, t in enumerate(tokens) if t[1] == "name" and (i == 0 or tokens[i - 1][2] != "|")]
    if not names:
        yield from ((line, value) for line, kind, value in tokens if kind in ("integer", "float", "string"))


def _line_roles(source: str) -> dict[int, str]:
    """Line → ``fence`` (an opening or closing ```` ``` ```` line) or ``body`` (inside a directive)."""
    roles: dict[int, str] = {}
    inside = False
    for number, raw in enumerate(source.splitlines(), start=1):
        text = raw.strip()
        if text.startswith(markdown.FENCE) and (not inside or text == markdown.FENCE):
            roles[number] = "fence"
            inside = not inside
        elif inside:
            roles[number] = "body"
    return roles


def _numbers(text: str) -> Iterator[tuple[str, str]]:
    masked = ALLOWED.sub(lambda m: " " * len(m[0]), text)
    for match in NUMBER.finditer(masked):
        start, end = max(0, match.start() - _CONTEXT), match.end() + _CONTEXT
        context = ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
        yield match[0], context


# --- labels and dates -----------------------------------------------------------------------------


def missing_labels(facts: FactSet, langs: Iterable[Lang]) -> tuple[Problem, ...]:
    """A problem for each fact without a label in a language the edition prints."""
    problems = []
    for lang in langs:
        for fact in facts.facts.values():
            if fact.label_ja if lang == "ja" else fact.label_en:
                continue
            problems.append(Problem(fact.origin.path, f"fact {fact.id} has no {LANGUAGE_NAMES[lang]} label; "
                                    f"the {lang} edition prints {fact.label(lang)!r} instead",
                                    line=fact.origin.line, field=f"label_{lang}",
                                    expected=f"a short {LANGUAGE_NAMES[lang]} label for tables, charts and formulas"))
    return tuple(problems)


def stale(spec: BriefSpec, facts: FactSet, today: dt.date) -> tuple[Problem, ...]:
    """A problem when the edition is more than ``spec.stale_after_days`` after the newest ``as_of``
    (a month or year counts from its last day); facts without ``as_of`` are not dated."""
    dated = [(last_day(f.as_of), f) for f in facts.facts.values() if f.as_of is not None]
    if not dated:
        return ()
    newest, fact = max(dated, key=lambda pair: pair[0])
    age = (today - newest).days
    if age <= spec.stale_after_days:
        return ()
    return (Problem(fact.origin.path, f"stale data: the newest fact, {fact.id}, is as of {fact.as_of}, {age} days "
                    f"before the edition of {today.isoformat()}", line=fact.origin.line, field="as_of",
                    expected=f"facts at most {spec.stale_after_days} days older than the edition; "
                    f"stale_after_days in {spec.origin} sets how many"),)


def last_day(when: PartialDate) -> dt.date:
    """The last day a partial date can mean (``2024-06`` → 2024-06-30)."""
    month = when.month or 12
    return dt.date(when.year, month, when.day or calendar.monthrange(when.year, month)[1])
