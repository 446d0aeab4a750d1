"""headertext: what a mail header must not carry (control characters, bidi controls, encoded words)."""

from __future__ import annotations

import pytest

from briefgen.base.headertext import refusal


@pytest.mark.parametrize("text", [
    "山田 花子", "Alice Martin", "xAIのメンフィス・スーパーコンピューター：数字で読む", "José Müller-Lüdenscheid",
    "O'Brien, \"Bob\" <bob@example.com>",  # quoted by the email package, not interpreted
    "\u05e9\u05dc\u05d5\u05dd\u200f (Shalom)",  # RLM: a directional mark, allowed
    "\u0645\u062d\u0645\u062f\u061c 2024",  # ALM
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # ZWNJ in a Persian word
    "👩\u200d💻 team",  # ZWJ in an emoji sequence
    "x =? y ?= z", "=?utf-8?x?abc?=", "price=?",  # not encoded words
    "",
])
def test_ordinary_text_is_allowed(text: str) -> None:
    assert refusal(text) == ""


@pytest.mark.parametrize(("text", "reason"), [
    ("Eve\r\nBcc: x@example.net", "control characters U+000A, U+000D"),
    ("tab\there", "control characters U+0009"),
    ("nul\x00", "control characters U+0000"),
    ("del\x7f", "control characters U+007F"),
    ("c1\x85next line", "control characters U+0085"),
    ("line\u2028separator", "control characters U+2028"),
    ("paragraph\u2029separator", "control characters U+2029"),
    ("invoice\u202efdp.exe", "bidi controls U+202E"),
    ("\u202a\u202b\u202c\u202d", "bidi controls U+202A, U+202B, U+202C, U+202D"),
    ("\u2066isolated\u2069 \u2067\u2068", "bidi controls U+2066, U+2067, U+2068, U+2069"),
    ("=?utf-8?b?QWxpY2UNCkJjYzogdmljdGltQGV4YW1wbGUubmV0?=",
     "an RFC 2047 encoded word '=?utf-8?b?QWxpY2UNCkJjYzogdmljdGltQGV4Y…'"),
    ("Alice =?UTF-8?Q?Ren=C3=A9?= Martin", "an RFC 2047 encoded word '=?UTF-8?Q?Ren=C3=A9?='"),
    ("=?iso-8859-1*en?q?a b?=", "an RFC 2047 encoded word '=?iso-8859-1*en?q?a b?='"),  # Python tolerates the space
    ("=?utf-8?B?\r\nQQ==?=\u202e", "control characters U+000A, U+000D; bidi controls U+202E; "
                                   "an RFC 2047 encoded word '=?utf-8?B?\\r\\nQQ==?='"),
])
def test_what_a_header_would_interpret_is_refused_and_named(text: str, reason: str) -> None:
    assert refusal(text) == reason
