"""An edition + a reader → one email message; messages → an SMTP server over verified TLS, with retries.

``Messages`` is pure (the time is an argument): one message per reader, only that reader in
``To``, ``From`` with the sender's display name, subject, text/plain + text/html bodies in the
reader's language, the PDF attached (encoded once per language, not once per reader). Names, titles,
the subject and the file name are refused (``DeliveryError``, before anything is sent) when they
hold control characters, bidi controls or RFC 2047 encoded words (``briefgen.headertext``; readers
and specs are checked at load time too); the ``email`` package then encodes legitimate non-ASCII.
With ``list_unsubscribe`` configured, each message carries that reader's ``List-Unsubscribe``
(RFC 2369), written as is, and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058)
when one URI is https. (The mail server must DKIM-sign both for providers to offer one-click.)
The Message-ID is derived from (brief, edition, reader), so a message repeated after a crash keeps
its Message-ID and mail clients that collapse duplicates show it once.

``SmtpTransport`` is the network edge. Connecting and every reply have ``settings.timeout``; the
final reply to a message (after its DATA) has ``settings.data_timeout`` (10 minutes by default, as
RFC 5321 suggests). ``starttls`` and ``ssl`` use the SSL context given (default
``tls_context(settings)``: ``ssl.create_default_context()`` with certificate and host-name
verification, plus the settings' ``ca_file`` if any). ``send`` delivers one message or raises what
the caller needs to decide what to do with this reader and with the rest of the list:

* ``TemporaryFailure`` — a 4xx for this recipient or message (greylisting, mailbox busy): not retried
  here, so one reader never holds up the list; the caller parks the reader and tries again later;
  ``uncertain=True`` when the message was transmitted but no final reply came (it may have been
  accepted: never retried within a run, and repeated later with the same Message-ID);
* ``ServerUnavailable`` (a ``TemporaryFailure``) — the server could not be used at all (connection
  refused or dropped, timeout, 421) after ``max_attempts`` connections with exponential backoff
  (``settings.backoff``);
* ``MessageRefused`` — permanent for this message: 5xx for the recipient or the content, or a message
  over the size cap or the server's SIZE;
* ``AuthenticationFailed`` — the login was refused (535; never retried);
* ``DeliveryError`` — nothing can be sent: TLS/certificate failure, no STARTTLS when it is configured
  (detected before any credential is sent), sender refused.

A user name or password that is not ASCII (which ``smtplib`` cannot send: it encodes AUTH data as
ASCII) logs in with AUTH PLAIN (RFC 4616: UTF-8) or else AUTH LOGIN, the UTF-8 bytes in base64; a
server offering neither is a ``DeliveryError`` saying so.

Error texts quote the server's reply and name the recipient; they never contain the password.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from types import TracebackType
from typing import TYPE_CHECKING, Callable, Literal, Mapping, Protocol

from briefgen import headertext, numfmt
from briefgen.editions import edition_date
from briefgen.errors import AuthenticationFailed, ConfigError, DeliveryError, Problem
from briefgen.model import Edition, Lang, Rendered
from briefgen.readers import Reader
from briefgen.settings import PASSWORD_FILE_VAR, PASSWORD_VAR, Sender, SmtpSettings

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger("briefgen")


class MessageRefused(DeliveryError):
    """This one message was not accepted (recipient refused, too large); other readers may continue."""


class Transport(Protocol):
    """Where messages go: ``send`` delivers encoded bytes to one recipient or raises ``DeliveryError``."""

    @property
    def sender(self) -> Sender: ...

    def send(self, recipient: str, data: bytes) -> None: ...

    def close(self) -> None: ...


# --- the message ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Words:
    subject: str
    greeting: str
    intro: str
    headlines: str
    closing: str


_WORDS: Mapping[Lang, _Words] = {
    "ja": _Words(subject="{title}（{date}号）", greeting="{name} 様",
                 intro="{title}（{date}号）をお届けします。全文は添付のPDFをご覧ください。",
                 headlines="今号の主な数字：", closing="briefgen"),
    "en": _Words(subject="{title} — {date}", greeting="Dear {name},",
                 intro="Here is {title} for {date}. The full brief is attached as a PDF.",
                 headlines="Headline numbers:", closing="briefgen"),
}


@dataclass(frozen=True)
class Headers:
    """The header values of one reader's message, checked for injection before anything is sent,
    and the edition date as the reader's language writes it (in the subject and the bodies)."""

    subject: str
    sender_name: str
    name: str
    filename: str
    date: str
    unsubscribe: tuple[str, ...]


