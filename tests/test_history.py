"""Fact history across editions: ```trend tables read back from PDFs built through the CLI."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import pytest
from conftest import pdf_text, readme_section
from hardening import Result, run

from briefgen.base.model import Quantity
from briefgen.compose import trend
from briefgen.load import history, snapshot

SECTION = "## Writing a template"
HEADER = "id,entity,metric,value,low,high,unit,as_of,source,quote,label_ja,label_en\n"
SOURCES = "id,publisher,title,date,url,lang\nsrc,Example News,Colossus report,2024-07,https://example.invalid/c,en\n"
SPEC = """\
id: tiny
title: {ja: "コロッサスの推移", en: "Colossus over time"}
languages: [ja, en]
template: tiny
facts: facts.csv
sources: sources.csv
"""
TEMPLATE = "# {{{{ brief.title }}}}\n\n{trend}\n\n## {notes}\n\n```sources\n```\n"
TREND = "```trend colossus_power cluster_cost extra_power\n```"
#: The brief's facts in each edition: id → value (a fact missing from an edition is left out of it).
EDITIONS = {
    "2024-07-01": {"colossus_power": "150", "cluster_cost": "4000000000", "extra_power": "10"},
    "2024-07-08": {"colossus_power": "200", "cluster_cost": "4000000000"},
    "2024-07-15": {"colossus_power": "300", "cluster_cost": "3000000000", "extra_power": "12"},
}
FACTS = {"colossus_power": ("MW", "消費電力", "Colossus power"), "cluster_cost": ("USD", "総費用", "Cluster cost"),
         "extra_power": ("MW", "追加電力", "Extra power")}


def write_brief(root: Path, values: dict[str, str], trend_block: str = TREND) -> None:
    brief = root / "data" / "tiny"
    brief.mkdir(parents=True, exist_ok=True)
    (brief / "brief.yaml").write_text(SPEC, encoding="utf-8")
    (brief / "sources.csv").write_text(SOURCES, encoding="utf-8")
    rows = "".join(f"{i},Colossus,{i},{v},,,{FACTS[i][0]},2024-07,src,{v},{FACTS[i][1]},{FACTS[i][2]}\n"
                   for i, v in values.items())
    (brief / "facts.csv").write_text(HEADER + rows, encoding="utf-8")
    templates = root / "templates" / "tiny"
    templates.mkdir(parents=True, exist_ok=True)
    for lang, notes in (("ja", "出典"), ("en", "Sources")):
        (templates / f"{lang}.md").write_text(TEMPLATE.format(trend=trend_block, notes=notes), encoding="utf-8")


def build(root: Path, date: str) -> Result:
    return run("--data", str(root / "data"), "--templates", str(root / "templates"),
               "--reports", str(root / "reports"), "--date", date, "build", "tiny")


def built(root: Path, date: str, lang: str) -> str:
    """The PDF's text, every run of white space one space."""
    return re.sub(r"\s+", " ", pdf_text((root / "reports" / "tiny" / f"{date}.{lang}.pdf").read_bytes()))


@pytest.fixture
def three(tmp_path: Path) -> Path:
    """The tiny brief built as three weekly editions whose facts change."""
    for date, values in EDITIONS.items():
        write_brief(tmp_path, values)
        result = build(tmp_path, date)
        assert result.code == 0, result.err
        assert "Traceback" not in result.err
    return tmp_path


def test_the_third_edition_lists_each_fact_by_edition_with_its_change(three: Path) -> None:
    en = built(three, "2024-07-15", "en")
    assert "Item Edition Value Change" in en
    for row in ("Colossus power July 1, 2024 150 MW", "July 8, 2024 200 MW +50 MW (+33%)",
                "July 15, 2024 300 MW [1] +100 MW (+50%)",
                "Cluster cost July 1, 2024 $4B", "July 8, 2024 $4B ±0", "July 15, 2024 $3B [1] −$1B (−25%)",
                # a fact missing from the middle edition
                "Extra power July 1, 2024 10 MW", "July 8, 2024 — not in this edition", "July 15, 2024 12 MW [1] new"):
        assert row in en, row
    ja = built(three, "2024-07-15", "ja")
    for row in ("消費電力 2024年7月1日 150メガワット", "2024年7月8日 200メガワット +50メガワット（+33%）",
                "2024年7月15日 300メガワット [1] +100メガワット（+50%）", "2024年7月15日 30億ドル [1] −10億ドル（−25%）",
                "2024年7月8日 — この号になし", "2024年7月15日 12メガワット [1] 新規"):
        assert row in ja, row


def test_the_first_edition_says_there_is_no_history_yet(three: Path) -> None:
    assert "There is no earlier edition yet, so there is no trend to show." in built(three, "2024-07-01", "en")
    assert "前号までの記録がないため、推移はまだ示せません。" in built(three, "2024-07-01", "ja").replace(" ", "")


