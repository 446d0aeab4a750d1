"""Messages (built by hand, read back) and the SMTP transport against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from io import BytesIO
from pathlib import Path

import pytest
import trustme
from conftest import pdf_text
from PIL import Image
from smtpserver import PASSWORD, USER, ServerFactory, make_edition, reader

from briefgen.base.errors import ConfigError, DeliveryError
from briefgen.base.model import ClaimWarning, Digest, Edition, KeyFigure
from briefgen.deliver import mail
from briefgen.deliver.mail import MessageRefused, Messages, SmtpTransport, TemporaryFailure
from briefgen.load.readers import Reader
from briefgen.load.settings import Secret, Sender, unsubscribe_token
from briefgen.render import pages

NOW = dt.datetime(2024, 5, 27, 8, 0, tzinfo=dt.timezone.utc)
PARTS = ["multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png",
         "application/pdf"]


def _read(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def build_message(edition: Edition, who: Reader, sender: str | Sender, *, now: dt.datetime) -> EmailMessage:
    """The message as the server gets it: the encoded bytes, read back."""
    return _read(Messages(edition, sender if isinstance(sender, Sender) else Sender(sender), now).encode(who))


def _parts(message: EmailMessage) -> tuple[str, str, bytes]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    pdf = next(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    lines = str.maketrans({"\r": None})  # quoted-printable parts decode with the wire's CRLF
    return plain.get_content().translate(lines), rich.get_content().translate(lines), pdf.get_content()


# --- building messages ----------------------------------------------------------------------------


def test_message_in_japanese_for_a_japanese_reader() -> None:
    message = build_message(make_edition(), reader("hanako@example.jp", "ja", "山田 花子"), USER, now=NOW)
    plain, rich, pdf = _parts(message)
    assert message["Subject"] == "xAIコロッサス週報（2024年5月27日号）"
    assert message["To"].addresses[0].addr_spec == "hanako@example.jp"
    assert message["To"].addresses[0].display_name == "山田 花子"
    assert len(message["To"].addresses) == 1 and message["Cc"] is None and message["Bcc"] is None
    assert plain.startswith("山田 花子 様\n") and "\n10万台のGPUは、GPT-4の4倍。\n" in plain
    assert "- 10万台：xAIが確保したGPU\n- 4倍：GPT-4との比\n" in plain
    assert "- 「評価額1300億ドル」\n  「1300億ドル以上」→ 240億ドル（矛盾）\n  計算値240億ドル、記事1300億ドル\n" in plain
    assert '<html lang="ja">' in rich and ">10万台のGPUは、GPT-4の4倍。</p>" in rich
    assert "Colossus brief in JA" in pdf_text(pdf)
    assert message["Date"] == "Mon, 27 May 2024 08:00:00 +0000"


def test_message_in_english_escapes_html_once_and_has_a_stable_message_id() -> None:
    hostile = Digest("<b>100,000</b> GPUs & more", (KeyFigure("&amp; 4×", 'Versus "GPT-4" <i>run</i>'),),
                     (ClaimWarning("contradicted", "“<script>x</script>”", "“5×” → 4×: contradicted", "a & b"),))
    edition = make_edition(hostile)
    first = build_message(edition, reader("alice@example.com"), USER, now=NOW)
    again = build_message(edition, reader("ALICE@example.com"), USER, now=NOW + dt.timedelta(hours=1))
    other = build_message(edition, reader("bob@example.com"), USER, now=NOW)
    plain, rich, pdf = _parts(first)
    assert first["Subject"] == "xAI Colossus Weekly — May 27, 2024"
    assert "\n<b>100,000</b> GPUs & more\n" in plain and "- &amp; 4×: Versus \"GPT-4\" <i>run</i>\n" in plain
    assert ">&lt;b&gt;100,000&lt;/b&gt; GPUs &amp; more</p>" in rich
    assert ">&amp;amp; 4×</div>" in rich and ">Versus &quot;GPT-4&quot; &lt;i&gt;run&lt;/i&gt;</div>" in rich
    assert "“&lt;script&gt;x&lt;/script&gt;”" in rich and ">a &amp; b</span>" in rich
    assert "<b>" not in rich and "<script>" not in rich and "&amp;lt;" not in rich  # escaped exactly once
    assert next(first.iter_attachments()).get_filename() == "xai-colossus-2024-05-27-en.pdf"
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@example.com>")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_html_shows_page_one_inline_by_its_content_id_and_the_text_part_says_the_same(lang: str) -> None:
    edition = make_edition()
    message = build_message(edition, reader("x@example.com", lang), USER, now=NOW)  # type: ignore[arg-type]
    plain, rich, _ = _parts(message)
    related = next(part for part in message.walk() if part.get_content_type() == "multipart/related")
    picture = next(part for part in message.walk() if part.get_content_type() == "image/png")
    cid = picture["Content-ID"]
    assert cid == f"<page1.{lang}.xai-colossus.2024-05-27@example.com>"
    assert f'<img src="cid:{cid[1:-1]}"' in rich and picture.get_content_disposition() == "inline"
    assert picture in related.iter_parts()  # beside the HTML that shows it, not an attachment
    with Image.open(BytesIO(picture.get_content())) as image:
        assert image.format == "PNG" and image.size[0] == 800 and image.size[1] > 1000
        assert image.convert("L").getextrema()[0] < 128  # the page's text is on it
    digest = edition.languages[lang].brief.digest
    for text in (digest.headline, *(t for k in digest.key_numbers for t in (k.figure, k.caption)),
                 *(t for w in digest.warnings for t in (w.quote, w.finding, w.note))):
        assert text in plain and html.escape(text) in rich, text


def test_page_one_is_drawn_once_per_pdf_however_many_readers_and_senders(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[bytes] = []
    real = pages.first_page_png

    def counting(pdf: bytes, *args: object, **kwargs: object) -> bytes:
        drawn.append(pdf)
        return real(pdf)

    monkeypatch.setattr(pages, "first_page_png", counting)
    mail._page_one.cache_clear()
    edition = make_edition()
    for _ in range(2):  # two senders (a rerun, a worker) of the same edition
        messages = Messages(edition, Sender(USER), NOW)
        for i in range(5):
            messages.encode(reader(f"r{i}@example.com", "ja" if i % 2 else "en"))
    assert sorted(drawn) == sorted(r.pdf for r in edition.languages.values())


def test_encoded_bytes_are_what_the_email_package_writes_for_the_whole_message() -> None:
    edition = make_edition()
    messages = Messages(edition, Sender(USER), NOW)
    for who in (reader("hanako@example.jp", "ja", "山田 花子"), reader("bob@example.jp", "ja", "Bob"),
                reader("alice@example.com")):
        data = messages.encode(who)
        message = _read(data)
        assert [part.get_content_type() for part in message.walk()] == PARTS
        assert message.as_bytes(policy=policy.SMTP) == data and b"\r\n" in data and b"\n\n" not in data
        assert _parts(message)[2] == edition.languages[who.lang].pdf


ENCODED = "=?utf-8?b?" + base64.b64encode(b"Eve\r\nBcc: victim@example.net\r\nSubject: pwned").decode() + "?="
HOSTILE = [("Eve\r\nBcc: victim@example.net", "control characters U+000A, U+000D"),
           ("Eve\x00", "control characters U+0000"),
           ("Eve\u2028Bcc: victim@example.net", "control characters U+2028"),
           ("Eve\u202egpj.exe", "bidi controls U+202E"),
           (ENCODED, "an RFC 2047 encoded word '=?utf-8?b?RXZlDQpCY2M6IHZpY3RpbUBleGFtc…'")]


@pytest.mark.parametrize(("name", "reason"), HOSTILE)
def test_a_name_a_header_would_interpret_is_refused(name: str, reason: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        build_message(make_edition(), reader("eve@example.com", name=name), USER, now=NOW)
    assert str(caught.value).startswith(f"readers.csv (eve@example.com): name: {reason} in a header value")


@pytest.mark.parametrize(("title", "reason"), HOSTILE)
def test_a_title_a_subject_would_interpret_is_refused(title: str, reason: str) -> None:
    edition = make_edition(title_ja=title)
    with pytest.raises(DeliveryError, match=re.escape(f"Subject: {reason} in a header value")):
        build_message(edition, reader("hanako@example.jp", "ja"), USER, now=NOW)


def test_a_name_with_quotes_commas_and_brackets_stays_one_display_name() -> None:
    name = 'Eve, "Admin" <admin@example.net>; Bob'
    message = build_message(make_edition(), reader("eve@example.com", name=name), USER, now=NOW)
    (address,) = message["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "eve@example.com")
    assert message["Cc"] is None and message["Bcc"] is None


LONG_URL = "https://lists.example.org/unsubscribe?list={brief}&email={email}&token={token}"
LIST = Sender(USER, "週報チーム「xAI」", (LONG_URL, "mailto:leave@example.org?subject=leave%20{brief}"),
              Secret("unsubscribe-key"))


def test_from_has_the_display_name_and_each_reader_their_own_unsubscribe_links() -> None:
    messages = Messages(make_edition(), LIST, NOW)
    for who in (reader("hanako@example.jp", "ja", "山田 花子"), reader("alice+briefs@example.com")):
        data = messages.encode(who)
        message = _read(data)
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("週報チーム「xAI」", USER)
        assert b"From: =?utf-8?" in data  # the display name encoded by the email package
        https, mailto = LIST.unsubscribe("xai-colossus", who.email)
        assert https.endswith(unsubscribe_token("unsubscribe-key", "xai-colossus", who.email))
        assert message["List-Unsubscribe"] == f"<{https}>, <{mailto}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # written as is (a URI longer than a line, never RFC 2047 words), folded between the URIs
        assert len(https) > 78 and f"List-Unsubscribe: <{https}>,\r\n <{mailto}>\r\n".encode() in data
        assert [part.get_content_type() for part in message.walk()] == PARTS
    assert "email=alice%2Bbriefs%40example.com" in LIST.unsubscribe("xai-colossus", "alice+briefs@example.com")[0]


def test_a_mailto_alone_is_not_one_click_and_no_setting_means_no_list_headers() -> None:
    alone = build_message(make_edition(), reader("alice@example.com"),
                          Sender(USER, list_unsubscribe=("mailto:leave@example.org",)), now=NOW)
    assert alone["List-Unsubscribe"] == "<mailto:leave@example.org>" and alone["List-Unsubscribe-Post"] is None
    plain = build_message(make_edition(), reader("alice@example.com"), Sender(USER), now=NOW)
    assert plain["List-Unsubscribe"] is None and plain["From"] == USER


def test_an_unsubscribe_uri_too_long_for_a_header_line_is_refused_for_that_reader() -> None:
    sender = Sender(USER, list_unsubscribe=("https://example.org/" + "u" * 960 + "?e={email}&t={token}",),
                    unsubscribe_key=Secret("k"))
    with pytest.raises(DeliveryError, match=r"readers.csv \(alice@example.com\): list_unsubscribe: the unsubscribe "
                                            r"URI for alice@example.com is 1037 characters"):
        build_message(make_edition(), reader("alice@example.com"), sender, now=NOW)


def test_reader_language_missing_from_the_edition_is_refused() -> None:
    full = make_edition()
    edition = Edition(full.brief_id, full.edition, full.title, {"en": full.languages["en"]})
    with pytest.raises(DeliveryError, match="has no 'ja' version"):
        build_message(edition, reader("hanako@example.jp", "ja"), USER, now=NOW)


# --- the transport against a real server ----------------------------------------------------------


class Sleeps(list[float]):
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _data(email: str = "alice@example.com", lang: str = "en") -> bytes:
    return Messages(make_edition(), Sender(USER), NOW).encode(reader(email, "ja" if lang == "ja" else "en"))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_delivers_over_verified_tls_with_login(smtp_server: ServerFactory, sleeps: Sleeps,
                                               security: str) -> None:
    server = smtp_server(security)
    with SmtpTransport(server.settings(), ssl_context=server.client_context, sleep=sleeps) as transport:
        transport.send("hanako@example.jp", _data("hanako@example.jp", "ja"))
        transport.send("alice@example.com", _data())
    got = server.handler.received
    assert [r.rcpt_tos for r in got] == [["hanako@example.jp"], ["alice@example.com"]]
    assert server.handler.logins == [USER]
    first = got[0].message
    assert first["Subject"] == "xAIコロッサス週報（2024年5月27日号）"
    assert "今号の主な数字" in _parts(first)[0]
    assert "Colossus brief in JA" in pdf_text(_parts(first)[2])
    assert "Colossus brief in EN" in pdf_text(_parts(got[1].message)[2])
    assert sleeps == []


def test_ca_file_setting_trusts_a_private_ca(smtp_server: ServerFactory, ca: trustme.CA,
                                            tmp_path: Path, sleeps: Sleeps) -> None:
    server = smtp_server("starttls")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with SmtpTransport(server.settings(ca_file=str(tmp_path / "ca.pem")), sleep=sleeps) as transport:
        transport.send("alice@example.com", _data())
    assert [r.rcpt_tos for r in server.handler.received] == [["alice@example.com"]]
    with pytest.raises(ConfigError, match="ca_file: cannot load CA certificates from"):
        SmtpTransport(server.settings(ca_file=str(tmp_path / "missing.pem")))


def test_plain_server_without_login(smtp_server: ServerFactory, sleeps: Sleeps) -> None:
    server = smtp_server("none")
    with SmtpTransport(server.settings(), sleep=sleeps) as transport:
        transport.send("alice@example.com", _data())
    assert [r.rcpt_tos for r in server.handler.received] == [["alice@example.com"]]
    assert server.handler.auth_commands == []


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_untrusted_certificate_is_refused_and_no_password_sent(smtp_server: ServerFactory,
                                                                sleeps: Sleeps, security: str) -> None:
    server = smtp_server(security)
    with SmtpTransport(server.settings(), sleep=sleeps) as transport:  # default context: system CAs
        with pytest.raises(DeliveryError, match="TLS failed.*CERTIFICATE_VERIFY_FAILED") as caught:
            transport.send("alice@example.com", _data())
    assert not isinstance(caught.value, MessageRefused)
    assert server.handler.auth_commands == [] and server.handler.logins == []
    assert server.handler.received == [] and sleeps == []


def test_starttls_configured_but_not_offered_is_refused_before_credentials(
        smtp_server: ServerFactory, sleeps: Sleeps) -> None:
    server = smtp_server("none")  # offers AUTH in clear, no STARTTLS
    settings = server.settings(security="starttls", user=USER, password=Secret(PASSWORD))
    with SmtpTransport(settings, ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
            transport.send("alice@example.com", _data())
    assert server.handler.auth_commands == [] and server.handler.logins == []
    assert server.handler.received == [] and sleeps == []


def test_authentication_failure_is_not_retried_and_never_shows_the_password(
        smtp_server: ServerFactory, sleeps: Sleeps, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = smtp_server("starttls")
    wrong = "Wr0ng-" + PASSWORD
    settings = server.settings(password=Secret(wrong))
    with SmtpTransport(settings, ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(DeliveryError) as caught:
            transport.send("alice@example.com", _data())
    text = str(caught.value)
    assert "authentication failed: 535 5.7.8 Authentication credentials invalid" in text
    assert sleeps == [] and server.handler.received == []
    for shown in (text, caplog.text, repr(settings), str(settings), repr(caught.value.__cause__)):
        assert wrong not in shown and PASSWORD not in shown


NON_ASCII = "pässwörd-パスワード"


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize(("user", "password"), [(USER, NON_ASCII), ("配信担当", PASSWORD)])
def test_a_non_ascii_user_or_password_logs_in_as_utf8(smtp_server: ServerFactory, sleeps: Sleeps, mechanism: str,
                                                      user: str, password: str) -> None:
    server = smtp_server("starttls", auth_exclude=tuple({"PLAIN", "LOGIN"} - {mechanism}))
    server.handler.user, server.handler.password = user, password
    with SmtpTransport(server.settings(user=user, password=Secret(password)), ssl_context=server.client_context,
                       sleep=sleeps) as transport:
        transport.send("alice@example.com", _data())
    assert server.handler.auth_commands == [mechanism] and server.handler.logins == [user]
    assert [r.rcpt_tos for r in server.handler.received] == [["alice@example.com"]]


def test_a_wrong_non_ascii_password_is_an_authentication_failure(smtp_server: ServerFactory,
                                                                 sleeps: Sleeps) -> None:
    server = smtp_server("starttls")
    with SmtpTransport(server.settings(password=Secret(NON_ASCII)), ssl_context=server.client_context,
                       sleep=sleeps) as transport:
        with pytest.raises(DeliveryError, match="authentication failed: 535 5.7.8") as caught:
            transport.send("alice@example.com", _data())
    assert NON_ASCII not in str(caught.value) and sleeps == [] and server.handler.received == []


def test_a_non_ascii_password_and_neither_plain_nor_login_on_offer(smtp_server: ServerFactory,
                                                                   sleeps: Sleeps) -> None:
    server = smtp_server("starttls", auth_exclude=("PLAIN", "LOGIN"))
    with SmtpTransport(server.settings(password=Secret(NON_ASCII)), ssl_context=server.client_context,
                       sleep=sleeps) as transport:
        with pytest.raises(DeliveryError) as caught:
            transport.send("alice@example.com", _data())
    assert str(caught.value) == (
        f"127.0.0.1:{server.port}: user: the server offers AUTH (none); a non-ASCII user name or password can "
        "only be sent with AUTH PLAIN or LOGIN (expected a server offering AUTH PLAIN, or ASCII credentials)")
    assert server.handler.auth_commands == [] and server.handler.received == []


def test_server_down_then_up_is_retried_and_delivered_once(smtp_server: ServerFactory) -> None:
    server = smtp_server("starttls", start=False)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        server.start()  # the server comes back while we wait

    with SmtpTransport(server.settings(), ssl_context=server.client_context, sleep=sleep) as transport:
        transport.send("alice@example.com", _data())
    assert waits == [1.0]
    assert [r.rcpt_tos for r in server.handler.received] == [["alice@example.com"]]


def test_connection_refused_gives_up_after_bounded_backoff(smtp_server: ServerFactory,
                                                          sleeps: Sleeps) -> None:
    server = smtp_server("starttls", start=False)
    settings = server.settings(max_attempts=5, backoff_seconds=1.0, backoff_max_seconds=3.0)
    with SmtpTransport(settings, ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(DeliveryError, match=r"after 5 tries: ConnectionRefusedError") as caught:
            transport.send("alice@example.com", _data())
    assert not isinstance(caught.value, MessageRefused)
    assert sleeps == [1.0, 2.0, 3.0, 3.0]



def test_a_silent_server_times_out_and_is_retried(smtp_server: ServerFactory, sleeps: Sleeps,
                                                  silent_port: int) -> None:
    server = smtp_server("none", start=False)
    settings = server.settings(port=silent_port, timeout=0.05, max_attempts=2)
    with SmtpTransport(settings, sleep=sleeps) as transport:
        with pytest.raises(DeliveryError, match=r"after 2 tries: (TimeoutError|SMTPServerDisconnected)"):
            transport.send("alice@example.com", _data())
    assert sleeps == [1.0]


def test_421_is_retried_with_backoff_then_fails_quoting_the_server(smtp_server: ServerFactory,
                                                                   sleeps: Sleeps) -> None:
    server = smtp_server("starttls")
    server.handler.rcpt_replies["alice@example.com"] = "421 4.3.2 Service shutting down"
    with SmtpTransport(server.settings(), ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(DeliveryError) as caught:
            transport.send("alice@example.com", _data())
    assert not isinstance(caught.value, MessageRefused)
    assert str(caught.value) == ("alice@example.com: not delivered by 127.0.0.1:%d after 3 tries: "
                                 "421 4.3.2 Service shutting down" % server.port)
    assert sleeps == [1.0, 2.0]


def test_a_recipient_4xx_is_a_temporary_failure_at_once_not_a_wait(smtp_server: ServerFactory,
                                                                    sleeps: Sleeps) -> None:
    server = smtp_server("starttls")
    server.handler.rcpt_replies["alice@example.com"] = "450 4.2.1 Mailbox busy"
    with SmtpTransport(server.settings(), ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(TemporaryFailure, match="alice@example.com: .*: 450 4.2.1 Mailbox busy") as caught:
            transport.send("alice@example.com", _data())
        transport.send("bob@example.com", _data("bob@example.com"))  # the next reader goes through
    assert sleeps == [] and not caught.value.uncertain  # the caller parks alice and moves on


def test_recipient_refused_with_5xx_is_permanent(smtp_server: ServerFactory, sleeps: Sleeps) -> None:
    server = smtp_server("starttls")
    server.handler.rcpt_replies["ghost@example.com"] = "550 5.1.1 No such user"
    with SmtpTransport(server.settings(), ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(MessageRefused, match="ghost@example.com: .*: 550 5.1.1 No such user"):
            transport.send("ghost@example.com", _data("ghost@example.com"))
        transport.send("alice@example.com", _data())
    assert [r.rcpt_tos for r in server.handler.received] == [["alice@example.com"]]
    assert sleeps == []


def test_message_over_the_cap_is_not_sent(smtp_server: ServerFactory, sleeps: Sleeps) -> None:
    server = smtp_server("starttls")
    data = _data()
    settings = server.settings(max_message_bytes=1000)
    with SmtpTransport(settings, ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(MessageRefused) as caught:
            transport.send("alice@example.com", data)
    assert str(caught.value) == (
        f"alice@example.com: message is {len(data)} bytes, the configured cap accepts 1000: lower the "
        "PDF/image size or raise max_message_bytes in the SMTP settings (not sent)")
    assert server.handler.received == [] and server.handler.logins == []


def test_message_over_the_servers_size_is_not_sent(smtp_server: ServerFactory, sleeps: Sleeps) -> None:
    server = smtp_server("starttls", data_size_limit=1500)
    data = _data()
    with SmtpTransport(server.settings(), ssl_context=server.client_context, sleep=sleeps) as transport:
        with pytest.raises(MessageRefused, match=rf"message is {len(data)} bytes, the server accepts 1500: lower the PDF/image size, "
                                           "or ask the mail server's administrator to raise its SIZE"):
            transport.send("alice@example.com", data)
    assert server.handler.received == [] and sleeps == []
