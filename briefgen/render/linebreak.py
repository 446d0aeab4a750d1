"""Text + glyph widths → where its lines start (Japanese rules of JIS X 4051, Latin words kept whole).

A line may break between two characters unless:
- the next one may not start a line (closing brackets, hyphens, ？！, ・：；, 。．, 、，, iteration
  marks, ー, small kana, postfixed %‰°℃ — JIS X 4051 classes 2–7, 9–11 and 20), or the previous one
  may not end a line (opening brackets, prefixed ¥$£€# — classes 1 and 19);
- both belong to one Latin word or number, or to an inseparable pair (—— …… ‥‥, class 8);
- they are inside a number with its unit (``1.5キロワット/世帯``, ``40億ドル``, ``2024年3月``,
  ``150 MW``, ``100,000 GPUs`` — an English number keeps the word after it), a
  source marker (``[1]``, also glued to the word before it) or a short bracketed phrase
  (``（正しい）``), a verdict mark and its word (``✓ holds``), or the next character is glued to
  the previous by the caller (a superscript);
- the next one is a space (a space ends a line, it never starts one).
Lines are filled greedily; a last line of one character (plus punctuation) takes one more piece of
the line above, and with ``balance`` (titles and headings) a two-line heading whose last line would
be short (under 4 characters, one Latin word, or under a third of the line) breaks earlier, after
punctuation (or, for an orphan, a space) if it can.
Pure: works on the text and the widths the caller measured.
"""

from __future__ import annotations

import re
from typing import Sequence

#: JIS X 4051 cl-01 opening brackets and cl-19 prefixed abbreviations: never at the end of a line.
NO_END = frozenset("‘“（〔［｛〈《「『【⦅〘〖«〝([{" "¥$£€#№＄￥￡＃")
#: cl-02 closing brackets, cl-03 hyphens, cl-04 ？！, cl-05 middle dots, cl-06 full stops, cl-07
#: commas, cl-09 iteration marks, cl-10 prolonged sound mark, cl-11 small kana, cl-20 postfixed
#: abbreviations: never at the start of a line.
NO_START = frozenset(
    "’”）〕］｝〉》」』】⦆〙〗»〟)]}"
    "‐〜゠–～"
    "？！‼⁇⁈⁉?!"
    "・：；:;"
    "。．."
    "、，,"
    "ヽヾゝゞ々〻"
    "ー"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "°′″℃¢%‰％￠"
)
#: cl-08: never split between two of them.
INSEPARABLE = frozenset("—…‥〳〴〵")
#: After these a heading prefers to break: phrase ends, then word ends.
_PHRASE_END = frozenset("、。，．：；！？」』）】:;,.!?)")
_WORD_END = frozenset("・ ")
_HEADING_LINE = 4  # characters a heading's last line needs

_NUMBER = r"[+±−]?[$¥£€＄￥]?[0-9０-９][0-9０-９,.，．]*(?:[万億兆][0-9０-９][0-9０-９,.，．]*)*[万億兆]?"
_UNIT = r"(?:[ァ-ヺー]+|[A-Za-z%‰°℃％]+|[㐀-鿿々]{1,2}|[かヵヶ]月)"
_GLUED = re.compile(
    r"[$€£]?\d[\d,.]*[kKMBT%]?\s[A-Za-z³²]+\b"  # an English number and its unit: 150 MW, $14.3B a
    rf"|{_NUMBER}(?:{_UNIT}){{0,2}}(?:/(?:{_UNIT}){{1,2}})?"  # a number with its unit
    r"|(?P<marker>\s?\[\d+(?:[,–-]\d+)*\])"  # a source marker, glued to what comes before it
    r"|[（(「『][^（）()「」『』\s]{1,5}[）)」』]"  # a short bracketed phrase
    r"|[✓✗▲▼]\s?\S"  # a verdict mark and its word
)
_SHORT_LINE = 2  # a last line needs this many characters that may start a line, or it is a widow


def _latin(char: str) -> bool:
    return not char.isspace() and ord(char) < 0x2E80 and char not in INSEPARABLE


def _by_class(text: str) -> list[bool]:
    """Breaks the character classes allow (line start/end prohibitions, inseparables, Latin words)."""
    latin = [_latin(char) for char in text]
    ok = [not (char in NO_START or before in NO_END or char.isspace() or (latin_before and latin_char)
               or (char == before and before in INSEPARABLE))
          for before, char, latin_before, latin_char in zip(text, text[1:], latin, latin[1:])]
    return [False, *ok] if text else []


