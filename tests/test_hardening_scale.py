"""Large tables, end to end through ``run.py`` (issue 10, point 5): the facts, conflicts and changes
lists of the PDF stop at a row cap with a line saying how many they show of how many, and where the
rest are; a fence can set its own cap (```facts 5). Speed and memory at 100,000 and 1,000,000 facts
are measured by ``bench/large.py`` (bench/RESULTS.md), not here.
"""

from __future__ import annotations

import pytest
from conftest import pdf_text
from hardening import BRIEF, EDITION, Workspace, assert_refused, squash

from briefgen.compose.directives import MAX_ROWS


def fence(ws: Workspace, directive: str, arg: str) -> None:
    """Give every ```<directive> fence of the brief's templates the argument ``arg``."""
    for template in ws.templates.glob(f"{BRIEF}/*.md"):
        text = template.read_text(encoding="utf-8")
        assert f"```{directive}\n" in text
        template.write_text(text.replace(f"```{directive}\n", f"```{directive} {arg}\n"), encoding="utf-8")


def add_facts(ws: Workspace, count: int) -> int:
    """Append ``count`` valid facts; return how many facts the table then has."""
    rows = ws.rows()
    rows += [{**rows[0], "id": f"extra_{i}", "metric": f"extra_{i}", "label_en": f"extra {i}",
              "label_ja": f"追加{i}"} for i in range(count)]
    ws.write_rows(rows)
    return len(rows)


def test_a_facts_fence_with_a_cap_shows_that_many_rows_and_says_where_the_rest_are(ws: Workspace) -> None:
    total = len(ws.rows())
    fence(ws, "facts", "5")
    assert ws.build().code == 0
    en, ja = pdf_text(ws.pdf("en").read_bytes()), pdf_text(ws.pdf("ja").read_bytes())
    assert f"Showing 5 of {total} facts; the full table is in facts.csv." in " ".join(en.split())
    assert f"全{total}件の事実のうち5件を表示。全件はfacts.csvにあります。" in squash(ja)
    first, sixth = ws.rows()[0]["label_en"], ws.rows()[5]["label_en"]
    assert squash(first) in squash(en) and squash(sixth) not in squash(en.split("Showing 5")[1])


def test_the_default_cap_holds_a_table_longer_than_it(ws: Workspace) -> None:
    total = add_facts(ws, MAX_ROWS)
    assert ws.build("--lang", "en").code == 0
    en = pdf_text(ws.pdf("en").read_bytes())
    assert f"Showing {MAX_ROWS} of {total} facts; the full table is in facts.csv." in " ".join(en.split())
    last = MAX_ROWS - (total - MAX_ROWS) - 1  # the reference facts come first
    assert f"extra {last}\n" in en and f"extra {last + 1}\n" not in en


def test_a_table_within_its_cap_has_no_summary_line(ws: Workspace) -> None:
    assert ws.build("--lang", "en").code == 0
    assert "Showing" not in pdf_text(ws.pdf("en").read_bytes())


def test_the_conflicts_list_is_capped_too(ws: Workspace) -> None:
    fence(ws, "conflicts", "1")
    assert ws.build("--lang", "en").code == 0
    en = " ".join(pdf_text(ws.pdf("en").read_bytes()).split())
    assert "Showing 1 of 2 conflicting figures; check lists them all." in en


@pytest.mark.parametrize("arg", ["0", "ten", "10001", "-3"])
def test_a_bad_cap_is_one_located_line(ws: Workspace, arg: str) -> None:
    fence(ws, "facts", arg)
    path = ws.templates / BRIEF / "en.md"
    line = path.read_text(encoding="utf-8").splitlines().index(f"```facts {arg}") + 1
    assert_refused(ws.build("--lang", "en"), f"{path}:{line}: bad row count '{arg}' in ```facts",
                   "(expected a whole number of rows from 1 to 10,000 after the directive (default 200))")
    assert EDITION in str(ws.pdf("en"))
    ws.assert_untouched()
