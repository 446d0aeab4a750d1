"""A queued reader → one message sent by a Celery worker, under the same ledger claim as ``send``.

``send BRIEF --queue redis://…`` freezes and archives the week's edition exactly as ``send`` does,
then enqueues one task per reader still due (``enqueue``). A worker — ``celery -A briefgen.deliver.worker
worker``, with ``BRIEFGEN_QUEUE`` naming the same broker — takes one task at a time: it reads the
frozen edition back from the archive (once per process; every PDF checked against the ledger's
hashes; it builds nothing), then runs ``Sender.send``, the code ``send`` itself runs: claim the
reader in the shared ledger, send, mark the row. So a duplicate enqueue, two workers, or a task
delivered again after a worker died send each reader once; a worker killed in the middle of a
message costs at most that message, sent again with the same Message-ID.

Tasks are acknowledged only when they finish (``acks_late``) and fetched one at a time
(``prefetch 1``): the task of a killed worker goes back to the queue after the broker's visibility
timeout (``BRIEFGEN_QUEUE_VISIBILITY`` seconds, default 3600) and another worker takes over the
dead worker's claim — at once when the dead worker ran on the same host, else when its lease ends.
A temporary failure (or a reader another live sender holds) is retried with backoff, up to
``RETRIES`` times; after that the reader stays ``waiting`` in the ledger for the next ``send``.

A task carries no secret: the brief, the edition, the reader (address, name, language) and where
the project keeps its archive, ledger and SMTP settings file. A worker reads the SMTP password (and a
PostgreSQL password, via ``PGPASSWORD`` or ``~/.pgpass``) from its own environment, as ``send`` does;
workers on other hosts need the same reports folder (a shared file system) and the same ledger.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from celery import Celery, Task
from celery.signals import worker_process_shutdown, worker_shutdown

from briefgen.base.errors import DeliveryError, Problem
from briefgen.base.model import Edition
from briefgen.deliver import archive, ledger
from briefgen.deliver.mail import SmtpTransport
from briefgen.deliver.send import Attempt, Sender, owner_alive
from briefgen.load import settings
from briefgen.load.readers import Reader

log = logging.getLogger("briefgen")

QUEUE_VAR = "BRIEFGEN_QUEUE"
VISIBILITY_VAR = "BRIEFGEN_QUEUE_VISIBILITY"
TASK = "briefgen.send_reader"
#: Retries of one reader's task (temporary failures, a reader held by a live sender): 30 s, doubling,
#: at most an hour apart — about 9 hours in all.
RETRIES = 12
FIRST_RETRY = 30.0
LAST_RETRY = 3600.0

app = Celery("briefgen")
app.conf.update(
    broker_url=os.environ.get(QUEUE_VAR, "redis://127.0.0.1:6379/0"),
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": float(os.environ.get(VISIBILITY_VAR, "3600"))},
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
)


@dataclass(frozen=True)
class Job:
    """One task: send ``edition`` of ``brief`` to one reader. Plain strings only (the queue's JSON)."""

    brief: str
    edition: str
    email: str
    name: str
    lang: str
    reports_dir: str
    ledger: str
    config: str
    lease_seconds: float

    @property
    def reader(self) -> Reader:
        return Reader(self.name, self.email, self.lang, (self.brief,))  # type: ignore[arg-type]


def jobs(edition: Edition, recipients: Iterable[Reader], *, reports_dir: Path, where: str,
         config: Path | None, lease_seconds: float) -> list[Job]:
    """The tasks for ``recipients`` of ``edition`` (its archive in ``reports_dir``, its ledger ``where``)."""
    if ledger.redacted(where) != where:
        raise DeliveryError(Problem(ledger.redacted(where), "a queued send cannot carry the ledger's password",
                                    field="--ledger",
                                    expected="the URL without the password, which the workers (and "
                                             "send) then read from PGPASSWORD or ~/.pgpass"))
    located = where if ledger.is_url(where) else str(Path(where).resolve())
    return [Job(edition.brief_id, edition.edition, r.email, r.name, r.lang, str(reports_dir.resolve()), located,
                str(config.resolve()) if config else "", lease_seconds) for r in recipients]


def enqueue(queue: str, tasks: Sequence[Job]) -> None:
    """Put one task per job on the broker at ``queue`` (a ``redis://`` URL), over one connection."""
    try:
        with app.connection_for_write(queue) as connection, connection.Producer() as producer:
            for job in tasks:
                send_reader.apply_async(args=(asdict(job),), producer=producer, retry=True,
                                        retry_policy={"max_retries": 3})
    except OSError as exc:  # kombu's OperationalError is an OSError too
        raise DeliveryError(Problem(queue, f"cannot enqueue the edition's readers ({exc})",
                                    field="--queue", expected="a reachable redis:// broker")) from exc


class _Station:
    """What one worker process keeps for the edition it is sending: the ledger and the Sender
    (the frozen edition read back once, its messages' PDF parts encoded once per language)."""

    def __init__(self, job: Job) -> None:
        self.ledger = ledger.Ledger(job.ledger)
        edition = archive.load_frozen(job.brief, job.edition, Path(job.reports_dir), self.ledger)
        smtp = settings.load_settings(Path(job.config) if job.config else None, os.environ)
        self.sender = Sender(edition, SmtpTransport(smtp), self.ledger, ledger.utc_now())

    def close(self) -> None:
        self.sender.transport.close()
        self.ledger.close()


_stations: dict[tuple[str, ...], _Station] = {}


def _station(job: Job) -> _Station:
    key = (job.ledger, job.reports_dir, job.config, job.brief, job.edition)
    if key not in _stations:
        for stale in [k for k in _stations if k[:4] == key[:4]]:  # the brief's previous edition
            _stations.pop(stale).close()
        _stations[key] = _Station(job)
    return _stations[key]


def send_one(job: Job) -> Attempt:
    """Send ``job``'s reader its message unless it is sent, refused or held by a live sender."""
    station = _station(job)
    station.sender.lease = dt.timedelta(seconds=job.lease_seconds)
    attempt = station.sender.send(job.reader)
    if attempt.outcome == "elsewhere" and station.ledger.reap_reader(job.brief, job.edition, job.email,
                                                                       owner_alive):
        attempt = station.sender.send(job.reader)  # its sender died: this worker takes it over
    return attempt


@app.task(name=TASK, bind=True, max_retries=RETRIES)
def send_reader(self: Task[Any, Any], payload: dict[str, Any]) -> str:
    attempt = send_one(Job(**payload))
    if attempt.outcome in ("waiting", "elsewhere"):
        delay = min(FIRST_RETRY * 2 ** self.request.retries, LAST_RETRY)
        log.info("%s: %s; trying again in %g s", attempt.email, attempt.detail, delay)
        raise self.retry(countdown=delay)
    return attempt.outcome


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close_stations(**_: object) -> None:
    while _stations:
        _stations.popitem()[1].close()

