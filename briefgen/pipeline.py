"""A brief spec on disk → rendered PDF editions: load → compare → check → compose → render → write.

This module only orchestrates; each stage lives in its own module and is pure except the loading
edge (``facts``, ``spec``) and the writing edge (``output``).
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import jinja2

from briefgen.base import caches, codecache, output, parse, units
from briefgen.base.errors import BriefError, FactsError, Problem, SpecError, StrictFailed
from briefgen.base.model import (
    BriefSpec,
    ClaimCheck,
    Comparison,
    Conflict,
    Edition,
    FactSet,
    History,
    Lang,
    Rendered,
)
from briefgen.compose import compose, trend
from briefgen.compute import checks, compare, lint
from briefgen.load import facts, snapshot, spec
from briefgen.render import fonts, glyphs, render

#: The library's defaults: a project's folders, relative to the current folder.
DATA_DIR = Path("data")
TEMPLATES_DIR = Path("templates")
REPORTS_DIR = Path("reports")
LOG = logging.getLogger("briefgen")


@dataclass(frozen=True)
class Prepared:
    """Everything computed before composing: the validated inputs and what they yield."""

    spec: BriefSpec
    facts: FactSet
    comparisons: tuple[Comparison, ...]
    checks: tuple[ClaimCheck, ...]
    conflicts: tuple[Conflict, ...]

    @property
    def contradicted(self) -> tuple[ClaimCheck, ...]:
        """Contradicted claims an editor has not acknowledged in the spec."""
        return tuple(c for c in self.checks if c.verdict == "contradicted" and not c.claim.acknowledged)


def resolve_spec(brief: str | Path, data_dir: Path = DATA_DIR) -> Path:
    """A brief id (``xai-colossus``) or a path to a ``brief.yaml`` → the spec's path."""
    candidate = Path(brief)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        return candidate
    known = spec.find_specs(data_dir)
    if str(brief) not in known:
        raise SpecError(Problem(str(data_dir), f"no brief {str(brief)!r}",
                                expected=f"one of: {', '.join(sorted(known)) or 'none found'}, "
                                         "or a path to a brief.yaml"))
    return known[str(brief)]


def prepare(spec_path: Path) -> Prepared:
    """Load and validate a brief's inputs, compute its comparisons, check its claims."""
    brief_spec = spec.load_spec(spec_path)
    with units.using(brief_spec.units):
        fact_set = facts.load_facts(Path(brief_spec.facts_path), Path(brief_spec.sources_path))
        left = () if brief_spec.draft else parse.placeholder_problems(fact_set)
        if left:
            raise FactsError(*left)
        comparisons = compare.compute(brief_spec.comparisons, fact_set)
        return Prepared(
            spec=brief_spec,
            facts=fact_set,
            comparisons=comparisons,
            checks=checks.check_claims(brief_spec.claims, fact_set, comparisons),
            conflicts=checks.find_conflicts(fact_set),
        )


def languages(prepared: Prepared, lang: str) -> tuple[Lang, ...]:
    """``all`` → the spec's languages; ``ja``/``en`` → that one (it must be one the spec offers)."""
    if lang == "all":
        return prepared.spec.languages
    chosen = tuple(code for code in prepared.spec.languages if code == lang)
    if not chosen:
        offered = "|".join(prepared.spec.languages)
        raise SpecError(Problem(prepared.spec.origin, f"this brief has no {lang!r} edition", field="languages",
                                expected=f"one of {offered} or all"))
    return chosen


def render_edition(prepared: Prepared, langs: Sequence[Lang], today: dt.date,
                   env: jinja2.Environment, out_dir: Path, key: str | None = None) -> Edition:
    """Compose and render every language in memory; each ``Rendered.path`` is where ``write_edition``
    puts it. ``key`` names the edition (default: ``today``; a revision is ``YYYY-MM-DD-rN``); the
    "what changed" section compares against the latest snapshot in ``out_dir`` before it.
    """
    edition = key or today.isoformat()
    glyphs.warn_unprintable(prepared.facts)
    warn_lint(prepared, langs, today, env)
    previous = snapshot.previous_snapshot(out_dir, prepared.spec.id, edition)
    changes = None if previous is None else snapshot.diff(previous, prepared.facts)
    history = fact_history(prepared, langs, env, out_dir, edition)
    rendered: dict[str, Rendered] = {}
    for lang in langs:
        brief = compose.compose(prepared.spec, prepared.facts, prepared.comparisons, lang, today, env,
                                checks=prepared.checks, conflicts=prepared.conflicts, changes=changes,
                                history=history)
        path = output.report_path(out_dir, prepared.spec.id, lang, edition)
        rendered[lang] = Rendered(brief=brief, pdf=render.render_pdf(brief), path=str(path))
    return Edition(brief_id=prepared.spec.id, edition=edition, title=prepared.spec.title, languages=rendered)


