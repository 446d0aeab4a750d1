"""A brief id + readers + SMTP settings → this week's edition, frozen, sent to each reader once.

Used by ``run.py send`` and by every scheduled run. The order matters: validate everything (brief,
facts, claims, readers, settings, the ledger) before building; build before sending; nothing is sent
from a brief that failed to build, validate, or pass its claim checks, nor from a draft.

Which edition: the week's (``briefgen.deliver.editions``): an edition already frozen this ISO week is
continued — its archived PDFs are sent as they are, and if the facts changed since, the send is
refused unless ``new_edition`` asks for a revision — otherwise a new edition is built, and frozen in
the ledger and archived only when its first message (or task) is about to go out: a send that
stops before that (no readers, a reader refused by the header checks, an unknown ``--to``) leaves
no edition behind, so the facts may still change.

With ``SendOptions.queue`` the readers are not sent here but enqueued, one Celery task each
(``briefgen.deliver.worker``), and the run waits (up to ``queue_wait``) for the workers to serve them,
reading their progress from the shared ledger.

A dry run (``.eml`` files) and a test send (``send --test``: any address, subject ``[TEST]``) build
the edition in memory and record nothing in the ledger or the archive. Both go ahead when a claim
blocks the edition, and their messages say so (``[BLOCKED]`` and why): the editor sees what is wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import jinja2

from briefgen import pipeline
from briefgen.base import words
from briefgen.base.errors import CheckFailed, DeliveryError, Problem, SpecError, StrictFailed
from briefgen.base.model import BriefSpec, ClaimCheck, Edition
from briefgen.compose import compose
from briefgen.deliver import archive, editions
from briefgen.deliver.ledger import DEFAULT_LEASE, Ledger, utc_now
from briefgen.deliver.mail import Marking, SmtpTransport, Transport, headers
from briefgen.deliver.send import (
    Attempt,
    Outcome,
    Patience,
    SendReport,
    State,
    edition_status,
    recipients_of,
    send_edition,
    send_test,
)
from briefgen.load import readers, spec
from briefgen.load.settings import SmtpSettings

log = logging.getLogger("briefgen")


@dataclass(frozen=True)
class Delivery:
    """Where delivery reads and writes: the readers file, the ledger, the folders."""

    readers_path: Path
    ledger_path: Path | str
    data_dir: Path = pipeline.DATA_DIR
    reports_dir: Path = pipeline.REPORTS_DIR
    templates_dir: Path = pipeline.TEMPLATES_DIR
    config_path: Path | None = None         # the SMTP settings file (a queued send's workers read it too)


@dataclass(frozen=True)
class SendOptions:
    """What one send may do beyond the default (this week's edition, every reader still due)."""

    edition: dt.date | None = None          # --edition: that date's edition instead of this week's
    new_edition: bool = False               # --new-edition: a revision of a frozen edition
    ledger_is_new: bool = False             # --i-know-the-ledger-is-new
    dry_run_dir: Path | None = None         # --dry-run: write .eml files here, send nothing
    only: Sequence[str] = ()                # --to
    test_to: Sequence[str] = ()             # --test: these addresses only, marked [TEST], no ledger
    lease: dt.timedelta = DEFAULT_LEASE     # how long a claim on one reader holds
    queue: str | None = None                # --queue: enqueue one Celery task per reader instead
    queue_wait: dt.timedelta = dt.timedelta(hours=1)  # --wait: how long to wait for the workers
    strict: bool = False                    # --strict: no new edition whose build logged a warning

    @property
    def sends_edition(self) -> bool:
        """A real send: the edition is frozen and archived, and the ledger records each reader."""
        return self.dry_run_dir is None and not self.test_to


TransportFactory = Callable[[SmtpSettings], Transport]


def deliver(brief: str, where: Delivery, settings: SmtpSettings, *, now: dt.datetime,
            options: SendOptions = SendOptions(), stop: Callable[[], bool] = lambda: False,
            transport: TransportFactory = SmtpTransport,
            clock: Callable[[], dt.datetime] = utc_now, patience: Patience = Patience()) -> SendReport:
    """Send ``brief``'s edition for the week of ``now`` (see the module docstring) to its readers, once each.
    ``patience`` is how a send waits for readers held elsewhere (``wait`` is replaced by
    ``options.queue_wait`` for a queued send)."""
    with pipeline.warnings_logged() as warned:
        env = compose.template_env(where.templates_dir)
        prepared = pipeline.prepare(pipeline.resolve_spec(brief, where.data_dir))
    refuse_if_draft(prepared.spec)
    if options.sends_edition:
        refuse_if_contradicted(prepared)
    audience = readers.load_readers(where.readers_path, spec.find_specs(where.data_dir))
    marking = Marking(test=bool(options.test_to), blocked=blocked_by(prepared))
    with Ledger(where.ledger_path, clock) as ledger:
        with pipeline.warnings_logged() as building:
            current = current_edition(prepared, env, where.reports_dir, ledger, now, options)
        if options.strict and current.new and (warned or building):
            raise StrictFailed(*warned, *building, held_back="nothing was frozen or sent")
        if options.test_to:  # the edition as built or archived, never frozen by a test
            return send_test(current.edition, audience, options.test_to, transport(settings), now=clock(),
                             marking=marking)
        if options.queue is not None and options.sends_edition:
            return queue_edition(current, audience, ledger, where, settings, options, stop=stop, clock=clock,
                                 patience=patience)
        return send_edition(current.edition, audience, transport(settings), ledger,
                            dry_run_dir=options.dry_run_dir, only=options.only, clock=clock, lease=options.lease,
                            stop=stop, patience=patience, before_first=current.freeze, marking=marking)


@dataclass(frozen=True)
class Current:
    """The edition to send now, and ``freeze``: what makes a new edition final (its hashes recorded
    in the ledger, its PDFs and manifest archived), run when its first message is about to go out;
    nothing for an edition read back from the archive. ``new``: built now, not frozen before."""

    edition: Edition
    freeze: Callable[[], object] = lambda: None
    new: bool = False


def queue_edition(current: Current, audience: Sequence[readers.Reader], ledger: Ledger, where: Delivery,
                  settings: SmtpSettings, options: SendOptions, *, stop: Callable[[], bool],
                  clock: Callable[[], dt.datetime], patience: Patience) -> SendReport:
    """Enqueue a task for each reader of ``edition`` still due, then wait for the workers to serve
    them all (or for ``options.queue_wait``, or ``stop()``); report each reader as the ledger tells."""
    from briefgen.deliver import worker  # Celery is imported only by a queued send

    assert options.queue is not None
    edition = current.edition
    recipients = recipients_of(edition, audience, options.only)
    for reader in recipients:  # every header checked before the first task is queued
        headers(edition, reader, settings.identity)
    if recipients:
        current.freeze()
    due = [r for r in recipients if _due(ledger, edition, r.email)]
    worker.enqueue(options.queue, worker.jobs(edition, due, reports_dir=where.reports_dir,
                                              where=str(where.ledger_path), config=where.config_path,
                                              lease_seconds=options.lease.total_seconds()))
    log.info("%s %s: %d readers queued on %s", edition.brief_id, edition.edition, len(due), options.queue)
    emails = [r.email for r in recipients]
    deadline = clock() + options.queue_wait
    while True:
        status = edition_status(ledger, edition.brief_id, edition.edition, emails)
        if all(r.state in ("sent", "failed") for r in status.readers) or stop() or clock() >= deadline:
            break
        patience.sleep(patience.poll.total_seconds())
    queued = {r.email.strip().lower() for r in due}
    return SendReport(edition.brief_id, edition.edition,
                      tuple(Attempt(r.email, _QUEUED[r.state] if r.email in queued else "skipped", r.detail)
                            for r in status.readers))


_QUEUED: dict[State, Outcome] = {"sent": "sent", "failed": "failed", "waiting": "waiting",
                                 "in flight": "elsewhere", "never tried": "untried"}


def _due(ledger: Ledger, edition: Edition, email: str) -> bool:
    row = ledger.row(edition.brief_id, edition.edition, email)
    return row is None or row.status in ("waiting", "claimed")


def current_edition(prepared: pipeline.Prepared, env: jinja2.Environment, reports_dir: Path, ledger: Ledger,
                    now: dt.datetime, options: SendOptions) -> Current:
    """The edition to send now: the week's frozen edition read back, or a new one built, to be
    frozen by its first message (a dry run's or a test send's is never frozen)."""
    brief_id = prepared.spec.id
    if not options.ledger_is_new:
        archive.check_ledger_knows(brief_id, reports_dir, ledger)
    known = [record.edition for record in ledger.editions(brief_id)]
    key = editions.resolve(known, slot=prepared.spec.schedule, now_utc=now, explicit=options.edition)
    digest = archive.facts_digest(prepared.facts)
    frozen = ledger.frozen(brief_id, key)
    if frozen is not None and not options.new_edition:
        if frozen.facts_sha256 != digest:
            raise DeliveryError(Problem(
                f"{prepared.spec.facts_path}", f"the facts changed since edition {key} of {brief_id} went out "
                                               f"({frozen.frozen_at}); nothing was sent",
                expected="the facts as they were, so its remaining readers get the same edition, or "
                         "--new-edition to send a revised edition to every reader"))
        try:
            return Current(archive.load_frozen(brief_id, key, reports_dir, ledger))
        except archive.ArchiveMissing as missing:
            return Current(_rebuild_archive(prepared, env, reports_dir, ledger, key, missing))
    if frozen is not None:
        key = editions.next_revision(key, known)
    built = pipeline.render_edition(prepared, prepared.spec.languages, editions.edition_date(key), env,
                                    reports_dir, key)
    if options.dry_run_dir is not None:
        return Current(built, new=True)

    def freeze() -> None:
        stands = archive.freeze(built, digest, ledger)
        pipeline.write_edition(built, prepared.facts, reports_dir)
        archive.write_manifest(built, stands, reports_dir, ledger.where)

    return Current(built, freeze, new=True)


def _rebuild_archive(prepared: pipeline.Prepared, env: jinja2.Environment, reports_dir: Path, ledger: Ledger,
                     key: str, missing: archive.ArchiveMissing) -> Edition:
    """A frozen edition whose archive is gone: rebuilt (rendering is deterministic) and archived again,
    only if the rebuilt PDFs are exactly the frozen ones; otherwise the archive's problem stands."""
    built = pipeline.render_edition(prepared, prepared.spec.languages, editions.edition_date(key), env,
                                    reports_dir, key)
    frozen = ledger.frozen(prepared.spec.id, key)
    if frozen is None or archive.pdf_digests(built) != frozen.pdf_sha256:
        raise missing
    pipeline.write_edition(built, prepared.facts, reports_dir)
    archive.write_manifest(built, frozen, reports_dir, ledger.where)
    return built


def refuse_if_draft(brief_spec: BriefSpec) -> None:
    """Raise ``SpecError`` for a draft (``draft: true``): a brief ``run.py draft`` made is never sent
    or scheduled until an editor has reviewed it and removed the flag."""
    if brief_spec.draft:
        raise SpecError(Problem(brief_spec.origin, f"brief {brief_spec.id} is a draft; nothing was sent",
                                field="draft", expected="the brief reviewed (facts, claims, the to-review list), "
                                                        "then draft: true and review: deleted"))


def refuse_if_contradicted(prepared: pipeline.Prepared) -> None:
    """Raise ``CheckFailed`` when the spec blocks on contradicted claims no editor has acknowledged."""
    if blocked_by(prepared):
        raise CheckFailed(*(Problem(c.claim.origin, f"{_contradicted(c).text('en')}; nothing was sent",
                                    field=f"{c.claim.id}.acknowledged",
                                    expected="an editor's note in `acknowledged`, or "
                                             "block_on_contradicted: false")
                            for c in prepared.contradicted))


def blocked_by(prepared: pipeline.Prepared) -> tuple[words.Phrase, ...]:
    """Why this brief may not be sent (its unacknowledged contradicted claims, when the spec blocks on
    them), to be worded in each reader's language."""
    if not prepared.spec.block_on_contradicted:
        return ()
    return tuple(words.phrase("claim.where", reason=_contradicted(c), origin=c.claim.origin)
                 for c in prepared.contradicted)


def _contradicted(check: ClaimCheck) -> words.Phrase:
    return words.phrase("claim.blocked", claim=check.claim.id, quote=check.claim.quote)
