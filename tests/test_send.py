"""send_edition: each reader gets their language's message once, checked against the ledger, over a real server."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Iterator

import pytest
from conftest import pdf_text
from smtpserver import PASSWORD, Server, ServerFactory, free_port, make_edition, reader

from briefgen.base.errors import DeliveryError
from briefgen.base.model import Edition
from briefgen.deliver.ledger import Ledger
from briefgen.deliver.mail import SmtpTransport
from briefgen.deliver.send import Patience, SendReport, format_status, latest_status, send_edition
from briefgen.load.readers import Reader


def emails(report: SendReport, outcome: str) -> tuple[str, ...]:
    return tuple(a.email for a in report.attempts if a.outcome == outcome)


def status_text(ledger: Ledger, brief: str | None = None) -> str:
    return format_status(latest_status(ledger, {}, brief))
from briefgen.load.settings import Secret

EDITION = "2024-05-27"
NOW = dt.datetime(2024, 5, 27, 8, 0, tzinfo=dt.timezone.utc)


def clock() -> dt.datetime:
    return NOW


READERS = (
    reader("hanako@example.jp", "ja", "山田 花子"),
    reader("alice@example.com", "en", "Alice Martin"),
    Reader("Other", "other@example.com", "en", ("gpu-market",), "readers.csv:4"),
)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.db", clock=clock) as opened:
        yield opened


def _transport(server: Server, **changes: object) -> SmtpTransport:
    return SmtpTransport(server.settings(**changes), ssl_context=server.client_context,
                         sleep=lambda seconds: None)


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_each_reader_gets_one_message_in_their_language_once(
        smtp_server: ServerFactory, ledger: Ledger, no_warnings: None) -> None:
    server = smtp_server("starttls")
    edition = make_edition()
    report = send_edition(edition, READERS, _transport(server), ledger, clock=clock)
    assert report.sent == ("hanako@example.jp", "alice@example.com") and report.ok
    got = {r.rcpt_tos[0]: r.message for r in server.handler.received}
    assert [r.rcpt_tos for r in server.handler.received] == [["hanako@example.jp"], ["alice@example.com"]]
    assert "今号の主な数字" in _body(got["hanako@example.jp"])
    assert "Key numbers" in _body(got["alice@example.com"])
    assert "Colossus brief in JA" in pdf_text(next(got["hanako@example.jp"].iter_attachments()).get_content())
    rows = {row.reader_email: row for row in ledger.rows("xai-colossus", EDITION)}
    assert rows["alice@example.com"].status == "sent"
    assert rows["alice@example.com"].message_id == got["alice@example.com"]["Message-ID"]
    assert rows["hanako@example.jp"].pdf_sha256 == hashlib.sha256(edition.languages["ja"].pdf).hexdigest()

    again = send_edition(edition, READERS, _transport(server), ledger, clock=clock)
    assert again.sent == () and emails(again, "skipped") == ("hanako@example.jp", "alice@example.com")
    assert len(server.handler.received) == 2


def test_one_recipient_refused_the_others_still_delivered(smtp_server: ServerFactory,
                                                          ledger: Ledger) -> None:
    server = smtp_server("starttls")
    server.handler.rcpt_replies["hanako@example.jp"] = "550 5.1.1 <hanako@example.jp>: no such user"
    report = send_edition(make_edition(), READERS, _transport(server), ledger, clock=clock)
    assert report.sent == ("alice@example.com",)
    assert emails(report, "failed") == ("hanako@example.jp",) and not report.ok and report.complete
    assert [r.rcpt_tos for r in server.handler.received] == [["alice@example.com"]]
    failed = {row.reader_email: row for row in ledger.rows("xai-colossus", EDITION)}["hanako@example.jp"]
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.last_error.endswith("550 5.1.1 <hanako@example.jp>: no such user")


class KilledAfter:
    """A transport wrapper that dies (like Ctrl-C / SIGKILL) on send number ``n``: before the message
    goes out, or after the server accepted it but before the ledger could record that."""

    def __init__(self, inner: SmtpTransport, n: int, after_accept: bool = False) -> None:
        self.inner, self.n, self.after_accept, self.calls = inner, n, after_accept, 0
        self.sender = inner.sender

    def send(self, recipient: str, data: bytes) -> None:
        self.calls += 1
        if self.calls == self.n and not self.after_accept:
            raise KeyboardInterrupt
        self.inner.send(recipient, data)
        if self.calls == self.n:
            raise KeyboardInterrupt

    def close(self) -> None:
        self.inner.close()


TEN = tuple(reader(f"reader{i}@example.com", "en" if i % 2 else "ja") for i in range(10))


def test_killed_after_3_of_10_a_rerun_sends_only_the_other_7(smtp_server: ServerFactory,
                                                             ledger: Ledger) -> None:
    server = smtp_server("starttls")
    with pytest.raises(KeyboardInterrupt):
        send_edition(make_edition(), TEN, KilledAfter(_transport(server), 4), ledger, clock=clock)
    assert len(server.handler.received) == 3
    rerun = send_edition(make_edition(), TEN, _transport(server), ledger, clock=clock)
    assert len(rerun.sent) == 7 and len(emails(rerun, "skipped")) == 3
    delivered = [r.rcpt_tos[0] for r in server.handler.received]
    assert sorted(delivered) == sorted(r.email for r in TEN)  # everyone exactly once
    assert {row.status for row in ledger.rows("xai-colossus", EDITION)} == {"sent"}


def test_a_crash_between_accept_and_ledger_repeats_only_that_one_message(
        smtp_server: ServerFactory, ledger: Ledger) -> None:
    server = smtp_server("starttls")
    with pytest.raises(KeyboardInterrupt):
        send_edition(make_edition(), TEN, KilledAfter(_transport(server), 4, after_accept=True), ledger,
                     clock=clock)
    waiting = [row for row in ledger.rows("xai-colossus", EDITION) if row.status == "waiting"]
    assert [row.reader_email for row in waiting] == ["reader3@example.com"]
    assert waiting[0].last_error == "interrupted while sending; it may have gone out"
    send_edition(make_edition(), TEN, _transport(server), ledger, clock=clock)
    delivered = [r.rcpt_tos[0] for r in server.handler.received]
    assert len(delivered) == 11 and delivered.count("reader3@example.com") == 2
    ids = [r.message["Message-ID"] for r in server.handler.received if r.rcpt_tos == ["reader3@example.com"]]
    assert ids[0] == ids[1]  # the repeat carries the same Message-ID


def test_header_injection_stops_the_run_before_anything_is_sent(smtp_server: ServerFactory,
                                                                ledger: Ledger) -> None:
    server = smtp_server("starttls")
    readers = (*READERS, reader("eve@example.com", "en", "Eve\r\nBcc: victim@example.net"))
    with pytest.raises(DeliveryError, match="name: control characters U\\+000A, U\\+000D"):
        send_edition(make_edition(), readers, _transport(server), ledger, clock=clock)
    assert server.handler.received == [] and ledger.rows("xai-colossus", EDITION) == ()


def test_oversize_messages_are_not_sent_and_are_recorded(smtp_server: ServerFactory,
                                                          ledger: Ledger) -> None:
    server = smtp_server("starttls")
    report = send_edition(make_edition(), READERS, _transport(server, max_message_bytes=2000), ledger,
                          clock=clock)
    assert report.sent == () and len(emails(report, "failed")) == 2 and server.handler.received == []
    for row in ledger.rows("xai-colossus", EDITION):
        assert row.status == "failed" and "bytes, the configured cap accepts 2000" in row.last_error


def test_a_421_for_one_reader_parks_them_and_the_others_still_get_theirs(smtp_server: ServerFactory,
                                                                        ledger: Ledger) -> None:
    server = smtp_server("starttls")
    server.handler.rcpt_replies["hanako@example.jp"] = "421 4.7.0 Try again later"
    report = send_edition(make_edition(), READERS, _transport(server), ledger, clock=clock)
    assert report.sent == ("alice@example.com",) and emails(report, "waiting") == ("hanako@example.jp",)
    assert not report.complete  # hanako is still due
    rows = {row.reader_email: row for row in ledger.rows("xai-colossus", EDITION)}
    assert rows["hanako@example.jp"].status == "waiting" and rows["hanako@example.jp"].attempts == 2  # end of run
    assert rows["hanako@example.jp"].last_error.endswith("421 4.7.0 Try again later")
    del server.handler.rcpt_replies["hanako@example.jp"]
    rerun = send_edition(make_edition(), READERS, _transport(server), ledger, clock=clock)
    assert rerun.sent == ("hanako@example.jp",) and rerun.ok
    assert sorted(r.rcpt_tos[0] for r in server.handler.received) == ["alice@example.com", "hanako@example.jp"]


def test_a_greylisted_reader_is_retried_at_the_end_of_the_run(smtp_server: ServerFactory, ledger: Ledger) -> None:
    server = smtp_server("starttls")
    server.handler.rcpt_replies["hanako@example.jp"] = "451 4.7.1 Greylisted, try again"
    server.handler.rcpt_reply_times["hanako@example.jp"] = 1  # accepted on the second try
    report = send_edition(make_edition(), READERS, _transport(server), ledger, clock=clock)
    assert report.ok and report.sent == ("hanako@example.jp", "alice@example.com")
    assert [r.rcpt_tos[0] for r in server.handler.received] == ["alice@example.com", "hanako@example.jp"]


def test_an_unavailable_server_ends_the_run_after_three_readers(smtp_server: ServerFactory,
                                                                ledger: Ledger) -> None:
    server = smtp_server("starttls")
    report = send_edition(make_edition(), TEN, _transport(server, port=free_port()), ledger, clock=clock)
    assert len(emails(report, "waiting")) == 3 and len(emails(report, "untried")) == 7
    assert "the server was unavailable for 3 readers in a row" in report.attempts[-1].detail


def test_auth_failure_stops_the_run_without_showing_the_password(
        smtp_server: ServerFactory, ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = smtp_server("starttls")
    wrong = "not-" + PASSWORD
    with pytest.raises(DeliveryError, match="535 5.7.8") as caught:
        send_edition(make_edition(), READERS, _transport(server, password=Secret(wrong)), ledger,
                     clock=clock)
    (row,) = ledger.rows("xai-colossus", EDITION)
    assert row.status == "waiting" and row.attempts == 1 and "authentication failed: 535" in row.last_error
    for shown in (str(caught.value), caplog.text, row.last_error, status_text(ledger)):
        assert wrong not in shown


def test_dry_run_writes_exact_messages_and_leaves_the_ledger_alone(smtp_server: ServerFactory,
                                                                   ledger: Ledger, tmp_path: Path) -> None:
    server = smtp_server("starttls")
    outbox = tmp_path / "outbox"
    report = send_edition(make_edition(), READERS, _transport(server), ledger, dry_run_dir=outbox,
                          clock=clock)
    assert [p.name for p in report.written] == ["xai-colossus-2024-05-27-hanako@example.jp.eml",
                                                "xai-colossus-2024-05-27-alice@example.com.eml"]
    parsed = BytesParser(policy=policy.default).parsebytes(report.written[0].read_bytes())
    assert isinstance(parsed, EmailMessage)
    assert parsed["To"].addresses[0].addr_spec == "hanako@example.jp"
    assert parsed["Subject"] == "xAIコロッサス週報（2024年5月27日号）"
    assert "Colossus brief in JA" in pdf_text(next(parsed.iter_attachments()).get_content())
    assert b"\r\n" in report.written[0].read_bytes()  # the wire format
    assert server.handler.received == [] and ledger.latest_editions() == ()


def test_only_restricts_to_named_readers(smtp_server: ServerFactory, ledger: Ledger) -> None:
    server = smtp_server("starttls")
    report = send_edition(make_edition(), READERS, _transport(server), ledger, only=["ALICE@example.com"],
                          clock=clock)
    assert report.sent == ("alice@example.com",)
    with pytest.raises(DeliveryError, match="--to: other@example.com is not a reader of xai-colossus"):
        send_edition(make_edition(), READERS, _transport(server), ledger, only=["other@example.com"])


def test_no_readers_means_nothing_sent_and_a_warning(smtp_server: ServerFactory, ledger: Ledger,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    server = smtp_server("starttls")
    with caplog.at_level(logging.WARNING, logger="briefgen"):
        report = send_edition(make_edition(), (), _transport(server), ledger)
    assert report.attempts == () and server.handler.received == []
    assert caplog.messages == ["xai-colossus 2024-05-27: no readers receive this brief; nothing sent"]


def test_status_report_lists_who_got_it_and_who_failed(smtp_server: ServerFactory, ledger: Ledger) -> None:
    server = smtp_server("starttls")
    server.handler.rcpt_replies["hanako@example.jp"] = "550 5.1.1 no such user"
    send_edition(make_edition(), READERS, _transport(server), ledger, clock=clock)
    text = status_text(ledger, "xai-colossus")
    lines = text.splitlines()
    assert lines[0] == "xai-colossus 2024-05-27: 1 sent, 1 failed, 0 waiting, 0 in flight, 0 never tried"
    assert lines[1] == "  sent        alice@example.com  sent 2024-05-27T08:00:00+00:00 (1 attempt)"
    assert lines[2].startswith("  failed      hanako@example.jp  1 attempt; hanako@example.jp: not delivered")
    assert lines[2].endswith("550 5.1.1 no such user")
    assert format_status(()) == "no deliveries recorded"


def test_an_edition_without_the_readers_language_is_refused_up_front(smtp_server: ServerFactory,
                                                                     ledger: Ledger) -> None:
    server = smtp_server("starttls")
    full = make_edition()
    english_only = Edition(full.brief_id, full.edition, full.title, {"en": full.languages["en"]})
    with pytest.raises(DeliveryError, match="has no 'ja' version"):
        send_edition(english_only, READERS, _transport(server), ledger)
    assert server.handler.received == []


def test_a_stop_request_finishes_the_message_in_flight_then_stops(smtp_server: ServerFactory,
                                                                   ledger: Ledger) -> None:
    server = smtp_server("starttls")

    def stop() -> bool:  # the stop signal arrives while the 3rd message is being sent
        return len(server.handler.received) >= 3

    stopped = send_edition(make_edition(), TEN, _transport(server), ledger, clock=clock, stop=stop)
    assert len(stopped.sent) == 3 and len(emails(stopped, "untried")) == 7 and not stopped.complete
    assert [row.status for row in ledger.rows("xai-colossus", EDITION)] == ["sent"] * 3
    rerun = send_edition(make_edition(), TEN, _transport(server), ledger, clock=clock)
    assert len(rerun.sent) == 7 and len(server.handler.received) == 10


def test_a_slow_final_reply_within_data_timeout_is_one_delivery(smtp_server: ServerFactory, ledger: Ledger) -> None:
    server = smtp_server("starttls")
    server.handler.data_delay = 1.0
    report = send_edition(make_edition(), READERS[1:2], _transport(server, timeout=0.3, data_timeout=5.0), ledger,
                          clock=clock)
    assert report.ok and len(server.handler.received) == 1


def test_no_final_reply_is_not_repeated_within_the_run(smtp_server: ServerFactory, ledger: Ledger) -> None:
    server = smtp_server("starttls")
    server.handler.data_delay = 1.0
    report = send_edition(make_edition(), READERS[:2], _transport(server, timeout=0.3, data_timeout=0.3), ledger,
                          clock=clock)
    (hanako, alice) = report.attempts
    assert hanako.outcome == alice.outcome == "waiting" and hanako.uncertain
    assert "it may have been accepted" in hanako.detail
    assert [row.attempts for row in ledger.rows("xai-colossus", EDITION)] == [1, 1]  # not repeated in the run
    server.handler.data_delay = 0
    rerun = send_edition(make_edition(), READERS[:2], _transport(server), ledger, clock=clock)
    assert rerun.ok  # the next run sends it again, under the Message-ID of the first try
    ids = {row.reader_email: row.message_id for row in ledger.rows("xai-colossus", EDITION)}
    assert {got.rcpt_tos[0]: got.message["Message-ID"] for got in server.handler.received} == ids


def test_a_reader_another_sender_holds_is_waited_for_not_reported_unserved(smtp_server: ServerFactory,
                                                                           ledger: Ledger) -> None:
    server = smtp_server("starttls")
    ledger.claim("xai-colossus", EDITION, "alice@example.com", owner="elsewhere:1:x", message_id="<m>",
                 pdf_sha256="", lease=dt.timedelta(minutes=30))
    polls: list[float] = []

    def other_sender_finishes(seconds: float) -> None:
        polls.append(seconds)
        ledger.mark_sent("xai-colossus", EDITION, "alice@example.com", owner="elsewhere:1:x")

    report = send_edition(make_edition(), READERS, _transport(server), ledger, clock=clock,
                          patience=Patience(sleep=other_sender_finishes))
    assert report.ok and report.sent == ("hanako@example.jp",) and emails(report, "skipped") == ("alice@example.com",)
    assert polls == [1.0] and [r.rcpt_tos[0] for r in server.handler.received] == ["hanako@example.jp"]


def test_a_reader_whose_other_sender_died_is_taken_over_when_its_lease_runs_out(smtp_server: ServerFactory,
                                                                                tmp_path: Path) -> None:
    server = smtp_server("starttls")
    moments = iter(dt.datetime(2024, 5, 27, 8, minute, tzinfo=dt.timezone.utc) for minute in range(60))
    with Ledger(tmp_path / "l.db", clock=lambda: next(moments)) as ledger:
        ledger.claim("xai-colossus", EDITION, "alice@example.com", owner="other-host:1:x", message_id="<m>",
                     pdf_sha256="", lease=dt.timedelta(minutes=5))
        report = send_edition(make_edition(), READERS, _transport(server), ledger, clock=clock,
                              patience=Patience(sleep=lambda seconds: None))
    assert report.ok and sorted(report.sent) == ["alice@example.com", "hanako@example.jp"]


def test_patience_runs_out(smtp_server: ServerFactory, ledger: Ledger) -> None:
    server = smtp_server("starttls")
    ledger.claim("xai-colossus", EDITION, "alice@example.com", owner="elsewhere:1:x", message_id="<m>",
                 pdf_sha256="", lease=dt.timedelta(minutes=30))
    ticks = iter(NOW + dt.timedelta(seconds=s) for s in range(0, 100, 20))
    report = send_edition(make_edition(), READERS, _transport(server), ledger, clock=lambda: next(ticks),
                          patience=Patience(wait=dt.timedelta(minutes=1), sleep=lambda seconds: None))
    assert emails(report, "elsewhere") == ("alice@example.com",) and not report.complete
    assert "being sent by elsewhere:1:x" in report.attempts[1].detail
