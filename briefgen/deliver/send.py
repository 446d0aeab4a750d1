"""An edition + readers → each reader's message delivered once under an atomic claim, or written as .eml files.

Every reader's headers and language are checked before the first message is sent, so a bad reader
stops the run before anyone gets mail. Then, reader by reader (``Sender.send``, also what a Celery
worker runs for one reader): the ledger ``claim``\\s the reader for this sender — atomically, so
two senders at once never both send — the message is built, sent, and the row marked at once
(``sent``; ``waiting`` for a temporary failure; ``failed`` for a refusal). A reader someone else holds
is left to them.

One reader never blocks the list: a temporary failure parks that reader and the run goes on; the
parked readers get one more try at the end of the run (except a message whose fate is unknown: it is
not repeated within a run), and stay due for the next run. When the server itself is unavailable for
``MAX_OUTAGES`` readers in a row, the run stops trying and leaves the rest for the next run. Only a
failure that no reader could get past (a refused login, a TLS failure) ends the run with an error.
See ``briefgen.deliver.ledger`` for what a crash can repeat (at most the one message in flight per sender).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import socket
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Literal, Mapping, Sequence

from briefgen.base.errors import BriefError, DeliveryError, Problem
from briefgen.base.logs import Progress
from briefgen.base.model import Edition
from briefgen.deliver.ledger import DEFAULT_LEASE, Ledger, LedgerRow, new_owner, utc_now
from briefgen.deliver.mail import (
    Marking,
    MessageRefused,
    Messages,
    ServerUnavailable,
    TemporaryFailure,
    Transport,
    headers,
)
from briefgen.load.readers import Reader, is_address

log = logging.getLogger("briefgen")

#: Readers in a row for whom the server could not be reached before a run stops trying.
MAX_OUTAGES = 3

Outcome = Literal["sent", "skipped", "failed", "waiting", "elsewhere", "untried"]


@dataclass(frozen=True)
class Attempt:
    """What became of one reader: the outcome and its detail (the server's reply, the other sender)."""

    email: str
    outcome: Outcome
    detail: str = ""
    uncertain: bool = False
    server_down: bool = False


@dataclass(frozen=True)
class SendReport:
    """One send of an edition: each reader's outcome, and the .eml files a dry run wrote."""

    brief_id: str
    edition: str
    attempts: tuple[Attempt, ...] = ()
    written: tuple[Path, ...] = ()
    test: bool = False              # a test send: no reader got it, the ledger knows nothing of it
    blocked: tuple[str, ...] = ()   # why the edition may not be sent (a dry run goes ahead and says so)

    def having(self, *outcomes: Outcome) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.outcome in outcomes)

    @property
    def sent(self) -> tuple[str, ...]:
        return tuple(a.email for a in self.having("sent"))

    @property
    def complete(self) -> bool:
        """Every reader is sent or permanently refused: nothing is left to try for this edition."""
        return not self.having("waiting", "elsewhere", "untried")

    @property
    def ok(self) -> bool:
        """Every reader has the edition."""
        return self.complete and not self.having("failed")


@dataclass
class Sender:
    """Sends one edition to one reader at a time, under the ledger's claim (``owner``, ``lease``)."""

    edition: Edition
    transport: Transport
    ledger: Ledger
    now: dt.datetime
    owner: str = field(default_factory=new_owner)
    lease: dt.timedelta = DEFAULT_LEASE

    def __post_init__(self) -> None:
        self.messages = Messages(self.edition, self.transport.sender, self.now)
        self._pdf_sha256 = {lang: hashlib.sha256(r.pdf).hexdigest() for lang, r in self.edition.languages.items()}

    def send(self, reader: Reader) -> Attempt:
        """Claim, send and record ``reader``'s message; a reader held or done elsewhere is left alone.
        Raises ``DeliveryError`` (after giving the claim back) when no message can be sent at all."""
        brief, edition, email = self.edition.brief_id, self.edition.edition, reader.email
        about = {"brief": brief, "edition": edition, "reader": email}
        if not self.ledger.claim(brief, edition, email, owner=self.owner, message_id=self.messages.message_id(reader),
                                 pdf_sha256=self._pdf_sha256[reader.lang], lease=self.lease):
            return _not_claimed(email, self.ledger.row(brief, edition, email))
        try:
            self.transport.send(email, self.messages.encode(reader))
        except MessageRefused as exc:
            self.ledger.mark_failed(brief, edition, email, owner=self.owner, error=str(exc))
            log.warning("%s", exc, extra=about)
            return Attempt(email, "failed", str(exc))
        except TemporaryFailure as exc:
            self.ledger.park(brief, edition, email, owner=self.owner, error=str(exc))
            log.warning("%s (parked: tried again later)", exc, extra=about)
            return Attempt(email, "waiting", str(exc), uncertain=exc.uncertain,
                           server_down=isinstance(exc, ServerUnavailable))
        except BaseException as exc:  # a fatal failure, or the process is being stopped mid-message
            reason = str(exc) if isinstance(exc, BriefError) else "interrupted while sending; it may have gone out"
            self.ledger.release(brief, edition, email, owner=self.owner, reason=reason)
            raise
        self.ledger.mark_sent(brief, edition, email, owner=self.owner)
        return Attempt(email, "sent")