def test_a_damaged_and_a_missing_snapshot_are_warned_about_by_file_and_left_out(three: Path) -> None:
    folder = three / "reports" / "tiny"
    (folder / "2024-07-08.facts.json").write_text('{"colossus_power": {"low": "2', encoding="utf-8")
    (folder / "2024-07-01.facts.json").unlink()
    write_brief(three, EDITIONS["2024-07-15"] | {"colossus_power": "350"})
    result = build(three, "2024-07-22")
    assert result.code == 0 and "Traceback" not in result.err
    assert f"{folder / '2024-07-08.facts.json'}: not a readable JSON snapshot" in result.err
    assert f"{folder / '2024-07-01.facts.json'}: missing: edition 2024-07-01 has PDFs but no facts snapshot" \
        in result.err
    en = built(three, "2024-07-22", "en")
    assert "July 15, 2024 300 MW" in en and "July 22, 2024 350 MW [1] +50 MW (+17%)" in en
    assert "July 8, 2024" not in en and "July 1, 2024" not in en


def test_a_stored_value_that_does_not_parse_is_warned_about_and_left_out(three: Path) -> None:
    path = three / "reports" / "tiny" / "2024-07-08.facts.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["colossus_power"]["low"] = stored["colossus_power"]["high"] = "2_00"  # Decimal reads it, parse does not
    path.write_text(json.dumps(stored), encoding="utf-8")
    write_brief(three, EDITIONS["2024-07-15"])
    assert build(three, "2024-07-22").code == 0
    en = built(three, "2024-07-22", "en")
    assert "July 8, 2024 — " in en and "July 15, 2024 300 MW new" in en


def test_an_unknown_or_event_fact_in_a_trend_is_a_located_error(tmp_path: Path) -> None:
    write_brief(tmp_path, EDITIONS["2024-07-01"], "```trend colossus_powr\n```")
    result = build(tmp_path, "2024-07-01")
    assert result.code == 1 and "Traceback" not in result.err
    assert "en.md:3: ```trend: no fact 'colossus_powr'; did you mean 'colossus_power'?" in result.err \
        or "ja.md:3: ```trend: no fact 'colossus_powr'; did you mean 'colossus_power'?" in result.err


def test_ids_come_from_the_templates_and_jinja_ids_ask_for_every_fact() -> None:
    assert trend.asked("# t\n```trend a b\n```\n```trend b c\n```\n") == ("a", "b", "c")
    assert trend.asked("```chart a\n```\n```trends a\n```") == ()
    assert trend.asked("```trend {{ 'a' }}\n```") is None


def test_revisions_of_one_date_keep_the_newest_and_old_editions_stop_at_the_limit(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen")
    write_brief(tmp_path, EDITIONS["2024-07-01"])
    from briefgen.load.facts import load_facts

    def save(edition: str, power: str) -> None:
        write_brief(tmp_path, {"colossus_power": power})
        facts = load_facts(tmp_path / "data/tiny/facts.csv", tmp_path / "data/tiny/sources.csv")
        snapshot.save_snapshot(facts, snapshot.snapshot_path(tmp_path / "reports", "tiny", edition))

    start = dt.date(2024, 1, 1)
    for week in range(history.MAX_EDITIONS + 2):
        save((start + dt.timedelta(weeks=week)).isoformat(), str(100 + week))
    save("2024-04-08-r2", "999")
    save("2024-04-08-r10", "1000")
    save("2024-04-08-r3", "998")
    write_brief(tmp_path, {"colossus_power": "5"})
    facts = load_facts(tmp_path / "data/tiny/facts.csv", tmp_path / "data/tiny/sources.csv")
    found = history.load_history(tmp_path / "reports", "tiny", "2024-04-15", facts, ["colossus_power"])
    assert len(found.editions) == history.MAX_EDITIONS + 1 and found.editions[-1] == dt.date(2024, 4, 15)
    values = dict(found.facts["colossus_power"].values)
    assert values[dt.date(2024, 4, 8)] == Quantity.point(1000, "MW") and dt.date(2024, 1, 8) not in values
    assert not caplog.records


def test_the_readme_trend_example_is_what_the_third_edition_prints(tmp_path: Path) -> None:
    section = readme_section(SECTION)
    block = re.search(r"````markdown\n(.*?)````", section, re.S)
    assert block is not None
    for date, values in EDITIONS.items():
        write_brief(tmp_path, values, block[1].strip())
        assert build(tmp_path, date).code == 0
    after = section[block.end():section.index("\n### ", block.end())]
    rows = [" ".join(c.strip() for c in row.split("|") if c.strip())
            for row in re.findall(r"^\| (.+) \|$", after, re.M)]
    assert len(rows) == 10  # the header and three editions of three facts
    en = built(tmp_path, "2024-07-15", "en")
    for row in rows:
        assert row in en, row
    japanese = re.search(r"\(Japanese: `(.+?)`\.\)", after)
    assert japanese is not None and japanese[1] in built(tmp_path, "2024-07-15", "ja")
