"""Two FactSets → what changed since the last edition (new facts, changed values, removed facts).

Each scheduled edition keeps the facts it used as ``reports/<brief>/<edition>.facts.json``; the next
edition compares its facts against the latest earlier snapshot. A snapshot is written one fact a line
in id order and read back a line at a time, so the diff of 1,000,000 facts never holds every old
record. ``diff`` is pure; ``save_snapshot``, ``read_snapshot``, ``load_snapshot``, ``previous_snapshot``,
``editions`` and ``edition_order`` (for ``history``) are the file edge.
"""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Generator, Iterable, Iterator, Mapping, cast

from briefgen.base.errors import FactsError, Problem
from briefgen.base.model import Change, Fact, FactSet, PartialDate, Quantity
from briefgen.base.output import safe_component, write_atomic
from briefgen.base.parse import parse_partial_date
from briefgen.load.tables import read_text

#: One fact as stored in a snapshot: every value a string or null.
Record = Mapping[str, "str | None"]
#: fact id → record, as written by ``snapshot`` and read back by ``load_snapshot``.
Snapshot = Mapping[str, Record]
#: (fact id, record) pairs in a snapshot's order, as ``read_snapshot`` streams them.
Entries = Iterable[tuple[str, Record]]

FIELDS = ("entity", "metric", "low", "high", "unit", "event", "as_of", "quote", "label_ja", "label_en")
SUFFIX = ".facts.json"
#: What ``save_snapshot`` writes on each line between the opening ``{`` and the closing ``}``.
LINE = '"<fact id>": {<record>}, one fact a line in sorted id order, as briefgen writes it'
_EDITION = re.compile(r"\d{4}-\d{2}-\d{2}(-r\d+)?")

# --- FactSet → snapshot → changes (pure) ----------------------------------------------------------


def snapshot(facts: FactSet) -> dict[str, dict[str, str | None]]:
    """The facts of an edition as JSON-ready data: fact id → its values as strings (or null)."""
    return {fact.id: _record(fact) for fact in facts.facts.values()}


def _record(fact: Fact) -> dict[str, str | None]:
    q = fact.quantity
    return {
        "entity": fact.entity,
        "metric": fact.metric,
        "low": None if q is None else str(q.low),
        "high": None if q is None else str(q.high),
        "unit": None if q is None else q.unit,
        "event": None if fact.event is None else str(fact.event),
        "as_of": None if fact.as_of is None else str(fact.as_of),
        "quote": fact.quote,
        "label_ja": fact.label_ja,
        "label_en": fact.label_en,
    }


def diff(previous: Snapshot | Entries | None, current: FactSet) -> tuple[Change, ...]:
    """What changed from ``previous`` to ``current``: new and changed facts in current order, then removed
    ones in ``previous``'s order. ``previous`` is read once, one record at a time (``read_snapshot``
    streams a stored one), so only the changes are kept, never every old record.

    No previous snapshot (a first edition) means no changes to report. A fact whose amount or event
    date is the same (``Decimal`` equality: ``1E+5 == 100000``) is unchanged, whatever its quote or as_of.
    """
    if previous is None:
        return ()
    changed: dict[str, Change] = {}
    kept: set[str] = set()
    removed: list[Change] = []
    for fact_id, record in previous.items() if isinstance(previous, Mapping) else previous:
        fact = current.facts.get(fact_id)
        if fact is None:
            removed.append(_removed(fact_id, record))
            continue
        kept.add(fact.id)
        if change := _compare(record, fact):
            changed[fact.id] = change
    new_or_changed = [changed.get(fact.id) or _new(fact) for fact in current.facts.values()
                      if fact.id in changed or fact.id not in kept]
    return tuple(new_or_changed + removed)


def _new(fact: Fact) -> Change:
    return Change(fact.id, fact.label_ja, fact.label_en, "new", None, fact.quantity, None, fact.event)


def _compare(old: Record, fact: Fact) -> Change | None:
    old_q, old_event = _values(old)
    if old_q == fact.quantity and old_event == fact.event:
        return None
    return Change(fact.id, fact.label_ja, fact.label_en, "changed", old_q, fact.quantity, old_event, fact.event)