@dataclass(frozen=True)
class Patience:
    """How long a send waits, polling every ``poll``, for readers another sender is sending right now."""

    wait: dt.timedelta = dt.timedelta(minutes=10)
    poll: dt.timedelta = dt.timedelta(seconds=1)
    sleep: Callable[[float], object] = time.sleep


def send_edition(edition: Edition, readers: Sequence[Reader], transport: Transport, ledger: Ledger, *,
                 dry_run_dir: Path | None = None, only: Sequence[str] = (),
                 clock: Callable[[], dt.datetime] = utc_now, lease: dt.timedelta = DEFAULT_LEASE,
                 stop: Callable[[], bool] = lambda: False, patience: Patience = Patience(),
                 before_first: Callable[[], object] = lambda: None,
                 marking: Marking = Marking()) -> SendReport:
    """Send ``edition`` to each reader who receives its brief (only ``only`` if given), once.

    With ``dry_run_dir`` the exact messages are written there as ``.eml`` files instead (marked
    with ``marking``: a blocked edition's say why); nothing is sent and the ledger is not written.
    ``stop()`` is checked before each message (the message in
    flight always finishes; e.g. ``stop=stop_event.is_set`` from a signal handler): the readers not
    reached are reported ``untried`` and stay due. Readers another sender holds are waited for (up
    to ``patience.wait``): their sender finishes them, or dies and they are taken over.
    ``before_first()`` runs once every header passed, right before the first claim (``delivery``
    freezes a new edition there). Raises ``DeliveryError`` when no message can be sent at all
    (login refused, TLS failure).
    """
    recipients = recipients_of(edition, readers, only)
    report = SendReport(edition.brief_id, edition.edition)
    if not recipients:
        log.warning("%s %s: no readers receive this brief; nothing sent", edition.brief_id, edition.edition,
                    extra=_about(edition))
        return report
    for reader in recipients:  # every header checked before the first message goes out
        headers(edition, reader, transport.sender, marking)
    if dry_run_dir is not None:
        return _write_outbox(replace(report, blocked=marking.reasons("en")),
                             Messages(edition, transport.sender, clock(), marking), recipients, dry_run_dir)
    sender = Sender(edition, transport, ledger, clock(), lease=lease)
    before_first()
    reaped = ledger.reap(edition.brief_id, edition.edition, owner_alive)
    if reaped:
        log.warning("%s %s: %d readers were claimed by a sender that died; due again", edition.brief_id,
                    edition.edition, len(reaped), extra=_about(edition))
    progress = Progress(f"{edition.brief_id} {edition.edition}", len(recipients), clock, extra=_about(edition))
    try:
        attempts = _deliver(recipients, sender, stop, progress)
        _await_others(recipients, sender, stop, attempts, patience, clock)
    finally:
        transport.close()
    return SendReport(edition.brief_id, edition.edition, tuple(attempts[r.email] for r in recipients))


def send_test(edition: Edition, readers: Sequence[Reader], addresses: Sequence[str], transport: Transport, *,
              now: dt.datetime, marking: Marking) -> SendReport:
    """``edition`` to each of ``addresses``, readers or not, marked as a test (``marking``), with no
    ledger: a reader of the brief gets their own language and greeting, any other address one message
    per language of the edition. A refused or deferred message is reported, not retried."""
    known = {r.email.lower(): r for r in readers if r.receives(edition.brief_id)}
    bad = [address for address in addresses if not is_address(address)]
    if bad:
        raise DeliveryError(*(Problem("--test", f"{address!r} is not a usable address",
                                      expected="an address like editor@example.com") for address in bad))
    targets = [reader for address in dict.fromkeys(addresses) for reader in
               ([known[address.lower()]] if address.lower() in known else
                [Reader("", address, r.brief.lang, (edition.brief_id,), origin="--test")
                 for r in edition.languages.values()])]
    for reader in targets:
        headers(edition, reader, transport.sender, marking)
    messages = Messages(edition, transport.sender, now, marking)
    attempts = []
    try:
        for reader in targets:
            try:
                transport.send(reader.email, messages.encode(reader))
                attempts.append(Attempt(reader.email, "sent", reader.lang))
            except (MessageRefused, TemporaryFailure) as exc:
                attempts.append(Attempt(reader.email, "failed", str(exc)))
    finally:
        transport.close()
    return SendReport(edition.brief_id, edition.edition, tuple(attempts), test=True, blocked=marking.reasons("en"))


