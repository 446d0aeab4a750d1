"""Delivery test fixtures: a real aiosmtpd server on 127.0.0.1 (plain, STARTTLS or implicit TLS with trustme
certificates) that records what it received, and a small hand-built Edition with real PDFs.

tests/conftest.py registers this module as a plugin, so its fixtures (``smtp_server``, ``ca``, ``edition``) are
available to every test module; import the helpers (``make_edition``, ``reader``, ``HOST``) by name.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from io import BytesIO
from typing import Any, Callable, Iterator, Literal

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from briefgen.base.model import Brief, ClaimWarning, Digest, Edition, KeyFigure, Rendered
from briefgen.load.readers import Reader
from briefgen.load.settings import Secret, SmtpSettings

HOST = "127.0.0.1"
USER = "briefs@example.com"
PASSWORD = "s3cret-Pa55word-do-not-leak"
EDITION_DATE = "2024-05-27"


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd's start-up probe cannot use port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One message as the server got it: envelope and raw bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """The aiosmtpd handler: records messages and AUTH commands; can refuse chosen recipients (each
    ``rcpt_reply_times[address]`` times, or always) and answer DATA only after ``data_delay`` seconds.

    It accepts ``user`` with ``password`` (UTF-8 on the wire, as AUTH PLAIN and LOGIN carry them)."""

    user: str = USER
    password: str = PASSWORD
    received: list[Received] = field(default_factory=list)
    auth_commands: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    rcpt_reply_times: dict[str, int] = field(default_factory=dict)
    data_delay: float = 0.0

    async def handle_AUTH(self, server: Any, session: Any, envelope: Any, args: list[str]) -> Any:
        self.auth_commands.append(args[0])
        return MISSING

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        reply = self.rcpt_replies.get(address.lower())
        if reply and self.rcpt_reply_times.get(address.lower(), 1) > 0:
            if address.lower() in self.rcpt_reply_times:
                self.rcpt_reply_times[address.lower()] -= 1
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)  # a slow server, not a test waiting
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append(auth_data.login.decode())
        ok = auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)


Security = Literal["starttls", "ssl", "none"]


@dataclass
class Server:
    """A test SMTP server: its controller (started or not), handler and matching client settings."""

    controller: Controller
    handler: Recorder
    security: Security
    client_context: ssl.SSLContext
    started: bool = False

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> None:
        if not self.started:
            self.controller.start()
            self.started = True

    def stop(self) -> None:
        if self.started:
            self.controller.stop()
            self.started = False

    def close(self) -> None:
        """Stop, and close the event loop the controller made (aiosmtpd leaves it open)."""
        self.stop()
        self.controller.loop.close()

    def settings(self, **changes: Any) -> SmtpSettings:
        base = SmtpSettings(host=HOST, port=self.port, security=self.security, sender=USER,
                            user=USER if self.security != "none" else "",
                            password=Secret(PASSWORD) if self.security != "none" else None,
                            timeout=5.0, max_attempts=3, backoff_seconds=1.0, backoff_max_seconds=4.0)
        return replace(base, **changes)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (every greeting times out)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


ServerFactory = Callable[..., Server]


@pytest.fixture
def smtp_server(ca: trustme.CA) -> Iterator[ServerFactory]:
    """A factory: ``smtp_server(security="starttls", start=True, data_size_limit=..., auth_exclude=("PLAIN",))``
    → a ``Server`` (``auth_exclude``: AUTH mechanisms it does not offer; it offers PLAIN and LOGIN).

    The server holds a trustme certificate for 127.0.0.1; ``server.client_context`` trusts its CA.
    Servers accept AUTH even without TLS, so the tests check that *our client* never sends it then.
    """
    servers: list[Server] = []

    def make(security: Security = "starttls", *, start: bool = True,
             data_size_limit: int = 33554432, auth_exclude: tuple[str, ...] = ()) -> Server:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST, "localhost").configure_cert(server_ctx)
        client_ctx = ssl.create_default_context()
        ca.configure_trust(client_ctx)
        handler = Recorder()
        tls: dict[str, Any] = {"starttls": {"tls_context": server_ctx},
                               "ssl": {"ssl_context": server_ctx}, "none": {}}[security]
        controller = Controller(handler, hostname=HOST, port=free_port(), authenticator=handler.authenticate,
                                auth_require_tls=False, data_size_limit=data_size_limit,
                                auth_exclude_mechanism=(*auth_exclude, "commands"),  # auth_commands is no mechanism
                                server_hostname="test.example", **tls)
        server = Server(controller, handler, security, client_ctx)
        servers.append(server)
        if start:
            server.start()
        return server

    yield make
    for server in servers:
        server.close()


# --- a small edition with real PDFs -----------------------------------------------------------------


def make_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text``."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawString(72, 760, text)
    pdf.save()
    return buffer.getvalue()


#: What the test edition's emails say (``make_edition``): a headline, two key numbers, one warning.
DIGEST_JA = Digest("10万台のGPUは、GPT-4の4倍。", (KeyFigure("10万台", "xAIが確保したGPU"), KeyFigure("4倍", "GPT-4との比")),
                   (ClaimWarning("contradicted", "「評価額1300億ドル」", "「1300億ドル以上」→ 240億ドル（矛盾）",
                                 "計算値240億ドル、記事1300億ドル"),))
DIGEST_EN = Digest("100,000 GPUs: 4× the GPUs used for GPT-4.",
                   (KeyFigure("100,000 GPUs", "GPUs secured by xAI"), KeyFigure("4×", "Versus GPT-4")),
                   (ClaimWarning("overstated", "“half”", "“half” → 42%: overstated",
                                 "computed 42% vs asserted 50% (+19.2%)"),))


def make_edition(digest_en: Digest = DIGEST_EN, title_ja: str = "xAIコロッサス週報") -> Edition:
    """An edition of brief ``xai-colossus`` in ja and en whose PDFs say which language they are."""
    day = dt.date.fromisoformat(EDITION_DATE)
    briefs = {
        "ja": Brief("xai-colossus", title_ja, "ja", day, (), digest=DIGEST_JA),
        "en": Brief("xai-colossus", "xAI Colossus Weekly", "en", day, (), digest=digest_en),
    }
    languages = {lang: Rendered(brief, make_pdf(f"Colossus brief in {lang.upper()}"),
                                f"reports/xai-colossus/{lang}.pdf")
                 for lang, brief in briefs.items()}
    return Edition("xai-colossus", EDITION_DATE, {k: b.title for k, b in briefs.items()}, languages)


def reader(email: str, lang: Literal["ja", "en"] = "en", name: str = "Test Reader") -> Reader:
    return Reader(name=name, email=email, lang=lang, briefs=("xai-colossus",), origin=f"readers.csv ({email})")


@pytest.fixture
def edition() -> Edition:
    return make_edition()