def _removed(fact_id: str, record: Record) -> Change:
    old_q, old_event = _values(record)
    label_ja, label_en = record.get("label_ja") or "", record.get("label_en") or ""
    return Change(fact_id, label_ja, label_en, "removed", old_q, None, old_event)


def _values(record: Record) -> tuple[Quantity | None, PartialDate | None]:
    """The amount and event date of a stored record; ``ValueError`` names the bad field."""
    event = record.get("event")
    low, high = record.get("low"), record.get("high")
    if low is None:
        return None, None if event is None else _event(event)
    return Quantity(_decimal(low, "low"), _decimal(high, "high"), record.get("unit") or ""), None


def _decimal(text: str | None, field: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ValueError(f"{field}: {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{field}: {text!r} is not a finite number")
    return value


def _event(text: str) -> PartialDate:
    try:
        return parse_partial_date(text)
    except ValueError as exc:
        raise ValueError(f"event: {exc}") from None


# --- files (the edge) -----------------------------------------------------------------------------


def snapshot_path(reports_dir: Path, brief_id: str, edition: str) -> Path:
    """``reports/<brief>/<edition>.facts.json``, next to the archived PDF."""
    return reports_dir / safe_component(brief_id) / f"{safe_component(edition)}{SUFFIX}"


def save_snapshot(facts: FactSet, path: Path) -> Path:
    """Write the snapshot of ``facts`` to ``path`` atomically: one fact a line, ids and keys sorted
    (stable, diffable files), encoded a chunk of lines at a time (never every record at once)."""
    return write_atomic(encoded(facts), path)


def encoded(facts: FactSet, *, compact: bool = False, lines: int = 10_000) -> Iterator[bytes]:
    """The snapshot of ``facts`` as UTF-8 JSON, ids and keys sorted, a chunk of ``lines`` facts at a
    time: one fact a line (the file), or ``compact`` — no white space, the bytes of
    ``json.dumps(snapshot(facts), ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` (what
    an edition's facts digest hashes)."""
    item, key, (start, between, end) = (",", ":", ("{", ",", "}")) if compact else (", ", ": ", ("{\n", ",\n", "\n}\n"))
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(item, key)).encode
    ids = sorted(facts.facts)
    yield start.encode()
    for first in range(0, len(ids), lines):
        chunk = between.join(f"{encode(i)}{key}{encode(_record(facts.facts[i]))}" for i in ids[first:first + lines])
        yield ((between if first else "") + chunk).encode("utf-8")
    yield end.encode()


def load_snapshot(path: Path) -> Snapshot | None:
    """The snapshot stored at ``path`` as one mapping (small snapshots; the pipeline streams with
    ``read_snapshot``), or None when there is none; a damaged file raises ``FactsError``."""
    return dict(read_snapshot(path)) if path.exists() else None


def read_snapshot(path: Path) -> Iterator[tuple[str, Record]]:
    """The (fact id, record) pairs stored at ``path``, in file order. A snapshot as ``save_snapshot``
    writes it is read one line at a time; any other JSON object of records (an older, indented
    snapshot) is parsed whole. A damaged file raises ``FactsError`` naming the file, and the line
    where it can: an unreadable one at once, a bad line when the reading reaches it."""
    lines = _numbered_lines(path)
    head = list(itertools.islice(lines, 2))
    if head[0][1] != "{\n" or (len(head) > 1 and head[1][1].startswith(" ")):
        lines.close()
        return iter(_whole(path).items())
    return _streamed(itertools.chain(head[1:], lines), str(path))


