"""A brief id + readers + SMTP settings → this week's edition, frozen, sent to each reader once.

Used by ``run.py send`` and by every scheduled run. The order matters: validate everything (brief,
facts, claims, readers, settings, the ledger) before building; build before sending; nothing is sent
from a brief that failed to build, validate, or pass its claim checks.

Which edition: the week's (``briefgen.editions``): an edition already frozen this ISO week is
continued — its archived PDFs are sent as they are, and if the facts changed since, the send is
refused unless ``new_edition`` asks for a revision — otherwise a new edition is built, frozen in the
ledger and archived before its first message goes out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import jinja2

from briefgen import archive, compose, editions, pipeline, readers, spec
from briefgen.errors import CheckFailed, DeliveryError, Problem
from briefgen.ledger import DEFAULT_LEASE, Ledger, utc_now
from briefgen.mail import SmtpTransport, Transport
from briefgen.model import Edition
from briefgen.send import SendReport, send_edition
from briefgen.settings import SmtpSettings


@dataclass(frozen=True)
class Delivery:
    """Where delivery reads and writes: the readers file, the ledger, the folders."""

    readers_path: Path
    ledger_path: Path | str
    data_dir: Path = pipeline.DATA_DIR
    reports_dir: Path = pipeline.REPORTS_DIR
    templates_dir: Path = pipeline.TEMPLATES_DIR


@dataclass(frozen=True)
class SendOptions:
    """What one send may do beyond the default (this week's edition, every reader still due)."""

    edition: dt.date | None = None          # --edition: that date's edition instead of this week's
    new_edition: bool = False               # --new-edition: a revision of a frozen edition
    ledger_is_new: bool = False             # --i-know-the-ledger-is-new
    dry_run_dir: Path | None = None         # --dry-run: write .eml files here, send nothing
    only: Sequence[str] = ()                # --to
    lease: dt.timedelta = DEFAULT_LEASE     # how long a claim on one reader holds


TransportFactory = Callable[[SmtpSettings], Transport]


def deliver(brief: str, where: Delivery, settings: SmtpSettings, *, now: dt.datetime,
            options: SendOptions = SendOptions(), stop: Callable[[], bool] = lambda: False,
            transport: TransportFactory = SmtpTransport,
            clock: Callable[[], dt.datetime] = utc_now) -> SendReport:
    """Send ``brief``'s edition for the week of ``now`` (see the module docstring) to its readers, once each."""
    env = compose.template_env(where.templates_dir)
    prepared = pipeline.prepare(pipeline.resolve_spec(brief, where.data_dir))
    refuse_if_contradicted(prepared)
    audience = readers.load_readers(where.readers_path, spec.find_specs(where.data_dir))
    with Ledger(where.ledger_path, clock) as ledger:
        edition = current_edition(prepared, env, where.reports_dir, ledger, now, options)
        return send_edition(edition, audience, transport(settings), ledger, dry_run_dir=options.dry_run_dir,
                            only=options.only, clock=clock, lease=options.lease, stop=stop)


def current_edition(prepared: pipeline.Prepared, env: jinja2.Environment, reports_dir: Path, ledger: Ledger,
                    now: dt.datetime, options: SendOptions) -> Edition:
    """The edition to send now: the week's frozen edition read back, or a new one built and frozen
    (a dry run builds it in memory only)."""
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
            return archive.load_frozen(brief_id, key, reports_dir, ledger)
        except archive.ArchiveMissing as missing:
            return _rebuild_archive(prepared, env, reports_dir, ledger, key, missing)
    if frozen is not None:
        key = editions.next_revision(key, known)
    built = pipeline.render_edition(prepared, prepared.spec.languages, editions.edition_date(key), env,
                                    reports_dir, key)
    if options.dry_run_dir is not None:
        return built
    stands = archive.freeze(built, digest, ledger)
    pipeline.write_edition(built, prepared.facts, reports_dir)
    archive.write_manifest(built, stands, reports_dir, ledger.where)
    return built


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


def refuse_if_contradicted(prepared: pipeline.Prepared) -> None:
    """Raise ``CheckFailed`` when the spec blocks on contradicted claims no editor has acknowledged."""
    if prepared.contradicted and prepared.spec.block_on_contradicted:
        raise CheckFailed(*(Problem(c.claim.origin, f"claim {c.claim.id} 「{c.claim.quote}」 is "
                                    f"contradicted by the facts; nothing was sent",
                                    field=f"{c.claim.id}.acknowledged",
                                    expected="an editor's note in `acknowledged`, or "
                                             "block_on_contradicted: false")
                            for c in prepared.contradicted))
