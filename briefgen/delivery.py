"""A brief id + readers + SMTP settings → one checked edition sent to each reader once.

Used by ``run.py send`` and by every scheduled run. The order matters: validate everything
(brief, facts, claims, readers, settings) before building; build before sending; nothing is sent
from a brief that failed to build, validate, or pass its claim checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from briefgen import compose, pipeline, readers, spec
from briefgen.errors import CheckFailed, Problem
from briefgen.ledger import Ledger
from briefgen.mail import SmtpTransport, Transport
from briefgen.model import LANGS, Lang
from briefgen.send import SendReport, send_edition
from briefgen.settings import SmtpSettings


@dataclass(frozen=True)
class Delivery:
    """Where delivery reads and writes: the readers file, the ledger, the folders."""

    readers_path: Path
    ledger_path: Path
    data_dir: Path = pipeline.DATA_DIR
    reports_dir: Path = pipeline.REPORTS_DIR
    templates_dir: Path = pipeline.TEMPLATES_DIR


TransportFactory = Callable[[SmtpSettings], Transport]


def deliver(brief: str, edition: dt.date, where: Delivery, settings: SmtpSettings, *,
            dry_run_dir: Path | None = None, only: Sequence[str] = (),
            stop: Callable[[], bool] = lambda: False,
            transport: TransportFactory = SmtpTransport) -> SendReport:
    """Build ``brief``'s edition for ``edition`` in the readers' languages and send it once each."""
    env = compose.template_env(where.templates_dir)
    prepared = pipeline.prepare(pipeline.resolve_spec(brief, where.data_dir))
    refuse_if_contradicted(prepared)
    audience = readers.load_readers(where.readers_path, spec.find_specs(where.data_dir))
    langs = _languages(prepared, [r.lang for r in audience if r.receives(prepared.spec.id)])
    built = pipeline.render_edition(prepared, langs, edition, env, where.reports_dir)
    with Ledger(where.ledger_path) as ledger:
        return send_edition(built, audience, transport(settings), ledger, dry_run_dir=dry_run_dir,
                            only=only, stop=stop)


def refuse_if_contradicted(prepared: pipeline.Prepared) -> None:
    """Raise ``CheckFailed`` when the spec blocks on contradicted claims no editor has acknowledged."""
    if prepared.contradicted and prepared.spec.block_on_contradicted:
        raise CheckFailed(*(Problem(c.claim.origin, f"claim {c.claim.id} 「{c.claim.quote}」 is "
                                    f"contradicted by the facts; nothing was sent",
                                    field=f"{c.claim.id}.acknowledged",
                                    expected="an editor's note in `acknowledged`, or "
                                             "block_on_contradicted: false")
                            for c in prepared.contradicted))


def _languages(prepared: pipeline.Prepared, wanted: Sequence[str]) -> tuple[Lang, ...]:
    """The spec's languages that some reader wants, in the spec's order (a reader's language the
    spec lacks is reported by ``send_edition`` when it checks that reader's headers)."""
    chosen = tuple(lang for lang in prepared.spec.languages if lang in wanted)
    return chosen or tuple(lang for lang in LANGS if lang in prepared.spec.languages)[:1]