def _numbered_lines(path: Path) -> Generator[tuple[int, str], None, None]:
    """(line number, line) of a text file as it is read; a file that cannot be read or is not UTF-8
    text is read again by ``read_text``, which raises the located error."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            yield (1, next(handle, ""))
            yield from enumerate(handle, 2)
    except (OSError, ValueError):
        read_text(path)
        raise


def _streamed(lines: Iterator[tuple[int, str]], origin: str) -> Iterator[tuple[str, Record]]:
    """The records on the lines after a snapshot's opening ``{``: one fact a line in sorted id order,
    then the closing ``}`` and nothing else."""
    last: str | None = None
    number = 1
    for number, line in lines:
        if line.strip() == "}":
            break
        if not line.strip():
            continue
        fact_id, record = _entry(line, origin, number)
        if last is not None and fact_id <= last:
            raise _bad_line(origin, number, f"fact {fact_id!r} is out of order or repeated")
        last = fact_id
        yield fact_id, record
    else:
        raise _bad_line(origin, number, "the snapshot ends before its closing }")
    for number, line in lines:
        if line.strip():
            raise _bad_line(origin, number, "text after the closing }")


def _entry(line: str, origin: str, number: int) -> tuple[str, Record]:
    try:
        parsed = json.loads("{" + line.rstrip().removesuffix(",") + "}")
    except json.JSONDecodeError as exc:
        raise _bad_line(origin, number, f"not JSON ({exc.msg} at column {max(exc.colno - 1, 1)})") from None
    except RecursionError:
        raise _bad_line(origin, number, "not JSON (nested too deep)") from None
    if len(parsed) != 1:
        raise _bad_line(origin, number, f"{len(parsed)} facts on one line")
    ((fact_id, record),) = parsed.items()
    bad = _record_problem(record)
    if bad:
        raise FactsError(Problem(origin, bad, line=number, field=fact_id, expected=f"an object with {', '.join(FIELDS)}"))
    return fact_id, cast(Record, record)


def _bad_line(origin: str, number: int, problem: str) -> FactsError:
    return FactsError(Problem(origin, problem, line=number, expected=LINE))


def _whole(path: Path) -> Snapshot:
    """A snapshot that is not one fact a line, parsed and checked whole."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        problem = Problem(str(path), f"not a readable JSON snapshot ({exc})", expected="JSON written by briefgen")
        raise FactsError(problem) from exc
    problems = _validate(path, data)
    if problems:
        raise FactsError(*problems)
    return cast(Snapshot, data)


def _validate(path: Path, data: object) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem(str(path), "not an object", expected="fact id → fact record")]
    problems = []
    for fact_id, record in data.items():
        bad = _record_problem(record)
        if bad:
            problems.append(Problem(str(path), bad, field=str(fact_id), expected=f"an object with {', '.join(FIELDS)}"))
    return problems


def _record_problem(record: object) -> str | None:
    if not isinstance(record, dict) or not all(v is None or isinstance(v, str) for v in record.values()):
        return "not an object of strings and nulls"
    try:
        _values(record)
    except ValueError as exc:
        return str(exc)
    return None


def previous_snapshot(reports_dir: Path, brief_id: str, edition: str) -> Entries | None:
    """The records of the latest snapshot of ``brief_id`` from an edition before ``edition``, streamed
    by ``read_snapshot`` (None for a first edition)."""
    folder = snapshot_path(reports_dir, brief_id, edition).parent
    stored = (p.name[: -len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}"))
    earlier = [name for name in stored if _EDITION.fullmatch(name) and name < edition]
    return read_snapshot(folder / f"{max(earlier)}{SUFFIX}") if earlier else None


def editions(reports_dir: Path, brief_id: str, before: str) -> tuple[tuple[str, Path], ...]:
    """Every edition of ``brief_id`` before ``before`` that left a snapshot or a PDF in its folder,
    oldest first (a ``-rN`` revision after its date, in number order), each with its snapshot's path
    (absent when the edition left only PDFs)."""
    folder = snapshot_path(reports_dir, brief_id, before).parent
    names = (p.name[: -len(SUFFIX)] if p.name.endswith(SUFFIX) else p.name.partition(".")[0]
             for p in folder.glob("*") if p.name.endswith((SUFFIX, ".pdf")))
    keys = {name for name in names if _EDITION.fullmatch(name) and edition_order(name) < edition_order(before)}
    return tuple((key, folder / f"{key}{SUFFIX}") for key in sorted(keys, key=edition_order))


def edition_order(edition: str) -> tuple[str, int]:
    """``2024-07-29-r10`` → ``("2024-07-29", 10)``: editions in date, then revision order."""
    date, _, revision = edition.partition("-r")
    return date, int(revision) if revision.isdigit() else 0
