"""A FactSet → computed comparisons, claim verdicts and conflicts, and an editor's lint warnings."""
