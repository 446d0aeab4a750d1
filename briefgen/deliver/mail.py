"""An edition + a reader → one email message; messages → an SMTP server over verified TLS, with retries.

``Messages`` is pure (the time is an argument): one message per reader, only that reader in
``To``, ``From`` with the sender's display name, subject, text/plain + text/html bodies in the
reader's language (the brief's headline, key numbers, claim warnings; page 1 of the PDF inline), the
PDF attached (picture and PDF encoded once per language, not once per reader). Names, titles,
the subject and the file name are refused (``DeliveryError``, before anything is sent) when they
hold control characters, bidi controls or RFC 2047 encoded words (``briefgen.base.headertext``; readers
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
import functools
import hashlib
import html
import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from email import base64mime, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from types import TracebackType
from typing import TYPE_CHECKING, Callable, Literal, Protocol

from briefgen.base import headertext, numfmt, words
from briefgen.base.errors import AuthenticationFailed, ConfigError, DeliveryError, Problem
from briefgen.base.model import ClaimWarning, Digest, Edition, KeyFigure, Lang, Rendered
from briefgen.deliver.editions import edition_date
from briefgen.load.readers import Reader
from briefgen.load.settings import PASSWORD_FILE_VAR, PASSWORD_VAR, Sender, SmtpSettings

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
class Marking:
    """A message that is not an ordinary send: a test (``send --test``) and/or a preview of an edition
    that is blocked (``send --dry-run`` when a claim stops sending), with the reasons. The subject is
    tagged ``[TEST]`` / ``[BLOCKED]`` and the body opens with a note saying so."""

    test: bool = False
    blocked: tuple[words.Phrase, ...] = ()

    def tags(self, lang: Lang) -> str:
        """The subject's tags (the same in both languages, for mail filters)."""
        return "".join(words.text(tag, lang) for tag, on in (("mail.tag_test", self.test),
                                                             ("mail.tag_blocked", self.blocked)) if on)

    def reasons(self, lang: Lang) -> tuple[str, ...]:
        """Why the edition is blocked, in ``lang`` (the terminal's report: English)."""
        return tuple(p.text(lang) for p in self.blocked)

    def notes(self, lang: Lang) -> tuple[str, ...]:
        """The notes opening the body, in the reader's language."""
        reasons = "".join(words.text("mail.blocked_reason", lang, reason=r) for r in self.reasons(lang))
        blocked = (words.text("mail.blocked", lang) + reasons,) if self.blocked else ()
        return ((words.text("mail.test", lang),) if self.test else ()) + blocked


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


def headers(edition: Edition, reader: Reader, sender: Sender, marking: Marking = Marking()) -> Headers:
    """Check what goes into ``reader``'s headers; raise ``DeliveryError`` naming the reader and field."""
    rendered = _rendered_for(edition, reader)
    date = numfmt.date(edition_date(edition.edition), reader.lang)
    subject = marking.tags(reader.lang) + words.text("mail.subject", reader.lang, title=rendered.brief.title, date=date)
    return Headers(subject=_header(reader, "Subject", subject), sender_name=_header(reader, "From", sender.name),
                   name=_header(reader, "name", reader.name),
                   filename=_header(reader, "attachment filename",
                                    f"{edition.brief_id}-{edition.edition}-{reader.lang}.pdf"),
                   date=date, unsubscribe=_unsubscribe(reader, sender.unsubscribe(edition.brief_id, reader.email)))


