"""Fact text → located warnings for characters no installed font has (they would print as boxes).

``render`` draws each character in IPAex Gothic or the first installed fallback that has it
(``briefgen.render.fonts``, which also makes characters beyond U+FFFF such as emoji extract correctly);
what none of them has prints as a blank box. This check runs before a brief is rendered and names
the fact, its file and line, and the field, so an editor can fix the data (or install a font)
instead of hunting for a box in the PDF. It reads only the registered fonts.
"""

from __future__ import annotations

import logging
from operator import attrgetter
from typing import Iterator

from briefgen.base.errors import Problem
from briefgen.base.model import Fact, FactSet
from briefgen.render import fonts

log = logging.getLogger("briefgen")

#: The fact fields a brief can print (labels, their "entity metric" fallback, and the quote).
FIELDS = ("entity", "metric", "quote", "label_ja", "label_en")


def problems(facts: FactSet) -> tuple[Problem, ...]:
    """One problem per fact field that holds characters no installed font has. Each field of all the
    facts is scanned at once against the primary font; only when it lacks one are the facts searched."""
    primary = fonts.primary()
    if all(fonts.covers("".join(map(attrgetter(field), facts.facts.values())), primary) for field in FIELDS):
        return ()
    return tuple(problem for fact in facts.facts.values() for problem in _fact_problems(fact))


def warn_unprintable(facts: FactSet) -> None:
    """Log one warning per problem found by ``problems``."""
    for problem in problems(facts):
        log.warning("%s", problem)


def _fact_problems(fact: Fact) -> Iterator[Problem]:
    for field in FIELDS:
        found = fonts.unprintable(getattr(fact, field), fonts.primary())
        if found:
            yield Problem(fact.origin.path, f"fact {fact.id}: no installed font has {fonts.describe(found)}; "
                          "it would print as a blank box", line=fact.origin.line, field=field,
                          expected="characters an installed font has (see scripts/setup.sh for the fonts)")
