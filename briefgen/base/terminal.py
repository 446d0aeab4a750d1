"""Text → text safe to print on a terminal: control, format and bidi characters shown as escapes.

Fact text, quotes and file names reach ``check``, ``extract``, ``status`` and every error line. Printed
raw, an ANSI escape (``\\x1b[2J``) could clear or recolour the screen, a carriage return overwrite the
line, a C1 control act as one, and a bidi override (U+202E) reorder what the reader sees. Each such
character is printed as ``\\uXXXX`` (a surrogate pair beyond U+FFFF), which is also a valid JSON
escape; newlines and tabs stay.
"""

from __future__ import annotations

import re

#: C0 controls but tab and newline, DEL and C1, soft hyphen, Arabic letter mark, Mongolian vowel
#: separator, zero-width and directional marks, line/paragraph separators, embeddings and overrides,
#: invisible operators and isolates, BOM, interlinear annotations, lone surrogates, tag characters.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                     "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e0fff]")


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on (rather than show) escaped."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
