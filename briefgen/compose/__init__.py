"""Spec + facts + comparisons → a Brief per language (templates, directives, figures, the Markdown subset)."""
