"""A built edition → its frozen archive (and back): the exact PDFs every reader gets, recorded in the ledger.

When the first message of an edition is about to go out, ``freeze`` records the SHA-256 of each
language's PDF and of the facts it was built from in the ledger (first sender wins), and writes a
manifest next to the archived PDFs (``reports/<brief>/<edition>.edition.json``: title, digest and
file of each language). From then on every sender of that edition — a rerun tomorrow, a second
``send``, a Celery worker — sends those bytes: ``load_frozen`` reads them back and checks them against
the ledger's hashes, and builds nothing.

The manifests are also how a lost ledger is noticed: ``check_ledger_knows`` refuses to send when the
reports folder holds an edition that went out but the ledger has no record of it (a deleted, emptied
or replaced ledger would otherwise send everything again).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Mapping

from briefgen.base.errors import DeliveryError, Problem
from briefgen.base.model import Brief, ClaimWarning, Digest, Edition, FactSet, KeyFigure, Rendered
from briefgen.base.output import report_path, safe_component, write_atomic
from briefgen.deliver.editions import edition_date
from briefgen.deliver.ledger import FrozenEdition, Ledger
from briefgen.load.snapshot import encoded
from briefgen.load.tables import read_text

MANIFEST_SUFFIX = ".edition.json"


def facts_digest(facts: FactSet) -> str:
    """SHA-256 of the facts as the edition's snapshot records them (values, units, dates, quotes,
    labels), in its compact form, hashed a chunk at a time (a million facts are never one string)."""
    digest = hashlib.sha256()
    for chunk in encoded(facts, compact=True):
        digest.update(chunk)
    return digest.hexdigest()


def pdf_digests(edition: Edition) -> tuple[tuple[str, str], ...]:
    """(language, SHA-256 of its PDF) for every language of ``edition``, in order."""
    return tuple((lang, hashlib.sha256(r.pdf).hexdigest()) for lang, r in edition.languages.items())


def manifest_path(reports_dir: Path, brief_id: str, edition: str) -> Path:
    return reports_dir / safe_component(brief_id) / f"{safe_component(edition)}{MANIFEST_SUFFIX}"


class ArchiveMissing(DeliveryError):
    """A frozen edition's archived PDFs or manifest are missing or altered."""


def freeze(edition: Edition, facts_sha256: str, ledger: Ledger) -> FrozenEdition:
    """Freeze ``edition`` in the ledger unless another sender froze it first; raise ``DeliveryError``
    when the edition that stands has other PDFs or facts than this one (nothing is written then)."""
    ours = FrozenEdition(edition.brief_id, edition.edition, facts_sha256, pdf_digests(edition))
    stands = ledger.freeze(ours)
    if (stands.facts_sha256, stands.pdf_sha256) != (ours.facts_sha256, ours.pdf_sha256):
        raise DeliveryError(Problem(
            f"{edition.brief_id} {edition.edition}",
            f"another sender froze this edition at {stands.frozen_at} with other "
            f"{'facts' if stands.facts_sha256 != facts_sha256 else 'PDFs'}; nothing was sent",
            expected="one set of facts per edition: run send again to send the frozen edition, or "
                     "--new-edition to send a revision"))
    return stands


def write_manifest(edition: Edition, frozen: FrozenEdition, reports_dir: Path, ledger_where: str) -> Path:
    """Write the manifest of ``edition`` (its PDFs already archived) next to them."""
    data = {
        "brief": edition.brief_id, "edition": edition.edition, "frozen_at": frozen.frozen_at,
        "facts_sha256": frozen.facts_sha256, "ledger": ledger_where,
        "languages": {lang: {"file": Path(r.path).name, "sha256": frozen.pdf_hash(lang),
                             "title": r.brief.title, "digest": asdict(r.brief.digest)}
                      for lang, r in edition.languages.items()},
    }
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return write_atomic(text.encode("utf-8"), manifest_path(reports_dir, edition.brief_id, edition.edition))


