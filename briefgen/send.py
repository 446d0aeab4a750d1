"""An edition + readers → each reader's message delivered once (ledger-checked), or written as .eml files.

Every reader's headers and language are checked before the first message is sent, so a bad reader
stops the run before anyone gets mail. Messages are then built one at a time, just before they go
(memory stays flat for any number of readers; each language's PDF part is encoded once). Reader by
reader: the ledger is asked whether this edition already reached them; the attempt is recorded; the
transport sends; the ledger marks the row sent at once. A refusal for one reader (``MessageRefused``) is recorded and the
others continue; any other delivery failure is recorded for the reader in flight and stops the run.
See ``briefgen.ledger`` for what a crash can repeat (at most the one message in flight).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from briefgen.errors import BriefError, DeliveryError, Problem
from briefgen.ledger import Ledger, LedgerRow, utc_now
from briefgen.mail import MessageRefused, Messages, Transport, headers
from briefgen.model import Edition
from briefgen.readers import Reader

log = logging.getLogger("briefgen")


class SendStopped(DeliveryError):
    """``stop`` was requested between two messages: the ones sent are recorded, the rest are still due."""


@dataclass(frozen=True)
class SendReport:
    """What one ``send_edition`` call did: addresses sent, skipped (already delivered), failed, written."""

    brief_id: str
    edition: str
    sent: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    written: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Outgoing:
    reader: Reader
    message_id: str
    data: bytes
    pdf_sha256: str


def send_edition(edition: Edition, readers: Sequence[Reader], transport: Transport, ledger: Ledger, *,
                 dry_run_dir: Path | None = None, only: Sequence[str] = (),
                 clock: Callable[[], dt.datetime] = utc_now,
                 stop: Callable[[], bool] = lambda: False) -> SendReport:
    """Send ``edition`` to each reader who receives its brief (only ``only`` if given), once.

    With ``dry_run_dir`` the exact messages are written there as ``.eml`` files instead; nothing is
    sent and the ledger is not written. Raises ``DeliveryError`` when the run cannot go on, and
    ``SendStopped`` when ``stop()`` turns true (checked before each message, so the message in
    flight always finishes; e.g. ``stop=stop_event.is_set`` from the scheduler's signal handler).
    """
    recipients = _recipients(edition, readers, only)
    report = SendReport(edition.brief_id, edition.edition)
    if not recipients:
        log.warning("%s %s: no readers receive this brief; nothing sent", edition.brief_id,
                    edition.edition)
        return report
    for reader in recipients:  # every header checked before the first message goes out
        headers(edition, reader, transport.sender)
    messages = Messages(edition, transport.sender, clock())
    pdf_sha256 = {lang: hashlib.sha256(rendered.pdf).hexdigest() for lang, rendered in edition.languages.items()}

    def prepare(reader: Reader) -> _Outgoing:
        return _Outgoing(reader, messages.message_id(reader), messages.encode(reader), pdf_sha256[reader.lang])

    if dry_run_dir is not None:
        return _write_outbox(report, map(prepare, recipients), dry_run_dir)
    try:
        return _deliver(report, recipients, prepare, transport, ledger, stop)
    finally:
        transport.close()


def format_status(rows: Sequence[LedgerRow]) -> str:
    """Ledger rows → a plain-text report per edition: counts, then one line per reader."""
    if not rows:
        return "no deliveries recorded"
    blocks: dict[tuple[str, str], list[LedgerRow]] = {}
    for row in rows:
        blocks.setdefault((row.brief, row.edition), []).append(row)
    return "\n".join(_status_block(brief, edition, group) for (brief, edition), group in blocks.items())


def status_text(ledger: Ledger, brief: str | None = None) -> str:
    """The status report for the latest edition of ``brief`` (or of every brief in the ledger)."""
    rows = [row for name, edition in ledger.latest_editions(brief) for row in ledger.rows(name, edition)]
    return format_status(rows)


def _recipients(edition: Edition, readers: Sequence[Reader], only: Sequence[str]) -> list[Reader]:
    receiving = [reader for reader in readers if reader.receives(edition.brief_id)]
    if not only:
        return receiving
    wanted = {address.strip().lower() for address in only}
    known = {reader.email.lower() for reader in receiving}
    unknown = sorted(wanted - known)
    if unknown:
        raise DeliveryError(*(Problem("--to", f"{address} is not a reader of {edition.brief_id}",
                                      expected=f"one of {', '.join(sorted(known)) or '(no readers)'}")
                              for address in unknown))
    return [reader for reader in receiving if reader.email.lower() in wanted]


def _deliver(report: SendReport, recipients: Sequence[Reader], prepare: Callable[[Reader], _Outgoing],
             transport: Transport, ledger: Ledger, stop: Callable[[], bool]) -> SendReport:
    """Send one message at a time, built only for a reader the ledger says is still due."""
    sent: list[str] = []
    skipped: list[str] = []
    failed: list[tuple[str, str]] = []
    brief, edition = report.brief_id, report.edition
    for done, reader in enumerate(recipients):
        email = reader.email
        if stop():
            raise SendStopped(Problem(f"{brief} {edition}", f"stopped after {done} of {len(recipients)} "
                                                            "readers; the rest are sent on the next run"))
        if not ledger.should_send(brief, edition, email):
            skipped.append(email)
            continue
        item = prepare(reader)
        ledger.record_attempt(brief, edition, email, message_id=item.message_id,
                              pdf_sha256=item.pdf_sha256)
        try:
            transport.send(email, item.data)
        except MessageRefused as exc:
            ledger.mark_failed(brief, edition, email, str(exc))
            log.warning("%s", exc)
            failed.append((email, str(exc)))
            continue
        except BriefError as exc:
            ledger.mark_failed(brief, edition, email, str(exc))
            raise
        ledger.mark_sent(brief, edition, email)
        sent.append(email)
    return SendReport(brief, edition, sent=tuple(sent), skipped=tuple(skipped), failed=tuple(failed))


def _write_outbox(report: SendReport, outgoing: Iterable[_Outgoing], folder: Path) -> SendReport:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = [_write_eml(folder, report, item) for item in outgoing]
    except OSError as exc:
        raise DeliveryError(Problem(str(folder), f"cannot write the outbox ({exc.strerror or exc})",
                                    expected="a writable folder")) from exc
    return SendReport(report.brief_id, report.edition, written=tuple(paths))


def _write_eml(folder: Path, report: SendReport, item: _Outgoing) -> Path:
    name = re.sub(r"[^A-Za-z0-9@._+-]", "_", item.reader.email.lower())
    path = folder / f"{report.brief_id}-{report.edition}-{name}.eml"
    path.write_bytes(item.data)
    log.info("%s: written for %s (dry run)", path, item.reader.email)
    return path


def _status_block(brief: str, edition: str, rows: Sequence[LedgerRow]) -> str:
    counts = {status: sum(row.status == status for row in rows) for status in ("sent", "failed", "pending")}
    head = f"{brief} {edition}: " + ", ".join(f"{n} {status}" for status, n in counts.items())
    width = max(len(row.reader_email) for row in rows)
    return "\n".join([head, *(f"  {row.status:<8} {row.reader_email:<{width}}  {_detail(row)}"
                              for row in rows)])


def _detail(row: LedgerRow) -> str:
    tries = f"{row.attempts} attempt{'s' if row.attempts != 1 else ''}"
    if row.status == "sent":
        return f"sent {row.sent_at} ({tries})"
    if row.status == "failed":
        return f"{tries}; {row.last_error}"
    return f"{tries}; interrupted in flight (the next run sends it again)"
