"""Fact snapshots and "what changed since the last edition"."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Callable, Mapping

import pytest
from conftest import DATA

from briefgen.base.errors import FactsError
from briefgen.base.model import Fact, FactSet, Origin, PartialDate, Quantity, Source
from briefgen.base.parse import parse_partial_date
from briefgen.deliver import archive
from briefgen.load.facts import load_facts
from briefgen.load.snapshot import (
    Change,
    diff,
    encoded,
    load_snapshot,
    previous_snapshot,
    read_snapshot,
    save_snapshot,
    snapshot,
    snapshot_path,
)

SOURCE = Source("s1", "Publisher", "Title", PartialDate(2024, 7), "https://example.invalid/a")


def fact(fact_id: str, quantity: Quantity | None = None, event: PartialDate | None = None, quote: str = "q") -> Fact:
    return Fact(
        fact_id, "xAI", fact_id, quantity, event, PartialDate(2024, 5, 26), SOURCE, quote,
        Origin("facts.csv", 2), label_ja=f"{fact_id}（日本語）", label_en=f"{fact_id} (en)",
    )


def factset(*facts: Fact) -> FactSet:
    return FactSet({f.id: f for f in facts}, {SOURCE.id: SOURCE})


GPUS = fact("gpus", Quantity.point(100000, "GPU"))
PRICE = fact("price", Quantity(Decimal(30000), Decimal(40000), "USD/GPU"))
RELEASE = fact("release", event=PartialDate(2024, 8))
BEFORE = factset(GPUS, PRICE, RELEASE)


def test_snapshot_is_json_ready_strings() -> None:
    data = snapshot(BEFORE)
    assert data["price"] == {
        "entity": "xAI", "metric": "price", "low": "30000", "high": "40000", "unit": "USD/GPU",
        "event": None, "as_of": "2024-05-26", "quote": "q", "label_ja": "price（日本語）", "label_en": "price (en)",
    }
    assert data["release"]["event"] == "2024-08" and data["release"]["low"] is None
    assert json.loads(json.dumps(data)) == data


def test_no_previous_edition_means_no_changes() -> None:
    assert diff(None, BEFORE) == ()


def test_same_facts_give_no_changes_whatever_the_quote_or_notation() -> None:
    same = factset(fact("gpus", Quantity.point("1E+5", "GPU"), quote="another quote"), PRICE, RELEASE)
    assert diff(snapshot(BEFORE), same) == ()


def test_new_changed_and_removed_facts() -> None:
    after = factset(
        fact("gpus", Quantity.point(200000, "GPU")),
        fact("release", event=PartialDate(2024, 9)),
        fact("power", Quantity.point(150, "MW")),
    )
    assert diff(snapshot(BEFORE), after) == (
        Change("gpus", "gpus（日本語）", "gpus (en)", "changed",
               Quantity.point(100000, "GPU"), Quantity.point(200000, "GPU")),
        Change("release", "release（日本語）", "release (en)", "changed",
               None, None, PartialDate(2024, 8), PartialDate(2024, 9)),
        Change("power", "power（日本語）", "power (en)", "new", None, Quantity.point(150, "MW")),
        Change("price", "price（日本語）", "price (en)", "removed",
               Quantity(Decimal(30000), Decimal(40000), "USD/GPU"), None),
    )


def test_a_range_narrowing_or_a_unit_change_is_a_change() -> None:
    after = factset(fact("gpus", Quantity.point(100000, "GPU_other")),
                    fact("price", Quantity(Decimal(35000), Decimal(40000), "USD/GPU")), RELEASE)
    assert [(c.fact_id, c.kind) for c in diff(snapshot(BEFORE), after)] == [("gpus", "changed"), ("price", "changed")]


def test_saved_snapshot_round_trips(tmp_path: Path) -> None:
    path = save_snapshot(BEFORE, snapshot_path(tmp_path, "brief", "2025-03-03"))
    assert path == tmp_path / "brief" / "2025-03-03.facts.json"
    assert load_snapshot(path) == snapshot(BEFORE)
    assert [p.name for p in path.parent.iterdir()] == ["2025-03-03.facts.json"]  # no temp file left


def test_reference_facts_round_trip_to_no_changes(tmp_path: Path) -> None:
    facts = load_facts(DATA / "xai-colossus" / "facts.csv", DATA / "xai-colossus" / "sources.csv")
    path = save_snapshot(facts, tmp_path / "x.facts.json")
    assert facts["grok2_planned"].quote in path.read_text(encoding="utf-8")  # readable, not \u-escaped
    previous = load_snapshot(path)
    assert diff(previous, facts) == ()
    fewer = dataclasses.replace(facts, facts={k: v for k, v in facts.facts.items() if k != "oracle_h100"})
    (removed,) = diff(previous, fewer)
    assert (removed.kind, removed.label_ja, removed.old) == (
        "removed", facts["oracle_h100"].label_ja, facts["oracle_h100"].quantity
    )


def test_missing_snapshot_is_none(tmp_path: Path) -> None:
    assert load_snapshot(tmp_path / "none.facts.json") is None


def test_damaged_snapshot_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.facts.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(FactsError, match=r"bad.facts.json: not a readable JSON snapshot"):
        load_snapshot(path)


def test_unreadable_snapshot_is_a_located_error(tmp_path: Path) -> None:
    folder = tmp_path / "b" / "2025-03-03.facts.json"
    folder.mkdir(parents=True)
    with pytest.raises(FactsError, match=r"2025-03-03.facts.json: cannot read the file"):
        previous_snapshot(tmp_path, "b", "2025-03-10")
    latin1 = tmp_path / "latin1.facts.json"
    latin1.write_bytes(b'{"gpus": {"quote": "caf\xe9"}}')
    with pytest.raises(FactsError, match=r"latin1.facts.json:1: byte 0xE9 at byte offset 23 is not UTF-8 text"):
        load_snapshot(latin1)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"low": "lots", "high": "1", "unit": "GPU"}, r"gpus: low: 'lots' is not a number"),
        ({"low": "1", "high": "NaN", "unit": "GPU"}, r"gpus: high: 'NaN' is not a finite number"),
        ({"event": "August"}, r"gpus: event: not a date: 'August'"),
        ({"low": 5}, r"gpus: not an object of strings and nulls"),
    ],
)
def test_bad_record_names_the_fact_and_field(tmp_path: Path, record: dict[str, object], message: str) -> None:
    path = tmp_path / "bad.facts.json"
    path.write_text(json.dumps({"gpus": record}), encoding="utf-8")
    with pytest.raises(FactsError, match=message):
        load_snapshot(path)


def test_previous_snapshot_is_the_latest_earlier_edition(tmp_path: Path) -> None:
    for edition, gpus in [("2025-03-03", 1), ("2025-03-10", 2), ("2025-03-17", 3)]:
        save_snapshot(factset(fact("gpus", Quantity.point(gpus, "GPU"))), snapshot_path(tmp_path, "b", edition))
    (tmp_path / "b" / "notes.facts.json").write_text("{}", encoding="utf-8")
    previous = previous_snapshot(tmp_path, "b", "2025-03-17")
    assert previous is not None and dict(previous)["gpus"]["low"] == "2"
    assert previous_snapshot(tmp_path, "b", "2025-03-03") is None
    assert previous_snapshot(tmp_path, "other", "2025-03-03") is None


def _diff_of_whole_snapshots(previous: Mapping[str, Mapping[str, str | None]], current: FactSet) -> tuple[Change, ...]:
    """The diff as it was before snapshots were streamed (every old record in one mapping): the oracle."""
    def old(record: Mapping[str, str | None]) -> tuple[Quantity | None, PartialDate | None]:
        if record["low"] is None:
            return None, None if record["event"] is None else parse_partial_date(str(record["event"]))
        return Quantity(Decimal(str(record["low"])), Decimal(str(record["high"])), str(record["unit"])), None

    changes = []
    for f in current.facts.values():
        if f.id not in previous:
            changes.append(Change(f.id, f.label_ja, f.label_en, "new", None, f.quantity, None, f.event))
        elif old(previous[f.id]) != (f.quantity, f.event):
            (q, event) = old(previous[f.id])
            changes.append(Change(f.id, f.label_ja, f.label_en, "changed", q, f.quantity, event, f.event))
    for fid, record in previous.items():
        if fid not in current:
            (q, event) = old(record)
            changes.append(Change(fid, str(record["label_ja"]), str(record["label_en"]), "removed", q, None, event))
    return tuple(changes)


MANY_BEFORE = factset(*(fact(f"f{i:02d}", Quantity.point(i, "GPU")) for i in range(0, 30, 2)),
                      fact("z_event", event=PartialDate(2024, 8)), fact("a_event", event=PartialDate(2024, 1)))
MANY_AFTER = factset(*(fact(f"f{i:02d}", Quantity.point(i if i % 3 else i + 1, "GPU")) for i in range(29, 0, -1)),
                     fact("z_event", event=PartialDate(2024, 9)))


def test_a_saved_snapshot_is_one_fact_a_line_in_id_order_and_is_streamed(tmp_path: Path) -> None:
    path = save_snapshot(MANY_BEFORE, tmp_path / "s.facts.json")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and len(lines) == len(MANY_BEFORE) + 2
    ids = [json.loads("{" + line.removesuffix(",") + "}").popitem()[0] for line in lines[1:-1]]
    assert ids == sorted(MANY_BEFORE.facts)
    entries = read_snapshot(path)
    assert not isinstance(entries, (dict, list, tuple))  # an iterator read as it goes, not a whole mapping
    assert dict(entries) == snapshot(MANY_BEFORE) and json.loads(path.read_text(encoding="utf-8")) == snapshot(MANY_BEFORE)


@pytest.mark.parametrize("write", ["streamed", "indented", "one line"])
def test_diff_of_a_stored_snapshot_is_the_diff_of_the_whole_snapshot(tmp_path: Path, write: str) -> None:
    path = tmp_path / "s.facts.json"
    if write == "streamed":
        save_snapshot(MANY_BEFORE, path)
    else:  # what briefgen wrote before it streamed snapshots (indented), or any one-line JSON object
        text = json.dumps(snapshot(MANY_BEFORE), ensure_ascii=False, indent=2 if write == "indented" else None)
        path.write_text(text + "\n", encoding="utf-8")
    expected = _diff_of_whole_snapshots(json.loads(path.read_text(encoding="utf-8")), MANY_AFTER)
    assert {c.kind for c in expected} == {"new", "changed", "removed"}
    assert diff(read_snapshot(path), MANY_AFTER) == expected
    assert diff(load_snapshot(path), MANY_AFTER) == expected
    assert diff(read_snapshot(path), MANY_BEFORE) == ()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines.__setitem__(3, lines[3][:40]), r"s.facts.json:4: not JSON \(.* at column \d+\) \(expected \"<fact id>\""),
        (lambda lines: lines.__setitem__(2, lines[2].replace('"low": "0"', '"low": "two"')),
         r"s.facts.json:3: f00: low: 'two' is not a number"),
        (lambda lines: lines.insert(3, lines[2]), r"s.facts.json:4: fact 'f00' is out of order or repeated"),
        (lambda lines: lines.__delitem__(slice(-1, None)), r"s.facts.json:18: the snapshot ends before its closing \}"),
        (lambda lines: lines.append("{}"), r"s.facts.json:20: text after the closing \}"),
        (lambda lines: lines.__setitem__(5, '"x": ' + "[" * 100_000 + "]" * 100_000), r"s.facts.json:6: not JSON"),
    ],
    ids=["cut line", "bad value", "repeated id", "no closing brace", "trailing text", "deep nesting"],
)
def test_a_damaged_line_is_an_error_naming_the_file_and_line(tmp_path: Path, damage: Callable[[list[str]], None],
                                                            message: str) -> None:
    path = save_snapshot(MANY_BEFORE, tmp_path / "s.facts.json")
    lines = path.read_text(encoding="utf-8").splitlines()
    damage(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FactsError, match=message):
        diff(read_snapshot(path), MANY_AFTER)


@pytest.mark.parametrize("lines", [1, 2, 10_000])
def test_the_facts_digest_hashes_the_compact_snapshot_a_chunk_at_a_time(lines: int) -> None:
    """The ledger keeps each frozen edition's facts digest: hashing in chunks must give the very bytes
    of the whole compact JSON (a changed digest would make a rerun refuse its own edition)."""
    hostile = fact('q"uote\\ ✓ 𝟘', Quantity.point(Decimal("-1.5E+3"), "USD"), quote='“x” \\ "y"\n\t\u2028')
    for facts in (load_facts(DATA / "xai-colossus" / "facts.csv", DATA / "xai-colossus" / "sources.csv"),
                  factset(hostile, fact("a", event=PartialDate(2024, 7)), fact("b")), factset()):
        whole = json.dumps(snapshot(facts), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        assert b"".join(encoded(facts, compact=True, lines=lines)) == whole
        assert archive.facts_digest(facts) == hashlib.sha256(whole).hexdigest()