def load_frozen(brief_id: str, key: str, reports_dir: Path, ledger: Ledger) -> Edition:
    """The frozen edition ``key`` of ``brief_id`` from the archive, every PDF checked against the ledger."""
    frozen = ledger.frozen(brief_id, key)
    path = manifest_path(reports_dir, brief_id, key)
    if frozen is None:
        raise DeliveryError(Problem(f"{brief_id} {key}", "this edition was never sent, so it has no frozen "
                                                          "archive", expected="send it first"))
    manifest = _read_manifest(path)
    languages = {lang: _rendered(reports_dir, brief_id, key, lang, entry, frozen)
                 for lang, entry in manifest.items()}
    return Edition(brief_id=brief_id, edition=key, title={lang: r.brief.title for lang, r in languages.items()},
                   languages=languages)


def check_ledger_knows(brief_id: str, reports_dir: Path, ledger: Ledger) -> None:
    """Refuse when the reports folder holds an edition of ``brief_id`` that went out but the ledger
    does not know it (deleted, emptied or replaced ledger)."""
    folder = reports_dir / safe_component(brief_id)
    sent = sorted(p.name[: -len(MANIFEST_SUFFIX)] for p in folder.glob(f"*{MANIFEST_SUFFIX}"))
    known = {record.edition for record in ledger.editions(brief_id)}
    lost = [edition for edition in sent if edition not in known]
    if lost:
        raise DeliveryError(Problem(
            ledger.where, f"the ledger has no record of {brief_id} edition{'s' if len(lost) > 1 else ''} "
                          f"{', '.join(lost)}, which went out (see {folder}); sending now could mail "
                          "every reader again; nothing was sent",
            expected="the ledger those editions were sent with (--ledger / --state), or "
                     "--i-know-the-ledger-is-new to start a new ledger anyway"))


def _read_manifest(path: Path) -> Mapping[str, Mapping[str, object]]:
    if not path.exists():
        raise ArchiveMissing(Problem(str(path), "the frozen edition's archive is missing",
                                    expected="the reports folder the edition was sent from (--reports)"))
    try:
        languages = json.loads(read_text(path, DeliveryError))["languages"]
        if not isinstance(languages, dict) or not all(isinstance(v, dict) for v in languages.values()):
            raise TypeError("languages is not an object of objects")
        return languages
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveMissing(Problem(str(path), f"unreadable edition manifest ({exc})",
                                    expected="the JSON briefgen wrote when the edition went out")) from exc


def _rendered(reports_dir: Path, brief_id: str, key: str, lang: str, entry: Mapping[str, object],
              frozen: FrozenEdition) -> Rendered:
    pdf_path = report_path(reports_dir, brief_id, lang, key)
    try:
        pdf = pdf_path.read_bytes()
    except OSError as exc:
        raise ArchiveMissing(Problem(str(pdf_path), f"cannot read the frozen PDF ({exc.strerror or exc})",
                                    expected="the PDF archived when the edition went out")) from exc
    if hashlib.sha256(pdf).hexdigest() != frozen.pdf_hash(lang):
        raise ArchiveMissing(Problem(str(pdf_path), "differs from the PDF this edition's readers got "
                                                   f"(SHA-256 recorded in {frozen.frozen_at})",
                                    expected="the archived PDF as it was sent; restore it from a backup"))
    brief = Brief(brief_id=brief_id, title=str(entry.get("title", "")), lang=lang,  # type: ignore[arg-type]
                  date=edition_date(key), blocks=(),
                  digest=_digest(entry.get("digest"), manifest_path(reports_dir, brief_id, key)))
    return Rendered(brief=brief, pdf=pdf, path=str(pdf_path))


def _digest(data: object, where: Path) -> Digest:
    """The manifest's digest (what the email says) back as a ``Digest``; none in a manifest written
    before the email had one."""
    if data is None:
        return Digest()
    try:
        if not isinstance(data, dict):
            raise TypeError("digest is not an object")
        return Digest(headline=str(data["headline"]),
                      key_numbers=tuple(KeyFigure(str(k["figure"]), str(k["caption"])) for k in data["key_numbers"]),
                      warnings=tuple(ClaimWarning(w["verdict"], str(w["quote"]), str(w["finding"]), str(w["note"]))
                                     for w in data["warnings"]))
    except (KeyError, TypeError) as exc:
        raise ArchiveMissing(Problem(str(where), f"unreadable digest in the edition manifest ({exc!r})",
                                    expected="the JSON briefgen wrote when the edition went out")) from exc

