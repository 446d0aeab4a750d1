"""Readers files → validated readers, or one error listing every located problem."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import DATA

from briefgen.base.errors import FactsError
from briefgen.load.readers import Reader, is_address, load_readers

KNOWN = {"xai-colossus", "gpu-market"}
HEADER = "name,email,lang,briefs\n"


def _write(tmp_path: Path, text: str, name: str = "readers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_the_example_readers_file_loads(no_warnings: None) -> None:
    readers = load_readers(DATA / "readers.csv", {"xai-colossus"})
    assert {r.lang for r in readers} == {"ja", "en"}
    assert all(r.receives("xai-colossus") and r.email.endswith((".com", ".jp")) for r in readers)


def test_rows_become_readers_with_brief_lists(tmp_path: Path, no_warnings: None) -> None:
    path = _write(tmp_path, HEADER + "山田 花子,hanako@example.jp,ja,xai-colossus; gpu-market\n"
                                     ",bob@example.com,en,gpu-market xai-colossus gpu-market\n")
    assert load_readers(path, KNOWN) == (
        Reader("山田 花子", "hanako@example.jp", "ja", ("xai-colossus", "gpu-market"), f"{path}:2"),
        Reader("", "bob@example.com", "en", ("gpu-market", "xai-colossus"), f"{path}:3"),
    )


def test_yaml_readers_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "readers:\n  - {name: Alice, email: alice@example.com, lang: en, "
                            "briefs: xai-colossus}\n", "readers.yaml")
    (alice,) = load_readers(path, KNOWN)
    assert (alice.email, alice.origin) == ("alice@example.com", f"{path}:2")


def test_every_problem_is_reported_at_once_with_its_location(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER
                  + "Alice,alice@example.com,en,xai-colossus\n"             # line 2: fine
                  + "Alice again,ALICE@Example.com,en,xai-colossus\n"       # 3: duplicate
                  + "Nobody,not-an-address,en,xai-colossus\n"               # 4: bad address
                  + '"Eve\r\nBcc: victim@example.net",eve@example.com,en,xai-colossus\n'  # 5-6
                  + "Carl,carl@example.com,fr,xai-colossus\n"               # 7: language
                  + "Dora,dora@example.com,en,xai-colosus\n"                # 8: unknown brief
                  + "Ed,Ed <ed@example.com>,en,\n")                         # 9: display name, no brief
    with pytest.raises(FactsError) as caught:
        load_readers(path, KNOWN)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:4: email: 'not-an-address' is not a usable address "
        "(expected a plain address like name@example.com (ASCII, no display name))",
        f"{path}:5: name: control characters U+000A, U+000D in the name "
        "(expected plain text on one line, without control characters, bidi controls or =?…?= encoded words)",
        f"{path}:7: lang: unknown language 'fr' (expected ja | en)",
        f"{path}:8: briefs: unknown brief 'xai-colosus' (expected one of gpu-market, xai-colossus)",
        f"{path}:9: email: 'Ed <ed@example.com>' is not a usable address "
        "(expected a plain address like name@example.com (ASCII, no display name))",
        f"{path}:9: briefs: no brief ids (expected brief ids separated by spaces or semicolons)",
        f"{path}:3: email: duplicate address 'ALICE@Example.com' (first on line 2; addresses compare "
        "ignoring case) (expected each reader once)",
    ]


@pytest.mark.parametrize("text,ok", [
    ("a@example.com", True), ("first.last+tag@mail.example.co.jp", True), ("o'brien@example.ie", True),
    ("a@example", False), ("a@@example.com", False), ("a.@example.com", False), (".a@example.com", False),
    ("a b@example.com", False), ('"a b"@example.com', False), ("a@-example.com", False),
    ("a@example.com\n", False), ("花子@example.jp", False), ("a@[127.0.0.1]", False),
    ("x" * 65 + "@example.com", False), ("", False),
])
def test_address_rule(text: str, ok: bool) -> None:
    assert is_address(text) is ok


def test_a_header_only_file_is_an_empty_list_with_a_warning(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path, HEADER)
    with caplog.at_level(logging.WARNING, logger="briefgen"):
        assert load_readers(path, KNOWN) == ()
    assert caplog.messages == [f"{path}: the readers file lists no readers; nothing will be sent"]


def test_an_empty_file_or_missing_column_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(FactsError, match="file is empty"):
        load_readers(_write(tmp_path, ""), KNOWN)
    with pytest.raises(FactsError, match=r"readers.csv:1: lang: missing required column"):
        load_readers(_write(tmp_path, "name,email,briefs\nA,a@example.com,xai-colossus\n"), KNOWN)


@pytest.mark.parametrize(("name", "reason"), [
    ("=?utf-8?b?QWxpY2UNCkJjYzogdmljdGltQGV4YW1wbGUubmV0?=",
     "an RFC 2047 encoded word '=?utf-8?b?QWxpY2UNCkJjYzogdmljdGltQGV4Y…'"),
    ("Eve\u202e", "bidi controls U+202E"),
    ("Eve\u2028Bcc: x@example.net", "control characters U+2028"),
    ("Eve\x85Bcc: x@example.net", "control characters U+0085"),
])
def test_a_name_a_header_cannot_carry_is_refused_at_load(tmp_path: Path, name: str, reason: str) -> None:
    path = _write(tmp_path, HEADER + "Alice,alice@example.com,en,xai-colossus\n"
                                     f'"{name}",eve@example.com,en,xai-colossus\n')
    with pytest.raises(FactsError) as caught:
        load_readers(path, KNOWN)
    assert str(caught.value) == (f"{path}:3: name: {reason} in the name (expected plain text on one line, "
                                 "without control characters, bidi controls or =?…?= encoded words)")
