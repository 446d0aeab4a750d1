"""The delivery ledger: atomic claims with leases, the row life cycle, frozen editions, migration, persistence.

The behaviour tests run twice: on a SQLite file and on a real PostgreSQL database (services.py) — the
same SQL, the same guarantees."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from briefgen.base.errors import DeliveryError
from briefgen.deliver.ledger import FrozenEdition, Ledger, LedgerRow

UTC = dt.timezone.utc
LEASE = dt.timedelta(minutes=30)


class Clock:
    """An injected clock that moves one minute per reading, or jumps when told."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 5, 27, 8, 0, tzinfo=UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the ledger lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.db")
    return str(request.getfixturevalue("postgres_url"))


def claim(ledger: Ledger, email: str, owner: str = "host:1:a", edition: str = "2024-05-27") -> bool:
    return ledger.claim("xai", edition, email, owner=owner, message_id="<m1@example.com>", pdf_sha256="ab" * 32,
                        lease=LEASE)


def test_a_row_is_claimed_then_sent_and_never_claimed_again(where: str) -> None:
    with Ledger(where, clock=Clock()) as ledger:
        assert claim(ledger, "Alice@Example.com")
        assert not claim(ledger, "alice@example.com", owner="host:2:b")  # held: nobody else gets it
        ledger.mark_sent("xai", "2024-05-27", "ALICE@example.com", owner="host:1:a")
        assert not claim(ledger, "alice@example.com")  # sent: never again
        assert claim(ledger, "alice@example.com", edition="2024-06-03")  # another edition
        assert ledger.rows("xai", "2024-05-27") == (
            LedgerRow("xai", "2024-05-27", "alice@example.com", "sent", "host:1:a", "", 1, "",
                      "2024-05-27T08:01:00+00:00", "2024-05-27T08:03:00+00:00", "<m1@example.com>", "ab" * 32),)


def test_a_parked_reader_is_claimed_again_a_failed_one_is_not(where: str) -> None:
    with Ledger(where, clock=Clock()) as ledger:
        assert claim(ledger, "greylisted@example.com") and claim(ledger, "gone@example.com")
        ledger.park("xai", "2024-05-27", "greylisted@example.com", owner="host:1:a", error="451 4.7.1 greylisted")
        ledger.mark_failed("xai", "2024-05-27", "gone@example.com", owner="host:1:a", error="550 5.1.1 No such user")
        assert not claim(ledger, "gone@example.com", owner="host:2:b")
        assert claim(ledger, "greylisted@example.com", owner="host:2:b")
        rows = {row.reader_email: row for row in ledger.rows("xai", "2024-05-27")}
        assert (rows["greylisted@example.com"].status, rows["greylisted@example.com"].attempts) == ("claimed", 2)
        assert rows["greylisted@example.com"].owner == "host:2:b"
        assert (rows["gone@example.com"].status, rows["gone@example.com"].last_error) == (
            "failed", "550 5.1.1 No such user")


def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_settle(where: str) -> None:
    clock = Clock()
    with Ledger(where, clock=clock) as ledger:
        assert claim(ledger, "a@example.com", owner="dead:1:a")
        clock.now += dt.timedelta(minutes=29)
        assert not claim(ledger, "a@example.com", owner="live:2:b")  # lease still running
        clock.now += dt.timedelta(minutes=1)
        assert claim(ledger, "a@example.com", owner="live:2:b")
        with pytest.raises(DeliveryError, match="a@example.com in xai 2024-05-27 is not claimed by dead:1:a"):
            ledger.mark_sent("xai", "2024-05-27", "a@example.com", owner="dead:1:a")
        ledger.mark_sent("xai", "2024-05-27", "a@example.com", owner="live:2:b")
        (row,) = ledger.rows("xai", "2024-05-27")
        assert (row.status, row.attempts, row.owner) == ("sent", 2, "live:2:b")


def test_reap_frees_the_claims_of_dead_senders_only(where: str) -> None:
    with Ledger(where, clock=Clock()) as ledger:
        claim(ledger, "a@example.com", owner="host:1:dead")
        claim(ledger, "b@example.com", owner="host:2:alive")
        assert ledger.reap("xai", "2024-05-27", alive=lambda owner: owner.endswith("alive")) == ("a@example.com",)
        assert claim(ledger, "a@example.com", owner="host:3:c")
        assert not claim(ledger, "b@example.com", owner="host:3:c")
        row = ledger.row("xai", "2024-05-27", "a@example.com")
        assert row is not None and row.attempts == 2
        assert "its sender host:1:dead died while sending" in row.last_error


def _claim_all(path: str, owner: str, count: int) -> list[str]:
    with Ledger(path) as ledger:
        return [f"r{i}@example.com" for i in range(count)
                if ledger.claim("xai", "2024-05-27", f"r{i}@example.com", owner=owner, message_id="<m>",
                                pdf_sha256="", lease=LEASE)]


def test_two_processes_claiming_the_same_readers_never_both_get_one(where: str) -> None:
    path = where
    Ledger(path).close()  # created before the race, as a sender's start-up does
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        first, second = pool.starmap(_claim_all, [(path, "host:1:a", 400), (path, "host:2:b", 400)])
    assert not set(first) & set(second)
    assert len(first) + len(second) == 400