def allowed(text: str, glued: Sequence[bool] = (), by_class: Sequence[bool] | None = None) -> list[bool]:
    """``allowed[i]``: a line may start at ``text[i]`` (never at 0). ``glued[i]`` keeps ``text[i]``
    on the line of ``text[i - 1]`` (a superscript marker). ``by_class``: ``text``'s ``_by_class``, if
    the caller has it."""
    ok = list(_by_class(text) if by_class is None else by_class)
    for i in (i for i, stuck in enumerate(glued[:len(text)]) if stuck):
        ok[i] = False
    for match in _GLUED.finditer(text):
        for i in range(max(match.start() + (0 if match["marker"] else 1), 1), match.end()):
            ok[i] = False
    return ok


def line_starts(text: str, widths: Sequence[float], max_widths: Sequence[float], *,
                glued: Sequence[bool] = (), forced: Sequence[int] = (), balance: bool = False) -> list[int]:
    """Where each line of ``text`` starts, given each character's width and the widths of the lines
    (the last one repeats). ``forced`` are indices a line must start at (explicit line breaks)."""
    loose = _by_class(text)
    ok = allowed(text, glued, loose)
    starts = _greedy(text, widths, max_widths, (ok, loose), frozenset(forced))
    if len(starts) >= 2 and starts[-1] not in forced:
        starts[-1] = _fix_widow(text, widths, _width_of(max_widths, len(starts) - 1), ok, starts[-2], starts[-1])
        if balance and len(starts) == 2:
            starts[1] = _balanced(text, widths, max_widths, ok, starts[1])
    return starts


def _width_of(max_widths: Sequence[float], line: int) -> float:
    return max_widths[min(line, len(max_widths) - 1)]


def _greedy(text: str, widths: Sequence[float], max_widths: Sequence[float],
            breaks: tuple[Sequence[bool], Sequence[bool]], forced: frozenset[int]) -> list[int]:
    """Lines filled in order; a line with no allowed break (a number with its unit wider than the
    line) breaks where the character classes allow, else at the character that overflows."""
    ok, loose = breaks
    starts = [0]
    used = 0.0
    limit = _width_of(max_widths, 0) + 1e-6  # the current line's width
    for i, (char, width) in enumerate(zip(text, widths)):
        if i in forced and i > starts[-1]:
            starts.append(i)
            used, limit = 0.0, _width_of(max_widths, len(starts) - 1) + 1e-6
        used += width
        if used > limit and i > starts[-1] and not char.isspace():
            at = next((j for j in range(i, starts[-1], -1) if ok[j]), None)
            at = at or next((j for j in range(i, starts[-1], -1) if loose[j]), i)
            starts.append(at)
            used, limit = sum(widths[at:i + 1]), _width_of(max_widths, len(starts) - 1) + 1e-6
    return starts


def _counted(text: str) -> int:
    return sum(1 for c in text if not c.isspace() and c not in NO_START)


def _fix_widow(text: str, widths: Sequence[float], width: float, ok: Sequence[bool], above: int, last: int) -> int:
    """The start of the last line moved back until it holds ``_SHORT_LINE`` characters, if it fits."""
    if _counted(text[last:]) >= _SHORT_LINE:
        return last
    for at in range(last - 1, above, -1):
        if sum(widths[at:]) > width:
            break
        if ok[at] and _counted(text[at:]) >= _SHORT_LINE and _counted(text[above:at]) >= _SHORT_LINE:
            return at
    return last


def _orphan(text: str) -> bool:
    """A heading's last line too short to stand alone: under 4 characters, or one Latin word."""
    tail = text.strip()
    return _counted(tail) < _HEADING_LINE or (all(_latin(c) for c in tail) and " " not in tail)


def _balanced(text: str, widths: Sequence[float], max_widths: Sequence[float], ok: Sequence[bool],
              greedy: int) -> int:
    """The break of a two-line heading: the greedy one unless its last line is short, else the latest
    break that fits and gives a longer last line without an orphan on either: after a phrase (：、。,
    a comma, a closing bracket); for an orphan (under 4 characters, one Latin word) also after ・ or
    a space, else anywhere; a last line that is merely under a third of the line moves only to a phrase."""
    first, second = _width_of(max_widths, 0), _width_of(max_widths, 1)
    total = sum(widths)
    tail = total - sum(widths[:greedy])
    if not _orphan(text[greedy:]) and tail >= first / 3:
        return greedy
    fitting = [at for at in range(1, greedy) if ok[at] and sum(widths[:at]) <= first
               and tail < total - sum(widths[:at]) <= second and not _orphan(text[at:]) and not _orphan(text[:at])]
    phrase = [at for at in fitting if text[:at].rstrip()[-1:] in _PHRASE_END]
    word = [at for at in fitting if text[at - 1] in _WORD_END]
    if not _orphan(text[greedy:]):
        return (phrase or [greedy])[-1]
    return (phrase or word or fitting or [greedy])[-1]