class Messages:
    """One edition's messages from ``sender`` at ``now``: each language's PDF and page-1 parts encoded once.

    A message is multipart/mixed: multipart/related (multipart/alternative of text/plain and
    text/html, then page 1 of the PDF as an inline PNG the HTML shows by its Content-ID), then the
    PDF attached. The PDF and the picture (base64: most of every message's bytes and of the time to
    build it) are the same for every reader of a language; only the headers and the bodies (the
    greeting) differ. ``encode`` lets the ``email`` package write the reader's headers (it encodes
    names and subjects), and joins the parts below them itself: the texts in base64, the picture and
    the PDF as encoded once per language, in the form the package writes (it reads them back to the
    same bytes). Page 1 is drawn once per PDF in a process (``_page_one``), however many ``Messages``
    a process makes for it.
    """

    def __init__(self, edition: Edition, sender: Sender, now: dt.datetime, marking: Marking = Marking()) -> None:
        self.edition = edition
        self.sender = sender
        self.marking = marking
        self._now = now
        self._date = format_datetime(now)
        self._parts: dict[Lang, tuple[bytes, bytes]] = {}

    def message_id(self, reader: Reader) -> str:
        """A stable Message-ID for this edition to ``reader`` (the same when the message is repeated);
        a test message's is its own, and differs from one test to the next."""
        digest = hashlib.sha256(reader.email.lower().encode()).hexdigest()[:16]
        test = f"test{self._now.timestamp():.0f}.{reader.lang}." if self.marking.test else ""
        return f"<{test}{self.edition.brief_id}.{self.edition.edition}.{digest}@{self._domain}>"

    def encode(self, reader: Reader) -> bytes:
        """The exact bytes sent to ``reader`` (and written by ``--dry-run``): CRLF line ends."""
        checked = headers(self.edition, reader, self.sender, self.marking)
        rendered = _rendered_for(self.edition, reader)
        body = _Body(reader.lang, reader.name, rendered.brief.title, checked.date,
                     rendered.brief.digest, self.marking.notes(reader.lang))
        seed = hashlib.sha256(self.message_id(reader).encode()).hexdigest()[:24]
        mixed, related, alternative = (f"=_{kind}{seed}" for kind in ("m", "r", "a"))
        picture, pdf = self._encoded(reader.lang, checked.filename)
        return b"".join((
            self._head(reader, checked, mixed),
            _open(mixed), _multipart_head("related", related),
            _open(related), _multipart_head("alternative", alternative),
            _open(alternative), _text_part(body.plain(), "plain"),
            _next(alternative), _text_part(body.html(self._cid(reader.lang)), "html"), _close(alternative),
            _next(related), picture, _close(related),
            _next(mixed), pdf, _close(mixed)))

    def _head(self, reader: Reader, checked: Headers, boundary: str) -> bytes:
        """``reader``'s message headers, as the ``email`` package writes them (it encodes names and the
        subject), ending with the blank line."""
        message = EmailMessage()
        message["Subject"] = checked.subject
        message["From"] = Address(display_name=checked.sender_name, addr_spec=self.sender.address)
        message["To"] = Address(display_name=checked.name, addr_spec=reader.email)
        message["Date"] = self._date
        message["Message-ID"] = self.message_id(reader)
        message["MIME-Version"] = "1.0"
        if checked.unsubscribe:
            message["List-Unsubscribe"] = _UriList("List-Unsubscribe", checked.unsubscribe)
            if self.sender.one_click:
                message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Content-Type"] = f'multipart/mixed; boundary="{boundary}"'
        data = message.as_bytes(policy=policy.SMTP)
        # with no parts, the generator ends the headers with an empty multipart: opened and closed
        empty = _open(boundary) + _close(boundary)
        if not data.endswith(b"\r\n" + empty):
            raise AssertionError("the email package wrote the headers unexpectedly")
        return data[:-len(empty)]

    def _encoded(self, lang: Lang, filename: str) -> tuple[bytes, bytes]:
        """The ``lang`` page-1 picture and PDF as encoded parts (headers + base64), built on first need."""
        if lang not in self._parts:
            pdf = self.edition.languages[lang].pdf
            picture = EmailMessage()
            picture.set_content(_page_one(pdf), maintype="image", subtype="png", disposition="inline",
                                filename=f"{filename.removesuffix('.pdf')}-page1.png", cid=self._cid(lang))
            attached = EmailMessage()
            attached.set_content(pdf, maintype="application", subtype="pdf", disposition="attachment",
                                 filename=filename)
            self._parts[lang] = (_part_bytes(picture), _part_bytes(attached))
        return self._parts[lang]

    def _cid(self, lang: Lang) -> str:
        return f"<page1.{lang}.{self.edition.brief_id}.{self.edition.edition}@{self._domain}>"

    @property
    def _domain(self) -> str:
        return self.sender.address.rpartition("@")[2]


@functools.lru_cache(maxsize=8)
def _page_one(pdf: bytes) -> bytes:
    """Page 1 of ``pdf`` as the email's PNG: drawn once per PDF (an edition's language) in a process."""
    from briefgen.render import pages

    return pages.first_page_png(pdf)


# The message is assembled from encoded parts, in the form the ``email`` package writes (and reads
# back to the same bytes): each delimiter on a line of its own after a blank line. Every part below
# the headers is base64 (the texts too), so no line of a part can begin with "--", and a boundary
# derived from the Message-ID is safe; naming it spares the generator's search for one.


def _open(boundary: str) -> bytes:
    return f"--{boundary}\r\n".encode("ascii")


def _next(boundary: str) -> bytes:
    return f"\r\n--{boundary}\r\n".encode("ascii")


def _close(boundary: str) -> bytes:
    return f"\r\n--{boundary}--\r\n".encode("ascii")


def _multipart_head(subtype: str, boundary: str) -> bytes:
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode("ascii")


def _text_part(text: str, subtype: str) -> bytes:
    """A UTF-8 text part, its lines ending CRLF (the canonical form), in base64."""
    encoded = base64mime.body_encode(text.replace("\n", "\r\n").encode("utf-8"), 76, "\r\n")
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            f"{encoded}").encode("ascii")


