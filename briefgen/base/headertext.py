"""Text bound for a mail header (a name, a title, a subject, a file name) → why it is refused, if it is.

The ``email`` package encodes legitimate non-ASCII text (a Japanese name or title) itself. What it
must never see is text it would *interpret*:

* control characters — C0 (CR, LF, NUL, TAB, …), DEL and C1 (U+0080–U+009F) — and the Unicode line
  and paragraph separators U+2028/U+2029, which Python's line splitting treats as line breaks;
* bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): they reorder the
  text after them, so a name or file name can show something other than what it is (``‮fdp.exe``).
  The directional *marks* U+200E, U+200F and U+061C are allowed: they reorder nothing by themselves
  and are part of correctly written mixed Arabic/Hebrew and Latin names;
* RFC 2047 encoded words (``=?charset?B|Q?…?=``): the package would decode them when the header is
  set, so ``=?utf-8?b?QWxpY2UNCkJjYzog…?=`` becomes ``Alice\\r\\nBcc: …`` — raw header lines in the
  message. Any such word is refused, whatever it decodes to: names and titles are written as the
  plain text they are, never pre-encoded.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# What Python's header parser would take for an encoded word (it tolerates white space inside one).
ENCODED_WORD = re.compile(r"=\?[^?]*\?[bq]\?.*?\?=", re.IGNORECASE | re.DOTALL)
EXPECTED = "plain text on one line, without control characters, bidi controls or =?…?= encoded words"


def refusal(text: str) -> str:
    """Why ``text`` cannot go into a mail header (``"control characters U+000A, U+000D"``), or ``""``."""
    controls = _named(c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp"))
    bidi = _named(c for c in text if c in BIDI_CONTROLS)
    word = ENCODED_WORD.search(text)
    reasons = [f"control characters {controls}" if controls else "",
               f"bidi controls {bidi}" if bidi else "",
               f"an RFC 2047 encoded word {_quoted(word.group())}" if word else ""]
    return "; ".join(reason for reason in reasons if reason)


def _named(chars: Iterable[str]) -> str:
    return ", ".join(sorted({f"U+{ord(c):04X}" for c in chars}))


def _quoted(word: str, limit: int = 40) -> str:
    return repr(word if len(word) <= limit else word[:limit - 1] + "…")