_MAX_LINE = 998  # RFC 5322: a header line holds at most 998 characters


def headers(edition: Edition, reader: Reader, sender: Sender) -> Headers:
    """Check what goes into ``reader``'s headers; raise ``DeliveryError`` naming the reader and field."""
    rendered = _rendered_for(edition, reader)
    date = numfmt.date(edition_date(edition.edition), reader.lang)
    subject = _WORDS[reader.lang].subject.format(title=rendered.brief.title, date=date)
    return Headers(subject=_header(reader, "Subject", subject), sender_name=_header(reader, "From", sender.name),
                   name=_header(reader, "name", reader.name),
                   filename=_header(reader, "attachment filename",
                                    f"{edition.brief_id}-{edition.edition}-{reader.lang}.pdf"),
                   date=date, unsubscribe=_unsubscribe(reader, sender.unsubscribe(edition.brief_id, reader.email)))


class Messages:
    """One edition's messages from ``sender`` at ``now``: each language's PDF part encoded once.

    The PDF (base64: most of every message's bytes and of the time to build it) is the same for
    every reader of a language; only the headers and the bodies (the greeting) differ. ``encode``
    lets the ``email`` package write the reader's message without the PDF, then adds the PDF part
    encoded once per language: the bytes are what the package writes for the whole message.
    """

    def __init__(self, edition: Edition, sender: Sender, now: dt.datetime) -> None:
        self.edition = edition
        self.sender = sender
        self._date = format_datetime(now)
        self._pdf_parts: dict[Lang, bytes] = {}

    def message_id(self, reader: Reader) -> str:
        """A stable Message-ID for this edition to ``reader`` (the same when the message is repeated)."""
        digest = hashlib.sha256(reader.email.lower().encode()).hexdigest()[:16]
        return f"<{self.edition.brief_id}.{self.edition.edition}.{digest}@{self.sender.address.rpartition('@')[2]}>"

    def encode(self, reader: Reader) -> bytes:
        """The exact bytes sent to ``reader`` (and written by ``--dry-run``): CRLF line ends."""
        checked = headers(self.edition, reader, self.sender)
        message = self._message(reader, checked)
        data = message.as_bytes(policy=policy.SMTP)
        # The generator ends a multipart with its close delimiter, on a boundary it chose so that no
        # part holds it; the PDF part is base64 (no "-"), so it cannot hold it either.
        delimiter = f"\r\n--{message.get_boundary()}".encode("ascii")
        close = delimiter + b"--\r\n"
        pdf = self._pdf_part(reader.lang, checked.filename)
        return data[:-len(close)] + delimiter + b"\r\n" + pdf + close

    def _message(self, reader: Reader, checked: Headers) -> EmailMessage:
        """``reader``'s message without the PDF: headers, text/plain + text/html, as multipart/mixed."""
        rendered = _rendered_for(self.edition, reader)
        words = _WORDS[reader.lang]
        title, lines = rendered.brief.title, rendered.brief.summary
        message = EmailMessage()
        message["Subject"] = checked.subject
        message["From"] = Address(display_name=checked.sender_name, addr_spec=self.sender.address)
        message["To"] = Address(display_name=checked.name, addr_spec=reader.email)
        message["Date"] = self._date
        message["Message-ID"] = self.message_id(reader)
        if checked.unsubscribe:
            message["List-Unsubscribe"] = _UriList("List-Unsubscribe", checked.unsubscribe)
            if self.sender.one_click:
                message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(_plain(words, reader.name, title, checked.date, lines))
        message.add_alternative(_html(words, reader.name, title, checked.date, lines), subtype="html")
        message.make_mixed()
        return message

    def _pdf_part(self, lang: Lang, filename: str) -> bytes:
        """The ``lang`` PDF as an encoded attachment part (headers + base64), built on first need."""
        if lang not in self._pdf_parts:
            part = EmailMessage()
            part.set_content(self.edition.languages[lang].pdf, maintype="application", subtype="pdf",
                             disposition="attachment", filename=filename)
            self._pdf_parts[lang] = part.as_bytes(policy=policy.SMTP)
        return self._pdf_parts[lang]


