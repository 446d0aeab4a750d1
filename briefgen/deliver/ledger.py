"""Delivery events → a ledger: atomic per-reader claims and frozen editions, in SQLite or PostgreSQL.

Where it lives: a file path is a SQLite file; a ``postgresql://`` URL is a PostgreSQL database
(psycopg 3; the password from ``PGPASSWORD`` or ``~/.pgpass`` rather than the URL), which senders
and Celery workers on several machines can share.

One row per (brief, edition, reader) in ``deliveries``; one row per (brief, edition) in ``editions``.
Every write is one statement in its own transaction, with the same SQL for both databases (``?``
placeholders; a backend translates them), so the guarantees below hold for any number of senders
on any number of machines sharing one ledger:

* **Claim before send.** ``claim`` is a single ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING``:
  it succeeds for exactly one caller when the reader has no row, is ``waiting`` (a temporary failure
  parked for later), or is ``claimed`` under a lease that has expired (its sender died). A row that
  is ``sent``, ``failed`` (permanently) or claimed under a live lease is never claimed again.
* **Marked right after.** ``mark_sent`` commits as soon as the server accepts; ``park`` (temporary
  failure) and ``mark_failed`` (permanent) record the server's reply. Each only changes a row its
  ``owner`` still holds, so a sender whose lease was taken over cannot overwrite the new holder.
* **Frozen editions.** ``freeze`` records the hashes of an edition's PDFs and facts the first time a
  message is about to go out; the first record wins, and every later sender of that edition must
  send exactly those PDFs (``briefgen.deliver.archive``).

What a crash can cost: a sender that dies after the server accepted a message but before
``mark_sent`` leaves its row ``claimed``; once the lease expires (or at once, when the dead sender
was a process on this host) the row is claimed again and that one message is sent again, with the
same Message-ID. That is at most one message per dead sender.

Addresses are keyed case-insensitively (stored lower-cased). Times come from an injected clock
(timezone-aware) and are stored as ISO 8601 text in UTC, which orders like the instants it names.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Callable, Literal, Protocol, Sequence

from briefgen.base.errors import DeliveryError, Problem

Status = Literal["claimed", "sent", "waiting", "failed"]
Clock = Callable[[], dt.datetime]

DEFAULT_LEASE = dt.timedelta(minutes=30)

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS deliveries (
        brief            TEXT NOT NULL,
        edition          TEXT NOT NULL,
        reader_email     TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'waiting', 'failed')),
        owner            TEXT NOT NULL DEFAULT '',
        lease_until      TEXT NOT NULL DEFAULT '',
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT NOT NULL DEFAULT '',
        first_attempt_at TEXT,
        sent_at          TEXT,
        message_id       TEXT NOT NULL DEFAULT '',
        pdf_sha256       TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (brief, edition, reader_email)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS editions (
        brief        TEXT NOT NULL,
        edition      TEXT NOT NULL,
        facts_sha256 TEXT NOT NULL,
        pdf_sha256   TEXT NOT NULL,
        frozen_at    TEXT NOT NULL,
        PRIMARY KEY (brief, edition)
    )
    """,
)

_COLUMNS = ("brief, edition, reader_email, status, owner, lease_until, attempts, last_error, "
            "first_attempt_at, sent_at, message_id, pdf_sha256")

_CLAIM = (
    "INSERT INTO deliveries (brief, edition, reader_email, status, owner, lease_until, attempts,"
    " first_attempt_at, message_id, pdf_sha256) VALUES (?, ?, ?, 'claimed', ?, ?, 1, ?, ?, ?)"
    " ON CONFLICT (brief, edition, reader_email) DO UPDATE SET status = 'claimed',"
    " owner = excluded.owner, lease_until = excluded.lease_until, attempts = deliveries.attempts + 1,"
    " message_id = excluded.message_id, pdf_sha256 = excluded.pdf_sha256"
    " WHERE deliveries.status = 'waiting' OR (deliveries.status = 'claimed' AND deliveries.lease_until < ?)"
    " RETURNING attempts"
)


@dataclass(frozen=True)
class LedgerRow:
    """The delivery state of one edition of one brief for one reader."""

    brief: str
    edition: str
    reader_email: str
    status: Status
    owner: str
    lease_until: str
    attempts: int
    last_error: str
    first_attempt_at: str | None
    sent_at: str | None
    message_id: str
    pdf_sha256: str