def test_freeze_keeps_the_first_record(where: str) -> None:
    with Ledger(where, clock=Clock()) as ledger:
        first = ledger.freeze(FrozenEdition("xai", "2024-05-27", "f1", (("ja", "aa"), ("en", "bb"))))
        second = ledger.freeze(FrozenEdition("xai", "2024-05-27", "f2", (("ja", "cc"),)))
        assert first == second == FrozenEdition("xai", "2024-05-27", "f1", (("ja", "aa"), ("en", "bb")),
                                                  "2024-05-27T08:01:00+00:00")
        assert first.pdf_hash("en") == "bb" and first.pdf_hash("fr") is None
        assert ledger.frozen("xai", "2024-06-03") is None
        assert [r.edition for r in ledger.editions("xai")] == ["2024-05-27"]
        assert ledger.latest_editions() == (("xai", "2024-05-27"),)


def test_committed_rows_survive_reopening_and_use_wal(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = Ledger(path, clock=Clock())
    claim(ledger, "alice@example.com")
    ledger.mark_sent("xai", "2024-05-27", "alice@example.com", owner="host:1:a")
    ledger.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with Ledger(path) as again:
        assert not claim(again, "alice@example.com", owner="host:9:z")


def test_a_ledger_from_version_0_1_is_migrated_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE deliveries (brief TEXT NOT NULL, edition TEXT NOT NULL, reader_email TEXT NOT NULL,"
                   " status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')), attempts INTEGER NOT NULL"
                   " DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', first_attempt_at TEXT, sent_at TEXT, message_id"
                   " TEXT NOT NULL DEFAULT '', pdf_sha256 TEXT NOT NULL DEFAULT '',"
                   " PRIMARY KEY (brief, edition, reader_email))")
        db.executemany("INSERT INTO deliveries (brief, edition, reader_email, status, attempts) VALUES (?, ?, ?, ?, 1)",
                       [("xai", "2024-05-27", "sent@x.com", "sent"), ("xai", "2024-05-27", "crashed@x.com", "pending")])
    with Ledger(path, clock=Clock()) as ledger:
        assert {r.reader_email: r.status for r in ledger.rows("xai", "2024-05-27")} == {
            "crashed@x.com": "waiting", "sent@x.com": "sent"}
        assert claim(ledger, "crashed@x.com") and not claim(ledger, "sent@x.com")


def test_latest_editions_per_brief(where: str) -> None:
    with Ledger(where, clock=Clock()) as ledger:
        for brief, edition in [("xai", "2024-05-20"), ("xai", "2024-05-27"), ("gpu", "2024-05-13")]:
            ledger.claim(brief, edition, "a@example.com", owner="o", message_id="<m@x>", pdf_sha256="")
        assert ledger.latest_editions() == (("gpu", "2024-05-13"), ("xai", "2024-05-27"))
        assert ledger.latest_editions("xai") == (("xai", "2024-05-27"),)
        assert ledger.latest_editions("nope") == ()


def test_marking_a_row_never_claimed_is_an_error(where: str) -> None:
    with Ledger(where) as ledger:
        with pytest.raises(DeliveryError, match="a@example.com in xai 2024-05-27 is not claimed by o"):
            ledger.mark_sent("xai", "2024-05-27", "a@example.com", owner="o")


def test_the_ledger_folder_is_created(tmp_path: Path) -> None:
    with Ledger(tmp_path / "new" / "ledger.db") as ledger:
        assert ledger.rows("b", "2024-07-29") == ()
    assert (tmp_path / "new" / "ledger.db").exists()


def test_an_unopenable_ledger_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DeliveryError, match=r"file/ledger.db: cannot open the delivery ledger"):
        Ledger(tmp_path / "file" / "ledger.db")


def test_two_senders_reaping_one_dead_claim_free_it_once(where: str) -> None:
    with Ledger(where, clock=Clock()) as first, Ledger(where, clock=Clock()) as second:
        claim(first, "a@example.com", owner="host:1:dead")
        dead = lambda owner: owner != "host:1:dead"  # noqa: E731
        assert first.reap_reader("xai", "2024-05-27", "a@example.com", dead)
        assert not second.reap_reader("xai", "2024-05-27", "a@example.com", dead)  # already freed: no error
        assert not first.reap_reader("xai", "2024-05-27", "nobody@example.com", dead)


def test_the_same_sql_on_postgresql_creates_its_tables_once_for_concurrent_first_users(postgres_url: str) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_claim_all, [(postgres_url, f"host:{i}:x", 50) for i in range(4)])
    assert sorted(r for claimed in results for r in claimed) == sorted(f"r{i}@example.com" for i in range(50))


def test_an_unreachable_postgresql_ledger_is_a_located_error_without_its_password() -> None:
    from services import free_port

    url = f"postgresql://briefs:hunter2-secret@127.0.0.1:{free_port()}/ledger"
    with pytest.raises(DeliveryError) as error:
        Ledger(url)
    message = str(error.value)
    assert message.startswith(f"postgresql://briefs:***@127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/ledger: "
                              "cannot open the delivery ledger (")
    assert "hunter2" not in message and "\n" not in message