def _rendered_for(edition: Edition, reader: Reader) -> Rendered:
    rendered = edition.languages.get(reader.lang)
    if rendered is None:
        raise DeliveryError(Problem(reader.origin or reader.email,
                                    f"edition {edition.edition} of {edition.brief_id} has no "
                                    f"{reader.lang!r} version", field="lang",
                                    expected=f"one of {', '.join(edition.languages)}"))
    return rendered


def _header(reader: Reader, field: str, value: str) -> str:
    """``value`` if a header can carry it as plain text; otherwise refuse (header injection)."""
    refused = headertext.refusal(value)
    if refused:
        raise DeliveryError(Problem(reader.origin or reader.email,
                                    f"{refused} in a header value for {reader.email}", field=field,
                                    expected=headertext.EXPECTED))
    return value


def _unsubscribe(reader: Reader, uris: tuple[str, ...]) -> tuple[str, ...]:
    """``reader``'s List-Unsubscribe URIs, each short enough for a header line of its own."""
    for uri in uris:
        if len(uri) + len("List-Unsubscribe: <>,") > _MAX_LINE:
            raise DeliveryError(Problem(reader.origin or reader.email,
                                        f"the unsubscribe URI for {reader.email} is {len(uri)} characters",
                                        field="list_unsubscribe",
                                        expected=f"a URI that fits a header line ({_MAX_LINE} characters)"))
    return uris


class _UriList(str):
    """A header of angle-bracketed URIs (RFC 2369) written as given, folded between URIs.

    Left to the ``email`` package, a URI longer than a line would be rewritten as RFC 2047 encoded
    words, which List-Unsubscribe must not hold. A value with a ``name`` is a header object to the
    package's ``EmailPolicy``: stored as is, and folded by its own ``fold``.
    """

    name: str
    uris: tuple[str, ...]

    def __new__(cls, name: str, uris: tuple[str, ...]) -> _UriList:
        header = super().__new__(cls, ", ".join(f"<{uri}>" for uri in uris))
        header.name, header.uris = name, uris
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: " + f",{policy.linesep} ".join(f"<{uri}>" for uri in self.uris) + policy.linesep


def _plain(words: _Words, name: str, title: str, date: str, lines: tuple[str, ...]) -> str:
    parts = [words.greeting.format(name=name), ""] if name else []
    parts += [words.intro.format(title=title, date=date), ""]
    if lines:
        parts += [words.headlines, *(f"- {line}" for line in lines), ""]
    return "\n".join([*parts, words.closing, ""])


def _html(words: _Words, name: str, title: str, date: str, lines: tuple[str, ...]) -> str:
    e = html.escape
    parts = [f"<p>{e(words.greeting.format(name=name))}</p>"] if name else []
    parts.append(f"<p>{e(words.intro.format(title=title, date=date))}</p>")
    if lines:
        items = "".join(f"<li>{e(line)}</li>" for line in lines)
        parts.append(f"<p>{e(words.headlines)}</p><ul>{items}</ul>")
    parts.append(f"<p>{e(words.closing)}</p>")
    return f'<!DOCTYPE html><html><body>{"".join(parts)}</body></html>\n'


# --- SMTP -----------------------------------------------------------------------------------------

Kind = Literal["server", "recipient", "refused", "auth", "fatal"]


