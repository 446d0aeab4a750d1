"""briefgen: sourced facts → checked headline comparisons → a Japanese/English PDF brief, weekly by email."""

from briefgen.errors import BriefError

__all__ = ["BriefError"]
