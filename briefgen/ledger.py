"""Delivery events → an SQLite ledger: one row per (brief, edition, reader) saying whether it was delivered.

The ledger is what makes ``send`` safe to run again: before each message it is asked
``should_send``; ``record_attempt`` is committed *before* the message goes to the server and
``mark_sent`` right after the server accepts it. Each write is one statement in its own
transaction (autocommit), the journal is WAL with ``synchronous=FULL``, so a committed row survives
a crash or power loss.

What a crash can cost: if the process dies after the server accepted a message but before
``mark_sent`` committed, that row stays ``pending`` and the next run sends that message again. That
window covers at most the one message in flight; every message before it is already marked
``sent`` and is never repeated. (The message keeps the same Message-ID when repeated, so mail
clients that collapse duplicates by Message-ID show it once.)

Addresses are keyed case-insensitively (stored lower-cased), like the readers file's duplicate check.
Times come from an injected clock (timezone-aware) and are stored as ISO 8601 text.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Callable, Literal

from briefgen.errors import DeliveryError, Problem

Status = Literal["pending", "sent", "failed"]
Clock = Callable[[], dt.datetime]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    brief            TEXT NOT NULL,
    edition          TEXT NOT NULL,
    reader_email     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    first_attempt_at TEXT,
    sent_at          TEXT,
    message_id       TEXT NOT NULL DEFAULT '',
    pdf_sha256       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (brief, edition, reader_email)
)
"""

_COLUMNS = ("brief, edition, reader_email, status, attempts, last_error, first_attempt_at, sent_at, "
            "message_id, pdf_sha256")


@dataclass(frozen=True)
class LedgerRow:
    """The delivery state of one edition of one brief for one reader."""

    brief: str
    edition: str
    reader_email: str
    status: Status
    attempts: int
    last_error: str
    first_attempt_at: str | None
    sent_at: str | None
    message_id: str
    pdf_sha256: str


def utc_now() -> dt.datetime:
    """The default clock: the current time in UTC."""
    return dt.datetime.now(dt.timezone.utc)


class Ledger:
    """The delivery ledger stored in the SQLite file ``path`` (created on first use)."""

    def __init__(self, path: Path | str, clock: Clock = utc_now) -> None:
        self.path = str(path)
        self._clock = clock
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise DeliveryError(Problem(self.path, f"cannot open the delivery ledger ({exc})",
                                        expected="a writable SQLite file")) from exc

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def should_send(self, brief: str, edition: str, email: str) -> bool:
        """True unless this reader is already recorded as delivered for this edition."""
        row = self._db.execute(
            "SELECT status FROM deliveries WHERE brief = ? AND edition = ? AND reader_email = ?",
            (brief, edition, _key(email))).fetchone()
        return row is None or row[0] != "sent"

    def record_attempt(self, brief: str, edition: str, email: str, *, message_id: str,
                       pdf_sha256: str) -> None:
        """Before a message goes out: the row becomes ``pending`` with one more attempt."""
        self._write(
            "INSERT INTO deliveries (brief, edition, reader_email, status, attempts, first_attempt_at,"
            " message_id, pdf_sha256) VALUES (?, ?, ?, 'pending', 1, ?, ?, ?)"
            " ON CONFLICT (brief, edition, reader_email) DO UPDATE SET status = 'pending',"
            " attempts = attempts + 1, message_id = excluded.message_id,"
            " pdf_sha256 = excluded.pdf_sha256",
            (brief, edition, _key(email), self._now(), message_id, pdf_sha256))

    def mark_sent(self, brief: str, edition: str, email: str) -> None:
        """Right after the server accepted the message (committed immediately)."""
        self._update(brief, edition, email, "status = 'sent', sent_at = ?, last_error = ''", self._now())

    def mark_failed(self, brief: str, edition: str, email: str, error: str) -> None:
        """The message was not delivered; ``error`` is the reason (the server's reply when there is one)."""
        self._update(brief, edition, email, "status = 'failed', last_error = ?", error)

    def rows(self, brief: str, edition: str) -> tuple[LedgerRow, ...]:
        """Every reader's row for one edition, ordered by address."""
        cursor = self._db.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE brief = ? AND edition = ? ORDER BY reader_email",
            (brief, edition))
        return tuple(LedgerRow(*row) for row in cursor.fetchall())

    def latest_editions(self, brief: str | None = None) -> tuple[tuple[str, str], ...]:
        """(brief, latest edition) for every brief in the ledger, or only for ``brief``."""
        where, args = ("WHERE brief = ?", (brief,)) if brief is not None else ("", ())
        cursor = self._db.execute(
            f"SELECT brief, MAX(edition) FROM deliveries {where} GROUP BY brief ORDER BY brief", args)
        return tuple((name, edition) for name, edition in cursor.fetchall())

    def _update(self, brief: str, edition: str, email: str, assignments: str, value: str) -> None:
        changed = self._write(f"UPDATE deliveries SET {assignments}"
                              " WHERE brief = ? AND edition = ? AND reader_email = ?",
                              (value, brief, edition, _key(email)))
        if not changed:
            raise DeliveryError(Problem(self.path, f"no attempt recorded for {email} in {brief} "
                                                   f"{edition}", expected="record_attempt first"))

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        try:
            return self._db.execute(sql, args).rowcount
        except sqlite3.Error as exc:
            raise DeliveryError(Problem(self.path, f"cannot write the delivery ledger ({exc})",
                                        expected="a writable SQLite file on a disk with free space")
                                ) from exc

    def _now(self) -> str:
        return self._clock().isoformat(timespec="seconds")


def _key(email: str) -> str:
    return email.strip().lower()
