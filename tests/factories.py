"""Hand-built facts for tests that must not depend on the loaders."""

from __future__ import annotations

from decimal import Decimal

from briefgen.base.model import Fact, FactSet, Origin, PartialDate, Quantity, Source

SOURCE = Source("src", "Publisher", "Title", None, "https://example.com/a")

#: Fact text that must print literally (issue 6, cases 11 and 12): template code, ReportLab markup
#: and the rl_safe_eval attack; ``MARKDOWN_HOSTILE`` adds what could open a block or emphasis.
HOSTILE = [
    "{{ 7*7 }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "<b>x</b>",
    "a<b & c",
    "</para>",
    "<font color=\"[[[getattr(pow, Word('__globals__'))]]]\">",
]
MARKDOWN_HOSTILE = [*HOSTILE, "**bold**", "# heading", "- item\n# heading\n```facts",
                    "x\ue0000\ue001 [1] | \\ _u_ `c`"]


def make_fact(fact_id: str, value: str | None = None, unit: str = "1", *, low: str | None = None,
              high: str | None = None, event: PartialDate | None = None, entity: str = "e",
              metric: str | None = None, as_of: PartialDate | None = None, line: int = 2,
              source: Source = SOURCE) -> Fact:
    """A fact for tests: a point ``value``, a ``low``–``high`` range, or an ``event`` date."""
    if event is not None:
        quantity = None
    elif value is not None:
        quantity = Quantity.point(value, unit)
    else:
        assert low is not None and high is not None
        quantity = Quantity(Decimal(low), Decimal(high), unit)
    return Fact(fact_id, entity, metric or fact_id, quantity, event, as_of, source, "quote",
                Origin("data/x/facts.csv", line))


def fact_set(*facts: Fact) -> FactSet:
    sources = {f.source.id: f.source for f in facts} or {SOURCE.id: SOURCE}
    return FactSet({f.id: f for f in facts}, sources, "data/x/facts.csv")