class TemporaryFailure(DeliveryError):
    """Not delivered this time, for a reason that may pass (4xx, no connection): try this reader later.
    ``uncertain``: the message went out but no final reply came, so it may have been accepted."""

    def __init__(self, *problems: Problem | str, uncertain: bool = False) -> None:
        super().__init__(*problems)
        self.uncertain = uncertain


class ServerUnavailable(TemporaryFailure):
    """The server could not be reached or used at all (refused, dropped, timed out, 421), after retries."""


class _NoFinalReply(Exception):
    """The message was transmitted but the server's final reply did not come (timeout or disconnect)."""


class _Client(smtplib.SMTP):
    """``smtplib.SMTP`` whose wait for the final reply to DATA has its own timeout (``data_timeout``),
    and which reports a missing final reply as ``_NoFinalReply`` (the message's fate is unknown)."""

    data_timeout: float = 600.0

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
        quoted = smtplib._quote_periods(body)  # type: ignore[attr-defined]  # as SMTP.data does
        self.send(quoted + (b"" if quoted.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        assert self.sock is not None
        self.sock.settimeout(self.data_timeout)
        try:
            code, reply = self.getreply()
        except smtplib.SMTPServerDisconnected as exc:
            raise _NoFinalReply(str(exc)) from exc
        if self.sock is not None:
            self.sock.settimeout(self.timeout)
        return code, reply  # sendmail turns anything but 250 into SMTPDataError, as before


class _ClientSSL(_Client, smtplib.SMTP_SSL):
    """``_Client`` over implicit TLS."""


class SmtpTransport:
    """Sends over SMTP with the given settings; one connection reused until ``close``."""

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._context = ssl_context or tls_context(settings)
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None

    @property
    def sender(self) -> Sender:
        return self.settings.identity

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def send(self, recipient: str, data: bytes) -> None:
        """Deliver ``data`` to ``recipient``; see the module docstring for what it raises."""
        _check_size(recipient, len(data), self.settings.max_message_bytes, "the configured cap",
                    "lower the PDF/image size or raise max_message_bytes in the SMTP settings")
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                self._send_once(recipient, data)
                return
            except _NoFinalReply as exc:
                self.close()
                raise TemporaryFailure(Problem(recipient, f"no reply from {self._where} within "
                                                          f"{self.settings.data_timeout:g} s after the "
                                                          f"message was sent ({exc}); it may have been "
                                                          "accepted"), uncertain=True) from exc
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                kind, reason = _classify(exc)
                if kind != "server" or attempt == attempts:
                    raise self._failure(recipient, kind, reason, attempt) from exc
                delay = self.settings.backoff(attempt)
                log.warning("%s: %s unavailable (%s); try %d of %d failed, retrying in %g s",
                            recipient, self._where, reason, attempt, attempts, delay, extra={"reader": recipient})
                self._sleep(delay)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _send_once(self, recipient: str, data: bytes) -> None:
        smtp = self._smtp or self._connect()
        self._smtp = smtp
        _check_size(recipient, len(data), _server_size(smtp), "the server",
                    "lower the PDF/image size, or ask the mail server's administrator "
                    "to raise its SIZE limit")
        smtp.sendmail(self.settings.sender, [recipient], data)
        log.info("%s: accepted by %s", recipient, self._where, extra={"reader": recipient})

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = (_ClientSSL(s.host, s.port, timeout=s.timeout, context=self._context)
                if s.security == "ssl" else _Client(s.host, s.port, timeout=s.timeout))
        smtp.data_timeout = s.data_timeout
        try:
            smtp.ehlo()
            if s.security == "starttls":
                self._starttls(smtp)
            if s.user:
                self._login(smtp)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _starttls(self, smtp: smtplib.SMTP) -> None:
        if not smtp.has_extn("starttls"):
            raise DeliveryError(Problem(
                self._where, "the server does not offer STARTTLS; nothing was sent and no "
                             "credentials were given", field="security",
                expected="a server offering STARTTLS, or security = ssl for implicit TLS"))
        smtp.starttls(context=self._context)
        smtp.ehlo()

    def _login(self, smtp: smtplib.SMTP) -> None:
        password = self.settings.password
        if password is None:
            raise ConfigError(Problem(self.settings.origin, f"no password for user {self.settings.user!r}",
                                      field=PASSWORD_VAR,
                                      expected=f"{PASSWORD_VAR} or {PASSWORD_FILE_VAR} in the environment"))
        _authenticate(smtp, self.settings.user, password.reveal(), self._where)

    def _failure(self, recipient: str, kind: Kind, reason: str, attempt: int) -> DeliveryError:
        if kind == "auth":
            return AuthenticationFailed(Problem(self._where, reason, field="user",
                                                expected=f"the right user and password ({PASSWORD_VAR})"))
        tries = f" after {attempt} tries" if kind == "server" else ""
        problem = Problem(recipient, f"not delivered by {self._where}{tries}: {reason}")
        error: type[DeliveryError] = {"server": ServerUnavailable, "recipient": TemporaryFailure,
                                      "refused": MessageRefused}.get(kind, DeliveryError)
        return error(problem)

    @property
    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"


def _authenticate(smtp: smtplib.SMTP, user: str, password: str, where: str) -> None:
    """Log in; ``smtplib`` for ASCII credentials, else UTF-8 in AUTH PLAIN or LOGIN (see the module docstring).

    Raises ``smtplib.SMTPAuthenticationError`` when the server refuses the credentials, like ``smtplib``.
    """
    if (user + password).isascii():
        smtp.login(user, password)
        return
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" in offered:
        code, reply = smtp.docmd("AUTH", "PLAIN " + _b64(f"\0{user}\0{password}"))
    elif "LOGIN" in offered:
        code, reply = smtp.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, reply = smtp.docmd(_b64(password))
    else:
        raise DeliveryError(Problem(where, f"the server offers AUTH {' '.join(offered) or '(none)'}; a non-ASCII "
                                           "user name or password can only be sent with AUTH PLAIN or LOGIN",
                                    field="user", expected="a server offering AUTH PLAIN, or ASCII credentials"))
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, reply)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """``ssl.create_default_context()`` (certificate + host name checks), trusting ``ca_file`` too."""
    try:
        return ssl.create_default_context(cafile=settings.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(Problem(settings.origin, f"cannot load CA certificates from {settings.ca_file!r}"
                                                   f" ({exc})", field="ca_file",
                                  expected="a PEM file of CA certificates")) from exc


def _check_size(recipient: str, size: int, limit: int, whose: str, advice: str) -> None:
    if limit and size > limit:
        raise MessageRefused(Problem(recipient, f"message is {size} bytes, {whose} accepts {limit}: "
                                                f"{advice} (not sent)"))


def _server_size(smtp: smtplib.SMTP) -> int:
    text = smtp.esmtp_features.get("size", "")
    return int(text) if text.isdigit() else 0


def _classify(exc: smtplib.SMTPException | OSError) -> tuple[Kind, str]:
    """A failure → whose it is and the reason to record (the server's reply when there is one)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "auth", f"authentication failed: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return _by_code(code, "refused"), _reply(code, text)
    if isinstance(exc, smtplib.SMTPDataError):
        return _by_code(exc.smtp_code, "refused"), _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, "fatal"), _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, ssl.SSLError):
        return "fatal", f"TLS failed ({exc.reason or exc}); the server's certificate must be valid for the host"
    if isinstance(exc, smtplib.SMTPException) and not isinstance(exc, smtplib.SMTPServerDisconnected):
        return "fatal", f"{type(exc).__name__}: {exc}"
    return "server", f"{type(exc).__name__}: {exc}"


def _by_code(code: int, permanent: Kind) -> Kind:
    """421 closes the connection (the server is unavailable); another 4xx concerns this message."""
    if code == 421:
        return "server"
    return "recipient" if 400 <= code < 500 else permanent


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(message.split())}"
