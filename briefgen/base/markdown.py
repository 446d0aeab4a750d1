"""Rendered template text (a Markdown subset) → headings, paragraphs, bullets and fenced directives.

The subset: ``# `` and ``## `` headings, paragraphs separated by blank lines, ``- `` bullets (an
indented line continues the bullet above), ``**bold**`` → ``<b>bold</b>``, and fenced directives
(```` ```chart gpu_counts ```` … ```` ``` ````) that ``compose`` fills from data. Lines of one
paragraph are joined with a space, or with nothing next to Japanese text. The input is already
markup: values printed by Jinja were escaped by ``compose``, so every ``*``, ``#``, ``-`` or
straight quote left is the editor's own; the quotes become typographic ones (“ ” ‘ ’ in English,
「」 in Japanese). ``visible`` turns such markup back into the text it shows.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterator, Union

from briefgen.base.errors import ComposeError, Problem
from briefgen.base.model import Bullets, Heading, Lang, Markup, Para

FENCE = "```"
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TAG = re.compile(r"<[^>]*>")
_NOTE = re.compile(r"<super>.*?</super>")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")
_OPENS_AFTER = frozenset("([{“‘—–-/「（『")  # a quote after these (or a space, or nothing) opens
_HEADINGS = (("## ", 2), ("# ", 1))


@dataclass(frozen=True)
class Directive:
    """A fenced directive: its name, argument, body lines and the 1-based line it opens on."""

    name: str
    arg: str
    line: int
    body: tuple[str, ...] = ()


Parsed = Union[Heading, Para, Bullets, Directive]


@dataclass
class _Builder:
    origin: str
    lang: Lang
    out: list[Parsed] = field(default_factory=list)
    para: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)

    def flush(self) -> None:
        if self.para:
            self.out.append(Para(inline(_join(self.para), self.origin, self.lang)))
        if self.bullets:
            self.out.append(Bullets(tuple(inline(b, self.origin, self.lang) for b in self.bullets)))
        self.para, self.bullets = [], []

    def line(self, raw: str) -> None:
        text = raw.strip()
        if not text:
            self.flush()
        elif text.startswith("- "):
            if self.para:
                self.flush()
            self.bullets.append(text[2:].strip())
        elif self.bullets and raw[:1].isspace():
            self.bullets[-1] = _join([self.bullets[-1], text])
        else:
            if self.bullets:
                self.flush()
            self.para.append(text)


def parse(text: str, origin: str, lang: Lang) -> tuple[Parsed, ...]:
    """Split rendered text into blocks; an unclosed fence or unmatched ``**`` raises ``ComposeError``."""
    builder = _Builder(origin, lang)
    lines = iter(enumerate(text.splitlines(), start=1))
    for number, raw in lines:
        heading = next(((raw.strip()[len(p):], lvl) for p, lvl in _HEADINGS if raw.strip().startswith(p)),
                       None)
        if raw.strip().startswith(FENCE):
            builder.flush()
            builder.out.append(_directive(raw.strip(), number, lines, origin))
        elif heading is not None:
            builder.flush()
            builder.out.append(Heading(inline(heading[0].strip(), origin, lang), heading[1]))
        else:
            builder.line(raw)
    builder.flush()
    return tuple(builder.out)


def fences(source: str) -> Iterator[tuple[int, str]]:
    """The directive names opened in ``source`` with their 1-based lines (closing fences skipped)."""
    inside = False
    for number, raw in enumerate(source.splitlines(), start=1):
        text = raw.strip()
        if inside:
            inside = text != FENCE
        elif text.startswith(FENCE):
            yield number, _opening(text)[0]
            inside = True


def inline(text: str, origin: str, lang: Lang) -> Markup:
    """``**bold**`` → ``<b>bold</b>`` and typographic quotes; a ``**`` left unmatched raises ``ComposeError``."""
    bold = _BOLD.sub(r"<b>\1</b>", text)
    if "**" in bold:
        raise ComposeError(Problem(origin, f"unmatched ** in {text[:60]!r}",
                                   expected="**bold text** with both markers on one line"))
    return Markup(quotes(bold, lang))


def quotes(markup: str, lang: Lang) -> str:
    """The straight quotes of ``markup``'s text → “ ” ‘ ’ (English) or 「」 and ’ (Japanese).

    A quote opens at the start or after a space or an opening bracket or dash, and closes (or is an
    apostrophe) elsewhere; Japanese double quotes pair up in order. Tags are left as they are."""
    if '"' not in markup and "'" not in markup:
        return markup
    out: list[str] = []
    before = ""
    doubles = 0
    for tag, text in _TAG_OR_TEXT.findall(markup):
        if tag:
            out.append(tag)
            continue
        for char in text:
            opens = not before or before.isspace() or before in _OPENS_AFTER
            if char == '"' and lang == "ja":
                char, doubles = "「」"[doubles % 2], doubles + 1
            elif char == '"':
                char = "“" if opens else "”"
            elif char == "'":
                char = "‘" if opens else "’"
            out.append(char)
            before = char
    return "".join(out)


def visible(markup: str) -> str:
    """Paragraph markup → the text it shows: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


def plain(markup: str) -> str:
    """Paragraph markup → its text without source-note markers (what an email can quote)."""
    return visible(_NOTE.sub("", markup)).strip()


def _opening(text: str) -> tuple[str, str]:
    """A stripped opening fence line → the directive's name and argument (either may be empty)."""
    name, *arg = text[len(FENCE):].split(maxsplit=1) or [""]
    return name, "".join(arg)


def _directive(opening: str, number: int, lines: Iterator[tuple[int, str]], origin: str) -> Directive:
    name, arg = _opening(opening)
    body: list[str] = []
    for _, raw in lines:
        if raw.strip() == FENCE:
            return Directive(name, arg, number, tuple(b for b in body if b))
        body.append(raw.strip())
    raise ComposeError(Problem(origin, f"the ```{name} block is never closed", line=number,
                               expected="a line with ``` after the block"))


def _join(parts: list[str]) -> str:
    """Join lines of one paragraph: no space between Japanese characters, one space otherwise."""
    text = parts[0]
    for part in parts[1:]:
        glue = "" if _wide(text[-1]) or _wide(part[0]) else " "
        text += glue + part
    return text


def _wide(char: str) -> bool:
    return ord(char) >= 0x2E80