def recipients_of(edition: Edition, readers: Sequence[Reader], only: Sequence[str] = ()) -> list[Reader]:
    """The readers of ``edition``'s brief (only those in ``only``, which must all be readers of it)."""
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


def owner_alive(owner: str) -> bool:
    """False only for a sender known dead: a process of this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _deliver(recipients: Sequence[Reader], sender: Sender, stop: Callable[[], bool],
             progress: Progress) -> dict[str, Attempt]:
    """One pass over every reader (counted by ``progress``), then one more over the readers parked by a
    temporary failure."""
    attempts: dict[str, Attempt] = {}
    todo = list(recipients)
    for first in (True, False):
        halted = _pass(todo, sender, stop, attempts, progress if first else None)
        todo = [r for r in todo if attempts[r.email].outcome == "waiting" and not attempts[r.email].uncertain]
        if halted or not todo:
            break
        log.info("%s %s: %d readers parked; trying them once more", sender.edition.brief_id,
                 sender.edition.edition, len(todo), extra=_about(sender.edition))
    return attempts


def _await_others(recipients: Sequence[Reader], sender: Sender, stop: Callable[[], bool],
                  attempts: dict[str, Attempt], patience: Patience, clock: Callable[[], dt.datetime]) -> None:
    """Poll the readers another sender holds until it settles them (or dies: then they are ours)."""
    held = [r for r in recipients if attempts[r.email].outcome == "elsewhere"]
    deadline = clock() + patience.wait
    if held:
        log.info("%s %s: %d readers are being sent by another sender; waiting for it", sender.edition.brief_id,
                 sender.edition.edition, len(held), extra=_about(sender.edition))
    while held and not stop() and clock() < deadline:
        patience.sleep(patience.poll.total_seconds())
        sender.ledger.reap(sender.edition.brief_id, sender.edition.edition, owner_alive)
        attempts.update({r.email: sender.send(r) for r in held})
        held = [r for r in held if attempts[r.email].outcome == "elsewhere"]


def _pass(readers: Sequence[Reader], sender: Sender, stop: Callable[[], bool],
          attempts: dict[str, Attempt], progress: Progress | None = None) -> bool:
    """Try each reader once, recording each outcome in ``attempts``; True if the pass was cut short."""
    outages = 0
    for index, reader in enumerate(readers):
        if stop() or outages >= MAX_OUTAGES:
            why = ("stopped before this reader" if outages < MAX_OUTAGES
                   else f"not tried: the server was unavailable for {outages} readers in a row")
            log.warning("%s %s: %s; %d readers left for the next run", sender.edition.brief_id,
                        sender.edition.edition, why, len(readers) - index, extra=_about(sender.edition))
            attempts.update({r.email: _untried(r.email, why, attempts.get(r.email)) for r in readers[index:]})
            return True
        attempt = sender.send(reader)
        attempts[reader.email] = attempt
        outages = outages + 1 if attempt.server_down else 0
        if progress is not None:
            progress.step()
    return False


def _about(edition: Edition) -> dict[str, object]:
    """The structured log fields naming ``edition``."""
    return {"brief": edition.brief_id, "edition": edition.edition}


def _untried(email: str, why: str, earlier: Attempt | None) -> Attempt:
    return earlier if earlier is not None else Attempt(email, "untried", why)


def _not_claimed(email: str, row: LedgerRow | None) -> Attempt:
    if row is None:  # cannot happen: a claim only fails on an existing row
        return Attempt(email, "untried", "no ledger row")
    if row.status == "sent":
        return Attempt(email, "skipped", f"sent {row.sent_at}")
    if row.status == "failed":
        return Attempt(email, "failed", row.last_error)
    return Attempt(email, "elsewhere", f"being sent by {row.owner} (claimed until {row.lease_until})")


def _write_outbox(report: SendReport, messages: Messages, recipients: Iterable[Reader], folder: Path) -> SendReport:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = [_write_eml(folder, report, messages, reader) for reader in recipients]
    except OSError as exc:
        raise DeliveryError(Problem(str(folder), f"cannot write the outbox ({exc.strerror or exc})",
                                    expected="a writable folder")) from exc
    return replace(report, written=tuple(paths))


def _write_eml(folder: Path, report: SendReport, messages: Messages, reader: Reader) -> Path:
    name = re.sub(r"[^A-Za-z0-9@._+-]", "_", reader.email.lower())
    path = folder / f"{report.brief_id}-{report.edition}-{name}.eml"
    path.write_bytes(messages.encode(reader))
    log.info("%s: written for %s (dry run)", path, reader.email, extra={"reader": reader.email, "path": str(path)})
    return path


# --- status ---------------------------------------------------------------------------------------

State = Literal["sent", "failed", "waiting", "in flight", "never tried"]
STATES: tuple[State, ...] = ("sent", "failed", "waiting", "in flight", "never tried")


@dataclass(frozen=True)
class ReaderStatus:
    """One reader's state for one edition, as the ledger (and the readers file) tell it."""

    email: str
    state: State
    attempts: int = 0
    detail: str = ""
    at: str = ""


