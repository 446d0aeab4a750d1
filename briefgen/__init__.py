"""briefgen: sourced facts → checked headline comparisons → a Japanese/English PDF brief, weekly by email.

``from briefgen import build_brief`` is the library entry point. The pipeline (and with it pandas
and ReportLab) is imported on first use, so importing the package stays cheap for the CLI. The
package's patterns and dataclass methods are compiled once, at set-up (``briefgen.base.codecache``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from briefgen.base import codecache

codecache.serve()  # first: the patterns and dataclass methods of every import below come from set-up

from briefgen.base.errors import BriefError  # noqa: E402

__version__ = "0.2.0"

if TYPE_CHECKING:
    from briefgen.pipeline import build_brief, build_edition, prepare

__all__ = ["BriefError", "__version__", "build_brief", "build_edition", "prepare"]

_LAZY = {"build_brief", "build_edition", "prepare"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from briefgen import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'briefgen' has no attribute {name!r}")
