"""The SQLite delivery ledger: row life cycle, injected clock, persistence, latest editions."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from briefgen.errors import DeliveryError
from briefgen.ledger import Ledger, LedgerRow


class Clock:
    """An injected clock that moves one minute per reading."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 5, 27, 8, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


def test_a_row_goes_pending_then_sent(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.db", clock=Clock()) as ledger:
        assert ledger.should_send("xai", "2024-05-27", "Alice@Example.com")
        ledger.record_attempt("xai", "2024-05-27", "Alice@Example.com", message_id="<m1@example.com>",
                              pdf_sha256="ab" * 32)
        assert ledger.should_send("xai", "2024-05-27", "alice@example.com")  # pending: not delivered
        ledger.mark_sent("xai", "2024-05-27", "ALICE@example.com")
        assert not ledger.should_send("xai", "2024-05-27", "alice@example.com")
        assert ledger.should_send("xai", "2024-06-03", "alice@example.com")  # another edition
        assert ledger.rows("xai", "2024-05-27") == (
            LedgerRow("xai", "2024-05-27", "alice@example.com", "sent", 1, "",
                      "2024-05-27T08:01:00+00:00", "2024-05-27T08:02:00+00:00", "<m1@example.com>",
                      "ab" * 32),)


def test_a_failure_keeps_the_reply_and_a_retry_counts_attempts(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.db", clock=Clock()) as ledger:
        for _ in range(2):
            ledger.record_attempt("xai", "2024-05-27", "bob@example.com", message_id="<m@x>", pdf_sha256="")
            ledger.mark_failed("xai", "2024-05-27", "bob@example.com", "550 5.1.1 No such user")
        (row,) = ledger.rows("xai", "2024-05-27")
        assert (row.status, row.attempts, row.last_error) == ("failed", 2, "550 5.1.1 No such user")
        assert row.first_attempt_at == "2024-05-27T08:01:00+00:00" and row.sent_at is None
        assert ledger.should_send("xai", "2024-05-27", "bob@example.com")


def test_committed_rows_survive_reopening_and_use_wal(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = Ledger(path, clock=Clock())
    ledger.record_attempt("xai", "2024-05-27", "alice@example.com", message_id="<m@x>", pdf_sha256="")
    ledger.mark_sent("xai", "2024-05-27", "alice@example.com")
    ledger.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with Ledger(path) as again:
        assert not again.should_send("xai", "2024-05-27", "alice@example.com")


def test_latest_editions_per_brief(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.db", clock=Clock()) as ledger:
        for brief, edition in [("xai", "2024-05-20"), ("xai", "2024-05-27"), ("gpu", "2024-05-13")]:
            ledger.record_attempt(brief, edition, "a@example.com", message_id="<m@x>", pdf_sha256="")
        assert ledger.latest_editions() == (("gpu", "2024-05-13"), ("xai", "2024-05-27"))
        assert ledger.latest_editions("xai") == (("xai", "2024-05-27"),)
        assert ledger.latest_editions("nope") == ()


def test_marking_a_row_never_attempted_is_an_error(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.db") as ledger:
        with pytest.raises(DeliveryError, match="no attempt recorded for a@example.com in xai 2024-05-27"):
            ledger.mark_sent("xai", "2024-05-27", "a@example.com")


def test_the_ledger_folder_is_created(tmp_path: Path) -> None:
    with Ledger(tmp_path / "new" / "ledger.db") as ledger:
        assert ledger.should_send("b", "2024-07-29", "a@example.com")


def test_an_unopenable_ledger_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DeliveryError, match=r"file/ledger.db: cannot open the delivery ledger"):
        Ledger(tmp_path / "file" / "ledger.db")