@dataclass(frozen=True)
class EditionStatus:
    """Every reader's state for one edition of one brief."""

    brief: str
    edition: str
    readers: tuple[ReaderStatus, ...]

    def count(self, state: State) -> int:
        return sum(r.state == state for r in self.readers)

    @property
    def served(self) -> bool:
        return all(r.state == "sent" for r in self.readers)


def edition_status(ledger: Ledger, brief: str, edition: str, expected: Iterable[str] = ()) -> EditionStatus:
    """The ledger's rows for one edition, plus ``expected`` readers it has no row for (never tried)."""
    rows = {row.reader_email: _reader_status(row) for row in ledger.rows(brief, edition)}
    missing = {e.strip().lower() for e in expected} - set(rows)
    rows.update({email: ReaderStatus(email, "never tried") for email in missing})
    return EditionStatus(brief, edition, tuple(rows[email] for email in sorted(rows)))


def latest_status(ledger: Ledger, expected: Mapping[str, Sequence[str]],
                  brief: str | None = None) -> tuple[EditionStatus, ...]:
    """The status of the latest edition of ``brief`` (or of every brief in the ledger);
    ``expected`` maps a brief to its readers' addresses."""
    return tuple(edition_status(ledger, name, edition, expected.get(name, ()))
                 for name, edition in ledger.latest_editions(brief))


def format_status(editions: Sequence[EditionStatus]) -> str:
    """Edition statuses → plain text: counts per state, then one line per reader."""
    if not editions:
        return "no deliveries recorded"
    return "\n".join(_status_block(status) for status in editions)


def status_json(editions: Sequence[EditionStatus]) -> list[dict[str, object]]:
    """Edition statuses → JSON-ready data (``status --json``)."""
    return [{"brief": s.brief, "edition": s.edition, "served": s.served,
             "counts": {state: s.count(state) for state in STATES},
             "readers": [{"email": r.email, "state": r.state, "attempts": r.attempts, "detail": r.detail,
                          "at": r.at} for r in s.readers]} for s in editions]


def _reader_status(row: LedgerRow) -> ReaderStatus:
    if row.status == "sent":
        return ReaderStatus(row.reader_email, "sent", row.attempts, "", row.sent_at or "")
    if row.status == "claimed":
        return ReaderStatus(row.reader_email, "in flight", row.attempts,
                            f"being sent by {row.owner} (claimed until {row.lease_until})")
    state: State = "failed" if row.status == "failed" else "waiting"
    return ReaderStatus(row.reader_email, state, row.attempts, row.last_error)


def _status_block(status: EditionStatus) -> str:
    head = f"{status.brief} {status.edition}: " + ", ".join(f"{status.count(s)} {s}" for s in STATES)
    width = max((len(r.email) for r in status.readers), default=0)
    return "\n".join([head, *(f"  {r.state:<11} {r.email:<{width}}  {_detail(r)}" for r in status.readers)])


def _detail(status: ReaderStatus) -> str:
    tries = f"{status.attempts} attempt{'s' if status.attempts != 1 else ''}"
    if status.state == "sent":
        return f"sent {status.at} ({tries})"
    if status.state == "never tried":
        return "no attempt yet (the next run sends it)"
    if status.state == "waiting":
        return f"{tries}; {status.detail} (the next run tries again)"
    return f"{tries}; {status.detail}"