@dataclass(frozen=True)
class FrozenEdition:
    """An edition whose first message went out: the PDFs every reader gets, by language, and the
    facts they were built from (both as SHA-256 hex digests)."""

    brief: str
    edition: str
    facts_sha256: str
    pdf_sha256: tuple[tuple[str, str], ...]
    frozen_at: str = ""

    def pdf_hash(self, lang: str) -> str | None:
        return dict(self.pdf_sha256).get(lang)


class Database(Protocol):
    """What the ledger needs of a database: one statement per transaction, ``?`` placeholders; the
    database's own errors raised as ``DatabaseFailure``."""

    where: str

    def create(self, statements: Sequence[str]) -> None:
        """Create the tables (``CREATE TABLE IF NOT EXISTS``), safely against a concurrent creator."""

    def execute(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]: ...

    def close(self) -> None: ...


class DatabaseFailure(Exception):
    """A database could not be opened or used; the message is the database's own (no password)."""


class _Sqlite:
    """A SQLite file in autocommit mode, WAL journal, ``synchronous=FULL``: a committed row survives a
    crash or power loss; concurrent writers wait for each other (``busy_timeout``)."""

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        try:
            if self.where != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.where, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseFailure(str(exc)) from exc

    def create(self, statements: Sequence[str]) -> None:
        try:
            _migrate_sqlite(self._db)
        except sqlite3.Error as exc:
            raise DatabaseFailure(str(exc)) from exc
        for statement in statements:
            self.execute(statement)

    def execute(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self._db.execute(sql, tuple(args)).fetchall()
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseFailure(str(exc)) from exc

    def close(self) -> None:
        self._db.close()


class _Postgres:
    """A PostgreSQL database through psycopg 3, in autocommit mode (each statement its own
    transaction, READ COMMITTED). The claim's ``INSERT … ON CONFLICT DO UPDATE … WHERE`` locks the
    reader's row, and a concurrent claimer re-reads it before its ``WHERE`` applies, so exactly one
    claimer wins, as in SQLite."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._errors = psycopg.Error
        self.where = redacted(url)
        try:
            self._db: psycopg.Connection[tuple[object, ...]] = psycopg.connect(url, autocommit=True,
                                                                               connect_timeout=10)
        except psycopg.Error as exc:
            raise DatabaseFailure(_first_line(exc)) from exc

    def create(self, statements: Sequence[str]) -> None:
        # Two first users at once: CREATE TABLE IF NOT EXISTS can race on the catalogue, so creation
        # runs under a transaction-scoped advisory lock (one creator at a time).
        try:
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(4242001)")
                for statement in statements:
                    self._db.execute(statement)
        except self._errors as exc:
            raise DatabaseFailure(_first_line(exc)) from exc

    def execute(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            cursor = self._db.execute(sql.replace("?", "%s"), tuple(args))
            return cursor.fetchall() if cursor.description else []
        except self._errors as exc:
            raise DatabaseFailure(_first_line(exc)) from exc

    def close(self) -> None:
        self._db.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _migrate_sqlite(db: sqlite3.Connection) -> None:
    """A ledger from briefgen 0.1 (statuses pending/sent/failed, no owner): keep every row; an
    interrupted ``pending`` row becomes ``waiting`` (due again), as it was due before."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(deliveries)")]
    if not columns or "owner" in columns:
        return
    db.execute("BEGIN IMMEDIATE")
    db.execute("ALTER TABLE deliveries RENAME TO deliveries_v1")
    db.execute(_SCHEMA[0])
    db.execute("INSERT INTO deliveries (brief, edition, reader_email, status, attempts, last_error,"
               " first_attempt_at, sent_at, message_id, pdf_sha256)"
               " SELECT brief, edition, reader_email,"
               " CASE status WHEN 'pending' THEN 'waiting' ELSE status END,"
               " attempts, last_error, first_attempt_at, sent_at, message_id, pdf_sha256 FROM deliveries_v1")
    db.execute("DROP TABLE deliveries_v1")
    db.execute("COMMIT")


