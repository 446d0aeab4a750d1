"""Headers (issue 9, point 6) through ``run.py send/schedule/build`` against a real aiosmtpd server.

Names and titles a header would interpret (encoded words, control characters, bidi controls) are
refused where they are written, before anything is built or sent; what is sent carries one Subject,
no Bcc, the sender's display name and each reader's own List-Unsubscribe; non-ASCII passwords log in.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
from hardening import BRIEF, Workspace, assert_refused, refused_everywhere, run
from smtpserver import USER, Server, ServerFactory

from briefgen.load.settings import unsubscribe_token

#: The issue's example: a name that the email package would decode into header lines.
ENCODED = "=?utf-8?b?" + base64.b64encode(b"Alice\r\nBcc: victim@example.net\r\nSubject: pwned").decode() + "?="
KEY = "unsubscribe-key-鍵"
URL = "https://lists.example.org/unsubscribe?list={brief}&email={email}&token={token}"
MAILTO = "mailto:leave@example.org?subject=leave%20{brief}"
NON_ASCII = "pässwörd-パスワード"
EXPECTED = "(expected plain text on one line, without control characters, bidi controls or =?…?= encoded words)"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("BRIEFGEN_")]:
        monkeypatch.delenv(name)


def write_readers(ws: Workspace, *rows: str) -> Path:
    path = ws.data / "readers.csv"
    path.write_text("name,email,lang,briefs\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


# --- what is sent ------------------------------------------------------------------------------------


def test_received_headers_one_subject_no_bcc_display_name_and_each_readers_unsubscribe_links(
        ws: Workspace, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFGEN_UNSUBSCRIBE_KEY", KEY)
    odd = 'Eve, "Admin" <admin@example.net>; Bcc: all@example.net'
    write_readers(ws, f"山田 花子,hanako@example.jp,ja,{BRIEF}", f'"{odd.replace(chr(34), 2 * chr(34))}",'
                                                              f"eve+news@example.com,en,{BRIEF}")
    result = ws.send(server, sender_name="週報チーム「xAI」", list_unsubscribe=[URL, MAILTO])
    assert result.code == 0, result.err
    assert "2 sent, 0 already delivered, 0 failed" in result.out
    got = {received.rcpt_tos[0]: received.message for received in server.handler.received}
    for email, name in (("hanako@example.jp", "山田 花子"), ("eve+news@example.com", odd)):
        message = got[email]
        assert len(message.get_all("Subject")) == 1 and message["Bcc"] is None and message["Cc"] is None
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("週報チーム「xAI」", USER)
        (to,) = message["To"].addresses
        assert (to.display_name, to.addr_spec) == (name, email)
        token = unsubscribe_token(KEY, BRIEF, email)
        https = f"https://lists.example.org/unsubscribe?list={BRIEF}&email={quote(email, safe='')}&token={token}"
        assert message["List-Unsubscribe"] == f"<{https}>, <mailto:leave@example.org?subject=leave%20{BRIEF}>"
        assert message.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    assert "email=eve%2Bnews%40example.com&" in got["eve+news@example.com"]["List-Unsubscribe"]
    assert got["hanako@example.jp"]["Subject"].startswith("xAIのメンフィス・スーパーコンピューター：数字で読む（")


# --- refused before anything is built or sent ------------------------------------------------------

HOSTILE = [
    (ENCODED, "an RFC 2047 encoded word '=?utf-8?b?QWxpY2UNCkJjYzogdmljdGltQGV4Y…'"),
    ("Alice =?UTF-8?Q?=0D=0ABcc=3A_x=40example=2Enet?= Martin", "an RFC 2047 encoded word"),
    ("Alice\u202eecilA", "bidi controls U+202E"),
    ("Alice\u2066x\u2069", "bidi controls U+2066, U+2069"),
    ("Alice\u2028Bcc: victim@example.net", "control characters U+2028"),
    ("Alice\x85Bcc: victim@example.net", "control characters U+0085"),
    ("Alice\x7fMartin", "control characters U+007F"),
]


@pytest.mark.parametrize(("name", "reason"), HOSTILE)
def test_a_readers_name_a_header_would_interpret_is_refused_at_its_line(ws: Workspace, server: Server,
                                                                       name: str, reason: str) -> None:
    readers = write_readers(ws, f"Bob,bob@example.com,en,{BRIEF}", f'"{name}",alice@example.com,en,{BRIEF}')
    line = assert_refused(ws.send(server), f"error: {readers}:3: name: {reason}")
    assert line.endswith(f" in the name {EXPECTED}")
    ws.assert_untouched()
    assert server.handler.received == []


def test_the_scheduler_refuses_such_a_name_at_start(ws: Workspace, server: Server) -> None:
    readers = write_readers(ws, f'"{ENCODED}",alice@example.com,en,{BRIEF}')
    result = run(*ws.options(), "schedule", "--once", "--readers", str(readers),
                 "--config", str(ws.smtp_config(server)))
    assert_refused(result, f"error: {readers}:2: name: an RFC 2047 encoded word")
    assert server.handler.received == []


@pytest.mark.parametrize(("title", "reason"), [(ENCODED, HOSTILE[0][1]), ("週報\u202e", "bidi controls U+202E")])
def test_a_brief_title_a_subject_would_interpret_stops_build_and_send_at_its_line(
        ws: Workspace, server: Server, title: str, reason: str) -> None:
    spec = ws.brief_dir / "brief.yaml"
    lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, text in enumerate(lines) if text.startswith("  ja: "))
    lines[at] = f'  ja: "{title}"\n'
    spec.write_text("".join(lines), encoding="utf-8")
    refused_everywhere(ws, server, f"error: {spec}:{at + 1}: title.ja: {reason} in the title {EXPECTED}")


@pytest.mark.parametrize(("settings", "fragment"), [
    ({"sender": "=?utf-8?q?x?= <briefs@example.com>"}, "sender_name: an RFC 2047 encoded word '=?utf-8?q?x?='"),
    ({"list_unsubscribe": "https://lists.example.org/unsubscribe"},
     "list_unsubscribe: 'https://lists.example.org/unsubscribe': an https URI must hold {token}"),
    ({"list_unsubscribe": URL}, "BRIEFGEN_UNSUBSCRIBE_KEY: {token} is used but no key was given"),
])
def test_bad_sender_or_unsubscribe_settings_are_one_line_before_anything_is_built(
        ws: Workspace, server: Server, settings: dict[str, object], fragment: str) -> None:
    assert_refused(ws.send(server, **settings), f"error: {ws.root / 'smtp.toml'}: {fragment}")
    ws.assert_untouched()
    assert server.handler.received == []


# --- non-ASCII passwords -----------------------------------------------------------------------------


@pytest.fixture
def ca_file(ca: trustme.CA, ws: Workspace) -> Path:
    path = ws.root / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_non_ascii_password_logs_in_and_delivers(ws: Workspace, smtp_server: ServerFactory, ca_file: Path,
                                                   monkeypatch: pytest.MonkeyPatch, mechanism: str) -> None:
    server = smtp_server("starttls", auth_exclude=tuple({"PLAIN", "LOGIN"} - {mechanism}))
    server.handler.password = NON_ASCII
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", NON_ASCII)
    result = ws.send(server, user=USER, ca_file=str(ca_file))
    assert result.code == 0, result.err
    assert "4 sent" in result.out and len(server.handler.received) == 4
    assert server.handler.auth_commands == [mechanism] and server.handler.logins == [USER]


def test_a_non_ascii_password_the_server_cannot_take_is_one_line(ws: Workspace, smtp_server: ServerFactory,
                                                                  ca_file: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server("starttls", auth_exclude=("PLAIN", "LOGIN"))
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", NON_ASCII)
    result = ws.send(server, user=USER, ca_file=str(ca_file))
    assert_refused(result, f"error: 127.0.0.1:{server.port}: user: the server offers AUTH (none); a non-ASCII "
                           "user name or password can only be sent with AUTH PLAIN or LOGIN")
    assert NON_ASCII not in result.out + result.err and server.handler.received == []


def test_a_password_variable_that_is_not_utf8_is_one_line(ws: Workspace, smtp_server: ServerFactory,
                                                          ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server("starttls")
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", "pa\udcffss")  # the process got the bytes b"pa\xffss"
    assert_refused(ws.send(server, user=USER, ca_file=str(ca_file)),
                   "error: environment: BRIEFGEN_SMTP_PASSWORD: the value is not valid UTF-8 (its bytes are "
                   "not shown) (expected UTF-8 text)")
    ws.assert_untouched()
    assert server.handler.auth_commands == [] and server.handler.received == []