def fact_history(prepared: Prepared, langs: Sequence[Lang], env: jinja2.Environment, out_dir: Path,
                 edition: str) -> History | None:
    """The history of the facts these languages' ```trend blocks name (every fact's when a block's ids
    come from Jinja), read from the brief's earlier snapshots; ``None`` when no template has one (a
    plain build never imports pandas)."""
    asked = [trend.asked(compose.template_source(env, f"{prepared.spec.template}/{lang}.md")[0]) for lang in langs]
    if not any(ids is None or ids for ids in asked):
        return None
    from briefgen.load import history  # pandas: only briefs that show a trend pay for it

    ids = None if None in asked else [i for found in asked if found for i in found]
    return history.load_history(out_dir, prepared.spec.id, edition, prepared.facts, ids)


def warn_lint(prepared: Prepared, langs: Sequence[Lang], today: dt.date, env: jinja2.Environment) -> None:
    """Log ``lint``'s warnings for these languages' templates: typed numbers, missing labels, stale data."""
    templates = {lang: compose.template_source(env, f"{prepared.spec.template}/{lang}.md") for lang in langs}
    for problem in lint.lint(prepared.spec, prepared.facts, templates, env, today):
        LOG.warning("%s", problem)


class _Collected(logging.Handler):
    """Keeps the messages of the warnings logged while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def warnings_logged() -> Iterator[list[str]]:
    """The messages of every warning briefgen logs inside the block (for ``strict``)."""
    handler = _Collected()
    LOG.addHandler(handler)
    try:
        yield handler.messages
    finally:
        LOG.removeHandler(handler)


def write_edition(edition: Edition, fact_set: FactSet, out_dir: Path) -> Edition:
    """Write each rendered PDF atomically, then the snapshot of the facts used (the next edition's
    "what changed" compares against it). Called only once every language has rendered, so a
    template or layout error in one language never leaves the other's new PDF beside the previous
    edition."""
    for rendered in edition.languages.values():
        output.write_atomic(rendered.pdf, Path(rendered.path))
    snapshot.save_snapshot(fact_set, snapshot.snapshot_path(out_dir, edition.brief_id, edition.edition))
    return edition


def build_edition(brief: str | Path, *, lang: str = "all", today: dt.date | None = None,
                  out_dir: Path = REPORTS_DIR, data_dir: Path = DATA_DIR,
                  templates_dir: Path = TEMPLATES_DIR, strict: bool = False) -> Edition:
    """Build one edition of a brief (by id or spec path) in ``lang`` (``ja``, ``en`` or ``all``).
    ``strict``: any warning logged on the way raises ``StrictFailed`` (listing them) before anything
    is written."""
    with warnings_logged() as warned:
        env = compose.template_env(templates_dir)
        prepared = prepare(resolve_spec(brief, data_dir))
        edition_date = today or dt.date.today()
        edition = render_edition(prepared, languages(prepared, lang), edition_date, env, out_dir)
    if strict and warned:
        raise StrictFailed(*warned)
    return write_edition(edition, prepared.facts, out_dir)


def build_brief(brief: str | Path, *, lang: str = "all", today: dt.date | None = None,
                out_dir: Path = REPORTS_DIR, data_dir: Path = DATA_DIR,
                templates_dir: Path = TEMPLATES_DIR, strict: bool = False) -> tuple[Path, ...]:
    """Build a brief and return the paths of the PDFs written (one per language)."""
    edition = build_edition(brief, lang=lang, today=today, out_dir=out_dir, data_dir=data_dir,
                            templates_dir=templates_dir, strict=strict)
    return tuple(Path(r.path) for r in edition.languages.values())


def make_caches(templates_dir: Path, data_dir: Path, root: Path | None = None) -> tuple[Path, ...]:
    """Make every start-up cache under ``root`` (default ``var/cache/``, see ``briefgen.base.caches``):
    pint's parsed definitions and its answers for the units of every brief in ``data_dir``, the
    bytecode of every template in ``templates_dir``, the fonts' parsed tables (a project without a data
    folder yet gets all but the answers); and, in the package's ``__pycache__``, the compiled patterns
    and dataclass methods of the command line's imports (``briefgen.base.codecache``; skipped with a
    warning where the package's folder is read-only). Returns the folders and that file."""
    base = root or caches.CACHE_DIR
    made: tuple[Path, ...] = (*units.write_cache(base), compose.write_cache(templates_dir, base),
                              fonts.write_cache(base))
    env = compose.template_env(templates_dir)
    for spec_path in (spec.find_specs(data_dir) if data_dir.is_dir() else {}).values():
        _ask_units(spec_path, env)
    units.save_learnt(base)
    try:
        made += (codecache.write(codecache.PATH),)
    except OSError as exc:
        LOG.warning("set-up could not record the start-up compilations (each start compiles them): %s", exc)
    return tuple(sorted(set(made)))


def _ask_units(spec_path: Path, env: jinja2.Environment) -> None:
    """Prepare and compose a brief (nothing rendered or written), so that every unit its build asks
    pint about is asked now; a brief that fails is left for its build to report."""
    try:
        prepared = prepare(spec_path)
        for lang in prepared.spec.languages:
            compose.compose(prepared.spec, prepared.facts, prepared.comparisons, lang, dt.date.today(), env,
                            checks=prepared.checks, conflicts=prepared.conflicts)
    except BriefError as exc:
        LOG.debug("set-up skips the units of %s: %s", spec_path, exc)