def utc_now() -> dt.datetime:
    """The default clock: the current time in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def new_owner() -> str:
    """A sender's identity for its claims: host, process id and a random tag (``host:pid:tag``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_url(where: str | Path) -> bool:
    """Whether a ledger location names a database server rather than a SQLite file."""
    return str(where).startswith(POSTGRES_SCHEMES)


def open_database(where: str | Path) -> Database:
    """A ledger location → its database: a ``postgresql://`` URL is PostgreSQL, anything else a SQLite file."""
    return _Postgres(str(where)) if is_url(where) else _Sqlite(Path(where))


def redacted(where: str | Path) -> str:
    """A ledger location fit to print or to pass on: a password in a URL is replaced by ``***``."""
    return re.sub(r"^([a-z]+://[^:/@]*):[^@/]*@", r"\1:***@", str(where))


class Ledger:
    """The delivery ledger in ``db`` (its tables are created on first use)."""

    def __init__(self, db: Database | Path | str, clock: Clock = utc_now) -> None:
        self._clock = clock
        self.where = redacted(db) if isinstance(db, (str, Path)) else db.where
        try:
            self._db = open_database(db) if isinstance(db, (str, Path)) else db
            self._db.create(_SCHEMA)
        except DatabaseFailure as exc:
            raise DeliveryError(Problem(self.where, f"cannot open the delivery ledger ({exc})",
                                        expected="a writable SQLite file, or a postgresql:// URL of a "
                                                 "reachable database the user may create tables in")) from exc

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # --- one reader ---------------------------------------------------------------------------------

    def claim(self, brief: str, edition: str, email: str, *, owner: str, message_id: str,
              pdf_sha256: str, lease: dt.timedelta = DEFAULT_LEASE) -> bool:
        """Take this reader for ``owner`` until the lease ends; False if sent, failed or held by another."""
        now = self._clock()
        rows = self._run(_CLAIM, (brief, edition, _key(email), owner, _stamp(now + lease), _stamp(now),
                                  message_id, pdf_sha256, _stamp(now)))
        return bool(rows)

    def mark_sent(self, brief: str, edition: str, email: str, *, owner: str) -> None:
        """Right after the server accepted the message (committed immediately)."""
        self._settle(brief, edition, email, owner, "sent", "")

    def park(self, brief: str, edition: str, email: str, *, owner: str, error: str) -> None:
        """A temporary failure: the reader waits for the next pass or run, with the server's reply."""
        self._settle(brief, edition, email, owner, "waiting", error)

    def mark_failed(self, brief: str, edition: str, email: str, *, owner: str, error: str) -> None:
        """A permanent failure (the server refused this message): never retried, reported by status."""
        self._settle(brief, edition, email, owner, "failed", error)

    def release(self, brief: str, edition: str, email: str, *, owner: str, reason: str) -> None:
        """Give back a claim whose message never went out (the run stopped first)."""
        self._settle(brief, edition, email, owner, "waiting", reason)

    def reap(self, brief: str, edition: str, alive: Callable[[str], bool]) -> tuple[str, ...]:
        """Claims of this edition whose owner is known dead (``alive(owner)`` is False) → waiting."""
        return tuple(row.reader_email for row in self.rows(brief, edition) if self._reaped(row, alive))

    def reap_reader(self, brief: str, edition: str, email: str, alive: Callable[[str], bool]) -> bool:
        """``reap`` for one reader: True if its claim belonged to a dead sender and is due again."""
        row = self.row(brief, edition, email)
        return row is not None and self._reaped(row, alive)

    def _reaped(self, row: LedgerRow, alive: Callable[[str], bool]) -> bool:
        # Another sender may reap the same row at the same moment: only one of them changes it.
        return row.status == "claimed" and not alive(row.owner) and self._change(
            row.brief, row.edition, row.reader_email, row.owner, "waiting",
            f"its sender {row.owner} died while sending; the message may have gone out")

    # --- editions -----------------------------------------------------------------------------------

    def freeze(self, record: FrozenEdition) -> FrozenEdition:
        """Record ``record`` unless this edition is frozen already; return the record that stands."""
        hashes = ";".join(f"{lang}={digest}" for lang, digest in record.pdf_sha256)
        self._run("INSERT INTO editions (brief, edition, facts_sha256, pdf_sha256, frozen_at)"
                  " VALUES (?, ?, ?, ?, ?) ON CONFLICT (brief, edition) DO NOTHING",
                  (record.brief, record.edition, record.facts_sha256, hashes, _stamp(self._clock())))
        frozen = self.frozen(record.brief, record.edition)
        assert frozen is not None  # just written, or written by another sender first
        return frozen

    def frozen(self, brief: str, edition: str) -> FrozenEdition | None:
        """The frozen record of this edition, if its first message went out."""
        rows = self._run("SELECT brief, edition, facts_sha256, pdf_sha256, frozen_at FROM editions"
                         " WHERE brief = ? AND edition = ?", (brief, edition))
        return _frozen(rows[0]) if rows else None

    def editions(self, brief: str) -> tuple[FrozenEdition, ...]:
        """Every frozen edition of ``brief``, oldest first."""
        rows = self._run("SELECT brief, edition, facts_sha256, pdf_sha256, frozen_at FROM editions"
                         " WHERE brief = ? ORDER BY edition", (brief,))
        return tuple(_frozen(row) for row in rows)

    # --- reading ------------------------------------------------------------------------------------

    def rows(self, brief: str, edition: str) -> tuple[LedgerRow, ...]:
        """Every reader's row for one edition, ordered by address."""
        rows = self._run(f"SELECT {_COLUMNS} FROM deliveries WHERE brief = ? AND edition = ?"
                         " ORDER BY reader_email", (brief, edition))
        return tuple(LedgerRow(*row) for row in rows)  # type: ignore[arg-type]

    def row(self, brief: str, edition: str, email: str) -> LedgerRow | None:
        """One reader's row for one edition, if any."""
        rows = self._run(f"SELECT {_COLUMNS} FROM deliveries WHERE brief = ? AND edition = ?"
                         " AND reader_email = ?", (brief, edition, _key(email)))
        return LedgerRow(*rows[0]) if rows else None  # type: ignore[arg-type]

    def latest_editions(self, brief: str | None = None) -> tuple[tuple[str, str], ...]:
        """(brief, latest edition) for every brief in the ledger, or only for ``brief``."""
        where, args = ("WHERE brief = ?", (brief,)) if brief is not None else ("", ())
        rows = self._run("SELECT brief, MAX(edition) FROM (SELECT brief, edition FROM deliveries UNION"
                         f" SELECT brief, edition FROM editions) AS known {where} GROUP BY brief"
                         " ORDER BY brief", args)
        return tuple((str(name), str(edition)) for name, edition in rows)

    # --- internals ----------------------------------------------------------------------------------

    def _settle(self, brief: str, edition: str, email: str, owner: str, status: Status, error: str) -> None:
        if not self._change(brief, edition, email, owner, status, error):
            raise DeliveryError(Problem(self.where, f"{email} in {brief} {edition} is not claimed by {owner}"
                                                    f" (its lease ran out and another sender took it over)",
                                        expected="a claim lease longer than one message takes to send"))

    def _change(self, brief: str, edition: str, email: str, owner: str, status: Status, error: str) -> bool:
        """Settle a claim ``owner`` still holds; False if it holds none (taken over, or settled already)."""
        sent_at = _stamp(self._clock()) if status == "sent" else None
        return bool(self._run("UPDATE deliveries SET status = ?, last_error = ?, lease_until = '',"
                              " sent_at = COALESCE(?, sent_at)"
                              " WHERE brief = ? AND edition = ? AND reader_email = ? AND status = 'claimed'"
                              " AND owner = ? RETURNING reader_email",
                              (status, error, sent_at, brief, edition, _key(email), owner)))

    def _run(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        try:
            return self._db.execute(sql, args)
        except DatabaseFailure as exc:
            raise DeliveryError(Problem(self.where, f"cannot use the delivery ledger ({exc})",
                                        expected="a writable ledger (a SQLite file on a disk with free "
                                                 "space, or a reachable database)")) from exc


def _frozen(row: tuple[object, ...]) -> FrozenEdition:
    brief, edition, facts_sha256, hashes, frozen_at = (str(value) for value in row)
    pairs = tuple(tuple(item.split("=", 1)) for item in hashes.split(";") if item)
    return FrozenEdition(brief, edition, facts_sha256, pairs, frozen_at)  # type: ignore[arg-type]


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _key(email: str) -> str:
    return email.strip().lower()