def _part_bytes(part: EmailMessage) -> bytes:
    del part["MIME-Version"]  # only the message's own header says it
    return part.as_bytes(policy=policy.SMTP)


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


@dataclass(frozen=True)
class _Body:
    """One reader's message text: the same content as plain text and as HTML (every text escaped once, here)."""

    lang: Lang
    name: str
    title: str
    date: str
    digest: Digest
    notes: tuple[str, ...]

    def w(self, key: str, **fields: str) -> str:
        """The email's words in the reader's language."""
        return words.text(f"mail.{key}", self.lang, **fields)

    def plain(self) -> str:
        w, d = self.w, self.digest
        sep = words.text("sep", self.lang)
        parts = [*(f"*** {note} ***" for note in self.notes), *([""] if self.notes else [])]
        parts += [w("greeting", name=self.name), ""] if self.name else []
        parts += [w("intro", title=self.title, date=self.date), ""]
        parts += [d.headline, ""] if d.headline else []
        if d.key_numbers:
            parts += [w("key_numbers"), *(f"- {k.figure}{sep}{k.caption}" for k in d.key_numbers), ""]
        if d.warnings:
            parts += [w("warnings"), *(line for c in d.warnings for line in _warning_lines(c)), ""]
        return "\n".join([*parts, w("closing"), ""])

    def html(self, cid: str) -> str:
        w, d, e = self.w, self.digest, html.escape
        parts = [f'<p style="{_NOTE_STYLE}">{e(note)}</p>' for note in self.notes]
        parts += [f"<p>{e(w('greeting', name=self.name))}</p>"] if self.name else []
        parts.append(f"<p>{e(w('intro', title=self.title, date=self.date))}</p>")
        parts.append(f'<h1 style="font-size:20px;margin:16px 0 8px">{e(self.title)}</h1>')
        parts += [f'<p style="font-size:17px;font-weight:bold">{e(d.headline)}</p>'] if d.headline else []
        if d.key_numbers:
            parts += [f'<h2 style="{_H2}">{e(w("key_numbers"))}</h2>', _key_table(d.key_numbers)]
        if d.warnings:
            items = "".join(_warning_item(c) for c in d.warnings)
            parts += [f'<h2 style="{_H2}">{e(w("warnings"))}</h2>', f"<ul>{items}</ul>"]
        parts.append(f'<p><img src="cid:{e(cid[1:-1])}" alt="{e(w("page_one"))}" width="600" '
                     'style="width:100%;max-width:600px;border:1px solid #ccc"></p>')
        parts.append(f"<p>{e(w('closing'))}</p>")
        return (f'<!DOCTYPE html><html lang="{self.lang}"><head><meta charset="utf-8"><title>{e(self.title)}'
                f'</title></head><body style="{_BODY}"><div style="max-width:600px;margin:0 auto">'
                f'{"".join(parts)}</div></body></html>\n')


_BODY = "margin:0;padding:16px;font-family:sans-serif;color:#222;line-height:1.5"
_H2 = "font-size:15px;margin:20px 0 8px;color:#a51c30"
_NOTE_STYLE = "padding:8px 12px;background:#fdecea;border:1px solid #a51c30;font-weight:bold"
_VERDICT_COLOURS = {"contradicted": "#b00020", "overstated": "#a35a00", "understated": "#a35a00"}


def _warning_lines(warning: ClaimWarning) -> list[str]:
    lines = [f"- {warning.quote}", f"  {warning.finding}"]
    return lines + [f"  {warning.note}"] if warning.note else lines


def _warning_item(warning: ClaimWarning) -> str:
    e = html.escape
    colour = _VERDICT_COLOURS.get(warning.verdict, "#222")
    note = f'<br><span style="color:#555;font-size:13px">{e(warning.note)}</span>' if warning.note else ""
    return (f'<li style="margin-bottom:8px">{e(warning.quote)}<br>'
            f'<strong style="color:{colour}">{e(warning.finding)}</strong>{note}</li>')


def _key_table(figures: tuple[KeyFigure, ...]) -> str:
    """The key numbers two to a row, each figure over its caption, as the PDF's panel sets them."""
    e = html.escape
    cells = [f'<td style="width:50%;padding:8px;background:#f6f3f0;vertical-align:top">'
             f'<div style="font-size:22px;font-weight:bold;color:#a51c30">{e(k.figure)}</div>'
             f'<div style="font-size:12px;color:#555">{e(k.caption)}</div></td>' for k in figures]
    rows = "".join(f"<tr>{''.join(cells[i:i + 2])}</tr>" for i in range(0, len(cells), 2))
    return f'<table role="presentation" style="width:100%;border-collapse:separate;border-spacing:4px">{rows}</table>'


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
